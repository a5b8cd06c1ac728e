"""The core: the engine, its events and errors, the state store and its storage."""
