"""The Verify step: what repair carried to Alcor, then Alcor read back and compared with the translation of
Neutron, as a drift table."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from wizard.tui.model import RunModel
from wizard.tui.screens.base import StepScreen
from wizard.tui.widgets.tables import RowsTable

DRIFT_COLUMNS = ("kind", "id", "field", "neutron", "alcor")


class VerifyScreen(StepScreen):
    STEP = "verify"
    HELP = ("What repair sent Alcor for writes that bypassed the capture, then each difference left between "
            "Alcor and the translation of Neutron's current state, field by field.")

    def compose_body(self) -> ComposeResult:
        yield Static(id="repair-summary")
        yield Static(id="drift-summary")
        yield RowsTable(DRIFT_COLUMNS, id="drift")

    def show_body(self, model: RunModel) -> None:
        repaired = self.app.artifact("repair")  # a wizard.alcor.repair.RepairResult
        self.query_one("#repair-summary", Static).update(Text(repaired.describe()) if repaired else "")
        drift = self.app.artifact("drift")  # a wizard.alcor.verify.Drift
        summary = self.query_one("#drift-summary", Static)
        rows = [tuple("" if value is None else str(value) for value in row) for row in drift.rows()] if drift else []
        self.query_one("#drift", RowsTable).show_rows(rows)
        if drift is None:
            summary.update(Text("No verification yet: the drift appears here once verify has run.", style="dim"))
        elif not rows:
            summary.update(Text("No drift: Alcor matches Neutron.", style="green"))
        else:
            kinds = len({row[0] for row in rows})
            summary.update(Text(f"{len(rows)} difference(s) across {kinds} kind(s)", style="yellow"))
