"""What Alcor's code refuses, and what translation sends instead: subnet prefixes outside /16-/28,
ports without security groups, one elastic-IP range for every external pool, one segment table."""

from __future__ import annotations

import dataclasses
import ipaddress
import uuid

import pytest

from tests.translate import shapes as s
from tests.translate.conftest import bodies
from wizard.alcor.client import AlcorClient
from wizard.alcor.convert import Converter
from wizard.alcor.paths import SEGMENT_TABLE_PATH
from wizard.alcor.verify import verify
from wizard.core.state import StateStore
from wizard.lab.alcor import AlcorEmulator
from wizard.translate import allow_all, floatingips, single
from wizard.translate.accounting import account, unaccounted
from wizard.translate.context import Context, Index, Options
from wizard.translate.translation import translate

ALLOW_ALL = Options(port_security_off="allow_all_group")


def found(t, code):
    return [f for f in t.findings if f.code == code]


def ports_sent(t) -> dict[str, dict]:
    return {b["id"]: b for b in bodies(t, "port")}


# -- row 1: subnet prefixes ------------------------------------------------------------------
def prefix_cloud():
    """A /29 transfer net and a /12 provider range beside a /16 and a /28 (Alcor's limits, accepted),
    with a port only on the /29, a port on the /29 and the /16, a router on the /29 and the /16 (one
    network each side: its interface on the /29 must go), and a floating IP on the /29-only port."""
    grp = s.group()
    transfer, wide, ok = s.network(name="transfer"), s.network(name="provider"), s.network(name="ok")
    s29 = s.subnet(transfer, "10.255.0.0/29", name="transfer-v4", gateway_ip="10.255.0.1",
                   allocation_pools=[{"start": "10.255.0.2", "end": "10.255.0.6"}])
    s12 = s.subnet(wide, "172.16.0.0/12", name="provider-v4", gateway_ip="172.16.0.1",
                   allocation_pools=[{"start": "172.16.0.2", "end": "172.31.255.254"}])
    s16 = s.subnet(ok, "10.8.0.0/16", name="ok-16", gateway_ip="10.8.0.1",
                   allocation_pools=[{"start": "10.8.0.2", "end": "10.8.255.254"}])
    s28 = s.subnet(transfer, "10.255.1.0/28", name="transfer-28", gateway_ip="10.255.1.1",
                   allocation_pools=[{"start": "10.255.1.2", "end": "10.255.1.14"}])
    only29 = s.port(transfer, s29, "10.255.0.5", [grp["id"]], name="only-29")
    both = s.port(transfer, s29, "10.255.0.6", [grp["id"]], name="both", fixed_ips=[
        {"subnet_id": s29["id"], "ip_address": "10.255.0.6"}, {"subnet_id": s28["id"], "ip_address": "10.255.1.6"}])
    on12 = s.port(wide, s12, "172.16.0.9", [grp["id"]], name="on-12")
    rtr = s.router(routes=[{"destination": "192.168.0.0/24", "nexthop": "10.255.0.3"}])
    if29, if16 = s.interface(rtr, transfer, s29), s.interface(rtr, ok, s16)
    ext = s.network("admin", name="public", **{"router:external": True})
    ext_sub = s.subnet(ext, "198.51.100.0/24")
    fip = s.floatingip(ext, "198.51.100.20", only29)
    items = dict(grp=grp, transfer=transfer, wide=wide, ok=ok, s29=s29, s12=s12, s16=s16, s28=s28, only29=only29,
                 both=both, on12=on12, rtr=rtr, if29=if29, if16=if16, ext=ext, ext_sub=ext_sub, fip=fip)
    return items, s.snapshot(*items.values())


@pytest.mark.parametrize("policy, severity", [("block", "blocker"), ("skip", "warning")])
def test_subnets_alcor_refuses_are_never_sent_and_what_hangs_on_them_is_held_back(policy, severity):
    c, snap = prefix_cloud()
    t = translate(snap, Options(unsupported_subnets=policy))
    refused = found(t, "subnet-prefix-unsupported")
    assert {(f.neutron.id, f.severity.value) for f in refused} == {(c["s29"]["id"], severity),
                                                                   (c["s12"]["id"], severity)}
    by_id = {f.neutron.id: f.message for f in refused}
    assert "transfer-v4 10.255.0.0/29 has a /29 prefix" in by_id[c["s29"]["id"]]
    assert "provider-v4 172.16.0.0/12 has a /12 prefix" in by_id[c["s12"]["id"]]
    assert all("/16 to /28" in message for message in by_id.values())
    assert "translate.unsupported_subnets: skip" in refused[0].remedy
    assert {b["id"] for b in bodies(t, "subnet")} == {c["s16"]["id"], c["s28"]["id"]}  # the limits themselves
    # ports: one only on the /29 (or the /12) stays behind, the other keeps its /28 address
    sent = ports_sent(t)
    assert set(sent) == {c["both"]["id"]}
    assert sent[c["both"]["id"]]["fixed_ips"] == [{"subnet_id": c["s28"]["id"], "ip_address": "10.255.1.6"}]
    held = {f.neutron.id for f in found(t, "skipped-with-parent") if f.neutron.kind == "ports"}
    assert {c["only29"]["id"], c["on12"]["id"], c["both"]["id"], c["if29"]["id"]} <= held
    # the router keeps its /16 interface only; a route via the /29 stays on the router's own id
    assert [r.body for r in t.requests if r.kind == "router_interface"] == [{"subnet_id": c["s16"]["id"]}]
    assert not found(t, "router-multiple-networks")
    # the floating IP of the held-back port: created, unassociated
    (eip,) = bodies(t, "elastic_ip")
    assert (eip["port_id"], eip["private_ip"]) == (None, None)
    assert not any(c["s29"]["id"] in str(r.body) or c["s12"]["id"] in str(r.body) for r in t.requests)
    assert unaccounted(account(snap, t)) == []
    assert bool(t.blockers) is (policy == "block")


def test_a_malformed_cidr_is_a_finding_naming_the_subnet_not_a_traceback():
    net, grp = s.network(), s.group()
    bad = {**s.subnet(net, "10.0.0.0/24", name="broken"), "cidr": "10.0.0.0/99"}
    port = s.port(net, bad, "10.0.0.5", [grp["id"]])
    rtr = s.router(routes=[{"destination": "192.168.0.0/24", "nexthop": "10.0.0.7"}])
    rif = s.interface(rtr, net, bad)
    snap = s.snapshot(net, grp, bad, port, rtr, rif)
    t = translate(snap)
    (finding,) = found(t, "subnet-prefix-unsupported")
    assert finding.neutron.id == bad["id"] and finding.severity.value == "blocker"
    assert "broken 10.0.0.0/99 is not a valid IPv4 CIDR" in finding.message
    assert not bodies(t, "subnet") and not ports_sent(t)
    assert unaccounted(account(snap, t)) == []


# -- row 2: ports without security groups ------------------------------------------------------
def open_ports_cloud():
    """Two projects; a grouped port, two port-security-off ports in proj-a and one in proj-b, one port
    with port security on and no group, each project with its Neutron default group."""
    default_a, rules_a = s.neutron_default_group("proj-a")
    default_b, rules_b = s.neutron_default_group("proj-b")
    web = s.group("proj-a")
    net_a, net_b = s.network("proj-a"), s.network("proj-b")
    sub_a, sub_b = s.subnet(net_a, "10.1.0.0/24"), s.subnet(net_b, "10.2.0.0/24")
    web_vm = s.port(net_a, sub_a, "10.1.0.10", [web["id"]], name="web-vm")
    fw1 = s.port(net_a, sub_a, "10.1.0.11", name="fw-1", port_security_enabled=False)
    fw2 = s.port(net_a, sub_a, "10.1.0.12", name="fw-2", port_security_enabled=False)
    fw_b = s.port(net_b, sub_b, "10.2.0.11", name="fw-b", port_security_enabled=False)
    closed = s.port(net_a, sub_a, "10.1.0.13", name="closed")
    items = dict(default_a=default_a, default_b=default_b, web=web, net_a=net_a, net_b=net_b, sub_a=sub_a,
                 sub_b=sub_b, web_vm=web_vm, fw1=fw1, fw2=fw2, fw_b=fw_b, closed=closed)
    return items, s.snapshot(*items.values(), *rules_a, *rules_b)


def test_by_default_a_port_with_port_security_off_is_a_blocker_and_never_sent():
    c, snap = open_ports_cloud()
    t = translate(snap)
    blocked = found(t, "port-security-off")
    assert {(f.neutron.id, f.severity.value) for f in blocked} == {
        (c[name]["id"], "blocker") for name in ("fw1", "fw2", "fw_b")}
    assert "fw-1" in next(f.message for f in blocked if f.neutron.id == c["fw1"]["id"])
    assert "port_security_off: allow_all_group" in blocked[0].remedy
    assert set(ports_sent(t)) == {c["web_vm"]["id"]}
    assert not [b for b in bodies(t, "security_group") if b["name"] == allow_all.NAME]
    assert unaccounted(account(snap, t)) == []


@pytest.mark.parametrize("options", [Options(), ALLOW_ALL])
def test_a_port_with_port_security_on_and_no_group_is_a_blocker(options):
    c, snap = open_ports_cloud()
    t = translate(snap, options)
    (blocker,) = found(t, "port-without-security-groups")
    assert (blocker.neutron.id, blocker.severity.value) == (c["closed"]["id"], "blocker")
    assert "closed" in blocker.message and c["closed"]["id"] not in ports_sent(t)


def test_under_allow_all_group_each_project_gets_one_allow_all_group_its_open_ports_name():
    c, snap = open_ports_cloud()
    t = translate(snap, ALLOW_ALL)
    group_a = str(uuid.uuid5(uuid.NAMESPACE_URL, "alcor-migrate:allow-all:proj-a"))
    group_b = str(uuid.uuid5(uuid.NAMESPACE_URL, "alcor-migrate:allow-all:proj-b"))
    creates = {r.body["security_group"]["id"]: r for r in t.requests
               if r.kind == "security_group" and "security_group" in r.body
               and r.body["security_group"]["name"] == allow_all.NAME}
    assert set(creates) == {group_a, group_b}
    group = creates[group_a]
    assert group.path == "/project/proj-a/security-groups"
    assert group.body["security_group"]["project_id"] == "proj-a"
    assert "port security off" in group.body["security_group"]["description"]
    default_create = next(r for r in t.requests if r.kind == "security_group"
                          and any(ref.id == c["default_a"]["id"] for ref in r.neutron))
    assert default_create.key in group.depends_on  # else Alcor makes a default group of its own
    assert {(learn.match) for learn in group.learns} == {  # Alcor's own egress rules, expected by verify
        (("direction", "egress"), ("ethertype", "IPv4")), (("direction", "egress"), ("ethertype", "IPv6"))}
    (rule,) = [r for r in t.requests if r.kind == "security_group_rule" and r.method == "POST"
               and "security_group_rule" in r.body and r.body["security_group_rule"]["security_group_id"] == group_a]
    assert {k: rule.body["security_group_rule"][k] for k in ("direction", "ethertype", "protocol",
                                                             "remote_ip_prefix", "remote_group_id")} == {
        "direction": "ingress", "ethertype": "IPv4", "protocol": None, "remote_ip_prefix": "0.0.0.0/0",
        "remote_group_id": None}
    assert group.key in rule.depends_on
    sent = ports_sent(t)
    for name, gid in (("fw1", group_a), ("fw2", group_a), ("fw_b", group_b)):
        assert (sent[c[name]["id"]]["port_security_enabled"], sent[c[name]["id"]]["security_groups"]) == (False, [gid])
    assert sent[c["web_vm"]["id"]]["security_groups"] == [c["web"]["id"]]
    chunk = next(r for r in t.requests if r.kind == "port" and c["fw1"]["id"] in {ref.id for ref in r.neutron})
    assert group.key in chunk.depends_on and t.requests.index(group) < t.requests.index(chunk)
    warnings = found(t, "port-security-off-allow-all")
    assert {(f.neutron.id, f.severity.value) for f in warnings} == {
        (c[name]["id"], "warning") for name in ("fw1", "fw2", "fw_b")}
    assert allow_all.NAME in warnings[0].message
    assert not found(t, "port-security-off")


@pytest.mark.parametrize("options", [Options(bulk_size=2), Options(bulk_size=2, port_security_off="allow_all_group"),
                                     Options(bulk=False, port_security_off="allow_all_group")])
def test_no_port_is_ever_sent_without_a_security_group(options):
    c, snap = open_ports_cloud()
    t = translate(snap, options)
    sent = [body for r in t.requests if r.kind == "port" for body in (r.body.get("ports") or [r.body["port"]])]
    assert sent and all(body.get("security_groups") for body in sent)


def test_a_replayed_port_gets_the_same_answer_and_brings_its_group_along():
    c, snap = open_ports_cloud()
    t = translate(snap, ALLOW_ALL)
    ctx = Context(Index(snap), ALLOW_ALL)
    fw3 = s.port(c["net_a"], c["sub_a"], "10.1.0.14", name="fw-3", port_security_enabled=False)
    ctx.put("ports", fw3)
    group, rule, port = single.create("ports", fw3, ctx)
    snapshot_group = next(r for r in t.requests if r.key == group.key)
    assert (group.body, rule.body) == (snapshot_group.body, next(r for r in t.requests if r.key == rule.key).body)
    assert port.body["port"]["security_groups"] == [allow_all.group_id("proj-a")]
    assert port.body["port"]["port_security_enabled"] is False and group.key in port.depends_on
    assert single.create("ports", c["fw1"], ctx)[-1].body["port"] == ports_sent(t)[c["fw1"]["id"]]
    *first, put = single.update("ports", {**fw3, "name": "fw-3b"}, ctx)
    assert [r.key for r in first] == [group.key, rule.key] and group.key in put.depends_on
    assert (put.method, put.body["port"]["security_groups"]) == ("PUT", [allow_all.group_id("proj-a")])
    blocked = Context(Index(snap))
    assert single.create("ports", fw3, blocked) == [] and [f.code for f in blocked.findings] == ["port-security-off"]


def test_alcor_takes_the_allow_all_translation_and_verify_finds_no_drift(tmp_path):
    c, snap = open_ports_cloud()
    snap = s.snapshot(*(r for kind in snap.collections.values() for r in kind if r["id"] != c["closed"]["id"]))
    t = translate(snap, ALLOW_ALL)
    assert not t.blockers
    with AlcorEmulator(port=0) as emulator, AlcorClient(emulator.endpoints, retries=0) as client:
        state = StateStore(tmp_path / "state")
        try:
            summary = Converter(client, state).run(t.requests)
            assert summary.complete, summary.describe()
            assert verify(t.requests, client, state.mapped_id).total == 0
            held = client.get("port", c["fw1"]["id"], "proj-a")
            assert (held["port_security_enabled"], held["security_groups"]) == (False, [allow_all.group_id("proj-a")])
            # a replayed open port of the same project: the group's creates find it there
            ctx = Context(Index(snap), ALLOW_ALL)
            fw3 = s.port(c["net_a"], c["sub_a"], "10.1.0.14", name="fw-3", port_security_enabled=False)
            ctx.put("ports", fw3)
            again = Converter(client, state, look_first=True).run(  # keyed as replay keys an entry's requests
                [dataclasses.replace(r, key="replay:1:" + r.key,
                                     depends_on=tuple("replay:1:" + d for d in r.depends_on))
                 for r in single.create("ports", fw3, ctx)])
            assert again.complete, again.describe()
            assert client.get("port", fw3["id"], "proj-a")["security_groups"] == [allow_all.group_id("proj-a")]
        finally:
            state.close()


# -- row 8: one elastic-IP range ----------------------------------------------------------------
def two_external_networks():
    grp = s.group()
    ext1 = s.network("admin", name="public", **{"router:external": True})
    ext2 = s.network("admin", name="public-2", **{"router:external": True})
    sub1 = s.subnet(ext1, "198.51.100.0/24", allocation_pools=[{"start": "198.51.100.10", "end": "198.51.100.99"}])
    sub2 = s.subnet(ext2, "203.0.113.0/24", allocation_pools=[{"start": "203.0.113.100", "end": "203.0.113.200"}])
    net = s.network()
    sub = s.subnet(net, "10.1.0.0/24")
    vm1 = s.port(net, sub, "10.1.0.5", [grp["id"]])
    vm2 = s.port(net, sub, "10.1.0.6", [grp["id"]])
    fip1, fip2 = s.floatingip(ext1, "198.51.100.50", vm1), s.floatingip(ext2, "203.0.113.150", vm2)
    spare = s.floatingip(ext2, "203.0.113.101")
    items = dict(grp=grp, ext1=ext1, ext2=ext2, sub1=sub1, sub2=sub2, net=net, sub=sub, vm1=vm1, vm2=vm2,
                 fip1=fip1, fip2=fip2, spare=spare)
    return items, s.snapshot(*items.values())


def test_every_external_pool_is_in_one_range_and_every_floating_ip_lies_in_it():
    c, snap = two_external_networks()
    t = translate(snap)
    (rng,) = [r for r in t.requests if r.kind == "elastic_ip_range"]
    body = rng.body["elasticip-range"]
    assert body["id"] == floatingips.RANGE_ID == str(uuid.uuid5(uuid.NAMESPACE_URL,
                                                                "alcor-migrate:elastic-ip-range:ipv4"))
    assert body["allocation_ranges"] == [{"start": "198.51.100.10", "end": "198.51.100.99"},
                                         {"start": "203.0.113.100", "end": "203.0.113.200"}]
    assert {ref.id for ref in rng.neutron} == {c["sub1"]["id"], c["sub2"]["id"]}
    eips = [r for r in t.requests if r.kind == "elastic_ip"]
    assert len(eips) == 3 and all(rng.key in r.depends_on for r in eips)
    for eip in eips:
        address = ipaddress.IPv4Address(eip.body["elasticip"]["elastic_ip"])
        assert any(ipaddress.IPv4Address(a["start"]) <= address <= ipaddress.IPv4Address(a["end"])
                   for a in body["allocation_ranges"])
    assert not t.blockers and unaccounted(account(snap, t)) == []
    with AlcorEmulator(port=0) as emulator, AlcorClient(emulator.endpoints, retries=0) as client:
        assert client.send(rng).ok
        for eip in eips:  # Alcor takes them from the first range of the version: the only one
            unassociated = {**eip.body["elasticip"], "port_id": None, "private_ip": None}
            outcome = client.send(dataclasses.replace(eip, body={"elasticip": unassociated}))
            assert outcome.ok, outcome.error


def test_a_floating_ip_outside_every_pool_is_a_blocker():
    c, snap = two_external_networks()
    odd = s.floatingip(c["ext2"], "203.0.113.7")  # in the subnet, outside its pool
    t = translate(s.snapshot(*(r for kind in snap.collections.values() for r in kind), odd))
    (blocker,) = found(t, "floatingip-outside-ranges")
    assert (blocker.neutron.id, blocker.severity.value) == (odd["id"], "blocker") and "203.0.113.7" in blocker.message
    assert odd["id"] not in {b["id"] for b in bodies(t, "elastic_ip")}


# -- row 6: the segment table --------------------------------------------------------------------
@pytest.mark.parametrize("options", [Options(), Options(bulk=False), ALLOW_ALL])
def test_one_segment_table_request_first(options):
    c, snap = two_external_networks()
    t = translate(snap, options)
    tables = [i for i, r in enumerate(t.requests) if r.path == SEGMENT_TABLE_PATH]
    assert tables == [0] and t.requests[0].method == "POST"
