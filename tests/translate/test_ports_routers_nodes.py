"""Ports, routers, elastic IPs and nodes: Alcor's spellings, carriers and bindings."""

from __future__ import annotations

from tests.translate import shapes as s
from tests.translate.conftest import bodies
from wizard.alcor.request import NeutronRef
from wizard.plan import NodeOverride
from wizard.translate import floatingips
from wizard.translate.context import Options
from wizard.translate.nodes import node_id
from wizard.translate.translation import translate


def port_body(t, port):
    return next(b for b in bodies(t, "port") if b["id"] == port["id"])


def test_neutron_owned_ports_are_not_created_as_ports(cloud):
    t = cloud.translate()
    created = {b["id"] for b in bodies(t, "port")}
    for owned in (cloud.rif, cloud.gw_port, cloud.fip_port, cloud.dhcp):
        assert owned["id"] not in created
    refs = {(r.kind, ref.id) for r in t.requests for ref in r.neutron}
    assert ("router_interface", cloud.rif["id"]) in refs  # attached by subnet instead
    assert ("router", cloud.gw_port["id"]) in refs  # carried by external_gateway_info
    assert ("elastic_ip", cloud.fip_port["id"]) in refs  # carried by the elastic IP
    assert any(f.code == "dhcp-port-not-migrated" and f.neutron.id == cloud.dhcp["id"] for f in t.findings)


def test_routers_attach_by_subnet_id_and_extra_routes_use_alcors_wrapper(cloud):
    t = cloud.translate()
    (attach,) = [r for r in t.requests if r.kind == "router_interface"]
    assert attach.method == "PUT"
    assert attach.path == f"/project/proj-a/routers/{cloud.router['id']}/add_router_interface"
    assert attach.body == {"subnet_id": cloud.sub["id"]}
    (routes,) = [r for r in t.requests if r.kind == "extraroutes"]
    assert routes.path.endswith(f"/routers/{cloud.router['id']}/add_extraroutes")
    assert routes.body == {"newRoutesWebRequest": {"routes": [{"destination": "10.99.0.0/16", "nexthop": "10.20.0.7"}]}}
    assert attach.key in routes.depends_on
    (router,) = bodies(t, "router")
    assert "routes" not in router and router["external_gateway_info"]["network_id"] == cloud.ext["id"]


def test_port_fields_use_alcors_names_and_spellings(cloud):
    t = cloud.translate()
    vm, sriov = port_body(t, cloud.vm), port_body(t, cloud.sriov)
    assert sriov["binding:vnic_type"] == "directphysical"
    assert "binding:vif_type" not in sriov  # binding_failed is refused by Alcor
    assert vm["binding:vif_type"] == "ovs"
    assert vm["binding:profile"] == {}  # pci_slot is not an Alcor key
    assert vm["binding:vif_details"] == {"port_filter": True, "ovs_hybrid_plug": False}
    assert "dns_assignment" not in vm and "created_at" not in vm and "propagate_uplink_status" not in vm
    assert vm["create_at"] == cloud.vm["created_at"] and vm["update_at"] == cloud.vm["updated_at"]
    assert vm["uplink_status_propagation"] is False
    codes = {(f.code, f.neutron.id) for f in t.findings}
    assert ("binding-profile-keys-dropped", cloud.vm["id"]) in codes
    assert ("vif-details-keys-dropped", cloud.vm["id"]) in codes
    assert ("vif-type-not-sent", cloud.sriov["id"]) in codes


def test_unbound_vif_type_is_not_sent_and_not_reported():
    net, grp = s.network(), s.group()
    sub = s.subnet(net, "10.5.0.0/24")
    p = s.port(net, sub, "10.5.0.9", [grp["id"]], **{"dns_assignment": [{"hostname": "h", "ip_address": "10.5.0.9",
                                                             "fqdn": "h.example."}], "propagate_uplink_status": True})
    t = translate(s.snapshot(net, sub, p, grp))
    body = port_body(t, p)
    assert "binding:vif_type" not in body and "dns_assignment" not in body
    assert body["uplink_status_propagation"] is True
    assert not [f for f in t.findings if f.code == "vif-type-not-sent"]


def test_ports_are_created_without_a_host_which_is_kept_for_cutover(cloud):
    t = cloud.translate()
    assert all("binding:host_id" not in b for b in bodies(t, "port"))
    assert t.bindings == {cloud.vm["id"]: "compute-1"}


def test_elastic_ip_ranges_from_external_pools_and_eips_through_the_native_endpoint(cloud):
    t = cloud.translate()  # the pool less the router's gateway address, 198.51.100.40
    (rng,) = [r for r in t.requests if r.kind == "elastic_ip_range"]
    assert rng.path == "/elasticip-ranges"
    assert rng.body["elasticip-range"] == {
        "id": floatingips.RANGE_ID, "name": "alcor-migrate-external-ipv4",
        "description": "the allocation pools of Neutron's external IPv4 subnets (alcor-migrate)", "ip_version": 4,
        "allocation_ranges": [{"start": "198.51.100.2", "end": "198.51.100.39"},
                              {"start": "198.51.100.41", "end": "198.51.100.254"}]}
    assert rng.neutron == (NeutronRef("subnets", cloud.ext_sub["id"]),)
    (eip,) = [r for r in t.requests if r.kind == "elastic_ip"]
    body = eip.body["elasticip"]
    assert eip.path == "/project/proj-a/elasticips"
    assert (body["id"], body["elastic_ip"], body["port_id"], body["private_ip"], body["elastic_ip_version"]) == (
        cloud.fip["id"], "198.51.100.124", cloud.vm["id"], "10.20.0.10", 4)
    assert rng.key in eip.depends_on


def test_nodes_from_agents_with_plan_overrides():
    agents = [s.agent("compute-1", "192.0.2.11"), s.agent("compute-2", "192.0.2.12")]
    overrides = {"compute-2": NodeOverride(local_ip="198.18.0.12", mac_address="52:54:00:00:00:12", veth="eth1")}
    t = translate(s.snapshot(*agents), Options(nodes=overrides))
    nodes = {b["node_name"]: b for b in bodies(t, "node")}
    assert nodes["compute-1"]["local_ip"] == "192.0.2.11" and nodes["compute-1"]["mac_address"] is None
    assert (nodes["compute-2"]["local_ip"], nodes["compute-2"]["mac_address"], nodes["compute-2"]["veth"]) == (
        "198.18.0.12", "52:54:00:00:00:12", "eth1")
    assert nodes["compute-1"]["server_port"] == 50001
    assert nodes["compute-1"]["node_id"] == node_id("compute-1") == t.id_map[("hosts", "compute-1")]
    assert [f.neutron.id for f in t.findings if f.code == "node-mac-missing"] == ["compute-1"]


def test_a_bound_host_without_a_tunnel_ip_is_a_blocker_naming_it():
    net = s.network()
    sub = s.subnet(net, "10.6.0.0/24")
    p = s.port(net, sub, "10.6.0.5", **{"binding:host_id": "mystery-host"})
    dhcp_agent = s.agent("mystery-host", None, agent_type="DHCP agent")
    t = translate(s.snapshot(net, sub, p, dhcp_agent))
    (blocker,) = [f for f in t.findings if f.code == "node-unknown-host"]
    assert blocker.severity.value == "blocker" and blocker.neutron.id == "mystery-host"
    assert "mystery-host" in blocker.message
    assert not bodies(t, "node")
    fixed = translate(s.snapshot(net, sub, p, dhcp_agent), Options(nodes={"mystery-host": NodeOverride(
        local_ip="192.0.2.99", mac_address="52:54:00:00:00:99")}))
    assert not [f for f in fixed.findings if f.code == "node-unknown-host"]
    assert bodies(fixed, "node")[0]["local_ip"] == "192.0.2.99"


def test_single_resource_functions_match_the_whole_translation(cloud):
    """Replay translates one write with the same code: a port alone gets the body it gets in bulk."""
    from wizard.translate import routers, single
    from wizard.translate.context import Context, Index

    t = cloud.translate()
    ctx = Context(Index(cloud.snapshot))
    ctx.id_map.update(t.id_map)  # what convert learned
    (alone,) = single.create("ports", cloud.vm, ctx)
    assert alone.path == "/project/proj-a/ports" and alone.body["port"] == port_body(t, cloud.vm)
    remove = routers.interface(cloud.router, cloud.sub["id"], ctx, add=False)
    assert remove.path.endswith("/remove_router_interface") and remove.body == {"subnet_id": cloud.sub["id"]}
    (update,) = single.update("routers", cloud.router, ctx)
    assert update.method == "PUT" and update.path == f"/project/proj-a/routers/{cloud.router['id']}"
    assert update.body["router"] == next(b for b in bodies(t, "router"))
    (gone,) = single.delete("security_groups", cloud.default, ctx)
    assert gone.deferred
    assert gone.path == f"/project/proj-a/security-groups/{{alcor-id:security_groups:{cloud.default['id']}}}"
    egress = cloud.web_rules[0]  # mapped onto a rule Alcor made: deleted under that rule's id
    changed = single.update("security_group_rules", {**egress, "description": "changed"}, ctx)
    assert [r.method for r in changed] == ["DELETE", "POST"]
    assert changed[0].path.endswith(f"{{alcor-id:alcor_rules:{cloud.web['id']}:egress:IPv4}}")


def test_vif_details_keys_alcor_drops_are_one_finding_per_key_set_naming_the_first_port():
    """Nearly every OVS port carries the same binding:vif_details keys Alcor does not keep: one finding per
    key set (the first port by id, and how many), not one per port; a replayed port alone gets its own."""
    from wizard.translate import single
    from wizard.translate.context import Context, Index

    net, grp = s.network(), s.group()
    sub = s.subnet(net, "10.6.0.0/24")
    ovs = {"port_filter": True, "bridge_name": "br-int", "datapath_type": "system"}
    three = [s.port(net, sub, f"10.6.0.{n}", [grp["id"]], **{"binding:vif_details": dict(ovs)}) for n in (5, 6, 7)]
    other = s.port(net, sub, "10.6.0.8", [grp["id"]], **{"binding:vif_details": {"vhostuser_socket": "/x"}})
    snapshot = s.snapshot(net, sub, *three, other, grp)
    found = [(f.neutron.id, f.message) for f in translate(snapshot).findings if f.code == "vif-details-keys-dropped"]
    first = min(p["id"] for p in three)
    assert sorted(found) == sorted([
        (first, "binding:vif_details keys not kept: bridge_name, datapath_type (3 ports)"),
        (other["id"], "binding:vif_details keys not kept: vhostuser_socket")])
    ctx = Context(Index(snapshot))
    for write in (single.create, single.update):
        write("ports", three[2], ctx)
    assert [(f.neutron.id, f.message) for f in ctx.findings if f.code == "vif-details-keys-dropped"] == [
        (three[2]["id"], "binding:vif_details keys not kept: bridge_name, datapath_type")] * 2
