"""The lab API gateway over HTTP: it routes what Alcor's gateway routes, 404s the rest, lists VPCs as `networks`."""

from __future__ import annotations

import httpx
import pytest

from tests.alcor.conftest import PROJECT, World, assert_alcor_error
from wizard.alcor.client import AlcorClient
from wizard.alcor.paths import NODE, SEGMENT_TABLE_PATH
from wizard.alcor.services import SERVICES
from wizard.lab.alcor import AlcorEmulator


@pytest.fixture
def emulator():
    with AlcorEmulator(seed=7, gateway=True, service_ports=dict.fromkeys(SERVICES, 0)) as emulator:
        yield emulator


@pytest.fixture
def gateway(emulator, tls):
    with httpx.Client(base_url=emulator.gateway_url, timeout=5, verify=tls) as client:
        yield client


def service(emulator, name: str, tls) -> httpx.Client:
    return httpx.Client(base_url=emulator.url_for(name), timeout=5, verify=tls)


def test_every_routed_service_is_reached_through_the_gateway(gateway):
    """Each create reaches its own service's port: another service's port has no handler for it."""
    world = World(gateway)
    world.vpc("net-1", cidr="10.0.0.0/16")
    world.subnet("sub-1", "net-1", "10.0.1.0/24")
    group = world.post("/security-groups", {"security_group": {"id": "sg-1", "name": "web"}})["security_group"]
    world.post("/security-group-rules", {"security_group_rule": {
        "id": "rule-1", "security_group_id": group["id"], "direction": "ingress", "ether_type": "IPv4"}})
    world.port("port-1", "net-1", security_groups=["sg-1"])
    world.post("/ports/bulk", {"ports": [{"id": "port-2", "network_id": "net-1", "security_groups": ["sg-1"]}]})
    world.post("/routers", {"router": {"id": "r-1", "name": "r"}}, status=200)
    added = gateway.put(f"/project/{PROJECT}/routers/r-1/add_router_interface", json={"subnet_id": "sub-1"})
    assert added.status_code == 200, added.text
    ranges = gateway.post("/elasticip-ranges", json={"elasticip-range": {
        "id": "range-1", "ip_version": 4, "allocation_ranges": [{"start": "203.0.113.10", "end": "203.0.113.20"}]}})
    assert ranges.status_code == 201, ranges.text
    for path, key in [("/subnets/sub-1", "subnet"), ("/ports/port-2", "port"), ("/routers/r-1", "router"),
                      ("/security-groups/sg-1", "security_group")]:
        answer = gateway.get(f"/project/{PROJECT}{path}")
        assert answer.status_code == 200 and answer.json()[key]["id"] == path.rsplit("/", 1)[1]


def test_a_vpc_list_comes_back_as_networks(gateway, emulator, tls):
    World(gateway).vpc("net-1", cidr="10.0.0.0/16")
    listed = gateway.get(f"/project/{PROJECT}/vpcs")
    assert listed.status_code == 200 and list(listed.json()) == ["networks"]
    assert [n["id"] for n in listed.json()["networks"]] == ["net-1"]
    assert gateway.get(f"/project/{PROJECT}/vpcs/net-1").json()["network"]["id"] == "net-1"  # one VPC: unchanged
    with service(emulator, "vpc", tls) as vpc_manager:
        assert list(vpc_manager.get(f"/project/{PROJECT}/vpcs").json()) == ["vpcs"]


@pytest.mark.parametrize("path, body", [
    (NODE.bulk_path(), {"host_infos": []}),
    (SEGMENT_TABLE_PATH, None),
    (f"/project/{PROJECT}/segments", {"segment": {"id": "seg-1"}}),
])
def test_nodes_and_segments_have_no_route(gateway, emulator, tls, path, body):
    answer = gateway.post(path, json=body)
    assert_alcor_error(answer, 404, "No matching handler")
    assert answer.json()["error"] == "Not Found" and answer.json()["path"] == path
    stats = service(emulator, "vpc", tls).get("/_emulator/stats").json()
    assert stats["requests"] == {}  # nothing reached a service


def test_the_services_the_gateway_does_not_route_answer_on_their_own_ports(emulator, tls):
    with service(emulator, "node", tls) as node_manager, service(emulator, "vpc", tls) as vpc_manager:
        assert node_manager.post(NODE.bulk_path(), json={"host_infos": []}).status_code == 200
        assert vpc_manager.post(SEGMENT_TABLE_PATH).status_code == 200


def test_a_services_own_errors_pass_through_unchanged(gateway):
    answer = gateway.get(f"/project/{PROJECT}/ports/no-such-port")
    assert_alcor_error(answer, 404, "Port not found")


def test_a_routed_service_that_does_not_answer_is_the_gateways_500(gateway):
    """The emulator has no quota manager: Alcor's gateway answers so when one is down."""
    answer = gateway.get(f"/project/{PROJECT}/quotas")
    assert_alcor_error(answer, 500, None)
    assert answer.json()["message"].startswith("Connection refused")


def test_the_client_reads_vpc_lists_through_the_gateway(emulator, gateway):
    World(gateway).vpc("net-1", cidr="10.0.0.0/16")
    client = AlcorClient(dict.fromkeys(SERVICES, emulator.gateway_url), retries=0)
    try:
        assert [v["id"] for v in client.list("vpc", PROJECT)] == ["net-1"]
    finally:
        client.close()
