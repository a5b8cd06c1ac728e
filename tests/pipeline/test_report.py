"""The report: built from the state store alone, in JSON and Markdown, with no secret in either."""

from __future__ import annotations

import json
import time

import pytest

from wizard import report
from wizard.cutover.node import NodeOutcome, StepRecord
from wizard.cutover.records import NodeRecords
from wizard.state import StateStore


@pytest.fixture
def state(tmp_path):
    store = StateStore(tmp_path / "state")
    yield store
    store.close()


def record(state: StateStore, phase: str, status: str, started: float, seconds: float, **info) -> None:
    state.set_phase(phase, "running", started_at=started)
    state.set_phase(phase, status, seconds=seconds, **info)


def test_a_run_through_preview_reports_phases_counts_and_findings(plan_file, alcor_migrate, tmp_path):
    assert alcor_migrate("run", "--plan", plan_file, "--yes", "--until", "verify")[0] == 0  # then the cutover
    store = StateStore(tmp_path / "state")
    try:
        report.write(store, "sample")
    finally:
        store.close()
    document = json.loads((tmp_path / "state" / report.REPORT_JSON).read_text())
    assert document["format"] == report.FORMAT and document["name"] == "sample"
    assert [(p["phase"], p["status"]) for p in document["phases"]] == [
        ("preflight", "done"), ("snapshot", "done"), ("translate", "done"), ("preview", "done"),
        ("convert", "done"), ("replay", "done"), ("repair", "done"), ("verify", "done")]
    assert all(p["seconds"] is not None and p["started_at"].endswith("Z") for p in document["phases"])
    assert [c["check"] for c in document["preflight"]] == ["state directory", "neutron", "capture", "insertion",
                                                          "alcor", "plan references"]
    assert document["resources"]["ports"] == 7 and document["requests"]["total"] == 23
    assert document["requests"]["kinds"]["vpc"] == {"requests": 2, "resources": 2}
    assert document["findings"]["warning"]["ipv6-subnet"] == 1
    assert (document["applied"], document["failed"]) == (23, 0)
    assert {phase: counts["replayed"] for phase, counts in document["replay"].items()} == {"replay": 0}
    assert document["nodes"] == []
    text = (tmp_path / "state" / report.REPORT_MD).read_text()
    assert "| translate | done |" in text and "| vpc | 2 | 2 |" in text
    assert "| warning | ipv6-subnet | 1 |" in text and "## Replay" in text


def test_applied_failures_replay_and_the_cutover_timeline_are_reported(state):
    t0 = time.time() - 600
    for key in ("vpc:a", "vpc:b", "subnet:c"):
        state.mark_applied(key)
    state.mark_failed("port:d", status=409, error="port d: conflict")
    record(state, "convert", "done", t0, 30.0, summary={"applied": 3, "failed": 1})
    record(state, "replay", "done", t0 + 40, 5.0, summary={"replayed": 12, "skipped": 1, "lag": 0})
    record(state, "switch", "done", t0 + 60, 2.5, summary={"url": "http://alcor:9009"})
    record(state, "drain", "done", t0 + 63, 31.0, summary={"quiet": True})
    record(state, "cutover", "failed", t0 + 95, 0.0, error="compute-2 at check: timeout")
    nodes = NodeRecords(state)
    nodes.record(NodeOutcome("compute-1", "done", steps=[StepRecord("bind_ports", True, 0.25, "2 ports bound"),
                                                         StepRecord("check", True, 0.5, "2 ports held by ACA")]))
    nodes.record(NodeOutcome("compute-2", "rolled_back", "check", "timeout",
                             steps=[StepRecord("check", False, 10.0, "")],
                             rollback=[StepRecord("unbind_ports", True, 1.0, "")]))
    document = report.build(state, "prod")
    assert [(n["node"], n["status"], n["seconds"], n["steps"], n["failed_step"], n["error"], n["detail"])
            for n in document["nodes"]] == [
        ("compute-1", "done", 0.75, {"bind_ports": 0.25, "check": 0.5}, None, None, "2 ports held by ACA"),
        ("compute-2", "rolled_back", 11.0, {"check": 10.0}, "check", "timeout", "")]
    assert (document["applied"], document["failed"]) == (3, 1)
    assert document["failures"] == [{"key": "port:d", "at": document["failures"][0]["at"], "status": 409,
                                     "error": "port d: conflict"}]
    assert document["replay"] == {"replay": {"replayed": 12, "skipped": 1, "lag": 0}}
    timeline = document["timeline"]
    assert [(p["phase"], p["status"]) for p in timeline] == [("switch", "done"), ("drain", "done"),
                                                             ("cutover", "failed")]
    assert timeline[0]["seconds"] == 2.5 and timeline[2]["error"] == "compute-2 at check: timeout"
    assert timeline[2]["finished_at"] is None
    text = report.markdown(document)
    assert "| port:d | status 409, error port d: conflict |" in text
    assert "| replay | replayed 12, skipped 1, lag 0 |" in text
    assert "| cutover | failed |" in text and "compute-2 at check: timeout |" in text
    assert "## Cutover per node" in text and "| compute-1 | done |" in text and "| 0.8 | 2 ports held by ACA |" in text


def test_no_secret_reaches_either_file(state):
    record(state, "convert", "failed", time.time(), 0.0,
           error="POST http://admin:s3cret-pw@alcor:9001/vpcs: 401 with X-Auth-Token: gAAAAtok3n",
           summary={"password": "hunter2", "os_token": "tok-abc", "endpoint": "https://u:p4ss@keystone/v3"})
    state.mark_failed("vpc:x", error="auth failed: token=tok-xyz password=hunter3")
    paths = report.write(state, "secrets")
    for path in paths:
        text = path.read_text()
        for secret in ("s3cret-pw", "gAAAAtok3n", "hunter2", "tok-abc", "p4ss", "tok-xyz", "hunter3"):
            assert secret not in text, (path.name, secret)
        assert "http://***@alcor:9001/vpcs" in text and "X-Auth-Token: ***" in text
    document = json.loads(paths[0].read_text())
    assert document["phases"][0]["summary"]["password"] == report.MASK


@pytest.mark.neutron
def test_the_lab_run_again_reports_what_each_phase_did_in_the_run_that_did_it(tmp_path):
    """A second `run` of a finished lab finds every irreversible phase done: the report still tells
    what convert, the switch, the drain and the cutover did, and that a later run found them done."""
    from tests.tui.recorded_run import run_lab

    state_dir = tmp_path / "state"
    run_lab(state_dir)
    first = {p["phase"]: p for p in json.loads((state_dir / report.REPORT_JSON).read_text())["phases"]}
    run_lab(state_dir)
    again = {p["phase"]: p for p in json.loads((state_dir / report.REPORT_JSON).read_text())["phases"]}
    for phase in ("convert", "switch", "drain", "cutover"):
        assert {key: again[phase][key] for key in ("started_at", "seconds", "summary")} == \
            {key: first[phase][key] for key in ("started_at", "seconds", "summary")}
        assert first[phase].get("idle_pass_at") is None and again[phase].get("idle_pass_at"), again[phase]
    assert again["convert"]["summary"]["applied"] == 39 and again["cutover"]["summary"]["moved"] == 3
    assert again["preflight"]["started_at"] > first["cutover"]["started_at"]  # re-checked, not idle
    text = (state_dir / report.REPORT_MD).read_text()
    convert = next(line for line in text.splitlines() if line.startswith("| convert |"))
    assert "applied 39" in convert and f"a later run, at {again['convert']['idle_pass_at']}, found it done" in convert
