"""Synthetic clouds: Neutron 29's exact shapes, exact sizes, consistent references, determinism."""

import ipaddress
import json
from collections import Counter
from pathlib import Path

import pytest

from wizard.cli import main
from wizard.core.errors import InputError
from wizard.lab.synth import CloudSize, SyntheticCloud, write
from wizard.neutron import snapshot

# Captured from a real neutron 29 server (ML2/openvswitch, router plugin, fake OVS agents).
REAL = json.loads((Path(__file__).parent / "real_neutron29.json").read_text())

# Maps whose keys are data, not schema.
FREE_FORM = {"binding:profile", "bridge_mappings", "bound_drivers"}


def key_paths(value, prefix=""):
    """Every dotted key path in a resource; list elements appear as `[]`."""
    if isinstance(value, dict):
        for key, inner in value.items():
            path = f"{prefix}.{key}" if prefix else key
            yield path
            if key not in FREE_FORM:
                yield from key_paths(inner, path)
    elif isinstance(value, list):
        for inner in value:
            yield from key_paths(inner, prefix + "[]")


def shape(items):
    return {path for item in items for path in key_paths(item)}


@pytest.fixture(scope="module")
def cloud():
    return SyntheticCloud(CloudSize(ports=600, networks=12, rules=90, projects=4, hosts=7, seed=3))


@pytest.fixture(scope="module")
def snap(cloud):
    return cloud.snapshot()


@pytest.mark.parametrize("kind", ["networks", "subnets", "ports", "routers", "security_groups",
                                  "security_group_rules", "floatingips"])
def test_every_kind_has_the_real_servers_keys(snap, kind):
    real = REAL[kind]
    assert real, f"the fixture holds no {kind}"
    assert shape(snap[kind]) == shape(real)
    real_key_sets = {frozenset(item) for item in real}
    assert {frozenset(item) for item in snap[kind]} <= real_key_sets


def test_keys_come_in_neutrons_order(snap):
    for kind in ("subnets", "ports", "routers", "security_groups", "security_group_rules", "floatingips"):
        assert list(snap[kind][0]) == list(REAL[kind][0]), kind


def test_each_collection_is_listed_in_id_order_as_neutron_lists_it(snap):
    """Neutron's paginated API sorts by id, so a snapshot holds each collection in id order: the
    real server's does, and the synthetic cloud's must (translation reads in that order)."""
    for kind in snapshot.COLLECTIONS:
        for source, resources in (("real", REAL.get(kind, [])), ("synthetic", snap[kind])):
            ids = [resource["id"] for resource in resources]
            assert ids == sorted(ids), (source, kind)
    assert len(snap["ports"]) == 600 and len(snap["security_group_rules"]) == 90


def test_open_vswitch_agents_have_the_real_shape(snap):
    real = [a for a in REAL["agents"] if a["agent_type"] == "Open vSwitch agent"]
    ours = [a for a in snap["agents"] if a["agent_type"] == "Open vSwitch agent"]
    assert shape(ours) == shape(real)
    assert {frozenset(a) for a in snap["agents"]} == {frozenset(real[0])}


def test_sizes_are_exact(snap, cloud):
    counts = snap.counts()
    assert counts["ports"] == 600 and counts["security_group_rules"] == 90
    assert counts["networks"] == 13 and counts["subnets"] == 13  # and the external network
    assert counts["routers"] == 4
    assert len({n["project_id"] for n in snap["networks"]}) == 5
    compute_hosts = {a["host"] for a in snap["agents"]} - {"network-1"}
    assert len(compute_hosts) == 7
    owners = Counter(p["device_owner"] for p in snap["ports"])
    assert owners["network:dhcp"] == 12 and owners["network:router_interface"] == 12
    assert owners["network:router_gateway"] == 4
    assert owners["network:floatingip"] == counts["floatingips"] > 0
    assert owners["compute:nova"] > 0 and owners[""] > 0


@pytest.mark.parametrize("size", [CloudSize(ports=3), CloudSize(ports=97, networks=5, projects=9),
                                  CloudSize(ports=2000, rules=8, projects=1, hosts=1),
                                  CloudSize(ports=5000, networks=1, seed=9)])
def test_any_size_is_exact_and_valid(size):
    snap = SyntheticCloud(size).snapshot()
    snapshot.from_document(snap.to_json())
    assert len(snap["ports"]) == size.ports
    if size.rules:
        assert len(snap["security_group_rules"]) == size.rules
    check_consistent(snap)


def test_references_and_addresses_are_consistent(snap):
    snapshot.from_document(snap.to_json())
    check_consistent(snap)


def check_consistent(snap):
    networks = {n["id"]: n for n in snap["networks"]}
    subnets = {s["id"]: s for s in snap["subnets"]}
    groups = {g["id"]: g for g in snap["security_groups"]}
    routers = {r["id"]: r for r in snap["routers"]}
    ports = {p["id"]: p for p in snap["ports"]}
    for net in networks.values():
        assert all(subnets[s]["network_id"] == net["id"] for s in net["subnets"])
    for sub in subnets.values():
        cidr = ipaddress.ip_network(sub["cidr"])
        assert ipaddress.ip_address(sub["gateway_ip"]) in cidr
        for pool in sub["allocation_pools"]:
            assert ipaddress.ip_address(pool["start"]) in cidr and ipaddress.ip_address(pool["end"]) in cidr
        for route in sub["host_routes"]:
            assert ipaddress.ip_address(route["nexthop"]) in cidr
    macs = [p["mac_address"] for p in ports.values()]
    assert len(set(macs)) == len(macs) and all(m.startswith("fa:16:3e:") for m in macs)
    addresses = Counter()
    agents = {a["host"]: a for a in snap["agents"] if a["agent_type"] == "Open vSwitch agent"}
    for port in ports.values():
        assert port["network_id"] in networks
        for fixed in port["fixed_ips"]:
            sub = subnets[fixed["subnet_id"]]
            assert sub["network_id"] == port["network_id"]
            addresses[fixed["ip_address"]] += 1
            if port["device_owner"] == "network:router_interface":
                assert fixed["ip_address"] == sub["gateway_ip"]
                assert port["device_id"] in routers
            else:
                assert in_pools(fixed["ip_address"], sub["allocation_pools"])
        for group in port["security_groups"]:
            assert groups[group]["project_id"] == port["project_id"]
        if port["binding:host_id"]:
            assert port["binding:host_id"] in agents and port["binding:vif_type"] == "ovs"
    assert max(addresses.values()) == 1
    tunnel_ips = [a["configurations"]["tunneling_ip"] for a in agents.values()]
    assert len(set(tunnel_ips)) == len(tunnel_ips)
    rules = {r["id"]: r for r in snap["security_group_rules"]}
    nested = {}
    for group in groups.values():
        for rule in group["security_group_rules"]:
            nested[rule["id"]] = {k: v for k, v in rule.items() if k not in ("standard_attr_id", "tags")}
    assert nested == rules
    for rule in rules.values():
        assert rule["security_group_id"] in groups
        assert rule["remote_group_id"] is None or rule["remote_group_id"] in groups
    for router in routers.values():
        gateway = router["external_gateway_info"]
        assert networks[gateway["network_id"]]["router:external"]
        attached = [subnets[f["subnet_id"]] for p in ports.values()
                    if p["device_id"] == router["id"] and p["device_owner"] == "network:router_interface"
                    for f in p["fixed_ips"]]
        for route in router["routes"]:
            assert any(ipaddress.ip_address(route["nexthop"]) in ipaddress.ip_network(s["cidr"])
                       for s in attached)
    fip_ports = {p["device_id"]: p for p in ports.values() if p["device_owner"] == "network:floatingip"}
    for fip in snap["floatingips"]:
        assert fip_ports[fip["id"]]["fixed_ips"][0]["ip_address"] == fip["floating_ip_address"]
        if fip["port_id"]:
            port = ports[fip["port_id"]]
            assert port["fixed_ips"][0]["ip_address"] == fip["fixed_ip_address"]
            assert fip["port_details"]["mac_address"] == port["mac_address"]
            interface_of = {p["device_id"] for p in ports.values()
                            if p["device_owner"] == "network:router_interface"
                            and p["network_id"] == port["network_id"]}
            assert fip["router_id"] in interface_of
        else:
            assert fip["port_details"] is None and fip["router_id"] is None


def in_pools(address, pools):
    ip = ipaddress.ip_address(address)
    return any(ipaddress.ip_address(p["start"]) <= ip <= ipaddress.ip_address(p["end"]) for p in pools)


def test_same_seed_same_file_and_streaming_equals_memory(tmp_path):
    size = CloudSize(ports=400, seed=11)
    write(SyntheticCloud(size), tmp_path / "a.json")
    write(SyntheticCloud(size), tmp_path / "b.json")
    write(SyntheticCloud(CloudSize(ports=400, seed=12)), tmp_path / "c.json")
    a = (tmp_path / "a.json").read_bytes()
    assert a == (tmp_path / "b.json").read_bytes()
    assert a != (tmp_path / "c.json").read_bytes()
    assert snapshot.load(tmp_path / "a.json").to_json() == SyntheticCloud(size).snapshot().to_json()


def test_impossible_sizes_name_the_option():
    with pytest.raises(InputError) as caught:
        SyntheticCloud(CloudSize(ports=10, networks=5, projects=2, rules=3, hosts=0))
    assert caught.value.problems == [
        "--hosts: must be at least 1, got 0",
        "--ports: 10 is too few: 5 networks need a router interface and a DHCP port each, "
        "2 routers a gateway port each; at least 12",
        "--rules: 3 is too few: each project's default security group (admin included: 3) "
        "has 4 rules; at least 12",
    ]


def test_lab_synth_command(tmp_path, capsys):
    out = tmp_path / "cloud.json"
    assert main(["lab", "synth", "--ports", "250", "--hosts", "4", "--seed", "2", "--out", str(out)]) == 0
    assert f"wrote {out}: " in capsys.readouterr().out
    loaded = snapshot.load(out)
    assert len(loaded["ports"]) == 250
    assert main(["lab", "synth", "--ports", "0", "--out", str(tmp_path / "x.json")]) == 2
    assert "--ports: must be at least 1, got 0" in capsys.readouterr().err
    assert not (tmp_path / "x.json").exists()
