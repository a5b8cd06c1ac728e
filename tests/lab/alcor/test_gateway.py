"""The lab API gateway over HTTP: it routes what Alcor's gateway routes, 404s the rest, lists VPCs as `networks`;
with Keystone's filter on, tokens are checked with a real Keystone and `/v2.0` paths reach the token's project."""

from __future__ import annotations

import httpx
import pytest

from tests.lab.alcor.conftest import PROJECT, World, assert_alcor_error
from wizard.alcor.client import AlcorClient
from wizard.alcor.paths import NODE, SEGMENT_TABLE_PATH
from wizard.alcor.services import SERVICES
from wizard.lab.alcor import AlcorEmulator
from wizard.lab.alcor.gateway import KeystoneAuth


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


def test_v2_extensions_is_answered_by_the_gateway_itself(gateway, emulator, tls):
    """CommonRouteConfiguration: `{"extensions":{}}` (an object, not Neutron's list), as text/plain."""
    answer = gateway.get("/v2.0/extensions")
    assert answer.status_code == 200 and answer.json() == {"extensions": {}}
    assert answer.headers["content-type"].startswith("text/plain")
    assert service(emulator, "vpc", tls).get("/_emulator/stats").json()["requests"] == {}


# --- Keystone's filter (keystone.enable=true) against the real Keystone harness --------------------

GATEWAY_USER = ("alcor-gw", "gw-secret")
KEYSTONE_USER = ("gw-demo", "gw-demo-secret")


@pytest.fixture(scope="module")
def keystone_project(keystone):
    """The gateway's own user (project service) and a member user of project gw-demo: (token, project id)."""
    keystone.add_user(*GATEWAY_USER, project="service", roles=("admin", "service"))
    project_id = keystone.add_user(*KEYSTONE_USER, project="gw-demo", roles=("member",))
    return keystone.token(*KEYSTONE_USER, "gw-demo"), project_id


@pytest.fixture
def keystone_gateway(keystone, keystone_project, tls):
    auth = KeystoneAuth(keystone.url, *GATEWAY_USER)
    with (AlcorEmulator(seed=7, gateway=True, keystone=auth, service_ports=dict.fromkeys(SERVICES, 0)) as emulator,
          httpx.Client(base_url=emulator.gateway_url, timeout=30, verify=tls) as client):
        yield emulator, client


def test_keystone_filter_is_off_by_default(gateway):
    """keystone.enable=false: no token needed, paths unchanged."""
    World(gateway).vpc("net-1", cidr="10.0.0.0/16")
    assert gateway.get(f"/project/{PROJECT}/vpcs").status_code == 200


def test_keystone_filter_refuses_a_request_without_a_token_or_with_a_bad_one(keystone_gateway, tls):
    emulator, gateway = keystone_gateway
    for headers in ({}, {"X-Auth-Token": "not-a-token"}):
        answer = gateway.get("/v2.0/networks", headers=headers)
        assert answer.status_code == 401 and answer.content == b""
    assert gateway.get("/v2.0/extensions").status_code == 401  # the filter runs before the route's own answer
    assert service(emulator, "vpc", tls).get("/_emulator/stats").json()["requests"] == {}


def test_keystone_filter_does_not_run_where_no_route_matches(keystone_gateway):
    """Spring Cloud Gateway runs global filters on routed requests only: `/` is 404 without a token."""
    _, gateway = keystone_gateway
    assert_alcor_error(gateway.get("/"), 404, "No matching handler")


def test_keystone_filter_maps_neutron_paths_to_the_tokens_project(keystone_gateway, keystone_project, tls):
    """/v2.0 -> /project/{token's project}, networks -> vpcs: a Neutron client creates and lists networks."""
    emulator, gateway = keystone_gateway
    token, project_id = keystone_project
    headers = {"X-Auth-Token": token}
    created = gateway.post("/v2.0/networks", headers=headers, json={"network": {
        "id": "net-k", "name": "k", "cidr": "10.9.0.0/16"}})
    assert created.status_code == 201, created.text
    assert created.json()["network"]["project_id"] == project_id
    listed = gateway.get("/v2.0/networks", headers=headers)
    assert listed.status_code == 200 and [n["id"] for n in listed.json()["networks"]] == ["net-k"]
    assert gateway.get("/v2.0/networks/net-k", headers=headers).json()["network"]["id"] == "net-k"
    assert gateway.get("/v2.0/extensions", headers=headers).json() == {"extensions": {}}
    with service(emulator, "vpc", tls) as vpc_manager:
        assert [v["id"] for v in vpc_manager.get(f"/project/{project_id}/vpcs").json()["vpcs"]] == ["net-k"]


def test_keystone_auth_never_shows_the_password():
    assert "gw-secret" not in repr(KeystoneAuth("http://127.0.0.1:1/v3", *GATEWAY_USER))
