"""The compute nodes to hand over, and the ports each must bind, from the snapshot, translation and plan.

Neutron knows a host by its agents (`host`, `configurations.tunneling_ip`); the
translation says which ports Alcor holds and the host each was bound to in Neutron
(`Translation.bindings`: created without `binding:host_id`, bound at cutover); the
plan adds what Neutron does not hold (the node's MAC, where the executor reaches
it) or corrects it. Alcor's node manager needs `node_name` equal to Neutron's
`binding:host_id` (reference §0.8), and the node id is the one translation gave it.
Each port carries the body translation creates it with (`port_bodies`): a rollback that
finds the port gone from Alcor (it died between deleting and creating it) creates it from that.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from wizard.alcor.paths import BULK_CREATE, CREATE, PORT, match
from wizard.alcor.request import AlcorRequest
from wizard.alcor.values import ACA_GRPC_PORT
from wizard.core.errors import InputError
from wizard.translate.nodes import node_id

# Agents that own a host's virtual switch; the ones ACA replaces.
L2_AGENT_TYPES = ("Open vSwitch agent", "Linux bridge agent")


@dataclass(frozen=True)
class PortBinding:
    """One Neutron port bound to a host: what the cutover binds in Alcor."""

    port_id: str
    project_id: str
    network_id: str
    device_id: str
    host: str
    # The port's create body from the translation (deferred ids unresolved; no `binding:host_id`).
    body: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @property
    def vm(self) -> str:
        return self.device_id or self.port_id


@dataclass(frozen=True)
class ComputeNode:
    """A host whose virtual switch moves from the Neutron agents to ACA."""

    name: str  # Neutron's host name = Alcor's node_name
    node_id: str
    local_ip: str  # tunnel endpoint
    address: str  # where the executor reaches the host (default: its name)
    mac_address: str | None = None
    veth: str | None = None
    server_port: int = ACA_GRPC_PORT
    ports: tuple[PortBinding, ...] = field(default=(), compare=False)

    @property
    def networks(self) -> frozenset[str]:
        return frozenset(port.network_id for port in self.ports)

    def node_info(self) -> dict[str, Any]:
        """The node as Alcor's node manager takes it (`NodeInfo`, reference §2.7)."""
        info = {"node_id": self.node_id, "node_name": self.name, "local_ip": self.local_ip,
                "server_port": self.server_port}
        if self.mac_address:
            info["mac_address"] = self.mac_address
        if self.veth:
            info["veth"] = self.veth
        return info

    def template_values(self) -> dict[str, Any]:
        """What a plan's command template may name."""
        return {"host": self.name, "address": self.address, "local_ip": self.local_ip,
                "server_port": self.server_port}


def port_bodies(requests: Iterable[AlcorRequest]) -> dict[str, dict[str, Any]]:
    """Port id -> the body the translation's port creates (single or bulk) send for it."""
    bodies: dict[str, dict[str, Any]] = {}
    for request in requests:
        op = match(request.method, request.path) if request.kind == PORT.name else None
        if op is not None and op.action == CREATE:
            items = [PORT.unwrap(request.body) or {}]
        elif op is not None and op.action == BULK_CREATE:
            items = (request.body or {}).get(PORT.bulk or "") or []
        else:
            continue
        bodies.update((item["id"], item) for item in items if item.get("id"))
    return bodies


def port_bindings(snapshot, bindings: Mapping[str, str],
                  bodies: Mapping[str, Mapping[str, Any]] | None = None) -> list[PortBinding]:
    """The ports to bind (port id -> host, from the translation), with the facts the cutover needs
    and the body each is created with (`port_bodies`)."""
    ports = {port["id"]: port for port in snapshot["ports"]}
    bodies = bodies or {}
    return [
        PortBinding(port_id=port_id, project_id=port.get("project_id") or port.get("tenant_id") or "",
                    network_id=port["network_id"], device_id=port.get("device_id") or "", host=host,
                    body=bodies.get(port_id, {}))
        for port_id, host in sorted(bindings.items()) if (port := ports.get(port_id))
    ]


def compute_nodes(snapshot, plan, bindings: Mapping[str, str],
                  bodies: Mapping[str, Mapping[str, Any]] | None = None) -> list[ComputeNode]:
    """Every host with an L2 agent, a port to bind or a plan entry, sorted by name.

    Raises InputError naming every host whose tunnel IP is known neither from
    its agent nor from the plan's `nodes.<host>.local_ip`.
    """
    agents = {a["host"]: a for a in snapshot["agents"] if a.get("agent_type") in L2_AGENT_TYPES}
    on_host: dict[str, list[PortBinding]] = {}
    for binding in port_bindings(snapshot, bindings, bodies):
        on_host.setdefault(binding.host, []).append(binding)
    hosts = sorted(set(agents) | set(on_host) | set(plan.nodes))
    nodes, problems = [], []
    for host in hosts:
        agent = agents.get(host, {})
        override = plan.nodes.get(host)
        local_ip = (override and override.local_ip) or (agent.get("configurations") or {}).get("tunneling_ip")
        if not local_ip:
            problems.append(f"nodes.{host}.local_ip: host {host} has bound ports but no agent reports its "
                            "tunneling_ip; give it in the plan")
            continue
        nodes.append(ComputeNode(
            name=host,
            node_id=node_id(host),
            local_ip=local_ip,
            address=(override and override.address) or host,
            mac_address=override.mac_address if override else None,
            veth=override.veth if override else None,
            server_port=override.server_port if override else ACA_GRPC_PORT,
            ports=tuple(on_host.get(host, [])),
        ))
    if problems:
        raise InputError(problems)
    return nodes
