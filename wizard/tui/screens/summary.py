"""The Summary step: timings per phase, counts, findings, and where the report and files are."""

from __future__ import annotations

import os

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from wizard.core.engine import PHASE_ORDER
from wizard.tui.model import RunModel
from wizard.tui.screens.base import StepScreen
from wizard.tui.widgets.findings import SEVERITIES
from wizard.tui.widgets.format import clock_time, duration, glyph, severity_text, shown_path, state_text
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
    HELP = (
        "What each phase did and how long it took, in the run that did it (a phase a later run found "
        "done says \"done earlier\", and when it did it), the findings, and where the report and files are."
    )

    def compose_body(self) -> ComposeResult:
        yield RowsTable(("phase", "state", "time", "counts"), id="phase-times")
        yield Static(id="where", classes="detail")

    def show_body(self, model: RunModel) -> None:
        rows, total = [], 0.0
        for name in PHASE_ORDER:
            phase, earlier = model.phase(name), model.done_earlier(name)
            if earlier is None:
                rows.append((name, state_text(phase.status), duration(phase.seconds), summary_text(phase.summary)))
            else:  # what it did in the run that did it (started then); the last pass found it done
                counts = f"at {clock_time(earlier.started_at)}: {summary_text(earlier.summary)}"
                rows.append((name, Text.assemble(glyph("done"), " done earlier", style="green"),
                             duration(earlier.seconds), counts))
            total += (earlier or phase).seconds or 0
        self.query_one("#phase-times", RowsTable).show_rows(rows, list(PHASE_ORDER))
        findings = model.all_findings()
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold")
        grid.add_column()
        grid.add_row("total", duration(total))
        grid.add_row("findings", Text(" ").join(
            Text.assemble(f"{sum(f.severity == s for f in findings)} ", severity_text(s)) for s in SEVERITIES
        ))
        grid.add_row("state", f"{shown_path(self.app.plan.state_dir)}/")
        reports = str(model.phase("report").summary.get("files", ""))  # the report phase's "a, b"
        grid.add_row("report", ", ".join(shown_path(path) for path in reports.split(", ") if path))
        dry_run = self.app.exported or model.phase("preview").summary.get("files")
        if dry_run:
            grid.add_row("dry-run files", shown_path(dry_run))
        self.query_one("#where", Static).update(grid)
