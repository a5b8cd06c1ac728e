"""The engine: phases in order, status recorded, failures and cancel reported as events."""

import threading

import pytest

from wizard.core.engine import INTERRUPTED, PHASE_ORDER, Engine, NotApproved
from wizard.core.events import PhaseFailed, PhaseFinished, PhaseSkipped, PhaseStarted
from wizard.core.state import StateStore


class Recorder:
    def __init__(self, name, calls, fail=False):
        self.name, self.calls, self.fail = name, calls, fail

    def run(self, ctx):
        self.calls.append(self.name)
        if self.fail:
            raise RuntimeError("broken")
        return {"ran": self.name}


def make(tmp_path, phases, approve=lambda p, q: True):
    engine = Engine(plan=None, phases=phases, state=StateStore(tmp_path), approve=approve)
    events = []
    engine.bus.subscribe(events.append)
    return engine, events


def test_phases_run_in_design_order_and_are_recorded(tmp_path):
    calls = []
    engine, events = make(tmp_path, [Recorder("convert", calls), Recorder("preflight", calls)])
    result = engine.run()
    assert result.ok and calls == ["preflight", "convert"]
    assert [type(e) for e in events] == [PhaseStarted, PhaseFinished, PhaseStarted, PhaseFinished]
    assert engine.state.phase("convert")["summary"] == {"ran": "convert"}


def test_until_stops_after_the_named_phase(tmp_path):
    calls = []
    engine, events = make(tmp_path, [Recorder("translate", calls), Recorder("convert", calls)])
    engine.run(until="translate")
    assert calls == ["translate"]
    assert PhaseSkipped(phase="convert", reason="after --until translate", at=events[-1].at) == events[-1]


def test_a_failing_phase_stops_the_run_and_is_reported(tmp_path):
    calls = []
    engine, events = make(tmp_path, [Recorder("snapshot", calls, fail=True), Recorder("convert", calls)])
    result = engine.run()
    assert result.failed == "snapshot" and "RuntimeError: broken" in result.error
    assert calls == ["snapshot"]
    assert isinstance(events[-1], PhaseFailed)
    assert engine.state.phase("snapshot")["status"] == "failed"


def test_unknown_phase_names_are_refused(tmp_path):
    with pytest.raises(ValueError):
        make(tmp_path, [Recorder("bogus", [])])
    assert "bogus" not in PHASE_ORDER


def test_cancel_unblocks_a_paused_phase(tmp_path):
    class Waits:
        name = "convert"

        def run(self, ctx):
            started.set()
            ctx.checkpoint()

    started = threading.Event()
    engine, _ = make(tmp_path, [Waits()])
    engine.pause()
    worker = threading.Thread(target=lambda: results.append(engine.run()))
    results = []
    worker.start()
    started.wait(5)
    engine.cancel()
    worker.join(5)
    assert results[0].failed == "convert" and "cancelled" in results[0].error


def test_declined_approval_fails_the_phase(tmp_path):
    class Asks:
        name = "switch"

        def run(self, ctx):
            ctx.ask("switch", "switch the endpoint?")

    engine, _ = make(tmp_path, [Asks()], approve=lambda p, q: False)
    result = engine.run()
    assert result.failed == "switch" and "not approved" in result.error
    assert NotApproved


def test_operator_requests_reach_the_phase_once(tmp_path):
    class Takes:
        name = "cutover"

        def run(self, ctx):
            return {"taken": [[r.action, r.args] for r in ctx.take_requests("cutover")],
                    "again": len(ctx.take_requests("cutover"))}

    engine, events = make(tmp_path, [Takes()])
    engine.request("cutover", "rollback", node="node-1")
    engine.request("drain", "skip")
    engine.run()
    assert engine.state.phase("cutover")["summary"] == {"taken": [["rollback", {"node": "node-1"}]], "again": 0}
    assert events[0].text == "rollback node=node-1 requested" and events[0].phase == "cutover"
    assert [r.action for r in engine.ctx.take_requests("drain")] == ["skip"]


def test_a_cancelled_engine_runs_again_and_the_clock_times_phases(tmp_path):
    ticks = iter(range(100))
    engine = Engine(plan=None, phases=[Recorder("convert", [])], state=StateStore(tmp_path),
                    clock=lambda: next(ticks) * 2.0)
    engine.cancel()
    assert engine.run().ok
    assert engine.state.phase("convert")["seconds"] == 2.0


class Holding:
    """A phase that leaves something running for later phases; `close` releases it."""

    def __init__(self, name, closed, fail_close=False):
        self.name, self.closed, self.fail_close = name, closed, fail_close
        self.running = False

    def run(self, ctx):
        self.running = True

    def close(self, ctx):
        if self.running:
            self.running = False
            self.closed.append(self.name)
        if self.fail_close:
            raise OSError("port still bound")


def test_phases_are_closed_when_the_run_ends_whether_it_failed_or_not(tmp_path):
    closed = []
    holders = [Holding("capture", closed), Holding("convert", closed, fail_close=True)]
    engine, events = make(tmp_path, [*holders, Recorder("verify", [], fail=True)])
    result = engine.run()
    assert result.failed == "verify"
    assert closed == ["convert", "capture"] and not any(h.running for h in holders)  # last phase first
    assert any(getattr(e, "text", "").startswith("could not release: OSError: port still bound") for e in events)

    closed.clear()
    assert engine.run(until="capture").ok and closed == ["capture"]  # close is safe on a phase that did not run


def test_a_run_stopped_by_ctrl_c_reports_the_phase_failed_before_it_closes_the_phases(tmp_path):
    """So that listeners (the lab's users) can finish what they send before the capture is closed."""
    class Interrupted:
        name = "convert"

        def run(self, ctx):
            raise KeyboardInterrupt

        def close(self, ctx):
            seen.append("closed")

    seen = []
    engine, events = make(tmp_path, [Interrupted()])
    engine.bus.subscribe(lambda event: seen.append(type(event).__name__))
    with pytest.raises(KeyboardInterrupt):
        engine.run()
    assert seen == ["PhaseStarted", "PhaseFailed", "closed"]
    assert events[-1] == PhaseFailed(phase="convert", error=INTERRUPTED, at=events[-1].at)
    assert engine.state.phase("convert")["status"] == "failed"
