"""A phase's checks: each with its state, how long it took, and what it found."""

from __future__ import annotations

from collections.abc import Iterable

from wizard.core.events import CheckChanged
from wizard.tui.widgets.format import duration, state_text
from wizard.tui.widgets.tables import RowsTable


class CheckList(RowsTable):
    def __init__(self, **kwargs) -> None:
        super().__init__(("check", "state", "time", "detail"), **kwargs)

    def show(self, checks: Iterable[CheckChanged]) -> None:
        checks = list(checks)
        rows = [
            (c.check, state_text(c.status), duration(c.seconds) if c.status != "running" else "", c.detail)
            for c in checks
        ]
        self.show_rows(rows, [c.check for c in checks])
