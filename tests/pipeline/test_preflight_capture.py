"""Preflight's capture check: the capture is never silently off; one that cannot run blocks the run."""

from __future__ import annotations

import socket

import pytest

from wizard.capture.writelog import WriteLog
from wizard.core.engine import RunContext
from wizard.core.events import EventBus
from wizard.core.state import StateStore
from wizard.lab.neutron_server import free_port
from wizard.neutron.endpoint import STATE_KEY
from wizard.phases.preflight import check_inputs
from wizard.plan import CaptureNode, NeutronSource, Plan
from wizard.preflight import capture
from wizard.translate.model import Severity


@pytest.fixture
def ctx(tmp_path):
    state = StateStore(tmp_path / "state")
    context = RunContext(plan=Plan(), state=state, bus=EventBus(), approve=lambda *_: True)
    context.plan.neutron = NeutronSource(url="http://neutron.example.net:9696/v2.0/", auth="none")
    yield context
    state.close()


def found(ctx) -> list[tuple[Severity, str]]:
    return [(f.severity, f.code) for f in capture(check_inputs(ctx)).findings]


def test_a_capture_that_can_start_records_neutrons_endpoint_and_names_it(ctx):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        ctx.plan.capture.listen = f"127.0.0.1:{sock.getsockname()[1]}"
    result = capture(check_inputs(ctx))
    assert result.findings == [] and result.detail.endswith("forwarding to http://neutron.example.net:9696")
    assert ctx.state.get_meta(STATE_KEY) == "http://neutron.example.net:9696"


def test_a_capture_that_cannot_listen_blocks(ctx):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        ctx.plan.capture.listen = f"127.0.0.1:{taken.getsockname()[1]}"
        assert found(ctx) == [(Severity.BLOCKER, "capture-cannot-listen")]


def test_a_capture_whose_tls_files_do_not_load_blocks(ctx, tmp_path):
    ctx.plan.capture.tls.cert, ctx.plan.capture.tls.key = str(tmp_path / "no.crt"), str(tmp_path / "no.key")
    assert found(ctx) == [(Severity.BLOCKER, "capture-cannot-run")]


def test_a_capture_turned_off_is_a_warning_and_a_snapshot_plan_says_there_is_nothing_to_capture(ctx):
    ctx.plan.capture.enabled = False
    assert found(ctx) == [(Severity.WARNING, "capture-off")]
    ctx.plan.capture.enabled = True
    ctx.plan.neutron = NeutronSource(snapshot="cloud.json")
    result = capture(check_inputs(ctx))
    assert result.findings == [] and "no live Neutron to capture" in result.detail


def test_a_write_log_another_capture_is_writing_blocks(ctx):
    ctx.plan.capture.listen = f"127.0.0.1:{free_port()}"
    other = WriteLog(ctx.state.dir)  # as an `alcor-migrate capture` process holds it
    try:
        assert found(ctx) == [(Severity.BLOCKER, "capture-log-busy")]
    finally:
        other.close()
    assert found(ctx) == []


def test_a_separate_capture_must_be_running_and_then_this_run_only_reads_its_log(ctx):
    ctx.plan.capture.mode = "separate"
    assert found(ctx) == [(Severity.BLOCKER, "capture-not-running")]
    writer = WriteLog(ctx.state.dir)  # the `alcor-migrate capture --plan` process
    try:
        result = capture(check_inputs(ctx))
        assert result.findings == [] and "replays it read-only" in result.detail
        assert ctx.state.get_meta(STATE_KEY) == "http://neutron.example.net:9696"
    finally:
        writer.close()


def test_separate_captures_listed_in_capture_nodes_need_no_capture_writing_the_runs_own_log(ctx, tmp_path):
    """A capture per API node (deploy.md): the migration host runs none; the nodes' logs are replayed.
    (Nodes read through their feeds: tests/capture/test_preflight_nodes.py.)"""
    for name in ("api-1", "api-2"):
        WriteLog(tmp_path / name).close()
    ctx.plan.capture.mode = "separate"
    ctx.plan.capture.nodes = {"api-1": CaptureNode(log=str(tmp_path / "api-1")),
                              "api-2": CaptureNode(log=str(tmp_path / "api-2" / "writes.db"))}
    result = capture(check_inputs(ctx))
    assert result.findings == [] and result.detail.startswith("captures of their own (api-1, api-2)")
    assert ctx.state.get_meta(STATE_KEY) == "http://neutron.example.net:9696"


def test_a_capture_node_whose_log_is_not_there_blocks_the_run_naming_it(ctx, tmp_path):
    ctx.plan.capture.mode = "separate"
    ctx.plan.capture.nodes = {"api-1": CaptureNode(log=str(tmp_path / "api-1"))}
    [finding] = capture(check_inputs(ctx)).findings
    assert (finding.severity, finding.code) == (Severity.BLOCKER, "capture-node-no-log")
    assert finding.message.startswith(f"capture.nodes.api-1.log: no write log at {tmp_path / 'api-1'}")


def test_a_busy_log_names_the_separate_mode_as_a_way_on(ctx):
    ctx.plan.capture.listen = f"127.0.0.1:{free_port()}"
    other = WriteLog(ctx.state.dir)
    try:
        assert "capture.mode: separate" in capture(check_inputs(ctx)).findings[0].remedy
    finally:
        other.close()


def test_a_separate_capture_is_never_inserted_into_the_catalog_by_run(ctx):
    ctx.plan.capture.mode, ctx.plan.capture.insertion = "separate", "keystone"
    ctx.plan.neutron = NeutronSource(cloud="production")
    assert found(ctx) == [(Severity.BLOCKER, "capture-insertion-separate")]
