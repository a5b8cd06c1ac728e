"""The row of wizard steps, each with its state; the current one stands out."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from wizard.tui.model import RunModel
from wizard.tui.steps import STEPS, Step
from wizard.tui.widgets.format import glyph


class Stepper(Static):
    def __init__(self, current: Step) -> None:
        super().__init__(id="stepper")
        self.current = current

    def show(self, model: RunModel | None) -> None:
        line = Text()
        for step in STEPS:
            state = model.step_status(step) if model else "pending"
            if line:
                line.append("  ")
            line.append_text(glyph(state))
            style = "bold reverse" if step is self.current else ""
            line.append(step.title, style=style)
        if line != self.content:
            self.update(line)
