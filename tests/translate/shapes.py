"""Neutron resources in the exact shapes neutron 29 returns (see data/neutron29-small.json,
read from a real neutron-server), with the fields a test cares about overridden."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

from wizard.neutron.snapshot import COLLECTIONS, FORMAT, from_document

_counter = itertools.count(1)
STAMP = "2026-11-25T15:53:00Z"


def uid() -> str:
    return str(uuid.UUID(int=next(_counter) * 7919 + 2**100))


def network(project: str = "proj-a", **over: Any) -> dict[str, Any]:
    return {"id": uid(), "name": "net", "tenant_id": project, "project_id": project, "admin_state_up": True,
            "mtu": 1450, "status": "ACTIVE", "subnets": [], "shared": False, "availability_zone_hints": [],
            "availability_zones": [], "ipv4_address_scope": None, "ipv6_address_scope": None,
            "router:external": False, "description": "", "port_security_enabled": True, "tags": [],
            "created_at": STAMP, "updated_at": STAMP, "revision_number": 2, "provider:network_type": "vxlan",
            "provider:physical_network": None, "provider:segmentation_id": 161, **over}


def subnet(net: dict[str, Any], cidr: str = "10.20.0.0/24", **over: Any) -> dict[str, Any]:
    v6 = ":" in cidr
    base = cidr.split("/")[0]
    prefix = base.rsplit(".", 1)[0] if not v6 else None
    gateway = f"{prefix}.1" if not v6 else base + "1"
    pools = ([{"start": f"{prefix}.2", "end": f"{prefix}.254"}] if not v6
             else [{"start": base + "2", "end": base + "ffff"}])
    item = {"id": uid(), "name": "sub", "project_id": net["project_id"], "network_id": net["id"],
            "ip_version": 6 if v6 else 4, "subnetpool_id": None, "enable_dhcp": True, "ipv6_ra_mode": None,
            "ipv6_address_mode": None, "gateway_ip": gateway, "cidr": cidr, "allocation_pools": pools,
            "host_routes": [], "dns_nameservers": [], "description": "",
            "router:external": net.get("router:external", False),
            "service_types": [], "tags": [], "created_at": STAMP, "updated_at": STAMP, "revision_number": 0,
            "tenant_id": net["project_id"], **over}
    net["subnets"].append(item["id"])
    return item


def port(net: dict[str, Any], sub: dict[str, Any] | None = None, ip: str | None = None, groups=(),
         **over: Any) -> dict[str, Any]:
    pid = uid()
    mac = "fa:16:3e:" + ":".join(f"{int(pid[-6:][i:i + 2], 16):02x}" for i in (0, 2, 4))
    fixed = [{"subnet_id": sub["id"], "ip_address": ip}] if sub and ip else []
    project = over.pop("project", net["project_id"])
    return {"id": pid, "name": "", "network_id": net["id"], "project_id": project, "mac_address": mac,
            "admin_state_up": True, "status": "DOWN", "device_id": "", "device_owner": "", "fixed_ips": fixed,
            "allowed_address_pairs": [], "extra_dhcp_opts": [], "security_groups": list(groups),
            "description": "", "binding:vnic_type": "normal", "binding:profile": {}, "binding:host_id": "",
            "binding:vif_type": "unbound", "binding:vif_details": {}, "port_security_enabled": True, "tags": [],
            "created_at": STAMP, "updated_at": STAMP, "revision_number": 1, "tenant_id": project, **over}


def router(project: str = "proj-a", **over: Any) -> dict[str, Any]:
    return {"id": uid(), "name": "r", "project_id": project, "admin_state_up": True, "status": "ACTIVE",
            "external_gateway_info": None, "description": "", "availability_zones": [], "distributed": False,
            "ha": False, "availability_zone_hints": [], "routes": [], "flavor_id": None, "tags": [],
            "created_at": STAMP, "updated_at": STAMP, "revision_number": 3, "tenant_id": project, **over}


def interface(rtr: dict[str, Any], net: dict[str, Any], sub: dict[str, Any], ip: str | None = None) -> dict[str, Any]:
    return port(net, sub, ip or sub["gateway_ip"], device_owner="network:router_interface", device_id=rtr["id"],
                port_security_enabled=False)


def group(project: str = "proj-a", name: str = "web", **over: Any) -> dict[str, Any]:
    return {"id": uid(), "name": name, "stateful": True, "tenant_id": project, "project_id": project,
            "description": "Default security group" if name == "default" else "", "shared": False, "tags": [],
            "created_at": STAMP, "updated_at": STAMP, "revision_number": 1, **over}


def rule(grp: dict[str, Any], direction: str = "ingress", ethertype: str = "IPv4", **over: Any) -> dict[str, Any]:
    project = over.pop("project", grp["project_id"])
    return {"id": uid(), "project_id": project, "security_group_id": grp["id"], "ethertype": ethertype,
            "direction": direction, "protocol": None, "port_range_min": None, "port_range_max": None,
            "remote_ip_prefix": None, "remote_address_group_id": None, "normalized_cidr": None,
            "remote_group_id": None, "belongs_to_default_sg": grp["name"] == "default", "description": None,
            "created_at": STAMP, "updated_at": STAMP, "revision_number": 0, "tenant_id": project, **over}


def neutron_default_group(project: str = "proj-a") -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A project's default group as Neutron makes it: egress all, ingress from the group itself."""
    grp = group(project, "default")
    rules = [rule(grp, "egress", "IPv4"), rule(grp, "egress", "IPv6"),
             rule(grp, "ingress", "IPv4", remote_group_id=grp["id"]),
             rule(grp, "ingress", "IPv6", remote_group_id=grp["id"])]
    return grp, rules


def floatingip(ext_net: dict[str, Any], address: str, prt: dict[str, Any] | None = None,
               project: str = "proj-a", **over: Any) -> dict[str, Any]:
    return {"id": uid(), "tenant_id": project, "project_id": project, "floating_ip_address": address,
            "floating_network_id": ext_net["id"], "router_id": None, "port_id": prt["id"] if prt else None,
            "fixed_ip_address": prt["fixed_ips"][0]["ip_address"] if prt else None, "status": "DOWN",
            "description": "", "port_details": None, "tags": [], "created_at": STAMP, "updated_at": STAMP,
            "revision_number": 0, **over}


def agent(host: str, tunneling_ip: str | None = "192.0.2.11", agent_type: str = "Open vSwitch agent") -> dict[str, Any]:
    conf = {"bridge_mappings": {}, "tunnel_types": ["vxlan"], "integration_bridge": "br-int"}
    if tunneling_ip:
        conf["tunneling_ip"] = tunneling_ip
    return {"id": uid(), "agent_type": agent_type, "binary": "neutron-openvswitch-agent", "topic": "N/A",
            "host": host, "admin_state_up": True, "created_at": "2026-11-25 15:52:59.982906",
            "started_at": "2026-11-25 15:52:59.982906", "heartbeat_timestamp": "2026-11-25 15:52:59.982906",
            "description": None, "resources_synced": True, "availability_zone": None, "alive": True,
            "configurations": conf}


def snapshot(*resources: dict[str, Any], extensions=()):
    """A validated Snapshot holding the given resources, each filed by its shape."""
    document = {"format": FORMAT, "source": {"extensions": list(extensions)}, **{name: [] for name in COLLECTIONS}}
    for item in resources:
        document[_collection(item)].append(item)
    return from_document(document)


def _collection(item: dict[str, Any]) -> str:
    if "agent_type" in item:
        return "agents"
    if "floating_ip_address" in item:
        return "floatingips"
    if "direction" in item:
        return "security_group_rules"
    if "stateful" in item:
        return "security_groups"
    if "mac_address" in item:
        return "ports"
    if "cidr" in item:
        return "subnets"
    if "external_gateway_info" in item:
        return "routers"
    if "mtu" in item:
        return "networks"
    if "minimum" in item:
        return "network_segment_ranges"
    if "segmentation_id" in item:
        return "segments"
    raise ValueError(f"unknown shape: {sorted(item)}")
