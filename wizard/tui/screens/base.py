"""What every step screen shares: header, stepper, body, action bar and footer, and its keys."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Button, Footer, Header

from wizard.tui.model import RunModel
from wizard.tui.navigator import Move
from wizard.tui.steps import STEP_BY_NAME, Step, previous_step
from wizard.tui.widgets.action_bar import ActionBar
from wizard.tui.widgets.stepper import Stepper

if TYPE_CHECKING:
    from wizard.tui.app import WizardApp


class StepScreen(Screen):
    """A screen of one wizard step; subclasses compose the body and draw it from the model."""

    STEP: ClassVar[str]
    HELP: ClassVar[str] = ""
    ASKS: ClassVar[tuple[str, ...]] = ()  # phases whose approvals this screen asks itself (app.approval)

    BINDINGS = [
        Binding("n", "next", "Next"),
        Binding("b", "back", "Back"),
        Binding("p", "pause", "Pause"),
        Binding("r", "resume", "Resume"),
        Binding("x", "cancel", "Cancel"),
        Binding("a", "run_again", "Run again"),
    ]

    app: WizardApp

    @property
    def step(self) -> Step:
        return STEP_BY_NAME[self.STEP]

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        yield Stepper(self.step)
        with Vertical(id="body"):
            yield from self.compose_body()
        yield ActionBar()
        yield Footer()

    def compose_body(self) -> ComposeResult:
        raise NotImplementedError

    def show(self, model: RunModel | None) -> None:
        """Draw the screen from the model (called after events, and when the screen shows)."""
        self.query_one(Stepper).show(model)
        move = self.move()
        status = move.reason or self.app.status_line()
        back = previous_step(self.step) is not None
        self.query_one(ActionBar).show(status, move.label, move.enabled, back)
        if model is not None:
            self.show_body(model)
        self.refresh_bindings()

    def show_body(self, model: RunModel) -> None:
        raise NotImplementedError

    def move(self) -> Move:
        """Where Next leads from here."""
        return self.app.next_move(self.step)

    def on_screen_resume(self) -> None:
        self.show(self.app.model)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        actions = {"next": self.action_next, "back": self.action_back}
        if event.button.id in actions:
            event.stop()
            actions[event.button.id]()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        engine_actions = {
            "pause": self.app.running and not self.app.paused,
            "resume": self.app.running and self.app.paused,
            "cancel": self.app.running,
            "run_again": not self.app.running and self._has_run(),
        }
        return engine_actions.get(action, True)

    def _has_run(self) -> bool:
        model = self.app.model
        return model is not None and any(model.phase(p).status != "pending" for p in self.step.phases)

    def action_run_again(self) -> None:
        if self.step.last_phase is not None:
            self.app.run_engine(self.step.last_phase)

    def action_next(self) -> None:
        self.app.advance(self.step)

    def action_back(self) -> None:
        step = previous_step(self.step)
        if step is not None:
            self.app.show_step(step.name)

    def action_pause(self) -> None:
        self.app.pause()

    def action_resume(self) -> None:
        self.app.resume()

    def action_cancel(self) -> None:
        self.app.confirm_cancel()
