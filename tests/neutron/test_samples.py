"""The committed sample clouds load and hold what they promise."""

import ipaddress

import pytest

from wizard.lab.samples import FILES
from wizard.neutron import snapshot

SAMPLES = FILES


@pytest.mark.parametrize("name, min_ports, min_hosts", [("small", 6, 3), ("medium", 400, 10), ("traps", 9, 3)])
def test_sample_loads_with_bound_ports_on_its_hosts(name, min_ports, min_hosts):
    snap = snapshot.load(SAMPLES / f"{name}.json")
    vms = [p for p in snap["ports"] if p["device_owner"] == "compute:nova"]
    assert len(vms) >= min_ports
    hosts = {a["host"] for a in snap["agents"]}
    assert len(hosts) >= min_hosts
    assert {p["binding:host_id"] for p in vms} <= hosts
    assert all(p["binding:vif_type"] == "ovs" for p in vms)
    assert len({p["project_id"] for p in vms}) >= 2
    assert snap["segments"] and snap["floatingips"] and snap["routers"]


def test_the_traps_sample_holds_each_trap_alcor_sets():
    snap = snapshot.load(SAMPLES / "traps.json")
    subnets = {s["id"]: s for s in snap["subnets"]}
    vms = [p for p in snap["ports"] if p["device_owner"] == "compute:nova"]
    on_subnet = {sid: [p for p in snap["ports"] if any(ip["subnet_id"] == sid for ip in p["fixed_ips"])]
                 for sid in subnets}

    # IPv4 prefixes Alcor refuses (SubnetServiceImp.verifyCidrBlock: /16 to /28), each with a VM port;
    # the /29 is a transfer net on a router interface
    refused = {ipaddress.ip_network(s["cidr"]).prefixlen: sid for sid, s in subnets.items()
               if not 16 <= ipaddress.ip_network(s["cidr"]).prefixlen <= 28}
    assert sorted(refused) == [12, 29]
    assert all(any(p["device_owner"] == "compute:nova" for p in on_subnet[sid]) for sid in refused.values())
    assert any(p["device_owner"] == "network:router_interface" for p in on_subnet[refused[29]])

    # port security off (no groups) next to ports with groups in the same network and project
    # (so in one bulk chunk), and no VM port names a default group
    off = [p for p in vms if not p["port_security_enabled"]]
    assert off and all(p["security_groups"] == [] for p in off)
    assert len({(p["network_id"], p["project_id"]) for p in off} &
               {(q["network_id"], q["project_id"]) for q in vms if q["security_groups"]}) == 2
    defaults = {g["id"] for g in snap["security_groups"] if g["name"] == "default"}
    assert not any(set(p["security_groups"]) & defaults for p in vms)

    # two external networks, each with a subnet and a floating IP in it
    external = {n["id"] for n in snap["networks"] if n["router:external"]}
    assert len(external) == 2
    assert {s["network_id"] for s in subnets.values()} >= external
    assert {f["floating_network_id"] for f in snap["floatingips"] if f["port_id"]} == external

    # extra routes on a router joined to one network
    routed = [r for r in snap["routers"] if r["routes"]]
    interfaces = {p["network_id"] for p in snap["ports"] if p["device_owner"] == "network:router_interface"
                  and p["device_id"] == routed[0]["id"]}
    assert len(routed) == 1 and len(interfaces) == 1
