"""The Capture step: the proxy in front of Neutron, the writes it logs, and the snapshot's progress."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal

from wizard.tui.model import RunModel
from wizard.tui.screens.base import StepScreen
from wizard.tui.widgets.capture import LagMeter, ProxyPanel, WritesTable
from wizard.tui.widgets.progress_board import ProgressBoard


class CaptureScreen(StepScreen):
    STEP = "capture"
    HELP = (
        "The capture proxy passes every request to Neutron and copies each write into the write "
        "log, from before the snapshot on. Point every client (CLI, Horizon, Nova) at the proxy. "
        "The snapshot reads every Neutron collection."
    )

    def compose_body(self) -> ComposeResult:
        yield ProxyPanel(id="proxy")
        with Horizontal(id="capture-lower"):
            yield WritesTable(id="writes")
            yield ProgressBoard("snapshot", id="snapshot-progress")
        yield LagMeter(id="capture-lag")

    def show_body(self, model: RunModel) -> None:
        plan = self.app.plan
        capture = model.phase("capture").status
        state = {"running": "starting", "done": "capturing", "failed": "failed"}.get(capture, "not started")
        self.query_one(ProxyPanel).show(model.proxy, model.rates, plan.capture.listen, state)
        self.query_one(WritesTable).show(list(model.writes))
        self.query_one(ProgressBoard).show(model.progress_of("snapshot"))
        self.query_one(LagMeter).show(model.lag, list(model.lag_history))
