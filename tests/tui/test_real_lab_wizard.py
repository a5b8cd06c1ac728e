"""The wizard on the real lab (a real neutron-server, the Alcor emulator, the lab's nodes), driven by
Pilot as the issue's operator did: Preview's question on its screen, one switch target, and the
Summary and report.md after "Run again" still telling what the migration did."""

from __future__ import annotations

import io
import re
import time

import pytest
from rich.console import Console
from textual.widgets import Static

from tests.lab.test_world import lab_plan
from tests.tui.conftest import open_session, press_next
from tests.tui.test_wizard import rows_of, text_of
from wizard.tui.app import WizardApp
from wizard.tui.screens.base import StepScreen
from wizard.tui.screens.modals import ConfirmScreen

pytestmark = [pytest.mark.neutron, pytest.mark.anyio]

PATIENCE = 180.0  # seconds: the real phases on a shared 2-core machine
SIZE = (110, 32)


def step_of(app) -> str:
    return next(screen for screen in reversed(app.screen_stack) if isinstance(screen, StepScreen)).step.name


def switch_line(app) -> str:
    """The Cutover screen's switch line (under the dialog that asks)."""
    console = Console(width=200, file=io.StringIO(), record=True)
    console.print(app.get_screen("cutover").query_one("#switch", Static).content)
    return console.export_text()


async def until_the_run_ends(pilot, seen: dict) -> None:
    """Approve what the engine asks until it stops; keeps in `seen` what each question's screen showed."""
    app = pilot.app
    deadline = time.monotonic() + PATIENCE
    while app.running or isinstance(app.screen, ConfirmScreen):
        assert time.monotonic() < deadline, f"step {step_of(app)} did not end"
        if getattr(app, "approval", None) is not None:
            seen["preview"] = (app.approval.question, step_of(app), rows_of(app, "#findings"))
            await pilot.press("y")
        elif isinstance(app.screen, ConfirmScreen) and app.screen.query(".dialog-text"):
            question = text_of(app, ".dialog-text")
            if app.screen.title_text == "Approve: switch":
                seen.setdefault("switch", []).append((question, switch_line(app)))
            await pilot.press("y")
        await pilot.pause(0.05)
    await pilot.pause()


async def to_the_summary(pilot, seen: dict) -> None:
    for _ in range(20):
        if step_of(pilot.app) == "summary" and not pilot.app.running:
            return
        await press_next(pilot)
        await until_the_run_ends(pilot, seen)
    raise AssertionError(f"stuck at {step_of(pilot.app)}")


async def test_run_then_run_again_keeps_what_each_phase_did(tmp_path):
    app = WizardApp(plan_path=lab_plan(tmp_path, user_writes=4))
    first: dict = {}
    again: dict = {}
    async with app.run_test(size=SIZE) as pilot:
        deadline = time.monotonic() + PATIENCE
        while app.engine is None:
            assert time.monotonic() < deadline, "the lab did not start"
            await pilot.pause(0.1)
        await open_session(pilot)
        await to_the_summary(pilot, first)
        did = {row[0]: row for row in rows_of(app, "#phase-times")}

        # Item 2: the real preview's question, asked on Preview over its findings list
        question, where, findings = first["preview"]
        assert question.startswith("Apply 39 requests to Alcor") and where == "preview" and len(findings) > 5
        # Item 5: the Cutover screen's target is the URL each switch question names
        for question, line in first["switch"]:
            url = re.search(r"http://[0-9.:]+", question)[0]
            assert f"→ {url}" in line, (question, line)
        assert len(first["switch"]) == 2  # method none: "Switch ... at URL?", then "Point every ... at URL"

        app.show_step("preview")
        await pilot.pause()
        await pilot.press("a")  # run again, then on to the end: every phase finds its work done
        await until_the_run_ends(pilot, again)
        await to_the_summary(pilot, again)
        rows = {row[0]: row for row in rows_of(app, "#phase-times")}
        total = text_of(app, "#where")
        at = {phase: time.strftime("%H:%M", time.localtime(work.started_at)) for phase, work in app.model.work.items()}
    assert "preview" not in again and "switch" not in again  # approved once

    # Item 3: the Summary tells what convert, switch and cutover did, in the run that did them
    for phase in ("convert", "switch", "drain", "cutover"):
        assert "done earlier" in rows[phase][1], rows[phase]
        assert rows[phase][3].startswith(f"at {at[phase]}: ") and rows[phase][2:] == did[phase][2:], rows[phase]
    assert "applied 39" in rows["convert"][3] and "moved 3" in rows["cutover"][3]
    total_line = next(line for line in total.splitlines() if line.startswith("total"))
    assert not total_line.split()[1].startswith("0."), total_line  # the drain's second at least

    report = (tmp_path / "state" / "report.md").read_text()
    convert = next(line for line in report.splitlines() if line.startswith("| convert |"))
    assert "applied 39" in convert and "skipped 0" in convert and "found it done" in convert, convert
    timeline = report.split("## Cutover timeline")[1]
    assert "moved 3" in timeline and "url http://127.0.0.1:" in timeline
