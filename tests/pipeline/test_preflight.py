"""Preflight checks: each one's state, timing and findings, as events and in the state store."""

from __future__ import annotations

import os
import uuid

import httpx
import pytest

from tests.conftest import untimed
from wizard.core.engine import RunContext
from wizard.core.errors import Blocked
from wizard.core.events import CheckChanged, EventBus, FindingRaised
from wizard.core.state import StateStore
from wizard.lab.alcor import AlcorEmulator
from wizard.lab.neutron_server import NeutronServer
from wizard.phases.preflight import PreflightPhase, check_inputs
from wizard.plan import NeutronSource, Plan
from wizard.preflight import (
    CHECKS,
    CHECKS_KEY,
    EXTENSIONS_KEY,
    Check,
    CheckResult,
    neutron_api,
    recorded_checks,
    run_check,
    state_directory,
)
from wizard.translate.model import Severity


@pytest.fixture
def ctx(tmp_path):
    """A run context on a real state store, collecting the events it publishes."""
    state = StateStore(tmp_path / "state")
    bus = EventBus()
    context = RunContext(plan=Plan(), state=state, bus=bus, approve=lambda *_: True)
    context.events = []
    bus.subscribe(context.events.append)
    yield context
    state.close()


def codes(result: CheckResult) -> list[str]:
    return [finding.code for finding in result.findings]


def test_a_private_writable_state_directory_with_room_is_ok(ctx):
    result = state_directory(check_inputs(ctx))
    assert result.status == "ok" and result.findings == []
    assert result.detail.startswith(f"{ctx.state.dir}, mode 700, ") and result.detail.endswith(" free")


def test_a_state_directory_others_can_read_is_a_blocker(ctx):
    os.chmod(ctx.state.dir, 0o755)
    result = state_directory(check_inputs(ctx))
    assert result.status == "failed" and codes(result) == ["state-dir-not-private"]
    assert result.findings[0].remedy == f"chmod 700 {ctx.state.dir}"


def test_too_little_free_disk_for_the_write_log_is_a_blocker(ctx):
    result = state_directory(check_inputs(ctx), min_free=1 << 50)
    assert codes(result) == ["disk-low"]
    assert "the write log needs at least 1024.0 TiB" in result.findings[0].message


def test_a_state_directory_that_refuses_a_write_is_a_blocker(ctx):
    (ctx.state.dir / ".preflight-probe").mkdir()  # the probe file cannot be created there
    result = state_directory(check_inputs(ctx))
    assert codes(result) == ["state-dir-not-writable"]
    assert "Is a directory" in result.findings[0].message


def test_a_snapshot_file_stands_for_neutron_and_must_exist(ctx, tmp_path):
    ctx.plan.neutron.snapshot = str(tmp_path / "cloud.json")
    assert codes(neutron_api(check_inputs(ctx))) == ["snapshot-missing"]
    (tmp_path / "cloud.json").write_text("{}")
    result = neutron_api(check_inputs(ctx))
    assert result.status == "ok" and "Neutron is not contacted" in result.detail


def test_an_unreachable_neutron_is_a_blocker_naming_it(ctx):
    ctx.plan.neutron = NeutronSource(url="http://127.0.0.1:9", auth="none")
    result = neutron_api(check_inputs(ctx))
    assert codes(result) == ["neutron-unreachable"]
    assert result.findings[0].neutron.id == "http://127.0.0.1:9"


def test_the_phase_runs_every_check_publishes_each_and_blocks_on_a_blocker(ctx):
    def warns(_ctx):
        result = CheckResult(detail="fine, mostly")
        result.find(Severity.WARNING, "odd", ("thing", "t1"), "odd thing", "look at it")
        return result

    def crashes(_ctx):
        raise ZeroDivisionError("oops")

    phase = PreflightPhase([Check("warns", warns), Check("crashes", crashes),
                            Check("state directory", state_directory)])
    with pytest.raises(Blocked, match=r"1 blocker\(s\): check-error check crashes: ZeroDivisionError: oops"):
        phase.run(ctx)
    changes = [(e.check, e.status) for e in ctx.events if isinstance(e, CheckChanged)]
    assert changes == [("warns", "running"), ("warns", "warning"), ("crashes", "running"), ("crashes", "failed"),
                       ("state directory", "running"), ("state directory", "ok")]
    finished = [e for e in ctx.events if isinstance(e, CheckChanged) and e.status != "running"]
    assert all(e.seconds >= 0 for e in finished) and finished[0].detail == "odd thing"
    assert [(e.severity, e.code) for e in ctx.events if isinstance(e, FindingRaised)] == [
        ("warning", "odd"), ("blocker", "check-error")]
    recorded = ctx.state.get_meta(CHECKS_KEY)
    assert [(c["check"], c["status"]) for c in recorded] == [("warns", "warning"), ("crashes", "failed"),
                                                             ("state directory", "ok")]
    assert recorded[0]["findings"][0]["remedy"] == "look at it"
    told = [e for e in ctx.events if not (isinstance(e, CheckChanged) and e.status == "running")]
    assert untimed(recorded_checks(ctx.state)) == untimed(told)  # what a reopened wizard shows again


def test_the_default_checks_pass_on_a_snapshot_plan_and_an_empty_alcor(ctx, tmp_path):
    (tmp_path / "cloud.json").write_text("{}")
    ctx.plan.neutron.snapshot = str(tmp_path / "cloud.json")
    with AlcorEmulator() as alcor:
        ctx.plan.alcor.url = alcor.url_for("vpc")
        summary = PreflightPhase().run(ctx)
    assert summary == {"checks": len(CHECKS), "ok": len(CHECKS), "warnings": 0}
    assert [outcome.name for outcome in ctx.run.preflight] == ["state directory", "neutron", "capture",
                                                                      "insertion", "alcor", "plan references"]


@pytest.mark.neutron
def test_a_real_neutron_answers_as_admin_and_its_extensions_are_recorded(ctx, neutron_server):
    neutron_server.add_agent(f"preflight-{uuid.uuid4().hex[:6]}", "192.0.2.91")
    ctx.plan.neutron = NeutronSource(url=neutron_server.url, auth="none")
    outcome = run_check(Check("neutron", neutron_api), check_inputs(ctx), ctx.emit)
    assert outcome.status == "ok", outcome.result.findings
    listed = httpx.get(f"{neutron_server.url}/v2.0/extensions", timeout=30).json()["extensions"]
    assert ctx.state.get_meta(EXTENSIONS_KEY) == sorted(e["alias"] for e in listed)
    assert outcome.result.detail == f"{neutron_server.url}/v2.0: {len(listed)} extensions, agents listed"


@pytest.mark.neutron
def test_a_neutron_that_lists_no_agent_blocks(ctx):
    """What a non-admin sees (agents are listed to admins only); here a real server with none."""
    with NeutronServer() as fresh:
        ctx.plan.neutron = NeutronSource(url=fresh.url, auth="none")
        result = neutron_api(check_inputs(ctx))
    assert codes(result) == ["neutron-no-agents"]
    assert result.findings[0].remedy == "use an account with Neutron's admin role"
