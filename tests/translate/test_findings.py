"""Findings: each names its resource, says what Alcor does differently, and gives a remedy."""

from __future__ import annotations

import pytest

from tests.translate import shapes as s
from tests.translate.conftest import bodies
from wizard.translate.context import Options
from wizard.translate.findings import CATALOGUE
from wizard.translate.translation import translate


def found(t, code):
    return [f for f in t.findings if f.code == code]


@pytest.mark.parametrize("policy, severity, created", [("block", "blocker", False), ("skip", "warning", False)])
def test_flat_networks_follow_the_plan_policy(policy, severity, created):
    flat = s.network(**{"provider:network_type": "flat", "provider:physical_network": "ext",
                        "provider:segmentation_id": None})
    sub = s.subnet(flat, "203.0.113.0/24")
    t = translate(s.snapshot(flat, sub), Options(flat_networks=policy))
    (finding,) = found(t, "flat-network")
    assert finding.severity.value == severity and finding.neutron.id == flat["id"]
    assert not bodies(t, "vpc") and not bodies(t, "subnet")
    assert found(t, "skipped-with-parent")[0].neutron.id == sub["id"]


@pytest.mark.parametrize("policy, severity", [("skip", "warning"), ("block", "blocker")])
def test_ipv6_subnets_and_addresses_follow_the_plan_policy(policy, severity):
    net, grp = s.network(), s.group()
    v4, v6 = s.subnet(net, "10.7.0.0/24"), s.subnet(net, "fd00:7::/64")
    dual = s.port(net, v4, "10.7.0.5", [grp["id"]], fixed_ips=[{"subnet_id": v4["id"], "ip_address": "10.7.0.5"},
                                                                {"subnet_id": v6["id"], "ip_address": "fd00:7::5"}])
    t = translate(s.snapshot(net, v4, v6, dual, grp), Options(ipv6=policy))
    assert [f.severity.value for f in found(t, "ipv6-subnet")] == [severity]
    assert [(f.neutron.id, f.severity.value) for f in found(t, "ipv6-fixed-ip")] == [(dual["id"], severity)]
    assert [b["id"] for b in bodies(t, "subnet")] == [v4["id"]]
    assert bodies(t, "port")[0]["fixed_ips"] == [{"subnet_id": v4["id"], "ip_address": "10.7.0.5"}]


def test_a_router_joining_two_networks_is_a_blocker(cloud):
    net_a, net_b = s.network(), s.network()
    sub_a, sub_b = s.subnet(net_a, "10.1.0.0/24"), s.subnet(net_b, "10.2.0.0/24")
    rtr = s.router()
    if_a, if_b = s.interface(rtr, net_a, sub_a), s.interface(rtr, net_b, sub_b)
    t = translate(s.snapshot(net_a, net_b, sub_a, sub_b, rtr, if_a, if_b))
    (blocker,) = found(t, "router-multiple-networks")
    assert blocker.severity.value == "blocker" and rtr["id"] in blocker.message
    assert len([r for r in t.requests if r.kind == "router_interface"]) == 1


def test_unsupported_vnic_type_is_a_blocker_and_the_port_is_held_back():
    net = s.network()
    sub = s.subnet(net, "10.8.0.0/24")
    p = s.port(net, sub, "10.8.0.5", **{"binding:vnic_type": "virtio-forwarder"})
    t = translate(s.snapshot(net, sub, p))
    assert [(f.severity.value, f.neutron.id) for f in found(t, "unsupported-vnic-type")] == [("blocker", p["id"])]
    assert not bodies(t, "port")


def test_a_mac_repeated_across_networks_is_a_blocker():
    net_a, net_b, grp = s.network(), s.network(), s.group()
    sub_a, sub_b = s.subnet(net_a, "10.1.0.0/24"), s.subnet(net_b, "10.2.0.0/24")
    p1 = s.port(net_a, sub_a, "10.1.0.5", [grp["id"]], mac_address="fa:16:3e:00:00:01")
    p2 = s.port(net_b, sub_b, "10.2.0.5", [grp["id"]], mac_address="fa:16:3e:00:00:01")
    t = translate(s.snapshot(net_a, net_b, sub_a, sub_b, p1, p2, grp))
    (blocker,) = found(t, "mac-reused-across-networks")
    assert blocker.severity.value == "blocker" and {blocker.neutron.id} < {p1["id"], p2["id"]}
    assert len(bodies(t, "port")) == 1


def test_segmentation_ids_alcor_reallocates_and_subnets_without_gateway(cloud):
    t = cloud.translate()
    assert {f.neutron.id for f in found(t, "segmentation-id-reallocated")} == {cloud.net["id"], cloud.net2["id"]}
    net = s.network()
    sub = s.subnet(net, "10.4.0.0/24", gateway_ip=None,
                   allocation_pools=[{"start": "10.4.0.1", "end": "10.4.0.254"}])
    squatter = s.port(net, sub, "10.4.0.1")
    t = translate(s.snapshot(net, sub, squatter))
    assert "10.4.0.1" in found(t, "subnet-without-gateway")[0].message
    assert [f.neutron.id for f in found(t, "gateway-ip-taken")] == [squatter["id"]]


def test_features_alcor_lacks_from_fields_and_from_extensions():
    net = s.network(qos_policy_id="qos-1")
    sub = s.subnet(net, "10.5.0.0/24")
    ext = s.network(**{"router:external": True})
    ext_sub = s.subnet(ext, "198.51.100.0/24")
    trunk_parent = s.port(net, sub, "10.5.0.5", trunk_details={"trunk_id": "t1", "sub_ports": []},
                          qos_policy_id="qos-2")
    fip = s.floatingip(ext, "198.51.100.9", port_forwardings=[{"protocol": "tcp", "external_port": 22}])
    grp = s.group()
    trunk_parent["security_groups"] = [grp["id"]]
    t = translate(s.snapshot(net, sub, ext, ext_sub, trunk_parent, fip, grp),
                  Options())
    assert {f.code for f in t.findings if f.neutron.id == trunk_parent["id"]} >= {"trunk", "qos-policy"}
    assert [f.neutron.id for f in found(t, "qos-policy") if f.neutron.kind == "networks"] == [net["id"]]
    assert [f.neutron.id for f in found(t, "port-forwarding")] == [fip["id"]]
    t = translate(s.snapshot(net, extensions=["router", "qos", "trunk", "floating-ip-port-forwarding"]))
    assert {f.neutron.id for f in found(t, "extension-unsupported")} == {
        "qos", "trunk", "floating-ip-port-forwarding"}


def test_unknown_fields_from_a_newer_neutron_are_reported_once_per_field():
    net = s.network(shiny_new_field="x")
    other = s.network(shiny_new_field="y")
    t = translate(s.snapshot(net, other))
    (finding,) = found(t, "unknown-field")
    assert "shiny_new_field" in finding.message and "2 networks" in finding.message
    assert all("shiny_new_field" not in b for b in bodies(t, "vpc"))


def test_every_finding_has_a_catalogued_code_a_message_and_a_remedy(cloud, real_snapshot):
    for t in (cloud.translate(), translate(real_snapshot)):
        for f in t.findings:
            assert f.code in CATALOGUE and f.message and f.remedy and f.neutron.id
            assert set(f.to_json()) == {"severity", "code", "kind", "id", "message", "remedy"}


def test_a_floating_ip_outside_every_external_subnet_is_a_blocker(cloud):
    stray = s.floatingip(cloud.ext, "203.0.113.7")
    resources = [r for kind in cloud.snapshot.collections.values() for r in kind] + [stray]
    t = translate(s.snapshot(*resources))
    assert [(f.severity.value, f.neutron.id) for f in found(t, "floatingip-outside-ranges")] == [
        ("blocker", stray["id"])]
    assert stray["id"] not in {b["id"] for b in bodies(t, "elastic_ip")}


def test_a_rule_naming_a_group_neutron_does_not_hold_is_left_out_with_a_finding():
    grp = s.group()
    dangling, kept = s.rule(grp, remote_group_id=s.uid()), s.rule(grp, remote_group_id=grp["id"])
    t = translate(s.snapshot(grp, dangling, kept))
    (finding,) = found(t, "remote-group-unknown")
    assert finding.neutron.id == dangling["id"] and dangling["remote_group_id"] in finding.message
    assert finding.severity.value == "warning"
    assert dangling["id"] not in str(bodies(t, "security_group_rule")) and kept["id"] in str(t.requests)


def test_a_cidr_that_is_no_network_is_a_finding_not_a_traceback():
    net = s.network()
    t = translate(s.snapshot(net, s.subnet(net, "10.0.0.0/99")))
    assert any("10.0.0.0/99" in f.message for f in t.findings)
    assert not bodies(t, "subnet")
