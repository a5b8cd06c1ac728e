"""The first screen of `alcor-migrate`: open a plan, create one from the template, or open the lab."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, OptionList, Static
from textual.widgets.option_list import Option

from wizard.lab import home as lab_home

if TYPE_CHECKING:
    from wizard.tui.app import WizardApp

NEW_PLAN = "new"
LAB = "lab"


class StartScreen(Screen):
    BINDINGS = [
        Binding("c", "new_plan", "Create plan"),
        Binding("l", "open_lab", "Open the lab"),
    ]

    app: WizardApp

    def __init__(self, plans: list[Path]) -> None:
        super().__init__()
        self.plans = plans

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with Vertical(id="start"):
            yield Static(
                "Move a live OpenStack cloud's networking from Neutron to Alcor.\n"
                "Choose a plan to open (a run in progress resumes where it stopped), "
                "create one from the template, or open the lab: the whole migration on this machine.",
                id="welcome",
            )
            options = [Option(f"Open {path}", id=str(path)) for path in self.plans]
            options.append(Option("Create a plan from the template…", id=NEW_PLAN))
            options.append(Option("Open the lab: the whole migration on this machine", id=LAB))
            yield OptionList(*options, id="plans")
        yield Footer()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id == NEW_PLAN:
            self.action_new_plan()
        elif event.option.id == LAB:
            self.action_open_lab()
        elif event.option.id is not None:  # a plan's path (every option has an id)
            self.app.open_plan(Path(event.option.id))

    def action_new_plan(self) -> None:
        self.app.new_plan()

    def action_open_lab(self) -> None:
        """The lab plan shipped with alcor-migrate, from any directory (its state: wizard/lab/home.py)."""
        self.app.open_plan(lab_home.plan_file())
