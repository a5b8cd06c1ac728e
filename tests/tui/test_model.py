"""The wizard's plain parts: the run model, where Next leads, the step registry, sampled messages."""

from __future__ import annotations

from wizard.core.engine import PHASE_ORDER
from wizard.core.events import (
    FindingRaised,
    LagChanged,
    PhaseFailed,
    PhaseFinished,
    PhaseSkipped,
    PhaseStarted,
    Progress,
    ProxyStats,
    WriteCaptured,
)
from wizard.tui.messages import EngineEvent, EngineSample, message_for
from wizard.tui.model import LAST_WRITES, RunModel
from wizard.tui.navigator import next_move
from wizard.tui.steps import STEP_BY_NAME, STEPS, step_of


def finding(severity: str) -> FindingRaised:
    return FindingRaised(severity=severity, code="c", kind="networks", id="n", message="m", remedy="r")


def test_every_phase_belongs_to_exactly_one_step_in_engine_order():
    assert sum((step.phases for step in STEPS), ()) == PHASE_ORDER
    assert step_of("drain").name == "cutover"


def test_the_model_folds_phase_events_and_keeps_findings_per_phase():
    model = RunModel(clock=lambda: 42.0)
    model.apply(PhaseStarted(phase="preflight"))
    model.apply(finding("blocker"))
    assert model.running == "preflight" and model.phase("preflight").started_at == 42.0
    model.apply(PhaseFailed(phase="preflight", error="1 blocker"))
    assert model.running is None and len(model.blockers("preflight")) == 1
    model.apply(PhaseStarted(phase="preflight"))  # a new run starts with no findings
    assert model.findings_of("preflight") == []
    model.apply(PhaseFinished(phase="preflight", seconds=1.5, summary={"checks": 4}))
    assert model.phase("preflight").summary == {"checks": 4}
    model.apply(PhaseSkipped(phase="capture", reason="after --until preflight"))
    assert model.phase("capture").status == "pending"


def test_proxy_rates_come_from_two_samples_and_the_time_between_them():
    model = RunModel()
    stats = dict(listen="127.0.0.1:9797", errors=0, bytes=0, latency_p50_ms=1.0, latency_p99_ms=2.0)
    model.apply(ProxyStats(requests=10, writes=1, at=100.0, **stats))
    model.apply(ProxyStats(requests=50, writes=5, at=104.0, **stats))
    assert (model.rates.requests, model.rates.writes) == (10.0, 1.0)


def test_writes_newest_first_and_bounded_lag_history():
    model = RunModel()
    for seq in range(LAST_WRITES + 3):
        model.apply(WriteCaptured(seq=seq, method="PUT", path=f"/v2.0/ports/{seq}", status=200, state="committed"))
    assert len(model.writes) == LAST_WRITES and model.writes[0].seq == LAST_WRITES + 2
    for waiting in (3, 2, 0):
        model.apply(LagChanged(waiting=waiting, oldest_age=1.0))
    assert list(model.lag_history) == [3, 2, 0] and model.lag.waiting == 0


def test_a_phase_recorded_running_by_a_stopped_process_reads_as_interrupted():
    model = RunModel([{"phase": "preflight", "status": "done", "seconds": 1.0},
                      {"phase": "capture", "status": "running"}])
    assert model.phase("capture").status == "failed" and "interrupted" in model.phase("capture").error
    assert model.first_unfinished(PHASE_ORDER) == "capture"


def test_next_runs_the_step_then_moves_on_and_never_past_a_blocker():
    model = RunModel()
    preflight = STEP_BY_NAME["preflight"]
    move = next_move(preflight, model, running=False)
    assert (move.label, move.go_to, move.run_until) == ("Run ›", preflight, "preflight")
    assert not next_move(preflight, model, running=True).enabled
    model.apply(PhaseStarted(phase="preflight"))
    model.apply(PhaseFinished(phase="preflight", seconds=1.0))
    move = next_move(preflight, model, running=False)
    assert (move.label, move.go_to.name, move.run_until) == ("Next ›", "capture", "snapshot")
    model.apply(PhaseStarted(phase="preflight"))
    model.apply(finding("blocker"))
    model.apply(PhaseFinished(phase="preflight", seconds=1.0))
    move = next_move(preflight, model, running=False)
    assert not move.enabled and "1 blocker(s)" in move.reason


def test_a_stopped_step_resumes_and_the_last_step_quits():
    model = RunModel([{"phase": "convert", "status": "failed", "error": "cancelled by the operator"}])
    move = next_move(STEP_BY_NAME["convert"], model, running=False)
    assert move.label == "Resume ›" and "cancelled" in move.reason and move.run_until == "replay"
    model.apply(PhaseFinished(phase="report", seconds=1.0))
    assert next_move(STEP_BY_NAME["summary"], model, running=False).label == "Quit"


def test_only_the_newest_sample_of_the_same_kind_replaces_an_older_one():
    def progress(kind: str, done: int):
        return message_for(Progress(phase="convert", kind=kind, done=done, total=10))

    older, newer, other = progress("vpc", 1), progress("vpc", 2), progress("port", 1)
    assert isinstance(older, EngineSample)
    assert older.can_replace(newer) and not older.can_replace(other)
    lag = message_for(LagChanged(waiting=1, oldest_age=0.0))
    assert lag.can_replace(message_for(LagChanged(waiting=0, oldest_age=0.0))) and not lag.can_replace(older)
    kept = message_for(finding("info"))
    assert type(kept) is EngineEvent and not kept.can_replace(message_for(finding("info")))


def test_a_run_again_keeps_what_each_phase_did_in_the_run_that_did_it(tmp_path):
    """The recorded lab run, then the same command again: the idle passes do not hide the work."""
    from tests.tui import recorded_run

    first = recorded_run.events(tmp_path)
    ticks = iter(range(1_000, 100_000, 10))
    model = RunModel(clock=lambda: next(ticks))
    for event in first:
        model.apply(event)
    did = {name: model.phase(name) for name in PHASE_ORDER}
    assert all(model.done_earlier(name) is None for name in PHASE_ORDER)
    for event in recorded_run.events(tmp_path, recorded_run.RECORDING_AGAIN):
        model.apply(event)
    assert model.phase("convert").summary["applied"] == 0  # the last pass: idle
    earlier = {name for name in PHASE_ORDER if model.done_earlier(name) is not None}
    assert earlier == {"convert", "switch", "drain", "cutover"}
    assert all(model.done_earlier(name) == did[name] for name in earlier)
    assert model.done_earlier("convert").summary["applied"] == 39


def test_a_reopened_plan_knows_what_each_phase_did_before_its_idle_passes(tmp_path):
    """The engine records the pass that did the work (state `work`); a reopened plan's model reads it."""
    from tests.tui import recorded_run
    from wizard.core.engine import Engine
    from wizard.core.state import StateStore

    summaries = [next(e.summary for e in recorded_run.events(tmp_path, recording)
                      if isinstance(e, PhaseFinished) and e.phase == "convert")
                 for recording in (recorded_run.RECORDING, recorded_run.RECORDING_AGAIN)]

    class Convert:  # says what the real convert said in each recorded run
        name = "convert"

        def run(self, ctx):
            return summaries.pop(0)

    ticks = iter(range(100))
    engine = Engine(None, [Convert()], StateStore(tmp_path / "state"), clock=lambda: next(ticks))
    try:
        assert engine.run().ok and engine.run().ok
        model = RunModel(engine.state.phases())
    finally:
        engine.state.close()
    work, last = model.done_earlier("convert"), model.phase("convert")
    assert last.summary["skipped"] == 39 and work.summary["applied"] == 39
    assert work.seconds == 1 and work.started_at < last.started_at
