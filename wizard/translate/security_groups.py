"""Neutron security groups and rules -> Alcor groups (bulk) and rules (bulk, posted after
every group so that each `remote_group_id` exists).

Alcor discards the rules of a group create and adds rules of its own, with random ids:
two egress allow-all rules to every group, two ingress allow-all rules (and no egress)
to a project's `default` group, which also gets a random id. So each project's default
group is created alone and its id learned from the answer (id map), every Neutron rule
is posted except those equal to a rule Alcor made (mapped to it instead), and Alcor's
own rules that Neutron's group lacks are deleted: the result allows what Neutron's did.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from wizard.alcor import paths, values
from wizard.alcor.request import AlcorRequest, Learn, NeutronRef, deferred_id, is_deferred
from wizard.translate import requests
from wizard.translate.context import NOT_PORT_OWNERS, Context, ip_version
from wizard.translate.fields import IDENTITY, Table, carried, drop, keep, rename

KIND = "security_groups"
RULE_KIND = "security_group_rules"
AUTO_RULE_KIND = "alcor_rules"  # deferred-id kind of the rules Alcor creates by itself

GROUP_FIELDS = Table(KIND, {
    **IDENTITY,  # the id is ignored by Alcor for the default group (id map)
    "created_at": rename("create_at"),
    "updated_at": rename("update_at"),
    "security_group_rules": carried("posted separately: Alcor discards rules in a group create"),
    "stateful": drop("Alcor groups are stateful (finding when false)"),
    "shared": drop("Alcor has no RBAC (finding when true)"),
    "tags": drop("Alcor groups have no tags", finding="tags-dropped"),
    "revision_number": drop("Alcor groups have no revision"),
})

RULE_FIELDS = Table(RULE_KIND, {
    "id": keep(),
    "description": keep(default=""),
    "project_id": keep(),
    "tenant_id": keep(),
    "security_group_id": keep(),  # the default group's: its Alcor id (deferred)
    "remote_group_id": keep(),  # likewise
    "direction": keep(),
    "ethertype": keep(default="IPv4"),
    "protocol": keep(),  # normalized: numbers of tcp/udp/icmp/icmpv6 become names
    "port_range_min": keep(),
    "port_range_max": keep(),
    "remote_ip_prefix": keep(),
    "remote_address_group_id": drop("Alcor has no address groups (the rule is left out)"),
    "normalized_cidr": drop("read-only, from remote_ip_prefix"),
    "belongs_to_default_sg": drop("read-only"),
    "created_at": drop("Alcor rules have no timestamps"),
    "updated_at": drop("Alcor rules have no timestamps"),
    "revision_number": drop("Alcor rules have no revision"),
    "tags": drop("Alcor rules have no tags", finding="tags-dropped"),
})

PROTOCOL_NAMES = {"6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6", "ipv6-icmp": "icmpv6", "any": None}


def alcor_group_id(group_id: str, context: Context) -> str:
    """The id a Neutron group has in Alcor: deferred for a project's default group."""
    return _default_groups(context).get(group_id, group_id)


def alcor_group_ids(group_ids: list[str], context: Context) -> list[str]:
    """alcor_group_id of each group, at C speed (every port names its groups)."""
    return list(map(_default_groups(context).get, group_ids, group_ids))


def _default_groups(context: Context) -> dict[str, str]:
    """The deferred Alcor id of each project's default group, by its Neutron id."""
    return context.derived(
        "default-groups", lambda: {gid: deferred_id(KIND, gid) for gid in context.index.default_group_ids()})


def auto_rules(group: dict[str, Any], context: Context) -> tuple[tuple[str, str], ...]:
    is_default = context.index.is_default_group(group["id"])
    return values.AUTO_RULES_DEFAULT_GROUP if is_default else values.AUTO_RULES_OTHER_GROUP


def _auto_rule_ref(group_id: str, direction: str, ethertype: str) -> str:
    return f"{group_id}:{direction}:{ethertype}"


def learns(group: dict[str, Any], context: Context) -> list[Learn]:
    """Where the create answer holds the default group's id and the ids of Alcor's own rules."""
    out = [Learn(AUTO_RULE_KIND, _auto_rule_ref(group["id"], d, e), (values.GROUP_RULES_FIELD,),
                 (("direction", d), ("ethertype", e))) for d, e in auto_rules(group, context)]
    if context.index.is_default_group(group["id"]):
        out.insert(0, Learn(KIND, group["id"], ("id",)))
    return out


def group_body(group: dict[str, Any], context: Context) -> dict[str, Any]:
    gid = group["id"]
    if group.get("stateful") is False:
        context.find("stateless-security-group", KIND, gid, "stateless in Neutron; Alcor groups are stateful")
    if group.get("shared"):
        context.find("shared-security-group", KIND, gid, "shared with other projects in Neutron")
    for field, code in GROUP_FIELDS.dropped_with_meaning(group):
        context.find(code, KIND, gid, f"{field} {group[field]!r} is not kept")
    return GROUP_FIELDS.body(group)


def create_group(group: dict[str, Any], context: Context) -> list[AlcorRequest]:
    """The single POST of one group (replay; the default group always comes this way)."""
    ref = NeutronRef(KIND, group["id"])
    if context.index.is_default_group(group["id"]):
        context.id_map[(KIND, group["id"])] = deferred_id(KIND, group["id"])
        context.find("default-group-new-id", KIND, group["id"],
                 f"project {context.project(group)}'s default group gets a new id in Alcor")
    return [requests.create(paths.SECURITY_GROUP, context.project(group), group_body(group, context), ref,
                            learns=[learn.within(paths.SECURITY_GROUP.wrapper) for learn in learns(group, context)])]


def groups(context: Context) -> list[AlcorRequest]:
    """Every group: each project's default group alone first, then the others in bulk chunks.

    The others depend on their project's default group: Alcor makes a default group of its
    own (random id, ingress allow-all) when a project's first other group comes first, and
    then refuses ours.
    """
    out: list[AlcorRequest] = []
    items: list[requests.BulkItem] = []
    for group in context.index.in_id_order(KIND):
        if context.index.is_default_group(group["id"]):
            out.extend(create_group(group, context))
        else:
            default = context.index.default_group(context.project(group))
            items.append(requests.BulkItem(NeutronRef(KIND, group["id"]), context.project(group),
                                           group_body(group, context), needs=[(KIND, default)] if default else (),
                                           learns=learns(group, context)))
    _check_projects_have_default(context)
    context.record(out)
    return out + requests.bulk(paths.SECURITY_GROUP, items, context.options.chunk, context.key_of)


def _check_projects_have_default(context: Context) -> None:
    projects = {context.project(g) for g in context.index.all(KIND)} | {
        context.project(p) for p in context.index.all("ports") if (p.get("device_owner") or "") not in NOT_PORT_OWNERS}
    for project in sorted(projects - {""}):
        if context.index.default_group(project) is None:
            context.find("project-default-group-missing", "projects", project,
                     f"project {project} has no default group in Neutron; Alcor creates one allowing all ingress")


# -- rules ---------------------------------------------------------------------------------------
def rule_problem(rule: dict[str, Any]) -> str | None:
    """Why Alcor's rule validator would refuse this rule (412/409), or None."""
    protocol = rule.get("protocol")
    low, high = rule.get("port_range_min"), rule.get("port_range_max")
    if (low is not None or high is not None) and protocol is None:
        return "a port range needs a protocol in Alcor"
    if protocol in ("tcp", "udp") and (low is not None or high is not None):
        if low is None or high is None:
            return f"{protocol} needs both port_range_min and port_range_max in Alcor"
        if not (1 <= low <= high <= 65535):
            return f"{protocol} port range {low}-{high} is outside 1-65535 or reversed"
    if protocol in ("icmp", "icmpv6"):
        if (low is None) != (high is None):
            return "Alcor needs both the ICMP type and code, or neither (Neutron has only one)"
        if low is not None and high is not None and not (0 <= low <= 255 and 0 <= high <= 255):
            return "ICMP type and code must be 0-255 in Alcor"
    prefix = rule.get("remote_ip_prefix")
    if prefix and f"IPv{ip_version(prefix)}" != rule.get("ethertype"):
        return f"remote_ip_prefix {prefix} does not match ethertype {rule.get('ethertype')}"
    if protocol == "icmpv6" and rule.get("ethertype") == "IPv4":
        return "icmpv6 with IPv4"
    if prefix and rule.get("remote_group_id"):
        return "remote_ip_prefix and remote_group_id together"
    return None


def _normalized(rule: dict[str, Any]) -> dict[str, Any]:
    protocol = rule.get("protocol")
    if protocol is not None and str(protocol).lower() in PROTOCOL_NAMES:
        return {**rule, "protocol": PROTOCOL_NAMES[str(protocol).lower()]}
    return rule


def _is_auto(rule: dict[str, Any], direction: str, ethertype: str) -> bool:
    """Whether a Neutron rule means exactly what an Alcor-made allow-all rule means."""
    return (rule.get("direction") == direction and rule.get("ethertype") == ethertype
            and rule.get("protocol") is None and rule.get("remote_group_id") is None
            and rule.get("remote_address_group_id") is None
            and rule.get("port_range_min") is None and rule.get("port_range_max") is None
            and rule.get("remote_ip_prefix") in (None, "0.0.0.0/0", "::/0"))


def rule_body(rule: dict[str, Any], context: Context) -> dict[str, Any] | None:
    """The rule body, or None (with a finding) when the rule is left out."""
    rid = rule["id"]
    if context.index.get(KIND, rule.get("security_group_id")) is None:
        context.find("skipped-with-parent", RULE_KIND, rid, f"its group {rule.get('security_group_id')} is unknown")
        return None
    remote = rule.get("remote_group_id")
    if remote and context.index.get(KIND, remote) is None:
        context.find("remote-group-unknown", RULE_KIND, rid, f"remote group {remote} is not in Neutron's groups: "
                 "rule left out (it matches no port)")
        return None
    if rule.get("remote_address_group_id"):
        context.find("address-group-rule", RULE_KIND, rid,
                 f"remote address group {rule['remote_address_group_id']}: rule left out (narrower in Alcor)")
        return None
    rule = _normalized(rule)
    problem = rule_problem(rule)
    if problem:
        context.find("rule-rejected-by-alcor", RULE_KIND, rid, f"{problem}: rule left out (narrower in Alcor)")
        return None
    for field, code in RULE_FIELDS.dropped_with_meaning(rule):
        context.find(code, RULE_KIND, rid, f"{field} {rule[field]!r} is not kept")
    return RULE_FIELDS.body(rule, {
        "security_group_id": alcor_group_id(rule["security_group_id"], context),
        "remote_group_id": alcor_group_id(remote, context) if remote else remote})


def _rule_needs(rule: dict[str, Any]) -> list[tuple[str, str]]:
    return [(KIND, gid) for gid in (rule.get("security_group_id"), rule.get("remote_group_id")) if gid]


def create_rule(rule: dict[str, Any], context: Context) -> list[AlcorRequest]:
    """The single POST of one rule (replay)."""
    alcor_body = rule_body(rule, context)
    if alcor_body is None:
        return []
    return [requests.create(paths.SECURITY_GROUP_RULE, context.project(rule), alcor_body,
                            NeutronRef(RULE_KIND, rule["id"]), depends_on=context.needs(*_rule_needs(rule)),
                            deferred=_is_deferred(alcor_body))]


def _is_deferred(body: dict[str, Any]) -> bool:
    return is_deferred(body["security_group_id"]) or is_deferred(body["remote_group_id"])


def rules(context: Context) -> list[AlcorRequest]:
    """Every rule in bulk chunks, then deletes of Alcor's own rules that Neutron's groups lack."""
    by_group: dict[str | None, list[dict[str, Any]]] = {}  # rules without a group: left out with a finding
    for rule in context.index.all(RULE_KIND):
        by_group.setdefault(rule.get("security_group_id"), []).append(rule)
    items: list[requests.BulkItem] = []
    deletes: list[AlcorRequest] = []
    for group_id in sorted(by_group, key=str):
        group_rules = sorted(by_group[group_id], key=lambda r: r["id"])
        group = context.index.get(KIND, group_id)
        if group:
            deletes.extend(_auto_rules_unclaimed(group, group_rules, context))
        for rule in group_rules:
            if (RULE_KIND, rule["id"]) in context.id_map:
                continue
            body = rule_body(rule, context)
            if body is not None:
                items.append(requests.BulkItem(NeutronRef(RULE_KIND, rule["id"]), context.project(rule), body,
                                               needs=_rule_needs(rule), deferred=_is_deferred(body)))
    for group in context.index.in_id_order(KIND):  # groups without any rule
        if group["id"] not in by_group:
            deletes.extend(_auto_rules_unclaimed(group, [], context))
    return requests.bulk(paths.SECURITY_GROUP_RULE, items, context.options.chunk, context.key_of) + deletes


def created_rules(group: dict[str, Any], rules: list[dict[str, Any]], context: Context) -> list[AlcorRequest]:
    """After a single group create (replay), the rules Neutron made with the group: those equal to
    Alcor's own rules are mapped onto them, the others created, and Alcor's own rules Neutron lacks deleted."""
    deletes = _auto_rules_unclaimed(group, rules, context)
    out = [r for rule in rules if (RULE_KIND, rule["id"]) not in context.id_map for r in create_rule(rule, context)]
    return out + deletes


def _auto_rules_unclaimed(group: dict[str, Any], group_rules: Iterable[dict[str, Any]],
                          context: Context) -> list[AlcorRequest]:
    """Map the group's Neutron rules equal to Alcor's own rules onto them; the deletes of Alcor's rules left over."""
    return [_delete_auto_rule(group, d, e, context) for d, e in _claim_auto_rules(group, group_rules, context)]


def _claim_auto_rules(group: dict[str, Any], group_rules: Iterable[dict[str, Any]],
                      context: Context) -> list[tuple[str, str]]:
    """Map Neutron rules equal to Alcor's own rules onto them; return Alcor rules left unclaimed."""
    unclaimed = []
    for direction, ethertype in auto_rules(group, context):
        twin = next((r for r in group_rules if (RULE_KIND, r["id"]) not in context.id_map
                     and _is_auto(r, direction, ethertype)), None)
        if twin is None:
            unclaimed.append((direction, ethertype))
        else:
            context.id_map[(RULE_KIND, twin["id"])] = deferred_id(
                AUTO_RULE_KIND, _auto_rule_ref(group["id"], direction, ethertype))
    return unclaimed


def _delete_auto_rule(group: dict[str, Any], direction: str, ethertype: str, context: Context) -> AlcorRequest:
    """DELETE a rule Alcor made that Neutron's group does not have (its id learned at create)."""
    ref = _auto_rule_ref(group["id"], direction, ethertype)
    endpoint = paths.SECURITY_GROUP_RULE
    return AlcorRequest(
        key=requests.key("alcor-rule-delete", ref), kind=endpoint.name, service=endpoint.service,
        method="DELETE", path=endpoint.item_path(deferred_id(AUTO_RULE_KIND, ref), context.project(group)),
        body=None, neutron=(NeutronRef(KIND, group["id"]),), depends_on=tuple(context.needs((KIND, group["id"]))),
        deferred=True)
