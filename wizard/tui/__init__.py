"""The Textual wizard: screens over the engine's events."""
