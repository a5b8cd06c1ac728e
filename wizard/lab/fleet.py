"""A synthetic Neutron snapshot of many compute hosts, for cutover tests and benchmarks.

Host `compute-N` has an Open vSwitch agent with tunnel IP 10.0.x.y and `vms_per_host`
VMs, each with one port on one of `networks` networks (round robin), so networks
span hosts the way tenant networks do.
"""

from __future__ import annotations

import uuid

from wizard.neutron.snapshot import COLLECTIONS, Snapshot

_NAMESPACE = uuid.UUID("0b6f1e7c-3f6e-4d35-9c5e-7a1c2d4e8f90")


def _id(*parts: object) -> str:
    return str(uuid.uuid5(_NAMESPACE, "/".join(map(str, parts))))


def fleet_snapshot(hosts: int, vms_per_host: int = 2, networks: int = 4, project: str = "demo") -> Snapshot:
    snapshot = Snapshot(source={"endpoint": "lab:fleet", "extensions": []},
                        collections={name: [] for name in COLLECTIONS})
    for n in range(networks):
        snapshot["networks"].append({"id": _id("net", n), "name": f"net-{n}", "project_id": project,
                                     "subnets": [], "admin_state_up": True})
    slot = 0
    for h in range(1, hosts + 1):
        host = f"compute-{h}"
        snapshot["agents"].append({
            "id": _id("agent", host), "host": host, "agent_type": "Open vSwitch agent", "alive": True,
            "configurations": {"tunneling_ip": f"10.0.{h // 250}.{h % 250 + 1}", "tunnel_types": ["vxlan"]},
        })
        for v in range(vms_per_host):
            network = _id("net", slot % networks)
            vm = _id("vm", host, v)
            snapshot["ports"].append({
                "id": _id("port", host, v), "network_id": network, "project_id": project,
                "device_id": vm, "device_owner": "compute:nova", "binding:host_id": host,
                "binding:vif_type": "ovs", "status": "ACTIVE", "fixed_ips": [], "security_groups": [],
                "mac_address": "fa:16:3e:%02x:%02x:%02x" % (h // 256, h % 256, v),
            })
            slot += 1
    return snapshot
