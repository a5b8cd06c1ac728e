"""The cutover: the drain's countdown and the waves as a timeline of each node's steps."""

from __future__ import annotations

from typing import Any, Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import ProgressBar, Static

from wizard.events import DrainTick, NodeStep
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
            bar.update(total=None, progress=0)
            return
        to_min = max(tick.min - tick.elapsed, 0)
        to_max = max(tick.max - tick.elapsed, 0)
        line = Text(f"drain: {duration(tick.elapsed)} elapsed, ")
        line.append(f"{duration(to_min)} to the minimum" if to_min else "minimum reached")
        line.append(f", at most {duration(to_max)} more")
        waiting = ", ".join(tick.waiting_for) or "nothing: Neutron is quiet"
        line.append(f"\nwaiting for: {waiting}", style="yellow" if tick.waiting_for else "green")
        text.update(line)
        bar.update(total=tick.max, progress=tick.elapsed)


def node_state(steps: dict[str, NodeStep]) -> str:
    if not steps:
        return "pending"
    states = [step.status for step in steps.values()]
    for state in ("failed", "rolled_back", "running"):
        if state in states:
            return state
    return "done"


def step_text(step: NodeStep) -> Text:
    took = f" {duration(step.seconds)}" if step.status != "running" else ""
    return Text.assemble(glyph(step.status), f"{step.step}{took}")


class WaveTimeline(RowsTable):
    """One row per node, in wave order: its steps with their durations, state and total time."""

    def __init__(self, **kwargs) -> None:
        super().__init__(("wave", "node", "state", "time", "steps"), **kwargs)

    def show(self, waves: Sequence[Any], node_steps: dict[str, dict[str, NodeStep]]) -> None:
        rows, keys = [], []
        for number, wave in enumerate(waves, start=1):
            name = getattr(wave, "name", "") or str(number)
            for node in wave.nodes:
                steps = node_steps.get(node, {})
                trail = Text(" ").join(step_text(s) for s in steps.values())
                total = duration(sum(s.seconds for s in steps.values())) if steps else ""
                rows.append((name, node, state_text(node_state(steps)), total, trail))
                keys.append(node)
        self.show_rows(rows, keys)
