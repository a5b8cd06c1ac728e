"""The wizard app: opens a plan, runs the engine in a worker, and shows its events on the steps' screens."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.worker import WorkerState

from wizard import plan as plan_file
from wizard.core.engine import PHASE_ORDER, Engine
from wizard.core.errors import InputError
from wizard.core.run_state import RunState
from wizard.plan import Plan
from wizard.translate import dryrun
from wizard.translate.accounting import account
from wizard.tui.bridge import EventBridge
from wizard.tui.messages import (
    ApprovalRequested,
    EngineEvent,
    EngineSample,
    FilesWritten,
    Opening,
    RunEnded,
    SessionOpened,
)
from wizard.tui.model import RunModel
from wizard.tui.navigator import Move, next_move
from wizard.tui.screens import STEP_SCREENS, StepScreen
from wizard.tui.screens.modals import ConfirmScreen, ErrorScreen, HelpScreen, PathPrompt
from wizard.tui.screens.plan import PlanScreen
from wizard.tui.screens.start import StartScreen
from wizard.tui.session import EngineFor, candidate_plans, close_engine, open_engine, plan_as_written, recorded_model
from wizard.tui.steps import STEPS, step_of
from wizard.tui.widgets.format import duration, shown_path

Clock = Callable[[], float]


class WizardApp(App):
    """alcor-migrate's wizard: a face over the engine, with no migration logic of its own."""

    CSS_PATH = "wizard.tcss"
    TITLE = "alcor-migrate"
    BINDINGS = [
        Binding("question_mark,f1", "help", "Help"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(
        self,
        plan_path: Path | None = None,
        engine_for: EngineFor = open_engine,
        clock: Clock = time.time,
        plan_folders: Iterable[Path] = (Path("plans"), Path(".")),
    ) -> None:
        super().__init__()
        self.plan_path = plan_path
        self.engine_for = engine_for
        self.clock = clock
        self.plan_folders = tuple(plan_folders)
        self.plan = Plan()
        self.engine: Engine | None = None
        self.model: RunModel | None = None
        self.exported: Path | None = None
        self.approval: ApprovalRequested | None = None  # a question a step screen asks itself
        self._bridge: EventBridge | None = None
        self._engine_busy = False
        self._quitting = False
        self._redraw_pending = False

    # -- life cycle ------------------------------------------------------------------
    def on_mount(self) -> None:
        for screen_class in STEP_SCREENS:
            self.install_screen(screen_class(), name=screen_class.STEP)
        self.push_screen(StartScreen(candidate_plans(*self.plan_folders)))
        self.set_interval(1.0, self.schedule_redraw)
        if self.plan_path is not None:
            self.open_plan(self.plan_path)

    def on_unmount(self) -> None:
        if self.engine is not None and self.running:
            self.engine.cancel()  # the engine's thread stops at its next checkpoint
        self._close_session()

    def _close_session(self) -> None:
        if self._bridge is not None:
            self._bridge.close()
        if self.engine is not None and not self.running:
            close_engine(self.engine)
        self._bridge = self.engine = self.model = None

    # -- opening, creating and saving plans ----------------------------------------------
    def open_plan(self, path: Path, save: Plan | None = None, start: bool = False) -> None:
        """Open the plan at `path` (saving `save` there first) and its engine, in a worker."""
        if self.running:
            self.notify("The engine is running; pause or cancel it first.", severity="warning")
            return
        self._open_plan(path, save, start)

    @work(thread=True, exclusive=True, exit_on_error=False, name="open plan", group="session")
    def _open_plan(self, path: Path, save: Plan | None, start: bool) -> None:
        if save is not None:
            _write_plan(save, path)

        def opening(text: str) -> None:
            self.post_message(Opening(path, text))

        self.post_message(SessionOpened(self.engine_for(path, opening), path, start))

    def on_opening(self, message: Opening) -> None:
        self.notify(message.text, title=f"Opening {message.path}", timeout=10)

    def on_session_opened(self, message: SessionOpened) -> None:
        self._close_session()
        self.engine, self.plan = message.engine, plan_as_written(message.engine)
        self.model = recorded_model(self.engine.state, self.clock)
        self._bridge = EventBridge(self, self.engine)
        self.sub_title = self.plan.name
        self._plan_screen().edit(self.plan, message.path)
        if message.start:
            self.advance(STEPS[0])
            return
        stopped_at = self.model.first_unfinished(PHASE_ORDER)
        if not self.model.phases:
            self.show_step("plan")
        elif stopped_at is None:
            self.show_step("summary")
        else:
            step = step_of(stopped_at)
            self.show_step(step.name)
            self.notify(f"Resuming at {step.title}: {stopped_at} is {self.model.phase(stopped_at).status}.")

    def new_plan(self) -> None:
        def create(path: str | None) -> None:
            if path:
                self._plan_screen().edit(Plan(), Path(path))
                self.show_step("plan")

        self.push_screen(PathPrompt("Create a plan from the template: its file", "plans/migration.yaml"), create)

    def save_plan(self, plan: Plan, path: Path) -> None:
        self._save_plan(plan, path)

    @work(thread=True, exclusive=True, exit_on_error=False, name="save plan", group="session")
    def _save_plan(self, plan: Plan, path: Path) -> None:
        _write_plan(plan, path)
        plan_file.load(path)  # what `run` will read must load
        self.post_message(FilesWritten("plan", [path]))

    def start_plan(self, plan: Plan, path: Path, save: bool) -> None:
        """Leave the Plan step: save it if changed, (re)open its engine, run the preflight."""
        if self.engine is not None and not save:
            self.advance(STEPS[0])
        else:
            self.open_plan(path, save=plan if save else None, start=True)

    def _plan_screen(self) -> PlanScreen:
        return self.get_screen("plan", PlanScreen)

    # -- navigation -------------------------------------------------------------------
    def show_step(self, name: str) -> None:
        if name != "plan" and self.engine is None:
            self.notify("Open or create a plan first.", severity="warning")
            return
        self.switch_screen(name)

    def next_move(self, step) -> Move:
        if self.model is None:
            return Move("Next ›", False, reason="open or create a plan first")
        if self.asking(step):
            return Move("Approve ›", True, reason="read the requests and findings, then approve or decline (d)")
        return next_move(step, self.model, self.running)

    def advance(self, step) -> None:
        if self.asking(step):
            self.answer_approval(True)
            return
        move = self.next_move(step)
        if not move.enabled:
            return
        if move.go_to is None:
            self.exit()
            return
        self.show_step(move.go_to.name)
        if move.run_until is not None:
            self.run_engine(move.run_until)

    # -- the engine -------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._engine_busy

    @property
    def paused(self) -> bool:
        return self.engine is not None and self.engine.paused

    def run_engine(self, until: str) -> None:
        if self.engine is None or self._engine_busy:
            return
        self._engine_busy = True
        self._run_engine(until)
        self.schedule_redraw()

    @work(thread=True, exclusive=True, exit_on_error=False, name="engine", group="engine")
    def _run_engine(self, until: str) -> None:
        assert self.engine is not None
        self.post_message(RunEnded(self.engine.run(until=until)))

    def on_run_ended(self, message: RunEnded) -> None:
        self._engine_busy = False
        self.approval = None  # a question left unanswered was answered "no" by the cancel
        result = message.result
        if self._quitting:
            self.exit()
            return
        if not result.ok:
            self.notify(f"{result.failed}: {result.error}", title="Stopped", severity="error", timeout=8)
        self.schedule_redraw()

    def pause(self) -> None:
        if self.engine is not None and self.running:
            self.engine.pause()
            self.notify("Paused: the engine holds at its next checkpoint.")
            self.schedule_redraw()

    def resume(self) -> None:
        if self.engine is not None and self.paused:
            self.engine.resume()
            self.schedule_redraw()

    def confirm_cancel(self) -> None:
        def cancel(yes: bool | None) -> None:
            if yes and self.engine is not None and self.running:
                self.engine.cancel()

        question = "Stop the run at its next checkpoint? What is done stays done; Next resumes."
        self.push_screen(ConfirmScreen("Cancel the run", question, yes="Stop"), cancel)

    def confirm_action(self, title: str, question: str, action: Callable[[], None]) -> None:
        """Ask the operator, then do `action` if they said yes."""
        self.push_screen(ConfirmScreen(title, question), lambda yes: action() if yes else None)

    def confirm_request(self, phase: str, action: str, question: str, **args: Any) -> None:
        """Ask the operator, then pass the request to the running phase."""

        def send(yes: bool | None) -> None:
            if yes and self.engine is not None:
                self.engine.request(phase, action, **args)

        self.push_screen(ConfirmScreen(f"{phase}: {action}", question), send)

    def on_approval_requested(self, message: ApprovalRequested) -> None:
        """A step screen that asks its phase's questions itself (Preview) gets them, to ask under
        what the operator reads; others ask in a dialog. Escape never answers: declining is a choice."""
        step = step_of(message.phase)
        if message.phase in self.get_screen(step.name, StepScreen).ASKS:
            self.approval = message
            if isinstance(self.screen, StepScreen):  # not from under a dialog
                self.show_step(step.name)
            self.schedule_redraw()
            return
        screen = ConfirmScreen(f"Approve: {message.phase}", message.question, yes="Approve", no="Decline",
                               escape_declines=False)
        self.push_screen(screen, lambda yes: message.answer(bool(yes)))

    def asking(self, step) -> bool:
        """Whether the engine waits for the operator's answer to a question `step`'s screen asks."""
        return self.approval is not None and self.approval.phase in step.phases

    def answer_approval(self, approved: bool) -> None:
        asked, self.approval = self.approval, None
        if asked is not None:
            asked.answer(approved)
            self.schedule_redraw()

    @property
    def run_state(self) -> RunState:
        """What the phases have made so far (see wizard.tui's docstring); empty before a plan is open."""
        return self.engine.ctx.run if self.engine is not None else RunState()

    # -- events into the model, the model onto the screen ---------------------------------
    @on(EngineEvent)
    @on(EngineSample)
    def _engine_event(self, message: EngineEvent) -> None:
        if self.model is not None:
            self.model.apply(message.event)
            self.schedule_redraw()

    def schedule_redraw(self) -> None:
        """Redraw once after the messages already queued: a burst of events costs one redraw."""
        if not self._redraw_pending:
            self._redraw_pending = True
            self.call_later(self._redraw)

    def _redraw(self) -> None:
        self._redraw_pending = False
        if not self.is_running:  # shutting down: the screens are being taken apart
            return
        if self.model is not None:
            self.model.paused = self.paused
        step_screen = next((s for s in reversed(self.screen_stack) if isinstance(s, StepScreen)), None)
        # drawn under any dialog too; a screen not yet composed draws itself when it resumes
        if step_screen is not None and step_screen.is_mounted:
            step_screen.show(self.model)

    def status_line(self) -> str:
        model = self.model
        if model is None:
            return ""
        if model.running:
            started = model.phase(model.running).started_at
            elapsed = f" for {duration(self.clock() - started)}" if started else ""
            state = "paused" if self.paused else "running"
            return f"{model.running} {state}{elapsed}"
        if model.log:
            last = model.log[-1]
            return f"{last.phase}: {last.text}" if last.phase else last.text
        return "ready"

    # -- files written by workers, and worker failures -------------------------------------
    def export_dry_run(self) -> None:
        translation = self.run_state.translation
        if translation is None:
            return
        default = shown_path(Path(self.plan.state_dir) / "dry-run")

        def export(out: str | None) -> None:
            if out:
                self._export(translation, Path(out))

        self.push_screen(PathPrompt("Write the dry-run files into", default), export)

    @work(thread=True, exclusive=True, exit_on_error=False, name="export dry run", group="export")
    def _export(self, translation, out_dir: Path) -> None:
        snapshot = self.run_state.snapshot
        tallies = account(snapshot, translation) if snapshot is not None else {}
        paths = dryrun.write(out_dir, translation, tallies)
        self.post_message(FilesWritten("dry-run files", paths, out_dir))

    def on_files_written(self, message: FilesWritten) -> None:
        if message.what == "plan":
            self._plan_screen().saved()
        else:
            self.exported = message.detail
        self.notify(", ".join(shown_path(p) for p in message.paths), title=f"Wrote the {message.what}")
        self.schedule_redraw()

    def on_worker_state_changed(self, event) -> None:
        """Every worker failure ends here, as an error the operator reads (Harlequin's way)."""
        if event.state != WorkerState.ERROR:
            return
        error = event.worker.error
        if event.worker.group == "engine":
            self._engine_busy = False
            if self._quitting:
                self.exit()
                return
        problems = error.problems if isinstance(error, InputError) else [str(error) or type(error).__name__]
        self.push_screen(ErrorScreen(f"Could not {event.worker.name}", problems))

    # -- quit, help, command palette ----------------------------------------------------
    async def action_quit(self) -> None:
        if not self.running:
            self.exit()
            return

        def stop(yes: bool | None) -> None:
            if yes and self.engine is not None:
                self._quitting = True
                self.engine.cancel()
                self.notify("Stopping at the next checkpoint; reopen the plan to resume.")

        question = (
            f"{self.model.running if self.model else 'A phase'} is running. Quit? The run stops at its "
            "next checkpoint and resumes there when you reopen this plan."
        )
        self.push_screen(ConfirmScreen("Quit while running", question, yes="Quit"), stop)

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self._help_text(self.screen)))

    def _help_text(self, screen: Screen) -> Text:
        text = Text()
        if isinstance(screen, StepScreen) and screen.HELP:
            text.append(f"{screen.step.title}\n", style="bold underline")
            text.append(f"{screen.HELP}\n\n")
        text.append("Keys\n", style="bold underline")
        keys: dict[str, tuple[str, str]] = {}
        for active in screen.active_bindings.values():
            binding = active.binding
            if binding.show and binding.action not in keys:
                keys[binding.action] = (self.get_key_display(binding), binding.description)
        keys["command_palette"] = ("^p", "command palette: go to a step, pause, resume, export...")
        for key, description in keys.values():
            text.append(f"{key:>8} ", style="bold cyan")
            text.append(f"{description}\n")
        text.append("\nSteps\n", style="bold underline")
        for step in STEPS:
            text.append(f"{step.title:>10} ", style="bold")
            text.append(f"{', '.join(step.phases) or 'the plan file'}\n")
        return text

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for step in STEPS:
            if step.name == "plan" or self.engine is not None:
                yield SystemCommand(f"Go to {step.title}", f"Show the {step.title} step",
                                    partial(self.show_step, step.name))
        if self.running:
            yield SystemCommand("Pause the run", "Hold at the next checkpoint", self.pause)
            yield SystemCommand("Resume the run", "Carry on from the pause", self.resume)
            yield SystemCommand("Cancel the run", "Stop at the next checkpoint", self.confirm_cancel)
        if self.run_state.translation is not None:
            yield SystemCommand("Export the dry-run files", "requests.jsonl, findings.json, id_map.json",
                                self.export_dry_run)
        yield SystemCommand("Help", "Keys and steps", self.action_help)


def _write_plan(plan: Plan, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    plan_file.save(plan, path)
