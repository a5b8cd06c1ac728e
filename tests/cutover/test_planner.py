"""Nodes from the snapshot and the plan; waves; the networks each wave splits."""

import pytest

from wizard.core.errors import InputError
from wizard.cutover.inventory import compute_nodes
from wizard.cutover.planner import group_by_networks, plan_waves, split_cost, split_networks
from wizard.neutron.snapshot import COLLECTIONS, Snapshot
from wizard.plan import NodeOverride, Plan, WaveConfig
from wizard.translate.nodes import node_id


def bindings_of(snapshot):
    """What translation binds: VM ports with a host (not Neutron's own DHCP and router ports)."""
    return {p["id"]: p["binding:host_id"] for p in snapshot["ports"]
            if p["binding:host_id"] and not p["device_owner"].startswith("network:")}


def snapshot_of(agents=(), ports=()):
    collections = {name: [] for name in COLLECTIONS}
    collections["agents"], collections["ports"] = list(agents), list(ports)
    return Snapshot(collections=collections)


def agent(host, ip, kind="Open vSwitch agent"):
    return {"id": f"agent-{host}", "host": host, "agent_type": kind, "configurations": {"tunneling_ip": ip}}


def port(pid, host, net="net-a", owner="compute:nova", device="vm-" + "x"):
    return {"id": pid, "network_id": net, "project_id": "p1", "device_id": device,
            "device_owner": owner, "binding:host_id": host}


def test_nodes_come_from_agents_ports_and_plan():
    snap = snapshot_of(
        agents=[agent("c1", "10.0.0.1"), agent("c2", "10.0.0.2"), agent("net1", "10.0.0.9", "DHCP agent")],
        ports=[port("p1", "c1"), port("p2", "c1", owner="network:dhcp"), port("p3", "c3"), port("p4", "")],
    )
    plan = Plan(nodes={"c3": NodeOverride(local_ip="10.0.0.3", address="c3.example", mac_address="aa:bb:cc:dd:ee:ff")})
    nodes = {n.name: n for n in compute_nodes(snap, plan, bindings_of(snap))}
    assert sorted(nodes) == ["c1", "c2", "c3"]  # the DHCP agent's host is not a compute node
    assert [p.port_id for p in nodes["c1"].ports] == ["p1"]  # Neutron's own DHCP port is not bound by us
    assert nodes["c1"].node_id == node_id("c1") and nodes["c1"].address == "c1"  # ssh reaches a host by name
    assert nodes["c3"].address == "c3.example" and nodes["c3"].node_info()["mac_address"] == "aa:bb:cc:dd:ee:ff"
    assert nodes["c3"].node_info()["node_name"] == "c3" and nodes["c3"].node_info()["server_port"] == 50001


def test_a_host_without_tunnel_ip_is_named():
    snap = snapshot_of(ports=[port("p1", "c9")])
    with pytest.raises(InputError, match=r"nodes\.c9\.local_ip"):
        compute_nodes(snap, Plan(), bindings_of(snap))


def nodes_of(hosts, vms_per_host=2, networks=4):
    """compute-1..N, each with `vms_per_host` VMs; VM k's port on network k mod `networks` (round robin)."""
    agents = [agent(f"compute-{h}", f"10.0.0.{h}") for h in range(1, hosts + 1)]
    ports = [port(f"port-{h}-{v}", f"compute-{h}", net=f"net-{((h - 1) * vms_per_host + v) % networks}",
                  device=f"vm-{h}-{v}")
             for h in range(1, hosts + 1) for v in range(vms_per_host)]
    snap = snapshot_of(agents, ports)
    return compute_nodes(snap, Plan(), bindings_of(snap))


def test_canary_then_fixed_batches():
    waves = plan_waves(nodes_of(7), WaveConfig(canary=["compute-3"], batch_size=3))
    assert [(w.name, w.nodes) for w in waves] == [
        ("canary", ("compute-3",)),
        ("batch 1", ("compute-1", "compute-2", "compute-4")),
        ("batch 2", ("compute-5", "compute-6", "compute-7")),
    ]


def test_all_at_once_and_explicit_lists():
    nodes = nodes_of(4)
    assert [w.nodes for w in plan_waves(nodes, WaveConfig(all_at_once=True))] == [
        ("compute-1", "compute-2", "compute-3", "compute-4")]
    lists = WaveConfig(lists=[["compute-2", "compute-1"], ["compute-4", "compute-3"]])
    assert [(w.name, w.nodes) for w in plan_waves(nodes, lists)] == [
        ("list 1", ("compute-2", "compute-1")), ("list 2", ("compute-4", "compute-3"))]


def test_wave_mistakes_are_all_named():
    nodes = nodes_of(3)
    with pytest.raises(InputError) as err:
        plan_waves(nodes, WaveConfig(canary=["compute-9"], lists=[["compute-1"], ["compute-1", "compute-2"]]))
    assert "cutover.waves.canary: unknown node 'compute-9'" in str(err.value)
    assert "cutover.waves.lists[1]: node 'compute-1' is already in cutover.waves.lists[0]" in str(err.value)
    with pytest.raises(InputError, match="nodes in no wave: compute-3"):
        plan_waves(nodes, WaveConfig(lists=[["compute-1", "compute-2"]]))


def test_split_report_names_networks_vms_and_window():
    # 4 hosts, 1 VM each on 2 networks: net-0 on compute-1 and -3, net-1 on compute-2 and -4
    nodes = nodes_of(4, vms_per_host=1, networks=2)
    config = WaveConfig(batch_size=2, parallel=2, node_seconds=10)
    waves = plan_waves(nodes, config)
    splits = split_networks(waves, nodes, config)
    assert [len(s.networks) for s in splits] == [2, 2]
    first = splits[0].networks[0]
    assert (first.first_wave, first.last_wave, first.window) == (1, 2, 20.0)
    assert len(splits[0].vms) == 4
    # grouping by network moves both hosts of each network in the same wave: the window halves
    grouped = WaveConfig(batch_size=2, parallel=2, node_seconds=10, order="networks")
    grouped_splits = split_networks(plan_waves(nodes, grouped), nodes, grouped)
    assert all(n.within_one_wave and n.window == 10.0 for s in grouped_splits for n in s.networks)
    assert split_cost(grouped_splits) == 20.0 < split_cost(splits) == 40.0


def test_grouping_keeps_every_node_once():
    nodes = nodes_of(23, vms_per_host=3, networks=7)
    ordered = group_by_networks(nodes, 5)
    assert sorted(n.name for n in ordered) == sorted(n.name for n in nodes)


def test_a_network_on_one_host_is_never_split():
    nodes = nodes_of(3, vms_per_host=1, networks=3)
    config = WaveConfig(batch_size=1)
    assert all(not s.networks for s in split_networks(plan_waves(nodes, config), nodes, config))
