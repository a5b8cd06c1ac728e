"""Building a topology through the real Neutron API: the small sample, feature by feature."""

import pytest

from wizard.core.errors import MigrateError
from wizard.lab import samples
from wizard.lab.neutron_server import NeutronServer
from wizard.lab.topology import Builder, Topology, project_id
from wizard.neutron.reader import NeutronReader
from wizard.plan import NeutronSource


@pytest.fixture(scope="module")
def small_cloud():
    """The small sample built on its own server (it needs the segment plugins); its snapshot and ids."""
    with NeutronServer(service_plugins=samples.SERVICE_PLUGINS) as server:
        with NeutronReader(NeutronSource(url=server.url, auth="none")) as reader:
            empty = reader.read()
        with Builder(server.url, server.add_agent) as builder:
            ids = builder.build(samples.small())
        with NeutronReader(NeutronSource(url=server.url, auth="none")) as reader:
            yield empty, reader.read(), ids


def by_name(items):
    return {item["name"]: item for item in items if item.get("name")}


@pytest.mark.neutron
def test_a_new_server_starts_empty(small_cloud):
    empty, _, _ = small_cloud
    assert empty["networks"] == [] and empty["ports"] == [] and empty["agents"] == []


@pytest.mark.neutron
def test_networks_cover_external_provider_and_overlapping_tenant_networks(small_cloud):
    _, snap, _ = small_cloud
    networks, subnets = by_name(snap["networks"]), by_name(snap["subnets"])
    assert networks["public"]["router:external"] and networks["public"]["provider:network_type"] == "flat"
    vlan = networks["provider-vlan"]
    assert (vlan["provider:network_type"], vlan["provider:segmentation_id"]) == ("vlan", 120)
    assert networks["red-web"]["provider:network_type"] == "vxlan"
    assert subnets["red-web-v4"]["cidr"] == subnets["blue-app-v4"]["cidr"] == "10.0.0.0/24"
    assert subnets["red-web-v4"]["project_id"] == project_id("red") != subnets["blue-app-v4"]["project_id"]
    assert subnets["red-web-v6"]["ip_version"] == 6 and subnets["red-web-v6"]["ipv6_address_mode"] == "slaac"
    assert {s["network_id"] for s in snap["segments"]} == {n["id"] for n in snap["networks"]}
    assert {r["network_type"] for r in snap["network_segment_ranges"]} == {"vlan", "vxlan"}
    assert "segment" in snap.extensions


@pytest.mark.neutron
def test_routers_have_gateway_interfaces_and_routes(small_cloud):
    _, snap, ids = small_cloud
    router = by_name(snap["routers"])["red-router"]
    assert router["external_gateway_info"]["network_id"] == ids["networks"]["public"]
    assert router["routes"] == [{"destination": "172.16.0.0/16", "nexthop": "10.0.1.254"}]
    interfaces = [p for p in snap["ports"] if p["device_id"] == router["id"]
                  and p["device_owner"] == "network:router_interface"]
    assert sorted(p["fixed_ips"][0]["ip_address"] for p in interfaces) == ["10.0.0.1", "10.0.1.1"]


@pytest.mark.neutron
def test_ports_security_groups_and_floating_ips(small_cloud):
    _, snap, ids = small_cloud
    ports = by_name(snap["ports"])
    assert {ports[n]["binding:vif_type"] for n in ("red-web-1", "red-db-1", "blue-app-1")} == {"ovs"}
    assert ports["red-web-1"]["binding:host_id"] == "compute-1"
    assert ports["red-spare"]["binding:vif_type"] == "unbound"
    assert not ports["blue-app-2"]["port_security_enabled"] and ports["blue-app-2"]["security_groups"] == []
    assert any(ip["ip_address"].startswith("fd00:10::") for ip in ports["red-web-1"]["fixed_ips"])
    remote = [r for r in snap["security_group_rules"] if r["remote_group_id"] == ids["security_groups"]["red-web"]]
    assert [(r["protocol"], r["port_range_min"]) for r in remote] == [("tcp", 5432)]
    associated = {f["floating_ip_address"]: f["port_id"] for f in snap["floatingips"]}
    assert associated == {"198.51.100.101": ports["red-web-1"]["id"],
                          "198.51.100.102": ports["blue-app-1"]["id"], "198.51.100.103": None}
    assert {a["host"]: a["configurations"]["tunneling_ip"] for a in snap["agents"]} == samples.small().agents


def test_a_reference_to_an_unknown_resource_is_named():
    topology = Topology(name="broken", subnets=[{"name": "s", "network": "nowhere", "cidr": "10.0.0.0/24"}])
    with (Builder("http://127.0.0.1:9", lambda host, ip: None) as builder,
          pytest.raises(MigrateError, match="networks 'nowhere' is referenced before it is created")):
        builder.build(topology)


def test_fleets_overlap_cidrs_across_projects_and_spread_ports_over_hosts():
    topology = samples.fleet("f", projects=2, networks_per_project=2, ports_per_network=250, hosts=7)
    assert topology.counts()["ports"] == 1000
    assert {s["cidr"] for s in topology.subnets if s["name"].startswith("tenant-01")} == \
           {s["cidr"] for s in topology.subnets if s["name"].startswith("tenant-02")} == {"10.1.0.0/24", "10.2.0.0/24"}
    hosts = [p["binding:host_id"] for p in topology.ports]
    per_host = [hosts.count(host) for host in set(hosts)]
    assert set(hosts) == set(topology.agents) and max(per_host) - min(per_host) <= 1


def test_the_traps_sample_is_small_and_runs_on_the_hosts_of_small():
    topology = samples.traps()
    assert topology.agents == samples.small().agents
    assert sum(topology.counts().values()) <= 40
    assert {p["binding:host_id"] for p in topology.ports} == set(topology.agents)
    assert samples.SAMPLES["traps"] is samples.traps
