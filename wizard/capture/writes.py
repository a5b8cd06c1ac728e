"""What a logged write means: which Neutron resources it touched, and how.

The proxy logs raw HTTP; replay needs the domain. `parse(entry)` reads the method and
path (`/v2.0/{collection}[/{id}[/{action}[/{tag}]]]`, a `.json` suffix allowed):

    POST   /v2.0/networks                      create (one, or a bulk list)
    PUT    /v2.0/networks/ID                   update
    DELETE /v2.0/networks/ID                   delete
    PUT    /v2.0/routers/ID/add_router_interface (remove_router_interface)   interface
    PUT    /v2.0/routers/ID/add_extraroutes (remove_extraroutes)             update of the router
    PUT    /v2.0/networks/ID/tags[/TAG]        tags (replace all, or add one)
    DELETE /v2.0/networks/ID/tags[/TAG]        tags (remove all, or one)

Anything else is `Unsupported`, so replay can name it in a finding.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from wizard.neutron.snapshot import COLLECTIONS, SINGULAR

# URL collection ("security-groups") -> snapshot collection ("security_groups"), for the kinds replay carries
REPLAYED: dict[str, str] = {
    path.rsplit("/", 1)[1]: name for name, path in COLLECTIONS.items()
    if name in ("networks", "subnets", "ports", "routers", "security_groups", "security_group_rules", "floatingips")
}
INTERFACE_ACTIONS = {"add_router_interface": True, "remove_router_interface": False}
ROUTE_ACTIONS = frozenset({"add_extraroutes", "remove_extraroutes"})
TAGGED = frozenset({"networks", "subnets", "ports", "routers", "security_groups", "floatingips"})
_PREFIX = re.compile(r"^(?:.*/)?v2\.0/")


@dataclass(frozen=True)
class Write:
    """One logged write in the domain's terms. `action`: create, update, delete, interface, tags."""

    action: str
    kind: str
    id: str | None = None
    add: bool = True  # interface: add or remove; tags: put or delete
    tag: str | None = None  # tags: the one tag named in the path, if any

    @property
    def target(self) -> str:
        """The id of the resource the path names (every action but create names one)."""
        if self.id is None:
            raise ValueError(f"a {self.action} of {self.kind} names no resource")
        return self.id


@dataclass(frozen=True)
class Unsupported:
    """A write replay does not carry to Alcor, with why."""

    why: str


def parse(entry: dict[str, Any]) -> Write | Unsupported:
    method = entry["method"]
    parts = [p for p in _PREFIX.sub("", entry["path"]).split("/") if p]
    if parts:
        parts[-1] = parts[-1].removesuffix(".json")
    kind = REPLAYED.get(parts[0]) if parts else None
    if kind is None:
        return Unsupported(f"{parts[0] if parts else 'the API root'} is not a kind replay carries to Alcor")
    if len(parts) == 1 and method == "POST":
        return Write("create", kind)
    if len(parts) == 2 and method in ("PUT", "PATCH"):
        return Write("update", kind, parts[1])
    if len(parts) == 2 and method == "DELETE":
        return Write("delete", kind, parts[1])
    action = parts[2] if len(parts) > 2 else ""
    if kind == "routers" and len(parts) == 3 and method == "PUT" and action in INTERFACE_ACTIONS:
        return Write("interface", kind, parts[1], add=INTERFACE_ACTIONS[action])
    if kind == "routers" and len(parts) == 3 and method == "PUT" and action in ROUTE_ACTIONS:
        return Write("update", kind, parts[1])
    if action == "tags" and kind in TAGGED and len(parts) in (3, 4) and method in ("PUT", "DELETE"):
        return Write("tags", kind, parts[1], add=method == "PUT", tag=parts[3] if len(parts) == 4 else None)
    return Unsupported(f"{method} on {'/'.join(parts[:1] + parts[2:3])} is not a write replay carries to Alcor")


def resources(entry: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    """The resources in Neutron's logged answer: one, or a bulk list."""
    return _unwrap(entry.get("response"), kind)


def requested(entry: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    """The resources the client asked for (the request body): one, or a bulk list."""
    return _unwrap(entry.get("body"), kind)


def _unwrap(body: Any, kind: str) -> list[dict[str, Any]]:
    if not isinstance(body, dict):
        return []
    one = body.get(SINGULAR[kind])
    if isinstance(one, dict):
        return [one]
    many = body.get(kind)
    return [item for item in many if isinstance(item, dict)] if isinstance(many, list) else []
