"""Compute hosts -> Alcor nodes (bulk), from Neutron's agents and the plan's per-node facts.

Alcor finds a bound port's node by `node_name` == Neutron's `binding:host_id`, and uses
`local_ip` as the tunnel endpoint: the agent's `tunneling_ip`, unless the plan says
otherwise. Neutron knows no host MAC or veth; the plan supplies them.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any

from wizard.alcor import paths, values
from wizard.alcor.request import AlcorRequest, NeutronRef
from wizard.plan import NodeOverride
from wizard.translate import requests
from wizard.translate.context import Context

KIND = "agents"
HOST_KIND = "hosts"  # id-map kind: host name -> node_id
_NAMESPACE = uuid.UUID("5d1c8a9e-4b0f-4c52-9a8e-3f0b7f6d2a10")


def node_id(host: str) -> str:
    """A stable node id for a host name (Neutron has none)."""
    return str(uuid.uuid5(_NAMESPACE, host))


def tunnel_ip(agents: list[dict[str, Any]]) -> str | None:
    for agent in agents:
        address = (agent.get("configurations") or {}).get("tunneling_ip")
        if address:
            return address
    return None


def bound_hosts(context: Context) -> set[str]:
    return {p["binding:host_id"] for p in context.index.all("ports") if p.get("binding:host_id")}


def body(host: str, agents: list[dict[str, Any]], context: Context) -> dict[str, Any] | None:
    """The node body, or None when the host's tunnel IP is unknown (a blocker if ports are bound there)."""
    override = context.options.nodes.get(host) or NodeOverride()
    local_ip = override.local_ip or tunnel_ip(agents)
    if local_ip is None:
        return None
    if not override.mac_address:
        context.find("node-mac-missing", HOST_KIND, host, f"no MAC address for host {host} in the plan")
    return {"node_id": node_id(host), "node_name": host, "local_ip": local_ip,
            "mac_address": override.mac_address, "veth": override.veth or "",
            "server_port": override.server_port or values.ACA_GRPC_PORT,
            "host_dvr_mac": None, "ncm_id": None}


def nodes(context: Context) -> list[AlcorRequest]:
    """A node per host with a known tunnel IP, in bulk chunks; findings for the others."""
    agents_of: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for agent in context.index.all(KIND):
        agents_of[agent.get("host") or ""].append(agent)
    bound = bound_hosts(context)
    items = []
    for host in sorted(set(agents_of) | bound | set(context.options.nodes)):
        agents = sorted(agents_of.get(host, []), key=lambda a: a["id"])
        node = body(host, agents, context) if host else None
        if node is None:
            _report_unknown(host, agents, host in bound, context)
            continue
        context.id_map[(HOST_KIND, host)] = node["node_id"]
        # a node names its host, and every agent running there
        items.append(requests.BulkItem(NeutronRef(HOST_KIND, host), None, node,
                                       extra_refs=[NeutronRef(KIND, a["id"]) for a in agents]))
    return requests.bulk(paths.NODE, items, context.options.chunk, context.key_of)


def _report_unknown(host: str, agents: list[dict[str, Any]], bound: bool, context: Context) -> None:
    if bound:
        context.find("node-unknown-host", HOST_KIND, host,
                 f"ports are bound to host {host!r}, but neither its agents nor the plan give its tunnel IP")
    for agent in agents:
        context.find("agent-not-migrated", KIND, agent["id"],
                 f"{agent.get('agent_type')} on {host or 'no host'}: no tunnel IP, so no Alcor node")
