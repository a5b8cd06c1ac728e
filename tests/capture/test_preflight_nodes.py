"""Preflight on the plan's `capture.nodes` read through their feeds: real capture processes on loopback.
A wrong token or feed is found before anything is converted or switched; a capture that is down now
is a warning (replay waits for it)."""

from __future__ import annotations

import os

from tests.capture.test_hold_feed import nodes  # noqa: F401 (a fixture: two captures with feeds)
from tests.capture.test_service import free_port
from wizard.core.engine import RunContext
from wizard.core.events import EventBus
from wizard.core.state import StateStore
from wizard.phases.preflight import check_inputs
from wizard.plan import CaptureNode, NeutronSource, Plan
from wizard.preflight import capture
from wizard.translate.model import Severity


def preflight(plan_nodes: dict[str, CaptureNode], upstream_url: str, state_dir) -> list:
    plan = Plan()
    plan.neutron = NeutronSource(url=upstream_url, auth="none")
    plan.capture.mode, plan.capture.nodes = "separate", plan_nodes
    state = StateStore(state_dir)
    try:
        return capture(check_inputs(RunContext(plan=plan, state=state, bus=EventBus(),
                                               approve=lambda *_: True))).findings
    finally:
        state.close()


def test_capture_nodes_whose_feeds_answer_pass(nodes, upstream, tmp_path):  # noqa: F811
    _, plan_nodes = nodes
    assert preflight(plan_nodes, upstream.url, tmp_path / "run") == []


def test_a_capture_node_that_does_not_answer_is_a_warning_naming_it(nodes, upstream, tmp_path):  # noqa: F811
    _, plan_nodes = nodes
    plan_nodes["api-3"] = CaptureNode(feed=f"http://127.0.0.1:{free_port()}", token_file=plan_nodes["api-1"].token_file)
    [finding] = preflight(plan_nodes, upstream.url, tmp_path / "run")
    assert (finding.severity, finding.code) == (Severity.WARNING, "capture-node-unreachable")
    assert finding.message.startswith("capture.nodes.api-3: capture feed http://127.0.0.1:")
    assert "replay waits for it" in finding.remedy


def test_a_capture_node_that_refuses_the_token_or_has_none_blocks_the_run(nodes, upstream, tmp_path):  # noqa: F811
    _, plan_nodes = nodes
    wrong = tmp_path / "wrong.token"
    wrong.write_text("not-the-token\n")
    os.chmod(wrong, 0o600)
    plan_nodes["api-1"] = CaptureNode(feed=plan_nodes["api-1"].feed, token_file=str(wrong))
    plan_nodes["api-2"] = CaptureNode(feed=plan_nodes["api-2"].feed, token_file=str(tmp_path / "missing.token"))
    findings = preflight(plan_nodes, upstream.url, tmp_path / "run")
    assert [(f.severity, f.code, f.neutron.id) for f in findings] == [
        (Severity.BLOCKER, "capture-node-refused", "nodes.api-1"),
        (Severity.BLOCKER, "capture-node-refused", "nodes.api-2")]
    assert "the token was refused" in findings[0].message
    assert "no feed token file here" in findings[1].message
