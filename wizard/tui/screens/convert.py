"""The Convert step: a bar per resource kind, failures with Alcor's answers, replay's lag to zero."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import DataTable, Static

from wizard.tui.model import RunModel
from wizard.tui.screens.base import StepScreen
from wizard.tui.widgets.capture import LagMeter
from wizard.tui.widgets.progress_board import ProgressBoard
from wizard.tui.widgets.tables import RowsTable


class ConvertScreen(StepScreen):
    STEP = "convert"
    HELP = (
        "Convert applies the requests (bulk where Alcor has it), checkpointed per item: pause, "
        "resume or cancel at any time and nothing is applied twice. Replay then applies the "
        "logged writes until the lag is zero."
    )

    def compose_body(self) -> ComposeResult:
        yield ProgressBoard("all kinds", id="convert-progress")
        with Horizontal(id="convert-failures"):
            yield RowsTable(("failed", "status", "kind"), id="failures")
            yield Static(id="failure-answer", classes="detail")
        yield LagMeter(id="replay-lag")

    def show_body(self, model: RunModel) -> None:
        self.query_one(ProgressBoard).show(model.progress_of("convert"))
        failures = list(model.failures.values())
        table = self.query_one("#failures", RowsTable)
        table.show_rows([(f.key, str(f.status), f.kind) for f in failures], [f.key for f in failures])
        self._show_answer(model)
        self.query_one(LagMeter).show(model.lag, list(model.lag_history))

    def _show_answer(self, model: RunModel) -> None:
        answer = self.query_one("#failure-answer", Static)
        key = self.query_one("#failures", RowsTable).selected_key
        failure = model.failures.get(key) if key else None
        if failure is None:
            answer.update(Text("No failures.", style="green"))
        else:
            answer.update(Text.assemble((f"{failure.key}: Alcor answered {failure.status}\n", "bold"), failure.answer))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if self.app.model is not None:
            self._show_answer(self.app.model)
