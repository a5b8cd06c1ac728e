"""The lab cutover of every sample cloud: each simulated ACA ends holding exactly its node's ports."""

from pathlib import Path

import pytest

from wizard.core.engine import Engine
from wizard.core.run_state import RunState
from wizard.core.state import StateStore
from wizard.cutover.records import NodeRecords
from wizard.cutover.rollback import roll_back
from wizard.lab.cutover import lab_cutover
from wizard.lab.nodes import LAB_COMMANDS
from wizard.lab.samples import FILES
from wizard.lab.synth import CloudSize, SyntheticCloud
from wizard.neutron import snapshot as snapshot_file
from wizard.phases.cutover import CutoverPhase
from wizard.plan import Plan, StepTimeouts

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = sorted(FILES.glob("*.json")) + [ROOT / "tests" / "lab" / "real_neutron29.json"]


def cloud(name):
    if name == "synthetic":
        return SyntheticCloud(CloudSize(ports=200, hosts=8, networks=5)).snapshot()
    return snapshot_file.load(name)


def lab_plan(tmp_path, **waves):
    plan = Plan(state_dir=str(tmp_path / "state"))
    plan.cutover.executor.kind = "lab"
    plan.cutover.commands = LAB_COMMANDS
    plan.cutover.timeouts = StepTimeouts(register=10, stop_agents=5, start_aca=5, aca_health=5, bind_ports=30,
                                         check=5, unbind_ports=30, stop_aca=5, start_agents=5, poll=0.05)
    plan.cutover.waves.batch_size = 3
    plan.cutover.waves.parallel = 3
    for key, value in waves.items():
        setattr(plan.cutover.waves, key, value)
    return plan


def run_cutover(plan, lab):
    engine = Engine(plan, [CutoverPhase()], StateStore(plan.state_dir), approve=lambda p, q: True)
    engine.ctx.run.provide(**lab.seams())
    return engine, engine.run()


def held(lab):
    return {host: set(node.aca.ports) for host, node in lab.fleet.nodes.items()}


def alcor_ports(lab):
    """Port id -> (host, MAC, fixed IPs, groups, port security) as Alcor holds each port the cutover binds."""
    return {port["id"]: (port.get("binding:host_id") or None, port["mac_address"], port["fixed_ips"],
                         sorted(port["security_groups"]), port["port_security_enabled"])
            for port in lab.client.list("port", "all") if port["id"] in lab.translation.bindings}


@pytest.mark.parametrize("name", [*map(str, SAMPLES), "synthetic"], ids=lambda n: Path(n).stem)
def test_every_aca_holds_exactly_its_nodes_ports(name, tmp_path):
    snapshot = cloud(name)
    plan = lab_plan(tmp_path, order="networks")
    with lab_cutover(snapshot, plan) as lab:
        assert all(ports == set() for ports in held(lab).values())  # nothing reaches an ACA before cutover
        engine, result = run_cutover(plan, lab)
        assert result.ok, result.error
        expected = {host: set() for host in lab.fleet.nodes}
        for port_id, host in lab.translation.bindings.items():
            expected[host].add(port_id)
        assert held(lab) == expected and sum(map(len, expected.values())) == len(lab.translation.bindings)
        for host, node in lab.fleet.nodes.items():
            assert not node.agent_running and node.aca.running
            held_ports = node.aca.ports.values()
            assert all(goal["host"] == host and goal["vni"] for goal in held_ports)


def test_a_failing_node_is_rolled_back_and_rollback_undoes_the_rest(tmp_path):
    snapshot = SyntheticCloud(CloudSize(ports=120, hosts=4, networks=3)).snapshot()
    plan = lab_plan(tmp_path, all_at_once=True, parallel=5, on_failure="continue")
    plan.cutover.timeouts.aca_health = 0.5
    with lab_cutover(snapshot, plan) as lab:
        seeded = alcor_ports(lab)
        lab.fleet["compute-002"].failing = {"aca health"}
        engine, result = run_cutover(plan, lab)
        assert result.failed == "cutover" and "compute-002 at aca_health" in result.error
        failed = lab.fleet["compute-002"]
        assert failed.agent_running and not failed.aca.running and not failed.aca.ports
        assert lab.seams()["node_control"].ports_on("compute-002") == set()
        others = [n for h, n in lab.fleet.nodes.items() if h != "compute-002"]
        assert all(not n.agent_running and n.aca.running for n in others)
        assert any(n.aca.ports for n in others)
        # the operator gives up: every node goes back to Neutron
        outcome = roll_back(plan, engine.state, lab.seams()["node_control"], lambda p, q: None,
                            RunState(**lab.seams()), endpoint=False)
        assert outcome.ok and len(outcome.nodes) == len(others)
        assert all(n.agent_running and not n.aca.running and not n.aca.ports for n in lab.fleet.nodes.values())
        control = lab.seams()["node_control"]
        assert all(control.ports_on(host) == set() for host in lab.fleet.nodes)
        assert NodeRecords(engine.state).to_undo() == []
        # unbound by delete and create: the same ports, addresses and groups, no host
        assert alcor_ports(lab) == seeded and all(host is None for host, *_ in seeded.values())
