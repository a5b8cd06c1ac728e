"""Fixtures of the wizard's tests: a lab plan in a temporary directory, and apps over lab phases."""

from __future__ import annotations

import itertools
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Button, Input

from tests.tui.lab_phases import World, lab_phases
from wizard import plan as plan_file
from wizard.tui.app import WizardApp
from wizard.tui.screens.modals import ConfirmScreen
from wizard.tui.session import open_engine

NOW = 1_750_000_100.0
WAIT = 10.0  # seconds any wait in these tests may last


def lab_plan_file() -> Path:
    plan = plan_file.Plan(name="lab", state_dir="state", lab=plan_file.LabConfig())
    plan.neutron.url, plan.neutron.auth = "http://127.0.0.1:9696", "none"
    plan.alcor.url = "http://127.0.0.1:9009"
    plan.cutover.executor.kind = "lab"
    path = Path("plans/lab.yaml")
    path.parent.mkdir(exist_ok=True)
    plan_file.save(plan, path)
    return path


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def lab_dir(tmp_path, monkeypatch) -> Path:
    """A working directory holding plans/lab.yaml (paths on screen stay the same in every run)."""
    monkeypatch.chdir(tmp_path)
    lab_plan_file()
    return tmp_path


def ticking(step: float = 0.5) -> Callable[[], float]:
    """An engine clock that moves `step` seconds per reading: every phase lasts `step`."""
    counter = itertools.count()
    return lambda: next(counter) * step


def make_app(world: World, plan_path: Path | None = Path("plans/lab.yaml")) -> WizardApp:
    def engine_for(path: Path, progress):
        return open_engine(path, progress, lambda plan: lab_phases(world), clock=ticking())

    return WizardApp(plan_path=plan_path, engine_for=engine_for, clock=lambda: NOW)


async def wait_until(pilot: Pilot, condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline:
            problems = [str(w.renderable) for s in pilot.app.screen_stack for w in s.query(".dialog-text")]
            raise AssertionError(f"timed out waiting for {what}; on screen: {pilot.app.screen} {problems}")
        await pilot.pause(0.02)


async def finish_run(pilot: Pilot, approve: bool = True) -> None:
    """Answer every approval (in a dialog, or on Preview) until the engine stops."""
    app: WizardApp = pilot.app  # type: ignore[assignment]
    deadline = time.monotonic() + WAIT
    while app.running or isinstance(app.screen, ConfirmScreen):
        if time.monotonic() > deadline:
            raise AssertionError("the run did not end")
        if isinstance(app.screen, ConfirmScreen):
            await pilot.press("y" if approve else "n")
        elif app.approval is not None:
            await pilot.press("y" if approve else "d")
        await pilot.pause(0.02)
    await pilot.pause()


async def press_next(pilot: Pilot) -> None:
    """Press the Next button (a click could land on a notification over it)."""
    pilot.app.screen.query_one("#next", Button).press()
    await pilot.pause()


async def next_step(pilot: Pilot) -> None:
    """Press Next and run the step to its end, approving what the engine asks."""
    await press_next(pilot)
    await finish_run(pilot)


async def hold_in_convert(pilot: Pilot, world: World) -> None:
    """Open the plan, run the steps before Convert, start it and wait at world.hold_convert_at."""
    await open_session(pilot)
    for _ in range(3):
        await next_step(pilot)
    await press_next(pilot)
    await wait_until(pilot, world.held.is_set, "convert to reach the hold")


async def open_session(pilot: Pilot) -> None:
    await wait_until(pilot, lambda: pilot.app.engine is not None, "the plan to open")
    await pilot.pause()


def freeze_cursors(app: WizardApp) -> None:
    """Blinking cursors would make screenshots differ from run to run."""
    for screen in app.screen_stack:
        for editor in screen.query(Input):
            editor.cursor_blink = False


Drive = Callable[[Pilot], Awaitable[None]]
