"""The capture phase inside the engine: the proxy runs in the wizard's process."""

from __future__ import annotations

import httpx

from wizard.capture.phase import CapturePhase
from wizard.engine import Engine
from wizard.events import EventBus, PhaseFinished, WriteCaptured
from wizard.plan import Plan
from wizard.state import StateStore


def test_the_phase_starts_the_proxy_and_it_keeps_running_after_it(upstream, state_dir):
    plan = Plan(state_dir=str(state_dir))
    plan.neutron.url = upstream.url
    plan.capture.listen = "127.0.0.1:0"
    bus = EventBus()
    events: list = []
    bus.subscribe(events.append)
    engine = Engine(plan, [CapturePhase()], StateStore(state_dir), bus)
    try:
        assert engine.run().ok
        proxy = engine.ctx.artifacts["capture"]
        assert httpx.post(f"{proxy.url}/v2.0/networks", json={"network": {"name": "n"}}).status_code == 201
        assert [entry["state"] for entry in proxy.log.entries()] == ["committed"]
    finally:
        CapturePhase.stop(engine.ctx)
    finished = next(event for event in events if isinstance(event, PhaseFinished))
    assert finished.summary["listen"] == proxy.url and finished.summary["log_entries"] == 0
    assert any(isinstance(event, WriteCaptured) for event in events)
    assert "capture" not in engine.ctx.artifacts


def test_a_disabled_capture_starts_nothing(state_dir):
    plan = Plan(state_dir=str(state_dir))
    plan.capture.enabled = False
    engine = Engine(plan, [CapturePhase()], StateStore(state_dir))
    assert engine.run().ok and "capture" not in engine.ctx.artifacts


def test_replay_phases_without_a_write_log_have_nothing_to_do(tmp_path):
    from wizard.capture.replay_phase import ReplayPhase
    from wizard.engine import RunContext
    from wizard.events import EventBus
    from wizard.plan import Plan
    from wizard.state import StateStore

    state = StateStore(tmp_path / "state")
    ctx = RunContext(plan=Plan(), state=state, bus=EventBus(), approve=lambda question: True)
    try:
        for name in ("replay", "final_replay"):
            summary = ReplayPhase(name).run(ctx)
            assert summary == {"replayed": 0, "skipped": 0, "failed": 0, "lag": 0, "enabled": False}
        assert "replication" not in ctx.artifacts
    finally:
        state.close()
