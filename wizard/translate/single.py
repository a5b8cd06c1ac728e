"""One Neutron resource at a time: the create, update and delete requests of a logged write.

Replay calls these with a Context whose Index reflects Neutron after the write, and whose
id map holds what convert learned; a whole-snapshot translation uses the same body and
create functions, so a logged write and a snapshot item produce the same request.

Alcor's PUT merges: a null field keeps its old value (so an update cannot clear a field).
Rules have no update in Alcor (nor in Neutron): a changed rule is deleted and created.
An external network is no VPC (nothing to send); its IPv4 subnets' pools are in the one
elastic-IP range, which each of their writes rewrites whole (floatingips.py). A port whose
body names its project's allow-all group brings that group's creates along (allow_all.py).
A router's interfaces and routes (`router_interface`, `router_routes`) go to the Alcor
router serving each network (routers.py: a split router's id map), which they keep current.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from wizard.alcor import paths
from wizard.alcor.paths import Kind
from wizard.alcor.request import AlcorRequest, NeutronRef, is_deferred
from wizard.translate import floatingips, networks, ports, requests, routers, security_groups, subnets
from wizard.translate.context import Context

Body = Callable[[dict[str, Any], Context], "dict[str, Any] | None"]
Create = Callable[[dict[str, Any], Context], list[AlcorRequest]]

# Neutron collection -> (Alcor endpoint, body, create)
KINDS: dict[str, tuple[Kind, Body, Create]] = {
    "networks": (paths.VPC, networks.body, networks.create),
    "subnets": (paths.SUBNET, subnets.body, subnets.create),
    "ports": (paths.PORT, ports.body, ports.create),
    "routers": (paths.ROUTER, routers.body, routers.create),
    "security_groups": (paths.SECURITY_GROUP, security_groups.group_body, security_groups.create_group),
    "security_group_rules": (paths.SECURITY_GROUP_RULE, security_groups.rule_body, security_groups.create_rule),
    "floatingips": (paths.ELASTIC_IP, floatingips.body, floatingips.create),
}


def alcor_id(kind: str, resource_id: str, context: Context) -> str:
    """The id a Neutron resource has in Alcor: its own, or the id map's."""
    return context.id_map.get((kind, resource_id), resource_id)


def _is_range(kind: str, resource: dict[str, Any], context: Context) -> bool:
    return kind == "subnets" and floatingips.is_range(resource, context)


def create(kind: str, resource: dict[str, Any], context: Context) -> list[AlcorRequest]:
    if _is_range(kind, resource, context):
        return [floatingips.create_range(context)]
    return KINDS[kind][2](resource, context)


def update(kind: str, resource: dict[str, Any], context: Context) -> list[AlcorRequest]:
    """PUT the resource's whole body (none when Alcor does not hold it)."""
    if kind == "security_group_rules":
        return delete(kind, resource, context) + create(kind, resource, context)
    if kind == "routers":
        return routers.update(resource, context)
    if _is_range(kind, resource, context):
        return [floatingips.update_range(resource, context)]
    endpoint, body, _ = KINDS[kind]
    alcor_body = body(resource, context)
    if alcor_body is None:
        return []
    first = ports.allow_all_first(resource, alcor_body, context) if kind == "ports" else []
    target = alcor_id(kind, resource["id"], context)
    return first + [requests.update(endpoint, context.project(resource), target, alcor_body,
                                    NeutronRef(kind, resource["id"]), depends_on=[r.key for r in first],
                                    deferred=is_deferred(target) or is_deferred(str(alcor_body)))]


def delete(kind: str, resource: dict[str, Any], context: Context) -> list[AlcorRequest]:
    if kind == "networks" and resource.get("router:external"):
        return []
    if _is_range(kind, resource, context):
        return [floatingips.range_without(resource, context)]
    endpoint = KINDS[kind][0]
    target = alcor_id(kind, resource["id"], context)
    return [requests.delete(endpoint, context.project(resource), target, NeutronRef(kind, resource["id"]),
                            deferred=is_deferred(target))]


def router_interface(router: dict[str, Any], subnet_id: str, context: Context, add: bool = True,
                     port_id: str | None = None) -> list[AlcorRequest]:
    """A logged add_router_interface or remove_router_interface (the index holds Neutron after it)."""
    return (routers.join if add else routers.leave)(router, subnet_id, context, port_id=port_id)


def router_routes(router: dict[str, Any], before: list[dict[str, Any]], context: Context) -> list[AlcorRequest]:
    """A logged change of a router's routes, from `before` to the router's own."""
    return routers.route_changes(router, before, context)
