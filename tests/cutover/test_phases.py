"""The cutover phases through the engine: gate + switch, drain, waves; resume; rollback node by node."""

import dataclasses

import pytest

from tests.conftest import untimed
from wizard.core.engine import Engine
from wizard.core.events import ApprovalNeeded, DrainTick, GateChanged, NodeStep, WaveStarted
from wizard.core.run_state import RunState
from wizard.core.state import StateStore
from wizard.cutover.drain import PortActivity
from wizard.cutover.executors import LocalExecutor
from wizard.cutover.records import NodeRecords
from wizard.cutover.rollback import roll_back
from wizard.lab.synth import CloudSize, SyntheticCloud
from wizard.phases.cutover import cutover_phases
from wizard.plan import DrainConfig, Plan


class Caught:
    """A caught-up write log (head = applied) with a hold switch."""

    def __init__(self):
        self.held = []

    def head(self):
        return 7

    def lag(self):
        return 0

    def replay(self, until, deadline):
        return until

    def unreadable(self):
        return ()

    def hold_writes(self, mode, retry_after):
        self.held.append(mode)

    def release_writes(self):
        self.held.append("released")


@pytest.fixture
def world(tmp_path, file_nodes, make_control, fast_timeouts):
    snapshot = SyntheticCloud(CloudSize(ports=40, hosts=3, networks=3)).snapshot()
    plan = Plan(state_dir=str(tmp_path / "state"))
    plan.alcor.gateway_url = "http://127.0.0.1:9009"
    plan.cutover.commands = file_nodes.commands()
    plan.cutover.timeouts = fast_timeouts
    plan.cutover.drain = DrainConfig(min=0.05, max=1, poll=0.02)
    plan.cutover.waves.canary = ["compute-001"]
    plan.cutover.waves.batch_size = 2
    file_nodes.start_agents(a["host"] for a in snapshot["agents"])
    log = Caught()
    seams = dict(snapshot=snapshot, executor=LocalExecutor(), node_control=make_control(),
                     replication=log, write_hold=log, neutron_activity=PortActivity(lambda: []))
    return plan, seams


def engine_for(plan, seams, approve=lambda phase, question: True):
    engine = Engine(plan, cutover_phases(), StateStore(plan.state_dir), approve=approve)
    engine.ctx.run.provide(**seams)
    events = []
    engine.bus.subscribe(events.append)
    return engine, events


def test_switch_drain_and_waves_in_one_run(world, file_nodes):
    plan, seams = world
    engine, events = engine_for(plan, seams)
    result = engine.run()
    assert result.ok, result.error
    assert seams["write_hold"].held == ["hold", "released"]
    kinds = {type(e) for e in events}
    assert {GateChanged, DrainTick, WaveStarted, NodeStep, ApprovalNeeded} <= kinds
    control = seams["node_control"]
    for host in ("compute-000", "compute-001", "compute-002"):
        assert file_nodes.aca_ports(host) == control.ports_on(host) != set()
        assert not file_nodes.agent_running(host)
    assert NodeRecords(engine.state).finished() == {"compute-000", "compute-001", "compute-002", "network-1"}
    # a second run changes nothing: every phase is idempotent
    again, events = engine_for(plan, seams)
    assert again.run().ok and not any(isinstance(e, NodeStep) for e in events)
    assert seams["write_hold"].held == ["hold", "released"]


def test_declining_after_the_canary_leaves_the_rest_untouched(world, file_nodes):
    plan, seams = world

    def approve(phase, question):
        return "(canary) is done" not in question

    engine, _ = engine_for(plan, seams, approve)
    result = engine.run()
    assert result.failed == "cutover" and "not approved" in result.error
    assert not file_nodes.agent_running("compute-001") and file_nodes.agent_running("compute-000")


def test_each_wave_after_the_canary_is_asked_for_with_what_the_wave_before_it_did(world, file_nodes):
    plan, seams = world
    good = plan.cutover.commands
    plan.cutover.commands = dataclasses.replace(good, start_aca=f"test {{host}} != compute-002 && {good.start_aca}")
    plan.cutover.waves.on_failure = "continue"
    questions = []

    def approve(phase, question):
        questions.append(question)
        return True

    engine, _ = engine_for(plan, seams, approve)
    assert engine.run().failed == "cutover"  # compute-002 failed and was rolled back; the others moved
    assert [q for q in questions if "Go on with wave" in q] == [
        "Wave 1 (canary) is done: 1 of 1 node on ACA. Go on with wave 2 of 3 (batch 1, 2 nodes)?",
        "Wave 2 (batch 1) is done: 1 of 2 nodes on ACA, 1 rolled back. Go on with wave 3 of 3 (batch 2, 1 node)?"]


def test_a_failed_node_fails_the_phase_and_a_rerun_retries_only_it(world, file_nodes):
    plan, seams = world
    good = plan.cutover.commands
    plan.cutover.commands = dataclasses.replace(good, start_aca=f"test {{host}} != compute-002 && {good.start_aca}")
    engine, events = engine_for(plan, seams)
    result = engine.run()
    assert result.failed == "cutover"
    assert "compute-002 at start_aca: exit 1 (rolled back)" in result.error
    assert file_nodes.agent_running("compute-002")
    told = [e for e in events if isinstance(e, NodeStep) and e.status != "started"]
    recorded = NodeRecords(engine.state).steps()  # what a reopened wizard shows again
    for node in {e.node for e in told}:
        assert untimed(e for e in recorded if e.node == node) == untimed(e for e in told if e.node == node)
    plan.cutover.commands = good
    engine, events = engine_for(plan, seams)
    assert engine.run().ok
    assert {e.node for e in events if isinstance(e, NodeStep)} == {"compute-002", "network-1"}


def test_rollback_returns_every_node_to_neutron(world, file_nodes):
    plan, seams = world
    engine, _ = engine_for(plan, seams)
    assert engine.run().ok
    questions = []
    result = roll_back(plan, engine.state, seams["node_control"], lambda p, q: questions.append(q), RunState(**seams))
    order = [o.node for o in result.nodes]
    assert result.ok and len(order) == 4
    assert order[0] == "network-1" and order[-1] == "compute-001"  # the last moved goes back first
    for host in ("compute-000", "compute-001", "compute-002"):
        assert file_nodes.agent_running(host) and not file_nodes.aca_running(host)
        assert seams["node_control"].ports_on(host) == set()
    assert questions and "back at Neutron" in questions[0]  # method none: the operator restores by hand
    assert NodeRecords(engine.state).to_undo() == []
    # after a rollback, the next run switches and moves every node again
    engine, events = engine_for(plan, seams)
    assert engine.run().ok and len({e.node for e in events if isinstance(e, NodeStep)}) == 4


def test_a_postponement_holds_the_next_wave_until_the_operator_goes_on(world, file_nodes):
    import threading
    import time

    from wizard.core.events import Waiting
    from wizard.cutover.gate import postponement_for

    plan, seams = world
    flag = postponement_for(plan.cutover.gate, plan.state_dir)

    def approve(phase, question):
        if question.startswith("Hand "):
            flag.postpone()  # as the wizard's postpone key does before the waves start
        return True

    engine, events = engine_for(plan, seams, approve)
    run = threading.Thread(target=lambda: results.append(engine.run()))
    results = []
    run.start()
    deadline = time.monotonic() + 20
    while not any(isinstance(e, Waiting) and e.reason for e in events):
        assert time.monotonic() < deadline and run.is_alive(), "the wave never waited"
        time.sleep(0.05)
    assert file_nodes.agent_running("compute-001")  # the canary has not moved
    flag.confirm()
    run.join(20)
    assert results and results[0].ok, results
    assert not file_nodes.agent_running("compute-001")
    waits = [e.reason for e in events if isinstance(e, Waiting)]
    assert waits[0].startswith("postponed before wave 1") and waits[-1] == ""


def test_the_operator_rolls_back_a_moved_node_before_the_next_wave(world, file_nodes):
    """The wizard's roll-back key queues an engine request; the phase takes it at the next wave."""
    from wizard.core.events import Message

    plan, seams = world
    holder = {}

    def approve(phase, question):
        if "Go on with wave 2" in question:  # the operator saw the canary and wants it back
            holder["engine"].request("cutover", "rollback", node="compute-001")
            holder["engine"].request("cutover", "rollback", node="compute-002")  # not moved yet
        return True

    engine, events = engine_for(plan, seams, approve)
    holder["engine"] = engine
    result = engine.run()
    assert result.ok, result.error
    assert engine.state.phase("cutover")["summary"]["rolled back by the operator"] == 1
    assert file_nodes.agent_running("compute-001") and not file_nodes.aca_running("compute-001")
    assert seams["node_control"].ports_on("compute-001") == set()
    assert not file_nodes.agent_running("compute-002")  # its wave ran after the refused request
    assert NodeRecords(engine.state).get("compute-001")["status"] == "rolled_back"
    texts = [e.text for e in events if isinstance(e, Message)]
    assert "rollback of compute-002: it is not on ACA; nothing done" in texts
    assert "compute-001 is back on the Neutron agents; run the cutover again to move it" in texts
    undone = [e.step for e in events if isinstance(e, NodeStep) and e.node == "compute-001" and e.rollback]
    assert undone and "start_agents" in undone
    # the next run moves it again, and only it
    engine, events = engine_for(plan, seams)
    assert engine.run().ok and {e.node for e in events if isinstance(e, NodeStep)} == {"compute-001"}
