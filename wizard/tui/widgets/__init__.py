"""Widgets the wizard's screens compose; each draws one part of the RunModel."""
