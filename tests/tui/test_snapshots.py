"""Every screen of the wizard at 100x30 and at 80x24, as SVG snapshots (pytest-textual-snapshot).

The screens are fed recorded events, published into the app's own engine: the same path as a
live run, with nothing left to timing. Capture, Preview, Convert, Cutover and the Summary show a
real lab run (tests/tui/recorded_run.py; Preview the real translation of the lab's sample cloud);
Preflight, Verify and a paused Convert show a run of the small lab phases (tests/tui/lab_phases.py),
recorded once per test through the engine's bus. Cursors do not blink and the wizard's clock is frozen.
"""

from __future__ import annotations

import dataclasses
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.tui import recorded_run
from tests.tui.conftest import freeze_cursors, hold_in_convert, make_app, open_session, ticking, wait_until
from tests.tui.lab_phases import World, lab_phases
from wizard import plan as plan_file
from wizard.core.engine import Engine
from wizard.core.events import ApprovalNeeded, Event, PhaseFinished, PhaseStarted
from wizard.core.run_state import RunState
from wizard.core.state import StateStore
from wizard.lab import samples
from wizard.neutron import snapshot as snapshot_file
from wizard.translate.context import Options
from wizard.translate.translation import translate
from wizard.tui.messages import ApprovalRequested

SIZES = {"100x30": (100, 30), "80x24": (80, 24)}
SHOWN_STATE = Path("/srv/alcor-migrate/lab")  # the recorded run's state directory, the same in every test


@dataclass
class Recording:
    events: list[Event] = field(default_factory=list)
    run: RunState = field(default_factory=RunState)

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
    recording.run = dataclasses.replace(engine.ctx.run)
    engine.state.close()
    shutil.rmtree(plan.state_dir)
    return recording


def replayed(step: str, events: list[Event], run: RunState, keys: tuple[str, ...] = ()):
    """An app showing `step` after `events`; `keys` are pressed last."""
    app = make_app(World())

    async def run_before(pilot) -> None:
        await open_session(pilot)
        opened = app.engine.ctx.run
        app.engine.ctx.run = dataclasses.replace(run, lab=opened.lab, lab_fleet=opened.lab_fleet)
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


@pytest.fixture
def real(lab_dir) -> Recording:
    """The recorded lab run, with the translation the real translate makes of the lab's cloud."""
    plan = plan_file.load(recorded_run.LAB_PLAN)
    translation = translate(snapshot_file.load(samples.FILES / "small.json"),
                            Options.from_plan(plan))
    return Recording(recorded_run.events(SHOWN_STATE), RunState(translation=translation))


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
    app, run_before = replayed("preflight", blocked.events, blocked.run)
    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_capture(snap_compare, real, size):
    app, run_before = replayed("capture", real.until_end_of("replay"), real.run)
    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_preview_approval(snap_compare, real, size):
    """The preview's question on its screen, over the requests and the findings it is about."""
    events = real.until_start_of("preview")
    asked = next(e for e in real.events if isinstance(e, ApprovalNeeded) and e.phase == "preview")
    app, replay = replayed("preview", events, real.run)

    async def run_before(pilot):
        await replay(pilot)
        pilot.app.post_message(ApprovalRequested(asked.phase, asked.question))
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_preview(snap_compare, real, size):
    keys = ("down", "down", "down", "enter", "down", "down")  # security_group (6) open, its second selected
    app, run_before = replayed("preview", real.until_end_of("preview"), real.run, keys)
    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_convert(snap_compare, real, size):
    app, run_before = replayed("convert", real.until_end_of("replay"), real.run)
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
    app, run_before = replayed("verify", recording.until_end_of("verify"), recording.run)
    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_cutover(snap_compare, real, size):
    app, run_before = replayed("cutover", real.until_end_of("final_replay"), real.run)
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


def test_cutover_waiting_for_old_tokens(snap_compare, real, size):
    events = real.until_start_of("switch") + waiting_for_old_tokens(minutes=42)
    app, run_before = replayed("cutover", events, real.run)
    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_summary(snap_compare, real, size):
    app, run_before = replayed("summary", real.events, real.run)
    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.fixture
def utc(monkeypatch):
    """Times on screen (the wizard's clock is frozen) read the same on every machine."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_summary_after_running_again(snap_compare, real, size, utc):
    """The lab run, then run again: convert, switch, drain and cutover done earlier, with what they did."""
    again = recorded_run.events(SHOWN_STATE, recorded_run.RECORDING_AGAIN)
    app, run_before = replayed("summary", real.events + again, real.run)
    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_help(snap_compare, real, size):
    app, run_before = replayed("convert", real.until_end_of("replay"), real.run, ("question_mark",))
    assert snap_compare(app, terminal_size=size, run_before=run_before)
