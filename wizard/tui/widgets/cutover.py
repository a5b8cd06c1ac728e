"""The cutover: the drain's countdown and the waves as a timeline of each node's steps."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import ProgressBar, Static

from wizard.core.events import DrainTick, NodeStep
from wizard.tui.model import RunModel
from wizard.tui.widgets.format import duration, glyph, state_text
from wizard.tui.widgets.tables import RowsTable


class DrainPanel(Vertical):
    """How long the drain has waited, how long it still may, and what it waits for."""

    def compose(self) -> ComposeResult:
        yield Static(classes="drain-text")
        yield ProgressBar(show_eta=False, show_percentage=False)

    def show(self, tick: DrainTick | None, status: str, seconds: float | None) -> None:
        text = self.query_one(".drain-text", Static)
        bar = self.query_one(ProgressBar)
        if status == "done":
            text.update(Text(f"drain: done in {duration(seconds)}", style="green"))
            bar.update(total=1, progress=1)
            return
        if tick is None:
            text.update(Text("drain: not started", style="dim"))
            bar.update(total=1, progress=0)  # empty, not the indeterminate animation: nothing runs yet
            return
        line = Text(f"drain: {duration(tick.elapsed)} elapsed, ")
        line.append(f"{duration(tick.min_left)} to the minimum" if tick.min_left else "minimum reached")
        line.append(f", at most {duration(tick.max_left)} more")
        waiting = ", ".join(tick.waiting_for) or "nothing: Neutron is quiet"
        line.append(f"\nwaiting for: {waiting}", style="yellow" if tick.waiting_for else "green")
        text.update(line)
        bar.update(total=tick.elapsed + tick.max_left, progress=tick.elapsed)


STEP_STATES = {"started": "running", "ok": "done", "failed": "failed"}


def node_state(steps: dict[str, NodeStep]) -> str:
    if not steps:
        return "pending"
    states = [step.status for step in steps.values()]
    if "failed" in states:
        return "failed"
    if any(step.rollback and step.status == "ok" for step in steps.values()):
        return "rolled_back"
    return "running" if "started" in states else "done"


def step_text(name: str, step: NodeStep) -> Text:
    took = f" {duration(step.seconds)}" if step.status != "started" else ""
    return Text.assemble(glyph(STEP_STATES.get(step.status, step.status)), f"{name}{took}")


class WaveTimeline(RowsTable):
    """One row per node, in the order they moved: its wave, state, time and each step."""

    def __init__(self, **kwargs) -> None:
        super().__init__(("wave", "node", "state", "time", "steps"), **kwargs)

    def show(self, model: RunModel) -> None:
        rows = []
        for node, steps in model.node_steps.items():
            number = model.node_wave.get(node, 0)
            wave = model.waves.get(number)
            trail = Text(" ").join(step_text(name, step) for name, step in steps.items())
            total = duration(sum(step.seconds for step in steps.values()))
            label = wave.label if wave else (str(number) if number else "earlier")  # restored: no wave known
            rows.append((label, node, state_text(node_state(steps)), total, trail))
        self.show_rows(rows, list(model.node_steps))
