"""The emulated subnet manager, over real HTTP."""

from __future__ import annotations

import pytest

from tests.lab.alcor.conftest import PROJECT, assert_alcor_error
from wizard.alcor import errors


@pytest.fixture
def net(world):
    return world.vpc("net-1", cidr="10.0.0.0/16")


def test_create_makes_a_gateway_port_on_the_gateway_ip(world, http, net):
    subnet = world.subnet("sub-1", gateway_ip="10.0.1.254")
    port_id = subnet["gateway_port_detail"]["gateway_port_id"]
    assert subnet["gatewayPortId"] == port_id and subnet["gateway_ip"] == "10.0.1.254"
    port = http.get(f"/project/{PROJECT}/ports/{port_id}").json()["port"]
    assert port["device_owner"] == "network:router_interface"
    assert port["fixed_ips"] == [{"subnet_id": "sub-1", "ip_address": "10.0.1.254"}]
    assert port["mac_address"] == subnet["gateway_port_detail"]["gateway_macAddress"]


def test_null_gateway_still_gets_a_gateway_port_on_the_first_usable_ip(world, net):
    subnet = world.subnet("sub-1", gateway_ip=None, allocation_pools=[{"start": "10.0.1.100", "end": "10.0.1.200"}])
    assert subnet["gateway_ip"] == "10.0.1.1" and subnet["gatewayPortId"]
    assert subnet["allocation_pools"] == [{"start": "10.0.1.100", "end": "10.0.1.200"}]  # stored, not used
    assert subnet["ip_version"] == 4 and subnet["enable_dhcp"] is True


def test_repeated_create_fails_the_overlap_check_against_itself(world, http, emulator, net):
    world.subnet("sub-1")
    response = http.post(f"/project/{PROJECT}/subnets",
                         json={"subnet": {"id": "sub-1", "network_id": "net-1", "cidr": "10.0.1.0/24"}})
    assert_alcor_error(response, 500, "cidr overlap with other subnets in the same network")
    assert emulator.ledger.creates("subnet", "sub-1") == 1
    assert emulator.ledger.summary()["repeated_create_requests"] == 1


@pytest.mark.parametrize("fields, message", [
    ({"id": "sub-2", "cidr": "10.0.1.128/25"}, "cidr overlap with other subnets in the same network"),
    ({"id": "sub-2", "cidr": "192.168.0.0/24"}, "cidr is not within network cidr"),
    ({"id": "sub-2", "cidr": "10.0.2.0/24", "gateway_ip": "10.0.3.1"}, "GatewayIpUnsupported"),
    ({"id": "sub-2", "cidr": "fd00::/64"}, "Could not parse cidr"),
    ({"id": "sub-2", "cidr": "10.0.2.0/24", "network_id": "absent"}, "fallback request"),
    ({"id": "sub-2", "cidr": None}, "request resource is invalid"),
])
def test_cidr_gateway_and_vpc_errors_are_500s(world, http, net, fields, message):
    world.subnet("sub-1")
    body = {"network_id": "net-1", **fields}
    response = http.post(f"/project/{PROJECT}/subnets", json={"subnet": body})
    assert_alcor_error(response, 500, "GatewayIp is unsupported" if message == "GatewayIpUnsupported" else message)


def test_missing_subnet_reads_as_empty_wrapper_and_bulk_is_a_stub(http, net):
    assert http.get(f"/project/{PROJECT}/subnets/absent").json() == {"subnet": None}
    response = http.post(f"/project/{PROJECT}/subnets/bulk",
                         json={"subnet": {"id": "s", "network_id": "net-1", "cidr": "10.0.9.0/24"}})
    assert response.status_code == 201 and response.json() == {"subnets": None}
    assert http.get(f"/project/{PROJECT}/subnets").json() == {"subnets": []}


def test_delete_refuses_with_ports_or_a_router_and_frees_the_gateway_port(world, http, emulator, net):
    subnet = world.subnet("sub-1")
    world.port("port-1", fixed_ips=[{"subnet_id": "sub-1"}])
    assert_alcor_error(http.delete(f"/project/{PROJECT}/subnets/sub-1"), 409, "subnet has ports")
    http.delete(f"/project/{PROJECT}/ports/port-1")
    world.post("/routers", {"router": {"id": "r1"}}, status=200)
    http.put(f"/project/{PROJECT}/routers/r1/add_router_interface", json={"subnet_id": "sub-1"})
    assert_alcor_error(http.delete(f"/project/{PROJECT}/subnets/sub-1"), 409, None)
    http.put(f"/project/{PROJECT}/routers/r1/remove_router_interface", json={"subnet_id": "sub-1"})
    assert http.delete(f"/project/{PROJECT}/subnets/sub-1").json() == {"id": "sub-1"}
    assert subnet["gatewayPortId"] not in emulator.model.store["port"]
    world.subnet("sub-1")  # the CIDR and its gateway IP are free again


def test_a_prefix_outside_16_to_28_fails_the_gateway_check(http, net):
    body = {"id": "sub-9", "network_id": "net-1", "cidr": "10.0.1.0/29", "gateway_ip": "10.0.1.1"}
    response = http.post(f"/project/{PROJECT}/subnets", json={"subnet": body})
    assert_alcor_error(response, 500, "cidr is invalid : 10.0.1.0/29")
    assert errors.identify(500, response.json()) == "FallbackException"


@pytest.mark.parametrize("cidr", ["10.0.1.0/29", "10.0.1.0/30", "10.0.0.0/15"])
def test_without_a_gateway_the_prefix_fails_in_allocate_ip_range_wrapped(world, http, cidr):
    world.vpc("net-2")  # no VPC cidr: nothing else refuses a /15
    body = {"id": "sub-9", "network_id": "net-2", "cidr": cidr, "gateway_ip": None}
    response = http.post(f"/project/{PROJECT}/subnets", json={"subnet": body})
    assert_alcor_error(response, 500, "java.util.concurrent.CompletionException: java.util.concurrent."
                       "CompletionException: com.futurewei.alcor.common.exception.FallbackException: "
                       f"cidr is invalid : {cidr}")
    assert errors.identify(500, response.json()) == "FallbackException"
    assert http.get(f"/project/{PROJECT}/subnets/sub-9").json() == {"subnet": None}


def test_prefixes_16_and_28_are_taken(world, net):
    assert world.subnet("sub-1", cidr="10.0.0.0/16", network_id="net-1")["gateway_ip"] == "10.0.0.1"
    world.vpc("net-2")
    assert world.subnet("sub-2", network_id="net-2", cidr="10.9.0.16/28", gateway_ip="10.9.0.30")["cidr"] == \
        "10.9.0.16/28"


def test_the_gateway_port_asks_for_the_projects_default_group_which_makes_it(world, http, net):
    subnet = world.subnet("sub-1")
    port = http.get(f"/project/{PROJECT}/ports/{subnet['gatewayPortId']}").json()["port"]
    default = http.get(f"/project/{PROJECT}/security-groups/default/{PROJECT}").json()["security_group"]
    assert port["security_groups"] == [default["id"]] and port["tenant_id"] == PROJECT
    posted = http.post(f"/project/{PROJECT}/security-groups", json={"security_group": {"name": "default"}})
    assert_alcor_error(posted, 412, "")  # DefaultSecurityGroupExists: the subnet made it first
