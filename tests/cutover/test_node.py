"""A node's cutover with the local executor: every step, and a rollback for a failure at each step."""

import pytest

from wizard.core.errors import InputError
from wizard.core.events import NodeStep
from wizard.cutover.executors import LocalExecutor
from wizard.cutover.node import STEPS, NodeCutover, listed_ports, render


@pytest.fixture
def node(synthetic_nodes):
    return synthetic_nodes(1)[0]


def cutover(node, file_nodes, control, timeouts, **commands):
    file_nodes.start_agents([node.name])
    events = []
    outcome = NodeCutover(node, LocalExecutor(), control, file_nodes.commands(**commands), timeouts,
                          emit=events.append).run()
    return outcome, events


def test_a_node_moves_to_aca_with_exactly_its_ports(node, file_nodes, make_control, fast_timeouts):
    control = make_control()
    outcome, events = cutover(node, file_nodes, control, fast_timeouts)
    assert outcome.status == "done", outcome
    assert [r.step for r in outcome.steps] == list(STEPS) and all(r.seconds >= 0 for r in outcome.steps)
    assert not file_nodes.agent_running(node.name) and file_nodes.aca_running(node.name)
    assert file_nodes.aca_ports(node.name) == {p.port_id for p in node.ports}
    assert control.registered[node.name]["local_ip"] == node.local_ip
    steps = [(e.step, e.status) for e in events if isinstance(e, NodeStep)]
    assert steps[:2] == [("register", "started"), ("register", "ok")] and len(steps) == 2 * len(STEPS)


# For each step, how to make it fail, and the rollback steps expected to run.
FAILURES = {
    "register": ({"fail": {"register_node": 1}}, {}, []),
    "stop_agents": ({}, {"stop_agents": "exit 3"}, ["start_agents"]),
    "start_aca": ({}, {"start_aca": "echo 'no such unit' >&2; exit 5"}, ["stop_aca", "start_agents"]),
    "aca_health": ({}, {"aca_health": "false"}, ["stop_aca", "start_agents"]),
    "bind_ports": ({"fail": {"bind_port": 2}}, {}, ["unbind_ports", "stop_aca", "start_agents"]),
    "check": ({"deliver": False}, {}, ["unbind_ports", "stop_aca", "start_agents"]),
}


@pytest.mark.parametrize("step", STEPS)
def test_a_failure_at_each_step_rolls_the_node_back(step, node, file_nodes, make_control, fast_timeouts):
    control_args, commands, expected_rollback = FAILURES[step]
    control = make_control(**control_args)
    outcome, events = cutover(node, file_nodes, control, fast_timeouts, **commands)
    assert outcome.status == "rolled_back" and outcome.failed_step == step
    assert [r.step for r in outcome.rollback] == expected_rollback
    assert all(r.ok for r in outcome.rollback)
    # back to where it started: agents up, ACA down, nothing bound in Alcor, nothing on ACA
    assert file_nodes.agent_running(node.name) and not file_nodes.aca_running(node.name)
    assert control.ports_on(node.name) == set() and file_nodes.aca_ports(node.name) == set()
    assert any(e.rollback and e.status == "ok" for e in events if isinstance(e, NodeStep)) == bool(expected_rollback)


def test_failure_detail_names_the_cause(node, file_nodes, make_control, fast_timeouts):
    outcome, _ = cutover(node, file_nodes, make_control(), fast_timeouts,
                         start_aca="echo 'Unit alcor-control-agent.service not found.' >&2; exit 5")
    assert outcome.error == "exit 5: Unit alcor-control-agent.service not found."


def test_a_hanging_command_is_killed_at_its_timeout(node, file_nodes, make_control, fast_timeouts):
    fast_timeouts.stop_agents = 0.3
    outcome, _ = cutover(node, file_nodes, make_control(), fast_timeouts, stop_agents="sleep 30")
    assert outcome.failed_step == "stop_agents" and outcome.error.startswith("timed out after 0.")
    assert outcome.steps[-1].seconds < 5


def test_aca_holding_a_foreign_port_fails_the_check(node, file_nodes, make_control, fast_timeouts):
    extra = f"echo tapdeadbeef-00; cat {file_nodes.root}/{{host}}.ports"
    outcome, _ = cutover(node, file_nodes, make_control(), fast_timeouts, aca_ports=extra)
    assert outcome.failed_step == "check" and "ACA holds 1 ports Alcor did not bind" in outcome.error


def test_listing_by_tap_name_counts():
    pid = "0123456789abcdef-0000"
    assert listed_ports("tap0123456789a\nother\n", [pid, "ffff"]) == ({pid}, 1)


def test_unknown_placeholder_names_the_plan_key(node, file_nodes):
    with pytest.raises(InputError, match=r"cutover.commands.stop_agents: unknown placeholder \{hostname\}"):
        render(file_nodes.commands(stop_agents="ssh {hostname} stop"), "stop_agents", node)


def test_a_port_gone_from_alcor_at_bind_is_left_out_of_the_rollback(node, file_nodes, make_control, fast_timeouts):
    gone = node.ports[0].port_id
    control = make_control(gone=frozenset({gone}), deliver=False)  # the check fails: the node is rolled back
    outcome, _ = cutover(node, file_nodes, control, fast_timeouts)
    assert outcome.status == "rolled_back" and outcome.failed_step == "check"
    assert "1 gone from Alcor" in outcome.steps[STEPS.index("bind_ports")].detail
    assert sorted(control.unbound) == sorted(p.port_id for p in node.ports if p.port_id != gone)
