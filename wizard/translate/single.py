"""One Neutron resource at a time: the create, update and delete requests of a logged write.

Replay calls these with a Context whose Index reflects Neutron after the write, and whose
id map holds what convert learned; a whole-snapshot translation uses the same body and
create functions, so a logged write and a snapshot item produce the same request.

Alcor's PUT merges: a null field keeps its old value (so an update cannot clear a field).
Rules have no update in Alcor (nor in Neutron): a changed rule is deleted and created.
"""

from __future__ import annotations

from typing import Any, Callable

from wizard.alcor import contract
from wizard.alcor.contract import Endpoint
from wizard.translate import floatingips, networks, ports, requests, routers, security_groups, subnets
from wizard.translate.context import Context
from wizard.translate.model import AlcorRequest, NeutronRef, is_deferred

Body = Callable[[dict[str, Any], Context], "dict[str, Any] | None"]
Create = Callable[[dict[str, Any], Context], list[AlcorRequest]]

# Neutron collection -> (Alcor endpoint, body, create)
KINDS: dict[str, tuple[Endpoint, Body, Create]] = {
    "networks": (contract.VPC, networks.body, networks.create),
    "subnets": (contract.SUBNET, subnets.body, subnets.create),
    "ports": (contract.PORT, ports.body, ports.create),
    "routers": (contract.ROUTER, routers.body, routers.create),
    "security_groups": (contract.SECURITY_GROUP, security_groups.group_body, security_groups.create_group),
    "security_group_rules": (contract.SECURITY_GROUP_RULE, security_groups.rule_body, security_groups.create_rule),
    "floatingips": (contract.ELASTIC_IP, floatingips.body, floatingips.create),
}


def alcor_id(kind: str, resource_id: str, ctx: Context) -> str:
    """The id a Neutron resource has in Alcor: its own, or the id map's."""
    return ctx.id_map.get((kind, resource_id), resource_id)


def create(kind: str, resource: dict[str, Any], ctx: Context) -> list[AlcorRequest]:
    return KINDS[kind][2](resource, ctx)


def update(kind: str, resource: dict[str, Any], ctx: Context) -> list[AlcorRequest]:
    """PUT the resource's whole body (none when Alcor does not hold it)."""
    if kind == "security_group_rules":
        return delete(kind, resource, ctx) + create(kind, resource, ctx)
    endpoint, body, _ = KINDS[kind]
    alcor_body = body(resource, ctx)
    if alcor_body is None:
        return []
    target = alcor_id(kind, resource["id"], ctx)
    return [requests.update(endpoint, ctx.project(resource), target, alcor_body, NeutronRef(kind, resource["id"]),
                            deferred=is_deferred(target) or is_deferred(str(alcor_body)))]


def delete(kind: str, resource: dict[str, Any], ctx: Context) -> list[AlcorRequest]:
    endpoint = KINDS[kind][0]
    target = alcor_id(kind, resource["id"], ctx)
    return [requests.delete(endpoint, ctx.project(resource), target, NeutronRef(kind, resource["id"]),
                            deferred=is_deferred(target))]
