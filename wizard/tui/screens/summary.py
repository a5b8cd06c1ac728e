"""The Summary step: timings per phase, counts, findings, and where the report and files are."""

from __future__ import annotations

import os

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from wizard.engine import PHASE_ORDER
from wizard.tui.model import RunModel
from wizard.tui.screens.base import StepScreen
from wizard.tui.widgets.findings import SEVERITIES
from wizard.tui.widgets.format import duration, severity_text, shown_path, state_text
from wizard.tui.widgets.tables import RowsTable


def summary_text(summary: dict) -> str:
    """A phase's summary in one line: `key value` pairs (paths show below the table)."""
    return ", ".join(
        f"{key} {value}"
        for key, value in summary.items()
        if not isinstance(value, (dict, list)) and not (isinstance(value, str) and os.path.isabs(value))
    )


class SummaryScreen(StepScreen):
    STEP = "summary"
    HELP = "What happened in each phase and how long it took, the findings, and where the files are."

    def compose_body(self) -> ComposeResult:
        yield RowsTable(("phase", "state", "time", "counts"), id="phase-times")
        yield Static(id="where", classes="detail")

    def show_body(self, model: RunModel) -> None:
        rows = []
        for name in PHASE_ORDER:
            phase = model.phase(name)
            rows.append((name, state_text(phase.status), duration(phase.seconds), summary_text(phase.summary)))
        self.query_one("#phase-times", RowsTable).show_rows(rows, list(PHASE_ORDER))
        total = sum(model.phase(name).seconds or 0 for name in PHASE_ORDER)
        findings = model.all_findings()
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold")
        grid.add_column()
        grid.add_row("total", duration(total))
        grid.add_row("findings", Text(" ").join(
            Text.assemble(f"{sum(f.severity == s for f in findings)} ", severity_text(s)) for s in SEVERITIES
        ))
        report = model.phase("report").summary
        grid.add_row("state", f"{shown_path(self.app.plan.state_dir)}/")
        for key in ("report", "report_json", "dry_run"):
            if report.get(key):
                grid.add_row(key.replace("_", " "), shown_path(report[key]))
        if self.app.exported:
            grid.add_row("dry-run files", shown_path(self.app.exported))
        self.query_one("#where", Static).update(grid)
