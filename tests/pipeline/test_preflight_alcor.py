"""The Alcor check against the emulator: services answering, and what Alcor already holds."""

from __future__ import annotations

import httpx
import pytest

from wizard.alcor.services import SERVICES
from wizard.core.engine import RunContext
from wizard.core.events import EventBus
from wizard.core.state import StateStore
from wizard.lab.alcor import AlcorEmulator
from wizard.phases.preflight import check_inputs
from wizard.plan import Plan
from wizard.preflight import alcor
from wizard.preflight.alcor import PROBE_ID

PROJECT = "p1"


@pytest.fixture
def emulator():
    with AlcorEmulator() as running:
        yield running


@pytest.fixture
def ctx(tmp_path, emulator):
    """A run context on a real state store whose plan points at the emulator."""
    state = StateStore(tmp_path / "state")
    plan = Plan()
    plan.alcor.url = emulator.url_for("vpc")
    yield RunContext(plan=plan, state=state, bus=EventBus(), approve=lambda *_: True)
    state.close()


def post(emulator, path: str, body: dict) -> None:
    base = emulator.gateway_url or emulator.url_for("vpc")
    response = httpx.post(base + f"/project/{PROJECT}{path}", json=body, timeout=10)
    assert response.status_code == 201, response.text


def vpc(emulator, id: str) -> None:
    post(emulator, "/vpcs", {"network": {"id": id, "cidr": "10.0.0.0/16"}})


def codes(result) -> list[str]:
    return [finding.code for finding in result.findings]


def test_an_empty_alcor_whose_services_all_answer_is_ok(ctx, emulator):
    result = alcor(check_inputs(ctx))
    assert result.status == "ok" and result.findings == []
    assert result.detail == f"7 services answer at {emulator.url_for('vpc')}; Alcor holds nothing a conversion creates"


def test_the_default_group_alcor_makes_by_itself_does_not_count(ctx, emulator):
    answer = httpx.get(emulator.url_for("vpc") + f"/project/{PROJECT}/security-groups/default/{PROJECT}", timeout=10)
    assert answer.status_code == 200 and answer.json()["security_group"]["name"] == "default"
    assert alcor(check_inputs(ctx)).findings == []


def test_a_service_that_does_not_answer_is_a_blocker_naming_it_and_its_setting(ctx, emulator):
    ctx.plan.alcor.endpoints = {**emulator.endpoints, "node": "http://127.0.0.1:9"}
    result = alcor(check_inputs(ctx))
    assert codes(result) == ["alcor-service-down"]
    finding = result.findings[0]
    assert finding.neutron.id == "http://127.0.0.1:9" and "ConnectError" in finding.message
    assert finding.message.startswith("Alcor at http://127.0.0.1:9 does not answer for node: GET ")
    assert finding.remedy == ("start Alcor's node service(s) there, or correct alcor.url "
                              "(or alcor.endpoints.node)")


def test_one_finding_per_address_that_does_not_answer(ctx):
    ctx.plan.alcor.url = "http://127.0.0.1:9"
    result = alcor(check_inputs(ctx))
    assert codes(result) == ["alcor-service-down"]
    assert "does not answer for vpc, subnet, port, route, security_group, elastic_ip, node" in \
        result.findings[0].message


def test_alcor_holding_resources_no_run_here_sent_is_a_blocker(ctx, emulator):
    vpc(emulator, "net-a")
    post(emulator, "/subnets", {"subnet": {"id": "sub-a", "network_id": "net-a", "cidr": "10.0.1.0/24"}})
    result = alcor(check_inputs(ctx))
    assert codes(result) == ["alcor-not-empty"]
    message = result.findings[0].message
    assert message.startswith("Alcor already holds 1 VPC(s), 1 subnet(s) that") and "security" not in message
    assert f"no run in {ctx.state.dir} sent (e.g. vpc net-a, subnet sub-a)" in message


def test_an_earlier_run_of_this_state_directory_is_resumed(ctx, emulator):
    vpc(emulator, "net-a")
    for key in ("segment:table", "vpc:net-a", "vpc:net-b"):
        ctx.state.mark_sent(key)
    ctx.state.mark_applied("segment:table")
    ctx.state.mark_applied("vpc:net-a")
    result = alcor(check_inputs(ctx))
    assert result.status == "ok" and codes(result) == ["alcor-earlier-run"]
    assert "sent 3 requests (2 applied, 1 in doubt); Alcor holds 1 VPC(s)" in result.findings[0].message
    assert result.findings[0].remedy.startswith("nothing to do: convert resumes")


def test_a_state_directory_whose_networks_alcor_lacks_points_at_another_alcor(ctx, emulator):
    vpc(emulator, "net-other")
    ctx.state.mark_sent("vpc:net-a")
    ctx.state.mark_applied("vpc:net-a")
    result = alcor(check_inputs(ctx))
    assert codes(result) == ["alcor-lost-earlier-run"]
    assert "sent 1 VPC and subnet creates, and Alcor holds none of them" in result.findings[0].message


def test_a_plan_without_alcor_warns_that_convert_cannot_run(ctx):
    ctx.plan.alcor.url = None
    result = alcor(check_inputs(ctx))
    assert result.status == "warning" and codes(result) == ["alcor-not-configured"]


def test_a_run_that_stops_before_convert_is_only_warned(ctx, emulator):
    """A dry-run preview needs no Alcor yet: what would block convert is a warning."""
    vpc(emulator, "net-a")
    ctx.plan.alcor.endpoints = {"node": "http://127.0.0.1:9"}
    ctx.until = "preview"
    found = alcor(check_inputs(ctx)).findings
    assert [(f.severity.value, f.code) for f in found] == [("warning", "alcor-service-down")]
    ctx.plan.alcor.endpoints = {}
    assert [(f.severity.value, f.code) for f in alcor(check_inputs(ctx)).findings] == [("warning", "alcor-not-empty")]
    ctx.until = "convert"
    assert [(f.severity.value, f.code) for f in alcor(check_inputs(ctx)).findings] == [("blocker", "alcor-not-empty")]


def test_behind_one_address_only_the_service_that_fails_is_named(ctx, emulator):
    """Alcor's gateway answers for every service: one manager down is one service's 500s."""
    emulator.faults.script("500", method="GET", path_prefix=f"/project/{PROBE_ID}/vpcs", count=5)
    result = alcor(check_inputs(ctx))
    assert codes(result) == ["alcor-service-down"]
    message = result.findings[0].message
    assert message.startswith(f"Alcor at {emulator.url_for('vpc')} does not answer for vpc: GET /project/")
    assert "500" in message


@pytest.fixture
def behind_gateway():
    """The emulator one port per service, behind the lab's API gateway (routes as Alcor's)."""
    with AlcorEmulator(gateway=True, service_ports=dict.fromkeys(SERVICES, 0)) as running:
        yield running


def test_a_plan_sending_everything_to_the_gateway_names_node_and_segments_with_the_remedy(ctx, behind_gateway):
    gateway = behind_gateway.gateway_url
    ctx.plan.alcor.url = gateway
    result = alcor(check_inputs(ctx))
    assert result.status == "failed" and codes(result) == ["alcor-no-route", "alcor-no-route"]
    segments, node = result.findings
    assert {segments.neutron.id, node.neutron.id} == {gateway}
    assert segments.message == (f"Alcor at {gateway} has no route for the VPC manager's segments: "
                                f"GET /project/{PROBE_ID}/segments: HTTP 404: No matching handler")
    assert segments.remedy == ("Alcor's API gateway has no route for the VPC manager's segments: "
                               "set alcor.endpoints.vpc to the VPC manager's URL (default port 9001)")
    assert node.message == (f"Alcor at {gateway} has no route for the node manager: "
                            "GET /nodes: HTTP 404: No matching handler")
    assert node.remedy == ("Alcor's API gateway has no route for the node manager: "
                           "set alcor.endpoints.node to the node manager's URL (default port 9007)")


def test_a_plan_with_the_node_and_vpc_managers_beside_the_gateway_passes(ctx, behind_gateway):
    ctx.plan.alcor.url = behind_gateway.gateway_url
    ctx.plan.alcor.endpoints = {service: behind_gateway.url_for(service) for service in ("node", "vpc")}
    result = alcor(check_inputs(ctx))
    assert result.status == "ok" and result.findings == []
    assert result.detail.startswith("7 services answer at ") and behind_gateway.gateway_url in result.detail
    post(behind_gateway, "/vpcs", {"network": {"id": "net-a", "cidr": "10.0.0.0/16"}})
    assert "holds 1 VPC(s) that" in alcor(check_inputs(ctx)).findings[0].message  # what Alcor holds is still seen


def test_a_url_serving_another_service_is_named_with_its_setting(ctx, behind_gateway):
    ctx.plan.alcor.endpoints = {**behind_gateway.endpoints, "subnet": behind_gateway.url_for("node")}
    result = alcor(check_inputs(ctx))
    assert codes(result) == ["alcor-no-route"]
    assert result.findings[0].message.startswith(
        f"Alcor at {behind_gateway.url_for('node')} has no route for the subnet manager: GET /project/")
    assert result.findings[0].remedy == ("set alcor.endpoints.subnet to the subnet manager's URL (default port 9002), "
                                         "or alcor.url to Alcor's API gateway")
