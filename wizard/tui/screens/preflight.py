"""The Preflight step: each check with its state and timing, and the findings with remedies."""

from __future__ import annotations

from textual.app import ComposeResult

from wizard.tui.model import RunModel
from wizard.tui.screens.base import StepScreen
from wizard.tui.widgets.checks import CheckList
from wizard.tui.widgets.findings import FindingsTable


class PreflightScreen(StepScreen):
    STEP = "preflight"
    HELP = (
        "Can we reach Neutron and every Alcor service, is Alcor empty or holding an earlier run, "
        "what cannot be carried over? Filter the findings by severity and kind; the selected "
        "one's remedy shows below the table. Blockers keep Next disabled."
    )

    def compose_body(self) -> ComposeResult:
        yield CheckList(id="checks")
        yield FindingsTable(id="preflight-findings")

    def show_body(self, model: RunModel) -> None:
        self.query_one(CheckList).show(model.checks.values())
        self.query_one(FindingsTable).show(model.findings_of("preflight"))
