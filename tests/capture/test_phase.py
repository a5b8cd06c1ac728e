"""The capture phase inside the engine: the proxy runs in the wizard's process."""

from __future__ import annotations

import httpx
import pytest

from wizard.core.engine import Engine
from wizard.core.events import EventBus, PhaseFinished, WriteCaptured
from wizard.core.state import StateStore
from wizard.phases.capture import CapturePhase
from wizard.plan import Plan


class WriteThroughProxy:
    """A later phase: a client's write through the proxy the capture phase left running."""

    name = "snapshot"

    def run(self, ctx):
        proxy = ctx.run.capture
        status = httpx.post(f"{proxy.url}/v2.0/networks", json={"network": {"name": "n"}}).status_code
        return {"status": status, "logged": [entry["state"] for entry in proxy.log.entries()]}


def test_the_proxy_runs_through_the_later_phases_and_stops_when_the_run_ends(upstream, state_dir):
    plan = Plan(state_dir=str(state_dir))
    plan.neutron.url = upstream.url
    plan.capture.listen = "127.0.0.1:0"
    bus = EventBus()
    events: list = []
    bus.subscribe(events.append)
    engine = Engine(plan, [CapturePhase(), WriteThroughProxy()], StateStore(state_dir), bus)
    assert engine.run().ok
    finished = {event.phase: event for event in events if isinstance(event, PhaseFinished)}
    assert finished["snapshot"].summary == {"status": 201, "logged": ["committed"]}
    assert finished["capture"].summary["log_entries"] == 0
    assert any(isinstance(event, WriteCaptured) for event in events)
    assert engine.ctx.run.capture is None  # the engine closed the phase
    with pytest.raises(httpx.TransportError):
        httpx.get(finished["capture"].summary["listen"] + "/v2.0/networks", timeout=2)


def test_a_disabled_capture_starts_nothing(state_dir):
    plan = Plan(state_dir=str(state_dir))
    plan.capture.enabled = False
    engine = Engine(plan, [CapturePhase()], StateStore(state_dir))
    assert engine.run().ok and engine.ctx.run.capture is None


def test_replay_phases_without_a_write_log_have_nothing_to_do(tmp_path):
    from wizard.core.engine import RunContext
    from wizard.core.events import EventBus
    from wizard.core.state import StateStore
    from wizard.phases.replay import ReplayPhase
    from wizard.plan import Plan

    state = StateStore(tmp_path / "state")
    ctx = RunContext(plan=Plan(), state=state, bus=EventBus(), approve=lambda question: True)
    try:
        for name in ("replay", "final_replay"):
            summary = ReplayPhase(name).run(ctx)
            assert summary == {"replayed": 0, "skipped": 0, "failed": 0, "lag": 0, "enabled": False}
        assert ctx.run.replication is None
    finally:
        state.close()
