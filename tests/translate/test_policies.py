"""Plan policies on what Alcor holds differently: external networks, VLAN ids, routers on several networks."""

from __future__ import annotations

import dataclasses
import uuid
from pathlib import Path

import pytest

from tests.translate import shapes as s
from tests.translate.conftest import bodies
from wizard.alcor.client import AlcorClient
from wizard.alcor.convert import Converter
from wizard.cli import main
from wizard.core.state import StateStore
from wizard.lab import home
from wizard.lab.alcor import AlcorEmulator
from wizard.lab.samples import FILES
from wizard.neutron import snapshot as snapshot_module
from wizard.translate import floatingips, routers, single
from wizard.translate.accounting import account, unaccounted
from wizard.translate.context import Context, Index, Options
from wizard.translate.model import Translation
from wizard.translate.translation import translate

SAMPLES = sorted(FILES.glob("*.json"))
SPLIT = Options(multi_network_routers="split")
# Every policy that turns a blocker into a warning.
RESOLVED = Options(multi_network_routers="split", unsupported_subnets="skip", port_security_off="allow_all_group")


def found(t, code):
    return [f for f in t.findings if f.code == code]


def external_cloud(net_type: str = "flat"):
    """An external network of `net_type` with a router gateway, a floating IP and its port."""
    ext = s.network("admin", name="public", **{"router:external": True, "provider:network_type": net_type,
                                               "provider:physical_network": "ext",
                                               "provider:segmentation_id": 300 if net_type == "vlan" else None})
    ext_sub = s.subnet(ext, "198.51.100.0/24", enable_dhcp=False,
                       allocation_pools=[{"start": "198.51.100.10", "end": "198.51.100.200"}])
    net, grp = s.network(), s.group()
    sub = s.subnet(net, "10.1.0.0/24")
    vm = s.port(net, sub, "10.1.0.5", [grp["id"]], device_owner="compute:nova", device_id="vm-1")
    rtr = s.router(external_gateway_info={"network_id": ext["id"], "enable_snat": True, "external_fixed_ips": [
        {"subnet_id": ext_sub["id"], "ip_address": "198.51.100.100"}]})
    gw = s.port(ext, ext_sub, "198.51.100.100", device_owner="network:router_gateway", device_id=rtr["id"],
                project="")
    rif = s.interface(rtr, net, sub)
    fip = s.floatingip(ext, "198.51.100.50", vm)
    fip_port = s.port(ext, ext_sub, "198.51.100.50", device_owner="network:floatingip", device_id=fip["id"],
                      project="")
    segment = {"id": s.uid(), "network_id": ext["id"], "network_type": net_type, "physical_network": "ext",
               "segmentation_id": None, "name": None, "description": "", "revision_number": 0,
               "created_at": s.STAMP, "updated_at": s.STAMP}
    items = dict(ext=ext, ext_sub=ext_sub, net=net, sub=sub, grp=grp, vm=vm, rtr=rtr, gw=gw, rif=rif, fip=fip,
                 fip_port=fip_port, segment=segment)
    return items, s.snapshot(*items.values())


# -- external networks -----------------------------------------------------------------------
@pytest.mark.parametrize("net_type", ["flat", "vlan", "vxlan"])
@pytest.mark.parametrize("flat_networks", ["block", "skip"])
def test_an_external_network_is_elastic_ip_ranges_not_a_vpc_whatever_its_type(net_type, flat_networks):
    c, snap = external_cloud(net_type)
    t = translate(snap, Options(flat_networks=flat_networks))
    assert not t.blockers
    assert not found(t, "flat-network") and not found(t, "vlan-id-reallocated")
    assert [b["id"] for b in bodies(t, "vpc")] == [c["net"]["id"]]
    assert [b["id"] for b in bodies(t, "subnet")] == [c["sub"]["id"]]
    (rng,) = bodies(t, "elastic_ip_range")
    assert rng["id"] == floatingips.RANGE_ID
    # the pool, less the router's gateway address (Alcor would hand it out as an elastic IP)
    assert rng["allocation_ranges"] == [{"start": "198.51.100.10", "end": "198.51.100.99"},
                                        {"start": "198.51.100.101", "end": "198.51.100.200"}]
    (info,) = [f for f in found(t, "external-network-as-eip-ranges") if f.neutron.kind == "networks"]
    assert info.severity.value == "info" and info.neutron.id == c["ext"]["id"]
    assert "public" in info.message and "198.51.100.0/24" in info.message and net_type in info.message
    assert "less the 1 address(es) routers' gateways hold" in info.message
    # its segment travels with it, reported rather than left silently
    assert {(f.neutron.kind, f.neutron.id) for f in found(t, "external-network-as-eip-ranges")} == {
        ("networks", c["ext"]["id"]), ("segments", c["segment"]["id"])}
    assert not found(t, "skipped-with-parent")
    assert unaccounted(account(snap, t)) == []


def test_what_refers_to_an_external_network_keeps_working(cloud):
    c, snap = external_cloud()
    t = translate(snap)
    (router,) = bodies(t, "router")  # gateway kept as Neutron has it: stored only in Alcor
    assert router["external_gateway_info"] == {"network_id": c["ext"]["id"], "enable_snat": True,
                                               "external_fixed_ips": [{"subnet_id": c["ext_sub"]["id"],
                                                                       "ip_address": "198.51.100.100"}]}
    (stored,) = found(t, "router-gateway-stored-only")
    assert "elastic-IP ranges" in stored.message
    created_ports = {b["id"] for b in bodies(t, "port")}
    assert created_ports == {c["vm"]["id"]}
    named = {(r.kind, ref.id) for r in t.requests for ref in r.neutron}
    assert ("router", c["gw"]["id"]) in named and ("elastic_ip", c["fip_port"]["id"]) in named
    (eip,) = [r for r in t.requests if r.kind == "elastic_ip"]
    assert eip.body["elasticip"]["elastic_ip"] == "198.51.100.50"
    assert floatingips.RANGE_KEY in eip.depends_on


def test_a_vm_port_on_an_external_network_is_a_blocker_naming_it():
    c, snap = external_cloud()
    direct = s.port(c["ext"], c["ext_sub"], "198.51.100.77", device_owner="compute:nova", device_id="vm-2")
    dhcp = s.port(c["ext"], c["ext_sub"], "198.51.100.2", device_owner="network:dhcp", device_id="dhcp-1")
    t = translate(s.snapshot(*c.values(), direct, dhcp))
    (blocker,) = found(t, "port-on-external-network")
    assert (blocker.severity.value, blocker.neutron.id) == ("blocker", direct["id"])
    assert c["ext"]["id"] in blocker.message and "compute:nova" in blocker.message
    assert direct["id"] not in {b["id"] for b in bodies(t, "port")}
    assert [f.neutron.id for f in found(t, "dhcp-port-not-migrated")] == [dhcp["id"]]


def test_flat_networks_policy_still_applies_to_internal_flat_networks():
    c, snap = external_cloud()
    flat = s.network(**{"provider:network_type": "flat", "provider:physical_network": "lan",
                        "provider:segmentation_id": None})
    t = translate(s.snapshot(*c.values(), flat))
    assert [(f.severity.value, f.neutron.id) for f in found(t, "flat-network")] == [("blocker", flat["id"])]


def test_replay_of_external_networks_and_their_subnets():
    c, snap = external_cloud()
    ctx = Context(Index(snap))
    assert single.create("networks", c["ext"], ctx) == [] and single.update("networks", c["ext"], ctx) == []
    assert single.delete("networks", c["ext"], ctx) == []
    (made,) = single.create("subnets", c["ext_sub"], ctx)
    assert made == next(r for r in translate(snap).requests if r.kind == "elastic_ip_range")
    grown = {**c["ext_sub"], "allocation_pools": [{"start": "198.51.100.10", "end": "198.51.100.250"}]}
    ctx.put("subnets", grown)  # replay puts Neutron's state first
    (put,) = single.update("subnets", grown, ctx)
    assert (put.method, put.path) == ("PUT", f"/elasticip-ranges/{floatingips.RANGE_ID}")
    assert put.body["elasticip-range"]["allocation_ranges"] == [{"start": "198.51.100.10", "end": "198.51.100.99"},
                                                                {"start": "198.51.100.101", "end": "198.51.100.250"}]
    # a second external network: its subnet's pools join the same range, whole
    ext2 = s.network("admin", name="public-2", **{"router:external": True})
    ext2_sub = s.subnet(ext2, "203.0.113.0/24", allocation_pools=[{"start": "203.0.113.5", "end": "203.0.113.9"}])
    ctx.put("networks", ext2)
    ctx.put("subnets", ext2_sub)
    (joined,) = single.update("subnets", ext2_sub, ctx)
    assert joined.path == put.path and joined.body["elasticip-range"]["allocation_ranges"] == [
        *put.body["elasticip-range"]["allocation_ranges"], {"start": "203.0.113.5", "end": "203.0.113.9"}]
    # deletes, the index still holding the subnet (replay removes it after): the others' pools stay
    (shrunk,) = single.delete("subnets", ext2_sub, ctx)
    assert (shrunk.method, shrunk.path, shrunk.body) == ("PUT", put.path, put.body)
    ctx.remove("subnets", ext2_sub["id"])
    (gone,) = single.delete("subnets", grown, ctx)  # the last one: the range goes
    assert (gone.method, gone.path) == ("DELETE", f"/elasticip-ranges/{floatingips.RANGE_ID}")
    (vpc_delete,) = single.delete("networks", c["net"], ctx)  # internal networks: unchanged
    assert vpc_delete.path == f"/project/proj-a/vpcs/{c['net']['id']}"


def test_vlan_networks_are_created_with_a_warning_that_the_vlan_id_changes():
    vlan = s.network(**{"provider:network_type": "vlan", "provider:physical_network": "physnet1",
                        "provider:segmentation_id": 120})
    vxlan = s.network()
    t = translate(s.snapshot(vlan, vxlan))
    assert {b["id"] for b in bodies(t, "vpc")} == {vlan["id"], vxlan["id"]}
    (warning,) = found(t, "vlan-id-reallocated")
    assert (warning.severity.value, warning.neutron.id) == ("warning", vlan["id"])
    assert "VLAN 120 on physnet1" in warning.message
    assert [f.neutron.id for f in found(t, "segmentation-id-reallocated")] == [vxlan["id"]]


# -- routers on several networks -------------------------------------------------------------
def joined(port, stamp):
    return {**port, "created_at": stamp, "updated_at": stamp}


def three_network_router():
    """A router on three networks; interface ports created in the order c, a, b (ids sort otherwise)."""
    nets = {name: s.network(name=name) for name in ("a", "b", "c")}
    subs = {name: s.subnet(net, f"10.{i}.0.0/24") for i, (name, net) in enumerate(nets.items(), start=1)}
    extra = s.subnet(nets["a"], "10.9.0.0/24")  # a second subnet of network a
    rtr = s.router(name="edge", routes=[{"destination": "172.16.0.0/16", "nexthop": "10.2.0.7"},
                                        {"destination": "172.17.0.0/16", "nexthop": "10.1.0.7"},
                                        {"destination": "172.18.0.0/16", "nexthop": "10.2.0.8"}])
    stamps = {"c": "2026-01-01T00:00:01Z", "a": "2026-01-01T00:00:02Z", "b": "2026-01-01T00:00:03Z"}
    ifs = {name: joined(s.interface(rtr, nets[name], subs[name]), stamps[name]) for name in nets}
    if_extra = joined(s.interface(rtr, nets["a"], extra), "2026-01-01T00:00:04Z")
    items = dict(rtr=rtr, extra=extra, if_extra=if_extra, **{f"net_{k}": v for k, v in nets.items()},
                 **{f"sub_{k}": v for k, v in subs.items()}, **{f"if_{k}": v for k, v in ifs.items()})
    return items, s.snapshot(*items.values())


def test_by_default_a_router_on_several_networks_blocks_on_all_but_its_first_network():
    c, snap = three_network_router()
    t = translate(snap)
    blocked = {f.neutron.id for f in found(t, "router-multiple-networks")}
    assert blocked == {c["if_a"]["id"], c["if_b"]["id"], c["if_extra"]["id"]}  # c joined first
    assert [r.body for r in t.requests if r.kind == "router_interface"] == [{"subnet_id": c["sub_c"]["id"]}]
    assert [b["id"] for b in bodies(t, "router")] == [c["rtr"]["id"]] and not found(t, "router-split")


def test_split_gives_each_network_its_own_router_the_first_keeping_the_id():
    c, snap = three_network_router()
    t = translate(snap, SPLIT)
    rid = c["rtr"]["id"]
    ids = {name: routers.split_id(rid, c[f"net_{name}"]["id"]) for name in "ab"}
    assert ids["a"] == str(uuid.uuid5(routers._SPLIT_NAMESPACE, f"{rid}:{c['net_a']['id']}"))
    assert [b["id"] for b in bodies(t, "router")] == [rid, ids["a"], ids["b"]]
    assert {(k, n): v for (k, n), v in t.id_map.items() if k == routers.SPLIT_KIND} == {
        (routers.SPLIT_KIND, f"{rid}:{c['net_c']['id']}"): rid,
        (routers.SPLIT_KIND, f"{rid}:{c['net_a']['id']}"): ids["a"],
        (routers.SPLIT_KIND, f"{rid}:{c['net_b']['id']}"): ids["b"]}
    split_a = next(b for b in bodies(t, "router") if b["id"] == ids["a"])
    assert split_a["name"] == "edge (a)" and split_a["external_gateway_info"] is None
    attach = {r.body["subnet_id"]: r for r in t.requests if r.kind == "router_interface"}
    where = {sid: r.path.split("/")[-2] for sid, r in attach.items()}
    assert where == {c["sub_c"]["id"]: rid, c["sub_a"]["id"]: ids["a"], c["extra"]["id"]: ids["a"],
                     c["sub_b"]["id"]: ids["b"]}
    assert f"router:{ids['a']}" in attach[c["extra"]["id"]].depends_on
    assert not t.blockers
    (warning,) = found(t, "router-split")
    assert warning.severity.value == "warning" and warning.neutron.id == rid
    assert "BETWEEN" in warning.message and all(c[f"net_{n}"]["id"] in warning.message for n in "abc")
    assert "multi_network_routers: block" in warning.remedy
    assert translate(snap, SPLIT).requests == t.requests  # deterministic


def test_split_routes_go_to_the_router_of_the_network_holding_the_nexthop():
    c, snap = three_network_router()
    t = translate(snap, SPLIT)
    rid = c["rtr"]["id"]
    routes = {r.path.split("/")[-2]: r.body["newRoutesWebRequest"]["routes"] for r in t.requests
              if r.kind == "extraroutes"}
    assert routes == {
        routers.split_id(rid, c["net_a"]["id"]): [{"destination": "172.17.0.0/16", "nexthop": "10.1.0.7"}],
        routers.split_id(rid, c["net_b"]["id"]): [{"destination": "172.16.0.0/16", "nexthop": "10.2.0.7"},
                                                  {"destination": "172.18.0.0/16", "nexthop": "10.2.0.8"}]}


def test_replay_on_a_split_router_follows_the_id_map():
    c, snap = three_network_router()
    rid = c["rtr"]["id"]
    t = translate(snap, SPLIT)
    ctx = Context(Index(snap), SPLIT)
    ctx.id_map.update(t.id_map)  # what convert left
    id_a = routers.split_id(rid, c["net_a"]["id"])
    # a subnet of a network already on the router: that network's router
    more = s.subnet(c["net_a"], "10.8.0.0/24")
    port = joined(s.interface(c["rtr"], c["net_a"], more), "2026-01-02T00:00:00Z")
    ctx.index.put("subnets", more)
    ctx.index.put("ports", port)
    (attach,) = single.router_interface(c["rtr"], more["id"], ctx, port_id=port["id"])
    assert attach.path.endswith(f"/routers/{id_a}/add_router_interface")
    # a new network joins: a router of its own first
    net_d = s.network(name="d")
    sub_d = s.subnet(net_d, "10.4.0.0/24")
    port_d = joined(s.interface(c["rtr"], net_d, sub_d), "2026-01-02T00:00:01Z")
    for kind, item in (("networks", net_d), ("subnets", sub_d), ("ports", port_d)):
        ctx.index.put(kind, item)
    create, attach_d = single.router_interface(c["rtr"], sub_d["id"], ctx, port_id=port_d["id"])
    id_d = routers.split_id(rid, net_d["id"])
    assert (create.method, create.body["router"]["id"]) == ("POST", id_d)
    assert attach_d.path.endswith(f"/routers/{id_d}/add_router_interface") and create.key in attach_d.depends_on
    assert ctx.id_map[(routers.SPLIT_KIND, f"{rid}:{net_d['id']}")] == id_d
    # routes change: each on the router of its nexthop
    before = c["rtr"]["routes"]
    changed = {**c["rtr"], "routes": [before[0], {"destination": "192.168.0.0/24", "nexthop": "10.4.0.9"}]}
    *removes, add = [r.path.split("/")[-2:] for r in single.router_routes(changed, before, ctx)]
    assert sorted(removes) == sorted([[id_a, "remove_extraroutes"],
                                      [routers.split_id(rid, c["net_b"]["id"]), "remove_extraroutes"]])
    assert add == [id_d, "add_extraroutes"]
    # an update reaches every router of the split; the gateway stays on the router's own
    down = {**c["rtr"], "admin_state_up": False}
    puts = single.update("routers", down, ctx)
    assert {r.path.split("/")[-1] for r in puts} == {rid, id_a, routers.split_id(rid, c["net_b"]["id"]), id_d}
    assert all(r.body["router"]["admin_state_up"] is False for r in puts)
    # the network leaves: its router goes, and its id-map entry
    ctx.index.remove("ports", port_d["id"])
    detach, delete = single.router_interface(c["rtr"], sub_d["id"], ctx, add=False, port_id=port_d["id"])
    assert detach.path.endswith(f"/routers/{id_d}/remove_router_interface")
    assert (delete.method, delete.path.split("/")[-1], delete.depends_on) == ("DELETE", id_d, (detach.key,))
    assert (routers.SPLIT_KIND, f"{rid}:{net_d['id']}") not in ctx.id_map
    # the first network leaves: the router keeps its id, the next network to join takes it
    ctx.index.remove("ports", c["if_c"]["id"])
    (detach_c,) = single.router_interface(c["rtr"], c["sub_c"]["id"], ctx, add=False, port_id=c["if_c"]["id"])
    assert detach_c.path.endswith(f"/routers/{rid}/remove_router_interface")
    ctx.index.put("ports", port_d)
    (attach_again,) = single.router_interface(c["rtr"], sub_d["id"], ctx, port_id=port_d["id"])
    assert attach_again.path.endswith(f"/routers/{rid}/add_router_interface")


def test_replay_under_block_refuses_a_second_network():
    c, snap = three_network_router()
    ctx = Context(Index(snap))
    assert single.router_interface(c["rtr"], c["sub_a"]["id"], ctx, port_id=c["if_a"]["id"]) == []
    assert [f.code for f in ctx.findings] == ["router-multiple-networks"]
    (attach,) = single.router_interface(c["rtr"], c["sub_c"]["id"], ctx, port_id=c["if_c"]["id"])
    assert attach.path.endswith(f"/routers/{c['rtr']['id']}/add_router_interface")


# -- the sample clouds -----------------------------------------------------------------------
@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_the_sample_clouds_translate_without_blockers_under_the_policies_that_resolve_them(path):
    snapshot = snapshot_module.load(path)
    t = translate(snapshot, RESOLVED)
    assert [f"{f.code} {f.neutron.id}" for f in t.blockers] == []
    assert unaccounted(account(snapshot, t)) == []
    assert {f.code for f in translate(snapshot).blockers} <= {
        "router-multiple-networks", "subnet-prefix-unsupported", "port-security-off"}


def test_the_lab_plan_previews_without_blockers(capsys):
    assert main(["preview", "--plan", str(home.plan_file("lab"))]) == 0
    assert "no blockers" in capsys.readouterr().out


def apply_in_order(client: AlcorClient, translation: Translation, state_dir: Path) -> None:
    """Every request, as convert sends them (ids learned, deferred ids resolved): none refused."""
    state = StateStore(state_dir)
    try:
        summary = Converter(client, state).run(translation.requests)
    finally:
        state.close()
    assert summary.complete, summary.describe()


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_alcor_accepts_every_request_of_a_split_translation(path, tmp_path):
    snapshot = snapshot_module.load(path)
    t = translate(snapshot, RESOLVED)
    with AlcorEmulator(port=0) as emulator, AlcorClient(emulator.endpoints, retries=0) as client:
        apply_in_order(client, t, tmp_path / "state")
        held = {r["id"]: r for r in client.list("router", "-")}
        for request in (r for r in t.requests if r.kind == "router_interface"):
            router_id = request.path.split("/")[-2]
            subnet = client.get("subnet", request.body["subnet_id"], request.path.split("/")[2])
            assert subnet["attached_router_id"] == router_id and router_id in held
        eips = client.list("elastic_ip", "-")
        assert len(held) == len(bodies(t, "router")) >= len(snapshot["routers"])
        if len(held) > len(snapshot["routers"]):  # the trap the split avoids: a split network's subnet
            moved = next(r for r in t.requests if r.kind == "router_interface"  # moved onto the router's own id
                         and r.path.split("/")[-2] != r.key.split(":")[1])
            own = moved.path.replace(moved.path.split("/")[-2], moved.key.split(":")[1])
            assert client.send(dataclasses.replace(moved, path=moved.path.replace("add_", "remove_"))).ok
            refused = client.send(dataclasses.replace(moved, path=own))
            assert (refused.status, refused.error) == (409, "RouterHasMultipleVPCs")
    fips = {f["id"]: f["floating_ip_address"] for f in snapshot["floatingips"]}
    assert {e["id"]: e["elastic_ip"] for e in eips} == fips
