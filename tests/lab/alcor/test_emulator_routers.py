"""The emulated route manager: routers, interfaces and extra routes, over real HTTP."""

from __future__ import annotations

import pytest

from tests.lab.alcor.conftest import PROJECT, assert_alcor_error

R = f"/project/{PROJECT}/routers"


@pytest.fixture
def topology(world):
    world.vpc("net-1")
    world.vpc("net-2")
    return {
        "sub-1": world.subnet("sub-1", network_id="net-1", cidr="10.0.1.0/24"),
        "sub-1b": world.subnet("sub-1b", network_id="net-1", cidr="10.0.5.0/24"),
        "sub-2": world.subnet("sub-2", network_id="net-2", cidr="10.0.2.0/24"),
        "router": world.post("/routers", {"router": {"id": "r1", "name": "edge"}}, status=200)["router"],
    }


def test_create_answers_200_and_a_missing_router_reads_as_empty_wrapper(http, topology):
    router = topology["router"]
    assert router["id"] == "r1" and router["admin_state_up"] is False and router["status"] == "ACTIVE"
    assert http.get(f"{R}/absent").json() == {"router": None}


def test_interface_is_the_subnets_own_gateway_port(http, topology):
    response = http.put(f"{R}/r1/add_router_interface", json={"subnet_id": "sub-1", "port_id": None})
    assert response.status_code == 200
    answer = response.json()
    assert answer["port_id"] == topology["sub-1"]["gatewayPortId"]
    assert answer["network_id"] == "net-1" and answer["subnet_ids"] == ["sub-1"]
    subnet = http.get(f"/project/{PROJECT}/subnets/sub-1").json()["subnet"]
    assert subnet["attached_router_id"] == "r1"
    port = http.get(f"/project/{PROJECT}/ports/{answer['port_id']}").json()["port"]
    assert port["device_id"] == "r1"
    assert http.get(f"{R}/r1").json()["router"]["gateway_ports"] == [answer["port_id"]]


def test_attaching_by_gateway_port_id_works_too(http, topology):
    gateway = topology["sub-1"]["gatewayPortId"]
    assert http.put(f"{R}/r1/add_router_interface", json={"port_id": gateway}).json()["subnet_id"] == "sub-1"


def test_a_router_takes_subnets_of_one_vpc_only(http, topology):
    http.put(f"{R}/r1/add_router_interface", json={"subnet_id": "sub-1"})
    assert http.put(f"{R}/r1/add_router_interface", json={"subnet_id": "sub-1b"}).status_code == 200
    response = http.put(f"{R}/r1/add_router_interface", json={"subnet_id": "sub-2"})
    assert_alcor_error(response, 409, "the router cannot attached interfaces from different VPC/Network")


def test_attaching_twice_is_a_409(http, topology):
    http.put(f"{R}/r1/add_router_interface", json={"subnet_id": "sub-1"})
    response = http.put(f"{R}/r1/add_router_interface", json={"subnet_id": "sub-1"})
    assert_alcor_error(response, 409, "the port is already in use by other router")


def test_interface_body_errors(http, topology):
    both = http.put(f"{R}/r1/add_router_interface", json={"subnet_id": "sub-1", "port_id": "x"})
    assert_alcor_error(both, 400, "request body specify both subnet ID and portID")
    missing = http.put(f"{R}/r1/add_router_interface", json={"subnet_id": "absent"})
    assert missing.status_code == 200 and set(missing.json().values()) == {None}
    assert_alcor_error(http.put(f"{R}/absent/add_router_interface", json={"subnet_id": "sub-1"}), 500, None)


def test_delete_refuses_while_interfaces_remain(http, topology):
    http.put(f"{R}/r1/add_router_interface", json={"subnet_id": "sub-1"})
    assert_alcor_error(http.delete(f"{R}/r1"), 409, None)
    assert http.put(f"{R}/r1/remove_router_interface", json={"subnet_id": "sub-1"}).status_code == 200
    assert http.get(f"/project/{PROJECT}/subnets/sub-1").json()["subnet"]["attached_router_id"] == ""
    assert http.delete(f"{R}/r1").json() == {"id": "r1"}
    assert http.delete(f"{R}/r1").json() == {"id": None}


def test_removing_a_never_attached_subnet_is_a_404(http, topology):
    assert_alcor_error(http.put(f"{R}/r1/remove_router_interface", json={"subnet_id": "sub-1"}), 404, None)


def routes(*pairs):
    return {"newRoutesWebRequest": {"routes": [{"destination": d, "nexthop": n} for d, n in pairs]}}


def test_extra_routes_use_alcors_body_and_refuse_a_known_destination(http, topology):
    answer = http.put(f"{R}/r1/add_extraroutes", json=routes(("10.9.0.0/16", "10.0.1.5")))
    assert answer.json() == {"router": {"id": "r1", "name": "edge",
                                        "routes": [{"destination": "10.9.0.0/16", "nexthop": "10.0.1.5"}]}}
    again = http.put(f"{R}/r1/add_extraroutes", json=routes(("10.9.0.0/16", "10.0.1.6")))
    assert_alcor_error(again, 409, "destinations are same")
    neutron_body = http.put(f"{R}/r1/add_extraroutes", json={"router": {"routes": []}})
    assert_alcor_error(neutron_body, 500, None)
    assert_alcor_error(http.put(f"{R}/r1/add_extraroutes", json=routes(("10.8.0.0/16", None))), 409, None)
    removed = http.put(f"{R}/r1/remove_extraroutes", json=routes(("10.9.0.0/16", "10.0.1.5")))
    assert removed.json()["router"]["routes"] == []


def test_an_interface_used_as_a_nexthop_cannot_be_removed(http, topology):
    http.put(f"{R}/r1/add_router_interface", json={"subnet_id": "sub-1"})
    http.put(f"{R}/r1/add_extraroutes", json=routes(("10.9.0.0/16", topology["sub-1"]["gateway_ip"])))
    response = http.put(f"{R}/r1/remove_router_interface", json={"subnet_id": "sub-1"})
    assert_alcor_error(response, 409, "the router interface for subnets that are used by one or more routes")


def test_repeated_create_overwrites_and_drops_interfaces_and_routes(world, http, emulator, topology):
    http.put(f"{R}/r1/add_router_interface", json={"subnet_id": "sub-1"})
    http.put(f"{R}/r1/add_extraroutes", json=routes(("10.9.0.0/16", "10.0.1.5")))
    world.post("/routers", {"router": {"id": "r1", "name": "edge"}}, status=200)
    router = http.get(f"{R}/r1").json()["router"]
    assert router["gateway_ports"] == [] and router["routetable"]["routes"] == []
    stuck = http.put(f"{R}/r1/add_router_interface", json={"subnet_id": "sub-1"})
    assert_alcor_error(stuck, 409, "the port is already in use by other router")
    assert emulator.ledger.duplicates() == {"router": {"r1": 2}}


def test_list_items_have_no_routetable_but_a_single_get_does(http, topology):
    http.put(f"{R}/r1/add_extraroutes", json=routes(("10.9.0.0/16", "10.0.1.5")))
    [listed] = http.get(R).json()["routers"]
    assert listed["id"] == "r1" and "routetable" in listed and listed["routetable"] is None
    assert http.get(f"{R}/r1").json()["router"]["routetable"]["routes"] == [
        {"destination": "10.9.0.0/16", "nexthop": "10.0.1.5"}]
