"""Translate a whole snapshot: every Alcor request in execution order, findings, id map.

Order (Alcor's dependencies): the VXLAN segment table (once, first), nodes, security
groups (before any subnet: a subnet's gateway port makes the project's default group
when it has none, and Alcor then refuses Neutron's), rules (after every group: a rule's
remote group must exist), VPCs, subnets, the elastic-IP range, the allow-all groups and
their rules (port security off), ports, routers, router interfaces, extra routes, elastic IPs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from wizard.alcor import paths
from wizard.alcor.request import AlcorRequest
from wizard.core.collector import collector_paused
from wizard.neutron.snapshot import Snapshot
from wizard.plan import Plan
from wizard.translate import features, floatingips, networks, nodes, ports, routers, security_groups, subnets
from wizard.translate.context import Context, Index, Options
from wizard.translate.fields import Table
from wizard.translate.model import Translation

# The field table of each snapshot collection that has one (for unknown-field reports).
TABLES: dict[str, Table] = {
    "networks": networks.FIELDS, "subnets": subnets.FIELDS, "ports": ports.FIELDS, "routers": routers.FIELDS,
    "security_groups": security_groups.GROUP_FIELDS, "security_group_rules": security_groups.RULE_FIELDS,
    "floatingips": floatingips.FIELDS,
}


def translate(snapshot: Snapshot, options: Options | None = None) -> Translation:
    """The whole translation of a snapshot. Pure: nothing is sent or written."""
    with collector_paused():
        return translate_index(Context(Index(snapshot), options))


def translate_for(snapshot: Snapshot, plan: Plan) -> Translation:
    """The translation a plan asks for: `translate` with the plan's policies."""
    return translate(snapshot, Options.from_plan(plan))


def translate_index(context: Context) -> Translation:
    """Translate everything the context's index holds, in execution order."""
    stages: list[Callable[[Context], list[AlcorRequest]]] = [
        _segment_table,
        nodes.nodes,
        security_groups.groups,
        security_groups.rules,
        lambda c: _each(c, "networks", networks.create),
        lambda c: _each(c, "subnets", subnets.create),
        floatingips.ranges,
        ports.ports,
    ]
    out: list[AlcorRequest] = []
    for stage in stages:
        made = stage(context)
        context.record(made)
        out.extend(made)
    creates, attach, routes = routers.routers(context)
    out += creates + attach + routes
    out += floatingips.elastic_ips(context)
    _report_segments(context)
    features.check_extensions(context)
    _report_unknown_fields(context)
    return Translation(requests=out, findings=context.findings, id_map=context.id_map, bindings=context.bindings)


def _each(context: Context, kind: str, create: Callable[[dict[str, Any], Context], list[AlcorRequest]]):
    return [request for item in context.index.in_id_order(kind) for request in create(item, context)]


def _segment_table(context: Context) -> list[AlcorRequest]:
    """POST /segments/createDefaultTable: Alcor's VXLAN key table, before any VPC. Alcor refuses a second
    one with 409 NetworkRangeExist (Alcor: VM/dao/VxlanRangeRepository.java:createRange), which the client
    takes as done: a re-send, or an Alcor whose VPCs made partitions already."""
    return [AlcorRequest(key="segment-table", kind="segment_table", service=paths.VPC.service, method="POST",
                         path=paths.SEGMENT_TABLE_PATH, body=None)]


def _report_segments(context: Context) -> None:
    """Segments travel with their network's VPC (an external network has none); ranges are Alcor's own."""
    for segment in context.index.all("segments"):
        network_id = segment.get("network_id")
        if context.index.is_external(network_id):
            context.find("external-network-as-eip-ranges", "segments", segment["id"],
                     f"segment of external network {network_id}, which Alcor holds as elastic-IP ranges")
        elif not context.network_created(network_id):
            context.find("skipped-with-parent", "segments", segment["id"], f"its network {network_id} is not migrated")
    for segment_range in context.index.all("network_segment_ranges"):
        context.find("segment-range-not-migrated", "network_segment_ranges", segment_range["id"],
                 f"{segment_range.get('network_type')} range {segment_range.get('minimum')}-"
                 f"{segment_range.get('maximum')}: Alcor allocates from its own table")


def _report_unknown_fields(context: Context) -> None:
    """One finding per (collection, unknown field): the first resource holding it, and how many do."""
    for kind, table in TABLES.items():
        seen: dict[str, list[Any]] = {}
        if not table.unknown_in(context.index.all(kind)):
            continue
        for resource in context.index.all(kind):
            for name in table.unknown_fields(resource):
                entry = seen.setdefault(name, [resource["id"], 0])
                entry[1] += 1
        for name in sorted(seen):
            first, count = seen[name]
            context.find("unknown-field", kind, first,
                     f"field {name!r} ({count} {kind}) is not in the translation table: not sent")
