"""Modal screens: confirmations, a path prompt, errors and the help screen."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static


class ConfirmScreen(ModalScreen[bool]):
    """Ask before an irreversible step; dismisses with True only on an explicit yes. Escape is
    "no" unless `escape_declines` is False (the engine's approvals: declining fails the step)."""

    BINDINGS = [Binding("y", "answer(True)", "Yes"), Binding("n", "answer(False)", "No"),
                Binding("escape", "escape", "Close", show=False)]
    AUTO_FOCUS = "#no"

    def __init__(self, title: str, question: str, yes: str = "Yes", no: str = "No",
                 escape_declines: bool = True) -> None:
        super().__init__(classes="dialog")
        self.title_text, self.question, self.yes, self.no = title, question, yes, no
        self.escape_declines = escape_declines

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(self.title_text, classes="dialog-title")
            yield Static(self.question, classes="dialog-text")
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self.yes} (y)", id="yes", variant="warning", compact=True)
                yield Button(f"{self.no} (n)", id="no", compact=True)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "yes")

    def action_answer(self, approved: bool) -> None:
        self.dismiss(approved)

    def action_escape(self) -> None:
        if self.escape_declines:
            self.dismiss(False)
        else:
            self.notify(f"Choose: {self.yes} (y) or {self.no} (n).", severity="warning")


class PathPrompt(ModalScreen[str | None]):
    """Ask for a file or directory path; dismisses with None on escape."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, title: str, default: str) -> None:
        super().__init__(classes="dialog")
        self.title_text, self.default = title, default

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(self.title_text, classes="dialog-title")
            yield Input(self.default, id="path")
            yield Static("enter to confirm, escape to cancel", classes="dialog-text dim")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value.strip() or None)


class ErrorScreen(ModalScreen[None]):
    """A failure the operator must read: what failed, and each problem on its own line."""

    BINDINGS = [Binding("escape,enter", "dismiss(None)", "Close")]

    def __init__(self, title: str, problems: list[str]) -> None:
        super().__init__(classes="dialog")
        self.title_text, self.problems = title, problems

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box error"):
            yield Label(self.title_text, classes="dialog-title")
            with VerticalScroll(classes="dialog-scroll"):
                yield Static("\n".join(self.problems), classes="dialog-text", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Close", id="close", compact=True)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)


class HelpScreen(ModalScreen[None]):
    """The keys of the screen underneath and what each step is for."""

    BINDINGS = [Binding("escape,q,question_mark,f1", "dismiss(None)", "Close")]

    def __init__(self, text: Text) -> None:
        super().__init__(classes="dialog")
        self.text = text

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box help"):
            with VerticalScroll(classes="dialog-scroll"):
                yield Static(self.text)
            yield Static("escape to close", classes="dialog-text dim")
