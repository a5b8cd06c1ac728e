"""Findings in a table filtered by severity and kind, with the remedy of the selected one."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Select, Static

from wizard.core.events import FindingRaised
from wizard.tui.widgets.format import severity_text
from wizard.tui.widgets.tables import RowsTable

SEVERITIES = ("blocker", "warning", "info")


class FindingsTable(Vertical):
    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._findings: list[FindingRaised] = []
        self._shown: list[FindingRaised] = []

    def compose(self) -> ComposeResult:
        with Horizontal(classes="filters"):
            yield Select(
                [(s, s) for s in SEVERITIES], prompt="any severity", id="severity", compact=True
            )
            yield Select([], prompt="any kind", id="kind", compact=True)
            yield Static(id="counts")
        yield RowsTable(("severity", "code", "kind", "id", "message"), id="findings")
        yield Static(id="remedy", classes="detail")

    def show(self, findings: Sequence[FindingRaised]) -> None:
        findings = list(findings)
        kinds = sorted({f.kind for f in findings})
        if kinds != sorted({f.kind for f in self._findings}):
            self.query_one("#kind", Select).set_options([(k, k) for k in kinds])
        self._findings = findings
        self._draw()

    def _draw(self) -> None:
        severity = self.query_one("#severity", Select).value
        kind = self.query_one("#kind", Select).value
        self._shown = sorted(
            (
                f
                for f in self._findings
                if (severity is Select.NULL or f.severity == severity)
                and (kind is Select.NULL or f.kind == kind)
            ),
            key=lambda f: SEVERITIES.index(f.severity) if f.severity in SEVERITIES else len(SEVERITIES),
        )
        by_severity = [sum(f.severity == s for f in self._findings) for s in SEVERITIES]
        counts = Text.assemble(
            *[(f"{n} {s}  ", severity_text(s).style) for s, n in zip(SEVERITIES, by_severity, strict=True)]
        )
        self.query_one("#counts", Static).update(counts)
        rows = [(severity_text(f.severity), f.code, f.kind, f.id, f.message) for f in self._shown]
        self.query_one(RowsTable).show_rows(rows, [str(i) for i in range(len(rows))])
        self._draw_remedy()

    def _draw_remedy(self) -> None:
        table = self.query_one(RowsTable)
        remedy = self.query_one("#remedy", Static)
        if not self._shown:
            remedy.update("No findings." if not self._findings else "No finding matches the filter.")
            return
        finding = self._shown[min(table.cursor_row, len(self._shown) - 1)]
        remedy.update(Text.assemble((finding.message, "bold"), "\nremedy: ", finding.remedy))

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        self._draw()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self._draw_remedy()
