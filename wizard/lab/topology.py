"""Neutron topologies as data, and the builder that creates one through Neutron's API.

A Topology lists Neutron request bodies per kind. Bodies name each other
instead of holding ids; the builder swaps names for the ids Neutron assigns:

    network, subnet, port, security_group, remote_group,
    floating_network                    -> network_id, subnet_id, port_id, ...
    security_groups: [names]            -> security_groups: [ids]
    project: "red"                      -> project_id: project_id("red")

Resources without `project` belong to the admin (in noauth, `fake_project_id`).
Routers take two more keys: `interfaces` (subnet names) and `routes`
(`[{"destination", "nexthop"}]`), applied after the router exists.
Names are unique per kind within a topology.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from wizard.core.errors import MigrateError

NAMESPACE = uuid.UUID("6f1c7a52-4d0e-4a8b-9a51-3c2f0e9b7d11")

Body = dict[str, Any]
# reference key in a body -> (the Neutron key it becomes, the kind it names)
REFERENCES = {
    "network": ("network_id", "networks"),
    "floating_network": ("floating_network_id", "networks"),
    "subnet": ("subnet_id", "subnets"),
    "port": ("port_id", "ports"),
    "security_group": ("security_group_id", "security_groups"),
    "remote_group": ("remote_group_id", "security_groups"),
}
# kind -> (API path, JSON key of one resource, created in bulk)
KINDS = {
    "networks": ("networks", "network", True),
    "subnets": ("subnets", "subnet", True),
    "security_groups": ("security-groups", "security_group", True),
    "security_group_rules": ("security-group-rules", "security_group_rule", False),  # bulk: 1 group only
    "routers": ("routers", "router", False),
    "ports": ("ports", "port", True),
    "floatingips": ("floatingips", "floatingip", False),
}
BULK_SIZE = 100


def project_id(name: str) -> str:
    """A stable Keystone-style project id (32 hex digits) for a project name."""
    return uuid.uuid5(NAMESPACE, f"project/{name}").hex


def device_id(name: str) -> str:
    """A stable Nova-style instance id for a VM name."""
    return str(uuid.uuid5(NAMESPACE, f"vm/{name}"))


@dataclass
class Topology:
    """A cloud to build: hosts with a fake OVS agent (host -> tunnel IP) and bodies per kind."""

    name: str
    agents: dict[str, str] = field(default_factory=dict)
    networks: list[Body] = field(default_factory=list)
    subnets: list[Body] = field(default_factory=list)
    security_groups: list[Body] = field(default_factory=list)
    security_group_rules: list[Body] = field(default_factory=list)
    routers: list[Body] = field(default_factory=list)
    ports: list[Body] = field(default_factory=list)
    floatingips: list[Body] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {kind: len(getattr(self, kind)) for kind in KINDS}


class Builder:
    """Creates a topology on one Neutron; `ids[kind][name]` holds what Neutron assigned."""

    def __init__(self, url: str, add_agent: Callable[[str, str], object],
                 progress: Callable[[str, int, int], None] = lambda kind, done, total: None):
        import httpx  # here, not at the top: every command imports this module (samples.cloud_file)

        self.client = httpx.Client(base_url=url.rstrip("/") + "/v2.0", timeout=300)
        self.add_agent = add_agent
        self.progress = progress
        self.ids: dict[str, dict[str, str]] = {kind: {} for kind in KINDS}

    def __enter__(self) -> Builder:
        return self

    def __exit__(self, *exc_info) -> None:
        self.client.close()

    def build(self, topology: Topology) -> dict[str, dict[str, str]]:
        for host, tunneling_ip in topology.agents.items():
            self.add_agent(host, tunneling_ip)
        for kind in KINDS:
            bodies = getattr(topology, kind)
            if kind == "routers":
                self._create_routers(bodies)
            else:
                self._create(kind, bodies)
        return self.ids

    def _create(self, kind: str, bodies: list[Body]) -> list[Body]:
        path, singular, bulk = KINDS[kind]
        created = []
        for chunk in _chunks(bodies, BULK_SIZE if bulk else 1):
            resolved = [self._resolve(body) for body in chunk]
            if bulk:
                created += self._call("POST", f"/{path}", {path.replace("-", "_"): resolved},
                                      f"{len(chunk)} {kind} from {_label(chunk[0])}")[path.replace("-", "_")]
            else:
                created.append(self._call("POST", f"/{path}", {singular: resolved[0]},
                                          f"{kind} {_label(chunk[0])}")[singular])
            self.progress(kind, len(created), len(bodies))
        for body, resource in zip(bodies, created, strict=True):
            if "name" in body:
                self.ids[kind][body["name"]] = resource["id"]
        return created

    def _create_routers(self, bodies: list[Body]) -> None:
        plain = [{k: v for k, v in body.items() if k not in ("interfaces", "routes")} for body in bodies]
        for body, router in zip(bodies, self._create("routers", plain), strict=True):
            for subnet in body.get("interfaces", []):
                self._call("PUT", f"/routers/{router['id']}/add_router_interface",
                           {"subnet_id": self.ids["subnets"][subnet]},
                           f"router {body['name']} interface on {subnet}")
            if body.get("routes"):
                self._call("PUT", f"/routers/{router['id']}", {"router": {"routes": body["routes"]}},
                           f"router {body['name']} routes")

    def _resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self._resolve(item) for item in value]
        if not isinstance(value, dict):
            return value
        resolved: dict[str, Any] = {}
        for key, item in value.items():
            if key in REFERENCES:
                target, kind = REFERENCES[key]
                resolved[target] = self._id(kind, item)
            elif key == "project":
                resolved["project_id"] = project_id(item)
            elif key == "security_groups":
                resolved[key] = [self._id("security_groups", name) for name in item]
            else:
                resolved[key] = self._resolve(item)
        return resolved

    def _id(self, kind: str, name: str) -> str:
        try:
            return self.ids[kind][name]
        except KeyError:
            raise MigrateError(f"topology: {kind} {name!r} is referenced before it is created") from None

    def _call(self, method: str, path: str, body: Body, what: str) -> Body:
        response = self.client.request(method, path, json=body)
        if response.status_code not in (200, 201):
            raise MigrateError(f"creating {what}: {method} {path}: HTTP {response.status_code}: "
                               f"{response.text[:300]}")
        return response.json()


def build(topology: Topology, url: str, add_agent: Callable[[str, str], object],
          progress: Callable[[str, int, int], None] = lambda kind, done, total: None,
          ) -> dict[str, dict[str, str]]:
    """Create TOPOLOGY on the Neutron at URL; returns the ids per kind and name."""
    with Builder(url, add_agent, progress) as builder:
        return builder.build(topology)


def _chunks(items: list[Body], size: int) -> Iterator[list[Body]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _label(body: Body) -> str:
    return repr(body.get("name") or body.get("description") or "(unnamed)")
