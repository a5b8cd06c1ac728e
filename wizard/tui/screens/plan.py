"""The Plan step: edit the plan's main fields, checked as you type, and save it as YAML."""

from __future__ import annotations

import copy
from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Input, Label, Select, Static

from wizard.plan import Plan
from wizard.tui.model import RunModel
from wizard.tui.navigator import Move
from wizard.tui.plan_form import FIELDS, Field, plan_problems
from wizard.tui.screens.base import StepScreen


class PlanScreen(StepScreen):
    STEP = "plan"
    HELP = "Edit the plan's main fields; each is checked as you type. Save writes the YAML file `run` reads."
    BINDINGS = [Binding("ctrl+s", "save", "Save")]

    def __init__(self) -> None:
        super().__init__()
        self.plan = Plan()
        self.path = Path("plan.yaml")
        self.errors: dict[str, str] = {}
        self.dirty = False

    def compose_body(self) -> ComposeResult:
        yield Static(id="plan-file")
        with VerticalScroll(id="plan-form"):
            for field in FIELDS:
                with Horizontal(classes="field"):
                    yield Label(field.label, classes="field-label")
                    yield self._editor(field)
                yield Static(classes="field-error", id=f"error-{self.editor_id(field)}")
        yield Static(id="plan-problems", classes="detail")

    def _editor(self, field: Field) -> Input | Select[str]:
        value, editor_id = field.read(self.plan), self.editor_id(field)
        choices = field.choices(self.plan)
        if choices:
            options = [(choice, choice) for choice in choices]
            return Select(options, value=value, allow_blank=False, id=editor_id, compact=True)
        return Input(value, id=editor_id, compact=True)

    @staticmethod
    def editor_id(field: Field) -> str:
        return "field-" + field.path.replace(".", "-")

    def edit(self, plan: Plan, path: Path) -> None:
        """Edit a copy of `plan`, to be saved at `path`."""
        self.plan, self.path = copy.deepcopy(plan), path
        self.plan.source_file = path
        self.errors.clear()
        self.dirty = not path.exists()
        if self.is_mounted:
            self._fill()

    def on_mount(self) -> None:
        self._fill()

    def _fill(self) -> None:
        with self.prevent(Input.Changed, Select.Changed):
            for field in FIELDS:
                editor = self.query_one(f"#{self.editor_id(field)}")
                if not isinstance(editor, Input | Select):
                    raise TypeError(f"{editor!r}: a plan field's editor is an Input or a Select")
                editor.value = field.read(self.plan)
        self.show(self.app.model)

    def on_input_changed(self, event: Input.Changed) -> None:
        self._changed(event.input.id, event.value)

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.value == event.select.value:  # not a stale message from before a fill
            self._changed(event.select.id, str(event.value))

    def _changed(self, editor_id: str | None, text: str) -> None:
        field = next(f for f in FIELDS if self.editor_id(f) == editor_id)
        if field.path not in self.errors and text == field.read(self.plan):
            return  # an editor being filled, or no change
        try:
            field.write(self.plan, text)
            self.errors.pop(field.path, None)
        except ValueError as exc:
            self.errors[field.path] = str(exc)
        self.dirty = True
        self.show(self.app.model)

    def problems(self) -> list[str]:
        fields = [f"{path}: {error}" for path, error in self.errors.items()]
        return fields or plan_problems(self.plan)

    def move(self) -> Move:
        if self.app.running:
            return Move("Running…", False, reason="the engine is running")
        problems = self.problems()
        if problems:
            return Move("Next ›", False, reason=f"{len(problems)} problem(s) to fix")
        return Move("Save & next ›" if self.dirty else "Next ›", True)

    def show_body(self, model: RunModel) -> None:
        pass  # the form draws itself; see show()

    def show(self, model: RunModel | None) -> None:
        super().show(model)
        state = Text(" (unsaved changes)", style="yellow") if self.dirty else Text(" (saved)", style="green")
        self.query_one("#plan-file", Static).update(Text.assemble(("plan file: ", "bold"), str(self.path), state))
        for field in FIELDS:
            error = self.errors.get(field.path, "")
            widget = self.query_one(f"#error-{self.editor_id(field)}", Static)
            widget.update(Text(f"  ↑ {error}", style="red") if error else "")
            widget.display = bool(error)
        problems = self.query_one("#plan-problems", Static)
        whole = plan_problems(self.plan)
        if self.errors:
            problems.update(Text("Fix the field(s) marked in red.", style="red"))
        elif whole:
            problems.update(Text("\n".join(whole), style="red"))
        else:
            problems.update(Text("The plan is valid.", style="green"))

    def action_save(self) -> None:
        if not self.errors:
            self.app.save_plan(self.plan, self.path)

    def saved(self) -> None:
        self.dirty = False
        self.show(self.app.model)

    def action_next(self) -> None:
        if self.move().enabled:
            self.app.start_plan(self.plan, self.path, save=self.dirty)
