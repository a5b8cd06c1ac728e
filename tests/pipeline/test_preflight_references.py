"""Preflight's `plan references`: every host the plan names is one the cloud has, checked before anything
changes, with the plan's FILE:LINE:COL and a did-you-mean."""

from __future__ import annotations

import json
import shutil

import pytest

from wizard import plan as plan_module
from wizard.core.engine import RunContext
from wizard.core.events import EventBus
from wizard.core.state import StateStore
from wizard.lab.samples import FILES
from wizard.neutron.snapshot import STATE_FILE, TAKEN_KEY
from wizard.phases.preflight import check_inputs
from wizard.preflight import Check, plan_references, run_check

MEDIUM = FILES / "medium.json"  # hosts compute-01 ... compute-10


def checked(tmp_path, plan_text: str):
    """The check's outcome on the plan `plan_text` (a medium-cloud snapshot plan) in tmp/plan.yaml."""
    path = tmp_path / "plan.yaml"
    path.write_text(f"version: 1\nneutron: {{snapshot: {MEDIUM}}}\nalcor: {{url: 'http://127.0.0.1:9'}}\n{plan_text}")
    state = StateStore(tmp_path / "state")
    try:
        ctx = RunContext(plan=plan_module.load(path), state=state, bus=EventBus(), approve=lambda *_: True)
        return run_check(Check("plan references", plan_references), check_inputs(ctx), ctx.emit)
    finally:
        state.close()


def test_a_mistyped_canary_wave_and_node_are_blockers_naming_key_value_line_and_the_likely_host(tmp_path):
    outcome = checked(tmp_path, "cutover:\n  waves:\n    canary: [compute-1]\n"
                                "nodes:\n  compute-011: {local_ip: 192.0.2.11}\n  compute-02: {veth: eth1}\n")
    assert outcome.status == "failed"
    messages = [(f.code, f.neutron.id, f.message) for f in outcome.result.findings]
    plan = tmp_path / "plan.yaml"
    assert messages == [
        ("plan-unknown-host", "cutover.waves.canary",
         f"{plan}:6:13: cutover.waves.canary: unknown host 'compute-1': Neutron has no agent or bound port on it; "
         "did you mean 'compute-01'?"),
        ("plan-unknown-host", "nodes.compute-011",
         f"{plan}:8:16: nodes.compute-011: unknown host 'compute-011': Neutron has no agent or bound port on it; "
         "did you mean 'compute-01', 'compute-10' or 'compute-09'?")]
    assert "compute-01, compute-02, compute-03, ... (10 in all)" in outcome.result.findings[0].remedy


def test_hosts_left_out_of_explicit_wave_lists_are_a_blocker_and_correct_references_pass(tmp_path):
    outcome = checked(tmp_path, "cutover:\n  waves:\n    canary: [compute-01]\n"
                                "    lists: [[compute-02, compute-03], [compute-04]]\n")
    assert [(f.code, f.message.split(": ", 1)[1]) for f in outcome.result.findings] == [
        ("plan-host-in-no-wave", "cutover.waves.lists: hosts in no wave: compute-05, compute-06, compute-07, "
                                 "compute-08, compute-09, compute-10")]
    outcome = checked(tmp_path, "cutover:\n  waves:\n    canary: [compute-01]\n    batch_size: 3\n"
                                "nodes:\n  compute-10: {veth: eth1}\n")
    assert outcome.status == "ok" and outcome.result.detail == "2 host references, 10 hosts in Neutron"


def test_a_host_known_only_by_its_bound_ports_is_known_and_a_resumed_run_reads_its_own_snapshot(tmp_path):
    cloud = json.loads(MEDIUM.read_text())
    cloud["agents"] = [a for a in cloud["agents"] if a["host"] != "compute-07"]  # its agent is gone
    copy = tmp_path / "cloud.json"
    copy.write_text(json.dumps(cloud))
    state_dir = tmp_path / "state"
    state_dir.mkdir(mode=0o700)
    shutil.copyfile(copy, state_dir / STATE_FILE)
    copy.unlink()  # a resumed run has its own copy
    store = StateStore(state_dir)
    store.set_meta(TAKEN_KEY, {"source": f"file {copy}"})
    store.close()
    plan = tmp_path / "plan.yaml"
    plan.write_text(f"version: 1\nneutron: {{snapshot: {copy}}}\nalcor: {{url: 'http://127.0.0.1:9'}}\n"
                    "cutover: {waves: {canary: [compute-07]}}\n")
    state = StateStore(state_dir)
    try:
        ctx = RunContext(plan=plan_module.load(plan), state=state, bus=EventBus(), approve=lambda *_: True)
        outcome = run_check(Check("plan references", plan_references), check_inputs(ctx), ctx.emit)
    finally:
        state.close()
    assert outcome.status == "ok", outcome.result.findings


@pytest.mark.parametrize("text", ["", "cutover: {waves: {batch_size: 2}}\n"])
def test_a_plan_naming_no_host_is_not_checked_against_the_cloud(tmp_path, text):
    outcome = checked(tmp_path, text)
    assert outcome.status == "ok" and outcome.result.detail == "the plan names no host"
