"""The bottom bar of a step: what is happening, and the Back and Next buttons."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Static


class ActionBar(Horizontal):
    _shown: tuple = ()

    def compose(self) -> ComposeResult:
        yield Static(id="status")
        yield Button("‹ Back", id="back", compact=True)
        yield Button("Next ›", id="next", variant="primary", compact=True)

    def show(self, status: str, next_label: str, next_enabled: bool, back_enabled: bool) -> None:
        if (status, next_label, next_enabled, back_enabled) == self._shown:
            return
        self._shown = (status, next_label, next_enabled, back_enabled)
        self.query_one("#status", Static).update(status)
        next_button = self.query_one("#next", Button)
        next_button.label = next_label
        next_button.refresh(layout=True)  # a longer label ("Approve ›") widens the button
        next_button.disabled = not next_enabled
        self.query_one("#back", Button).disabled = not back_enabled
