"""The wizard drives the real lab (real neutron-server, Alcor emulator, lab nodes) to the Summary."""

from __future__ import annotations

import json
import time

import pytest

from tests.lab.test_world import lab_plan
from tests.tui.conftest import open_session, press_next
from tests.tui.test_wizard import text_of
from wizard.tui.app import WizardApp
from wizard.tui.screens.base import StepScreen
from wizard.tui.screens.modals import ConfirmScreen

pytestmark = [pytest.mark.neutron, pytest.mark.anyio]

PATIENCE = 180.0  # seconds: the real phases on a shared 2-core machine


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def step_of(app) -> str:
    """The step whose screen is on top (under any modal)."""
    return next(screen for screen in reversed(app.screen_stack) if isinstance(screen, StepScreen)).step.name


async def run_step(pilot) -> None:
    """Press Next, approve what the engine asks, and wait until the run of this step has ended."""
    app = pilot.app
    await press_next(pilot)
    deadline = time.monotonic() + PATIENCE
    while app.running or isinstance(app.screen, ConfirmScreen):
        assert time.monotonic() < deadline, f"step {step_of(app)} did not end"
        if isinstance(app.screen, ConfirmScreen) or app.approval is not None:  # a dialog, or Preview's own
            await pilot.press("y")
        await pilot.pause(0.05)
    await pilot.pause()


async def test_the_wizard_walks_the_real_lab_to_the_summary(tmp_path):
    app = WizardApp(plan_path=lab_plan(tmp_path, user_writes=4))
    drift_shown = ""
    async with app.run_test(size=(100, 30)) as pilot:
        deadline = time.monotonic() + PATIENCE
        while app.engine is None:
            assert time.monotonic() < deadline, "the lab did not start"
            await pilot.pause(0.1)
        await open_session(pilot)
        for _ in range(12):
            if step_of(app) == "summary":
                break
            await run_step(pilot)
            if step_of(app) == "verify" and not drift_shown and app.run_state.drift is not None:
                drift_shown = text_of(app, "#drift-summary")
        assert step_of(app) == "summary"
    report = json.loads((tmp_path / "state" / "report.json").read_text())
    done = {phase["phase"]: phase["status"] for phase in report["phases"]}
    assert all(done.get(name) == "done" for name in ("convert", "replay", "verify", "cutover", "final_replay")), done
    assert report["nodes"] and all(node["status"] == "done" for node in report["nodes"])
    assert "No drift" in drift_shown
