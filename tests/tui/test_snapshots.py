"""Every screen of the wizard at 100x30 and at 80x24, as SVG snapshots (pytest-textual-snapshot).

The screens are fed the events of a real run of the lab phases, recorded once per test through
the engine's bus, then published into the app's own engine: the same path as a live run, with
nothing left to timing. Cursors do not blink and the wizard's clock is frozen.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.tui.conftest import freeze_cursors, hold_in_convert, make_app, open_session, ticking, wait_until
from tests.tui.lab_phases import World, lab_phases
from wizard import plan as plan_file
from wizard.engine import Engine
from wizard.events import Event, PhaseFinished, PhaseStarted
from wizard.state import StateStore
from wizard.tui.messages import ApprovalRequested

SIZES = {"100x30": (100, 30), "80x24": (80, 24)}


@dataclass
class Recording:
    events: list[Event] = field(default_factory=list)
    artifacts: dict[str, Any] = field(default_factory=dict)

    def until_end_of(self, phase: str) -> list[Event]:
        end = next(i for i, e in enumerate(self.events) if isinstance(e, PhaseFinished) and e.phase == phase)
        return self.events[: end + 1]

    def until_start_of(self, phase: str) -> list[Event]:
        start = next(i for i, e in enumerate(self.events) if isinstance(e, PhaseStarted) and e.phase == phase)
        return self.events[: start + 1]


def record(world: World) -> Recording:
    """Run the lab phases on a bare engine (approving everything) and keep what they published.

    The state it leaves is removed, so the app opens the plan fresh (and shows the same paths).
    """
    plan = plan_file.load("plans/lab.yaml")
    engine = Engine(plan, lab_phases(world), StateStore(plan.state_dir), approve=lambda p, q: True, clock=ticking())
    recording = Recording()
    engine.bus.subscribe(recording.events.append)
    engine.run()
    recording.artifacts = dict(engine.ctx.artifacts)
    engine.state.close()
    shutil.rmtree(plan.state_dir)
    return recording


def replayed(step: str, events: list[Event], artifacts: dict[str, Any], keys: tuple[str, ...] = ()):
    """An app showing `step` after `events`; `keys` are pressed last."""
    app = make_app(World())

    async def run_before(pilot) -> None:
        await open_session(pilot)
        app.engine.ctx.artifacts.update(artifacts)
        for event in events:
            app.engine.bus.publish(event)
        app.show_step(step)
        await pilot.pause()
        if keys:
            await pilot.press(*keys)
        await settle(pilot)

    return app, run_before


async def settle(pilot) -> None:
    await pilot.pause()
    await pilot.wait_for_scheduled_animations()
    pilot.app.clear_notifications()
    freeze_cursors(pilot.app)
    await pilot.pause()


@pytest.fixture
def recording(lab_dir) -> Recording:
    return record(World())


@pytest.fixture(params=list(SIZES), ids=list(SIZES))
def size(request) -> tuple[int, int]:
    return SIZES[request.param]


def test_start(snap_compare, lab_dir, size):
    assert snap_compare(make_app(World(), plan_path=None), terminal_size=size, run_before=settle)


def test_plan(snap_compare, lab_dir, size):
    async def run_before(pilot):
        await open_session(pilot)
        await settle(pilot)

    assert snap_compare(make_app(World()), terminal_size=size, run_before=run_before)


def test_plan_with_a_bad_field(snap_compare, lab_dir, size):
    async def run_before(pilot):
        await open_session(pilot)
        pilot.app.screen.query_one("#field-capture-listen").value = "localhost"
        await settle(pilot)

    assert snap_compare(make_app(World()), terminal_size=size, run_before=run_before)


def test_preflight_with_a_blocker(snap_compare, lab_dir, size):
    blocked = record(World(blockers=1))
    app, run_before = replayed("preflight", blocked.events, blocked.artifacts)
    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_capture(snap_compare, recording, size):
    app, run_before = replayed("capture", recording.until_end_of("snapshot"), recording.artifacts)
    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_preview_approval(snap_compare, recording, size):
    app, replay = replayed("preview", recording.until_start_of("preview"), recording.artifacts)

    async def run_before(pilot):
        await replay(pilot)
        pilot.app.post_message(ApprovalRequested("preview", "Apply 14 requests to Alcor?"))
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_preview(snap_compare, recording, size):
    keys = ("down", "down", "down", "enter", "down", "down")  # port (6) open, port:p2 selected
    app, run_before = replayed("preview", recording.until_end_of("preview"), recording.artifacts, keys)
    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_convert(snap_compare, recording, size):
    app, run_before = replayed("convert", recording.until_end_of("replay"), recording.artifacts)
    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_convert_paused_mid_run(snap_compare, lab_dir, size):
    """A live run held in convert, then paused: Running…, Resume offered, bars part way."""
    world = World(hold_convert_at=9)
    app = make_app(world)

    async def run_before(pilot):
        await hold_in_convert(pilot, world)
        await pilot.press("p")
        done = lambda: sum(e.done for e in app.model.progress_of("convert"))  # noqa: E731
        await wait_until(pilot, lambda: done() == 9, "9 items done")
        await settle(pilot)

    try:
        assert snap_compare(app, terminal_size=size, run_before=run_before)
    finally:
        world.release.set()


def test_verify(snap_compare, recording, size):
    app, run_before = replayed("verify", recording.until_end_of("verify"), recording.artifacts)
    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_cutover(snap_compare, recording, size):
    app, run_before = replayed("cutover", recording.until_end_of("final_replay"), recording.artifacts)
    assert snap_compare(app, terminal_size=size, run_before=run_before)


def waiting_for_old_tokens(minutes: float) -> list[Event]:
    """What a real cut-over gate emits as it starts waiting out tokens issued before the capture's
    insertion (`minutes` of the lifetime left): the first TokenTick, then it is stopped."""
    from wizard.cutover.gate import CutoverGate, GateConfig, Postponement

    ticks: list[Event] = []

    def stop(_seconds: float) -> None:
        raise StopIteration

    gate = CutoverGate(GateConfig(), Postponement(Path("/nonexistent/postpone")), None, None, emit=ticks.append,
                       sleep=stop, tokens_expire_at=time.time() + minutes * 60 + 0.5, token_lifetime=3600.0)
    with pytest.raises(StopIteration):
        gate.pass_through(lambda: None)
    return ticks


def test_cutover_waiting_for_old_tokens(snap_compare, recording, size):
    events = recording.until_start_of("switch") + waiting_for_old_tokens(minutes=42)
    app, run_before = replayed("cutover", events, recording.artifacts)
    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_summary(snap_compare, recording, size):
    app, run_before = replayed("summary", recording.events, recording.artifacts)
    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_help(snap_compare, recording, size):
    app, run_before = replayed("convert", recording.until_end_of("replay"), recording.artifacts, ("question_mark",))
    assert snap_compare(app, terminal_size=size, run_before=run_before)
