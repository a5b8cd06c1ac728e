"""The emulated port manager, and goal-state delivery to the lab ACA, over real HTTP."""

from __future__ import annotations

import pytest

from tests.lab.alcor.conftest import PROJECT, assert_alcor_error


@pytest.fixture
def net(world):
    world.vpc("net-1")
    world.subnet("sub-1", cidr="10.0.1.0/24")
    world.vpc("net-2")
    world.subnet("sub-2", network_id="net-2", cidr="10.0.2.0/24")


def post_port(http, port: dict, bulk: bool = False):
    if bulk:
        return http.post(f"/project/{PROJECT}/ports/bulk", json={"ports": [port]})
    return http.post(f"/project/{PROJECT}/ports", json={"port": port})


def test_single_create_needs_network_id_but_bulk_does_not_check(http, net):
    assert_alcor_error(post_port(http, {"id": "p"}), 412, "Network id is required")
    assert_alcor_error(post_port(http, {"id": "p"}, bulk=True), 500, "Vpc entity not found")


@pytest.mark.parametrize("field, value, message", [
    ("binding:vif_type", "unbound", "Vif type invalid"),
    ("binding:vif_type", "bridge", "Vif type invalid"),
    ("binding:vnic_type", "direct-physical", "Vnic type invalid"),
    ("mac_address", "fa:16:3e:00:00", "Mac address invalid"),
    ("fixed_ips", [{"subnet_id": ""}], "Fixed ips invalid"),
    ("fixed_ips", [{"ip_address": "10.0.1.999"}], "Fixed ips invalid"),
    ("ip_allocation", "later", "Ip allocation invalid"),
])
def test_neutron_values_alcor_rejects_with_412(http, net, field, value, message):
    assert_alcor_error(post_port(http, {"id": "p", "network_id": "net-1", field: value}), 412, message)


def test_single_create_defaults_vif_type_to_ovs_and_bulk_does_not(http, net):
    single = post_port(http, {"id": "p1", "network_id": "net-1"}).json()["port"]
    bulk = post_port(http, {"id": "p2", "network_id": "net-1"}, bulk=True)
    assert bulk.status_code == 201
    assert single["binding:vif_type"] == "ovs" and "binding:vif_type" not in bulk.json()["ports"][0]


def test_addresses_are_reserved_as_given_or_allocated(world, net):
    port = world.port("p1", mac_address="fa:16:3e:00:00:01",
                      fixed_ips=[{"subnet_id": "sub-1", "ip_address": "10.0.1.7"}])
    assert port["mac_address"] == "fa:16:3e:00:00:01"
    assert port["fixed_ips"] == [{"subnet_id": "sub-1", "ip_address": "10.0.1.7"}]
    other = world.port("p2", fixed_ips=[{"ip_address": "10.0.1.9"}])
    assert other["fixed_ips"] == [{"subnet_id": "sub-1", "ip_address": "10.0.1.9"}]
    auto = world.port("p3")
    assert auto["mac_address"].startswith("aa:bb:cc:") and auto["fixed_ips"][0]["subnet_id"] == "sub-1"


def test_mac_addresses_are_unique_across_networks(world, http, net):
    world.port("p1", mac_address="fa:16:3e:00:00:01")
    response = post_port(http, {"id": "p2", "network_id": "net-2", "mac_address": "FA-16-3E-00-00-01"})
    assert_alcor_error(response, 500, "Allocate mac address error")


def test_ip_conflicts_and_foreign_ips_are_500s(world, http, net):
    world.port("p1", fixed_ips=[{"subnet_id": "sub-1", "ip_address": "10.0.1.7"}])
    for fixed in ({"subnet_id": "sub-1", "ip_address": "10.0.1.7"}, {"subnet_id": "sub-1", "ip_address": "10.0.2.7"},
                  {"subnet_id": "sub-1", "ip_address": "10.0.1.1"}):  # taken, outside, the gateway's
        response = post_port(http, {"id": "p2", "network_id": "net-1", "fixed_ips": [fixed]})
        assert_alcor_error(response, 500, "Allocate ip address error")


def test_repeated_create_with_addresses_fails_and_without_overwrites(world, http, emulator, net):
    world.port("p1", mac_address="fa:16:3e:00:00:01", fixed_ips=[{"subnet_id": "sub-1", "ip_address": "10.0.1.7"}])
    again = post_port(http, {"id": "p1", "network_id": "net-1", "mac_address": "fa:16:3e:00:00:01",
                             "fixed_ips": [{"subnet_id": "sub-1", "ip_address": "10.0.1.7"}]})
    assert_alcor_error(again, 500, None)
    first = world.port("p2")
    second = world.port("p2")
    assert second["mac_address"] != first["mac_address"]  # silently re-created with new addresses
    assert emulator.ledger.duplicates() == {"port": {"p2": 2}}


def test_bulk_create_is_all_or_nothing(http, emulator, net):
    ports = [{"id": "a", "network_id": "net-1", "mac_address": "fa:16:3e:00:00:0a"},
             {"id": "b", "network_id": "net-1", "mac_address": "fa:16:3e:00:00:0a"}]
    response = http.post(f"/project/{PROJECT}/ports/bulk", json={"ports": ports})
    assert_alcor_error(response, 500, "Allocate mac address error")
    assert "a" not in emulator.model.store["port"]
    ports[1]["mac_address"] = "fa:16:3e:00:00:0b"
    response = http.post(f"/project/{PROJECT}/ports/bulk", json={"ports": ports})
    assert response.status_code == 201 and [p["id"] for p in response.json()["ports"]] == ["a", "b"]


def default_group_id(http) -> str:
    return http.get(f"/project/{PROJECT}/security-groups/default/{PROJECT}").json()["security_group"]["id"]


def web_group(world) -> str:
    return world.post("/security-groups", {"security_group": {"id": "web", "name": "web"}})["security_group"]["id"]


def test_only_a_port_sent_without_groups_gets_the_tenant_default(world, http, net):
    asked = world.port("p1")
    assert asked["security_groups"] == [default_group_id(http)]
    assert world.port("p2", security_groups=[])["security_groups"] == []  # a single create fetches nothing
    response = post_port(http, {"id": "p3", "network_id": "net-1", "security_groups": ["absent"]})
    assert_alcor_error(response, 500, "Security group entity not found")


def test_in_a_bulk_an_empty_list_takes_a_default_group_fetched_for_the_request(world, http, net):
    web_group(world)
    ports = [{"id": "a", "network_id": "net-1", "security_groups": []}, {"id": "b", "network_id": "net-1"}]
    created = world.post("/ports/bulk", {"ports": ports})["ports"]
    assert [p["security_groups"] for p in created] == [[default_group_id(http)]] * 2
    ports = [{"id": "c", "network_id": "net-1", "security_groups": []},
             {"id": "d", "network_id": "net-1", "security_groups": [default_group_id(http), "web"]}]
    created = world.post("/ports/bulk", {"ports": ports})["ports"]
    assert created[0]["security_groups"] == [default_group_id(http)]


def test_in_a_bulk_an_empty_list_without_a_default_fetched_fails_the_whole_request(world, http, emulator, net):
    web_group(world)
    ports = [{"id": "a", "network_id": "net-1", "mac_address": "fa:16:3e:00:00:0a", "security_groups": []},
             {"id": "b", "network_id": "net-1", "security_groups": ["web"]}]
    response = http.post(f"/project/{PROJECT}/ports/bulk", json={"ports": ports})
    assert_alcor_error(response, 500, "Get SecurityGroupEntity exception")
    assert not {"a", "b"} & set(emulator.model.store["port"])
    only_empty = world.post("/ports/bulk", {"ports": ports[:1]})["ports"]  # no group named: nothing fetched
    assert only_empty[0]["security_groups"] == [] and only_empty[0]["mac_address"] == "fa:16:3e:00:00:0a"


def test_an_update_gives_a_port_without_groups_the_default_and_port_security(world, http, net):
    world.port("p1", security_groups=[], port_security_enabled=False)
    port = http.put(f"/project/{PROJECT}/ports/p1", json={"port": {"name": "b"}}).json()["port"]
    assert port["security_groups"] == [default_group_id(http)] and port["port_security_enabled"] is True
    body = {"port": {"security_groups": ["web"], "port_security_enabled": False}}
    web_group(world)
    assert http.put(f"/project/{PROJECT}/ports/p1", json=body).json()["port"]["port_security_enabled"] is False
    kept = http.put(f"/project/{PROJECT}/ports/p1", json={"port": {"port_security_enabled": None}}).json()["port"]
    assert kept["port_security_enabled"] is False and kept["security_groups"] == ["web"]
    emptied = http.put(f"/project/{PROJECT}/ports/p1", json={"port": {"security_groups": []}}).json()["port"]
    assert emptied["security_groups"] == [default_group_id(http)]


def test_missing_port_is_a_404_and_list_filters(world, http, net):
    assert_alcor_error(http.get(f"/project/{PROJECT}/ports/absent"), 404, "Port not found")
    assert_alcor_error(http.delete(f"/project/{PROJECT}/ports/absent"), 404, "Port not found")
    world.port("p1", device_id="vm-1")
    found = http.get(f"/project/{PROJECT}/ports", params={"device_id": "vm-1"}).json()["ports"]
    assert [p["id"] for p in found] == ["p1"]


def test_update_keeps_null_fields_and_reallocates_changed_ips(world, http, emulator, net):
    world.port("p1", name="a", fixed_ips=[{"subnet_id": "sub-1", "ip_address": "10.0.1.7"}])
    body = {"port": {"name": None, "fixed_ips": [{"subnet_id": "sub-1", "ip_address": "10.0.1.8"}]}}
    port = http.put(f"/project/{PROJECT}/ports/p1", json=body).json()["port"]
    assert port["name"] == "a" and port["fixed_ips"][0]["ip_address"] == "10.0.1.8"
    assert "10.0.1.7" not in emulator.model.ips["sub-1"]
    assert_alcor_error(http.put(f"/project/{PROJECT}/ports/x", json={"port": {}}), 404, "Port not found")


def test_binding_a_host_without_exactly_one_node_fails(world, http, aca, net):
    world.port("p1")
    response = http.put(f"/project/{PROJECT}/ports/p1", json={"port": {"binding:host_id": "nowhere"}})
    assert_alcor_error(response, 500, "Get node information exception")
    assert http.get(f"/project/{PROJECT}/ports/p1").json()["port"].get("binding:host_id") is None
    world.node(aca, "node-1")
    world.node(aca, "node-2")  # a second node of the same name: getNodeInfo finds no single one
    response = http.put(f"/project/{PROJECT}/ports/p1", json={"port": {"binding:host_id": "host-1"}})
    assert_alcor_error(response, 500, "Get node information exception")


def test_an_empty_host_is_looked_up_and_a_null_one_keeps_the_host(world, http, emulator, aca, net):
    world.node(aca)
    world.port("p1", **{"binding:host_id": "host-1"})
    response = http.put(f"/project/{PROJECT}/ports/p1", json={"port": {"binding:host_id": ""}})
    assert_alcor_error(response, 500, "Get node information exception")
    kept = http.put(f"/project/{PROJECT}/ports/p1", json={"port": {"binding:host_id": None, "name": "b"}})
    assert kept.json()["port"]["binding:host_id"] == "host-1" and aca.ports["p1"]["name"] == "b"
    assert [e["op"] for e in emulator.deliveries.entries()] == ["create", "update"]


def test_gaining_a_host_by_update_sends_an_update_to_the_nodes_aca(world, http, emulator, aca, net):
    world.node(aca)
    world.port("p1")
    assert aca.ports == {}  # a port without a host is not pushed
    http.put(f"/project/{PROJECT}/ports/p1", json={"port": {"binding:host_id": "host-1"}})
    vpc = http.get(f"/project/{PROJECT}/vpcs/net-1").json()["network"]
    state = aca.ports["p1"]
    assert state["vni"] == vpc["provider:segmentation_id"] and state["network_type"] == "vxlan"
    assert state["network_id"] == "net-1" and state["mac"] and state["fixed_ips"] and state["security_groups"]
    assert [e["op"] for e in emulator.deliveries.entries()] == ["update"]


def test_create_update_and_delete_are_delivered_to_the_host(world, http, emulator, aca, net):
    world.node(aca)
    world.port("p1", **{"binding:host_id": "host-1", "name": "a"})
    assert aca.ports["p1"]["name"] == "a"
    http.put(f"/project/{PROJECT}/ports/p1", json={"port": {"name": "b"}})
    assert aca.ports["p1"]["name"] == "b"
    assert http.delete(f"/project/{PROJECT}/ports/p1").status_code == 200
    assert aca.ports == {}
    assert [e["op"] for e in emulator.deliveries.entries()] == ["create", "update", "delete"]


def test_moving_a_port_leaves_it_on_the_old_node(world, http, emulator, aca, net):
    from wizard.lab.aca import LabAca

    with LabAca("host-2") as other:
        world.node(aca, "node-1")
        world.node(other, "node-2")
        world.port("p1", **{"binding:host_id": "host-1"})
        http.put(f"/project/{PROJECT}/ports/p1", json={"port": {"binding:host_id": "host-2"}})
        assert "p1" in aca.ports and "p1" in other.ports
        assert [(e["op"], e["node"]) for e in emulator.deliveries.entries()] == [
            ("create", "host-1"), ("update", "host-2")]


def test_a_bound_port_whose_node_is_gone_cannot_be_deleted(world, http, aca, net):
    world.node(aca)
    world.port("p1", **{"binding:host_id": "host-1"})
    http.delete("/nodes/node-1")
    assert_alcor_error(http.delete(f"/project/{PROJECT}/ports/p1"), 500, "Get node information exception")
    assert http.get(f"/project/{PROJECT}/ports/p1").status_code == 200


def test_bulk_create_sends_one_message_per_node(world, http, emulator, aca, net):
    world.node(aca)
    ports = [{"id": f"p{i}", "network_id": "net-1", "binding:host_id": "host-1"} for i in range(3)]
    http.post(f"/project/{PROJECT}/ports/bulk", json={"ports": ports})
    assert set(aca.ports) == {"p0", "p1", "p2"}
    assert [len(e["ports"]) for e in emulator.deliveries.entries()] == [3]


def test_a_failed_delivery_is_logged_and_does_not_fail_the_update(world, http, emulator, aca, net):
    world.node(aca)
    world.port("p1")
    aca.stop()
    response = http.put(f"/project/{PROJECT}/ports/p1", json={"port": {"binding:host_id": "host-1"}})
    assert response.status_code == 200
    [failure] = emulator.deliveries.failures()
    assert failure["ports"] == ["p1"] and failure["node"] == "host-1" and "Connect" in failure["outcome"]


def test_aca_refusal_is_logged(world, http, emulator, aca, net):
    world.node(aca)
    emulator.model.store["vpc"]["net-1"]["provider:segmentation_id"] = 0  # a VNI ACA cannot take
    world.port("p1", **{"binding:host_id": "host-1"})
    [failure] = emulator.deliveries.failures()
    assert failure["outcome"].startswith("400") and "invalid tunnel id" in failure["outcome"]
