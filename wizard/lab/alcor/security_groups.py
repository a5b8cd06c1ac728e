"""The emulated security group manager: security groups, rules, and each tenant's default group.

Traps kept from Alcor: rules in a group's create body are discarded and replaced by two
egress rules (IPv4, IPv6) with random ids; the first group created for a tenant (or the
port manager asking for the tenant's default) creates the tenant's `default` group with a
random id and two bare ingress rules; posting a group named `default` creates that
random-id default and answers with the posted body; the default group is also stored under the
tenant id, so it reads by that id
(lists skip that copy, so it is listed once, but it counts towards a list's row limit); the
bulk path also stores a posted `default` as an ordinary group; a missing group or rule
answers 412, with the message hidden (Spring Boot 2.3).
"""

from __future__ import annotations

import ipaddress

from wizard.alcor import errors, values
from wizard.lab.alcor.calls import Call, Rejected, handles, merged, owned


def find(model, id: str | None) -> dict | None:
    """A group by id; the tenant id finds the tenant's default group (stored under both keys)."""
    if id in model.store["security_group"]:
        return model.store["security_group"][id]
    default_id = model.default_sg.get(id)
    return model.store["security_group"].get(default_id) if default_id else None


def default_group(model, tenant_id: str, project_id: str | None, description: str | None = None) -> dict:
    """The tenant's default group, created as Alcor does when it has none yet."""
    existing = find(model, model.default_sg.get(tenant_id))
    if existing:
        return existing
    group = {
        "id": model.new_id(),
        "name": values.DEFAULT_SG_NAME,
        "description": description,
        "project_id": project_id,
        "tenant_id": tenant_id,
    }
    _store(model, group, values.AUTO_RULES_DEFAULT_GROUP)
    model.default_sg[tenant_id] = group["id"]
    return group


def _store(model, group: dict, auto_rules: tuple[tuple[str, str], ...]) -> dict:
    """Give the group the rules Alcor generates, (direction, ethertype) each, and store both."""
    group[values.GROUP_RULES_FIELD] = [
        {
            "id": model.new_id(),
            "security_group_id": group["id"],
            "tenant_id": group["tenant_id"],
            "project_id": group["project_id"],
            "direction": direction,
            "ethertype": ethertype,
            "protocol": None,
            "port_range_min": None,
            "port_range_max": None,
            "remote_ip_prefix": None,
            "remote_group_id": None,
        }
        for direction, ethertype in auto_rules
    ]
    group["create_at"] = group["update_at"] = model.now()
    model.store["security_group"][group["id"]] = group
    for rule in group[values.GROUP_RULES_FIELD]:
        model.store["security_group_rule"][rule["id"]] = rule
    return group


def _is_default(group: dict) -> bool:
    return group.get("name") == values.DEFAULT_SG_NAME


@handles("security_group", "create")
def create_group(call: Call) -> dict:
    model = call.model
    group = owned(call, call.item())
    tenant = group["tenant_id"]
    if _is_default(group):
        if model.default_sg.get(tenant):
            raise Rejected(errors.DEFAULT_SG_EXISTS, tenant)
        created = default_group(model, tenant, group["project_id"], group.get("description"))
        model.ledger.created("security_group", created["id"])
        return {"security_group": group}  # the posted body, not the stored group
    default_group(model, tenant, group["project_id"])
    group["id"] = group.get("id") or model.new_id()
    _store(model, group, values.AUTO_RULES_OTHER_GROUP)
    model.ledger.created("security_group", group["id"])
    return {"security_group": group}


@handles("security_group", "bulk_create")
def create_groups(call: Call) -> dict:
    model = call.model
    groups = [owned(call, g) for g in call.items("security_groups")]
    posted_defaults = [g for g in groups if _is_default(g)]
    if len(posted_defaults) > 1:
        raise Rejected(errors.DEFAULT_SG_NOT_UNIQUE)
    tenant = (posted_defaults or groups or [{"tenant_id": call.project_id}])[0]["tenant_id"]
    if posted_defaults and model.default_sg.get(tenant):
        raise Rejected(errors.DEFAULT_SG_EXISTS, tenant)
    default_group(model, tenant, call.project_id, posted_defaults[0].get("description") if posted_defaults else None)
    for group in groups:  # a posted "default" is stored too, as an ordinary group under its own id
        group["id"] = group.get("id") or model.new_id()
        _store(model, group, values.AUTO_RULES_OTHER_GROUP)
        model.ledger.created("security_group", group["id"])
    return {"security_groups": groups}


@handles("security_group", "get")
def get_group(call: Call) -> dict:
    group = find(call.model, call.id)
    if group is None:
        raise Rejected(errors.SECURITY_GROUP_NOT_FOUND, call.id)
    return {"security_group": group}


@handles("security_group", "get_default")
def get_default_group(call: Call) -> dict:
    return {"security_group": default_group(call.model, call.op.params["tenant_id"], call.project_id)}


@handles("security_group", "list")
def list_groups(call: Call) -> dict:
    """SG/service/implement/SecurityGroupServiceImpl.listSecurityGroup: the scan also matches the
    tenant-keyed copies of default groups (and counts them towards the row limit), then skips them."""
    store = call.model.store["security_group"]
    copies = [store[i] for i in call.model.default_sg.values() if i in store]
    rows = call.scan(list(store.values()) + copies)
    return {call.op.kind.list_wrapper: list({group["id"]: group for group in rows}.values())}


@handles("security_group", "update")
def update_group(call: Call) -> dict:
    old = find(call.model, call.id)
    if old is None:
        raise Rejected(errors.SECURITY_GROUP_NOT_FOUND, call.id)
    group = merged(old, call.item(), keep=("id", "security_group_rules", "tenant_id", "project_id"))
    group["update_at"] = call.model.now()
    call.model.store["security_group"][old["id"]] = group
    return {"security_group": group}


@handles("security_group", "delete")
def delete_group(call: Call) -> None:
    model = call.model
    group = find(model, call.id)
    if group is None:
        raise Rejected(errors.SECURITY_GROUP_NOT_FOUND, call.id)
    for rule in group.get("security_group_rules") or []:
        model.store["security_group_rule"].pop(rule["id"], None)
    del model.store["security_group"][group["id"]]
    if model.default_sg.get(group["tenant_id"]) == group["id"]:
        del model.default_sg[group["tenant_id"]]
    return None


# --- rules ------------------------------------------------------------------------------


@handles("security_group_rule", "create")
def create_rule(call: Call) -> dict:
    rule = _checked_rule(call, call.item())
    _add_rule(call, rule)
    return {"security_group_rule": rule}


@handles("security_group_rule", "bulk_create")
def create_rules(call: Call) -> dict:
    rules = [_checked_rule(call, r) for r in call.items("security_group_rules")]  # all checked, then all added
    for rule in rules:
        _add_rule(call, rule)
    return {"security_group_rules": rules}


def _add_rule(call: Call, rule: dict) -> None:
    model = call.model
    model.store["security_group_rule"][rule["id"]] = rule
    group = find(model, rule["security_group_id"])  # checked before: it exists
    if group is not None:
        group["security_group_rules"].append(rule)  # again if repeated
    model.ledger.created("security_group_rule", rule["id"])


def _checked_rule(call: Call, item: dict) -> dict:
    """RestParameterValidator.checkSecurityGroupRule, then the id filled in."""
    model = call.model
    rule = owned(call, item)
    if not rule.get("security_group_id"):
        raise Rejected(errors.SECURITY_GROUP_ID_REQUIRED)
    if rule.get("direction") not in values.DIRECTIONS:
        raise Rejected(errors.DIRECTION_REQUIRED, str(rule.get("direction")))
    if find(model, rule["security_group_id"]) is None:
        raise Rejected(errors.SECURITY_GROUP_NOT_FOUND, rule["security_group_id"])
    rule.setdefault("ethertype", "IPv4")
    _check_ports(rule)
    _check_remote(model, rule)
    rule["id"] = rule.get("id") or model.new_id()
    return rule


def _check_ports(rule: dict) -> None:
    protocol, low, high = rule.get("protocol"), rule.get("port_range_min"), rule.get("port_range_max")
    if protocol == "icmpv6" and rule["ethertype"] == "IPv4":
        raise Rejected(errors.PROTOCOL_ETHERTYPE_CONFLICT)
    if (low is not None or high is not None) and not protocol:
        raise Rejected(errors.PORT_RANGE_INVALID, "a port range needs a protocol")
    if protocol in ("tcp", "udp") and (low is not None or high is not None) and (
            low is None or high is None or not 1 <= low <= high <= 65535):
        raise Rejected(errors.PORT_RANGE_INVALID, f"{low}..{high}")
    if protocol in ("icmp", "icmpv6") and (
            (low is None) != (high is None) or any(v is not None and not 0 <= v <= 255 for v in (low, high))):
        raise Rejected(errors.PORT_RANGE_INVALID, f"type {low} code {high}")


def _check_remote(model, rule: dict) -> None:
    prefix, remote_group = rule.get("remote_ip_prefix"), rule.get("remote_group_id")
    if prefix and remote_group:
        raise Rejected(errors.PREFIX_REMOTE_GROUP_CONFLICT)
    if prefix:
        try:
            network = ipaddress.ip_network(prefix, strict=False)
        except ValueError:
            raise Rejected(errors.REMOTE_IP_PREFIX_INVALID, prefix) from None
        if f"IPv{network.version}" != rule["ethertype"]:
            raise Rejected(errors.ETHERTYPE_PREFIX_CONFLICT, f"{prefix} with {rule['ethertype']}")
    if remote_group and find(model, remote_group) is None:
        raise Rejected(errors.REMOTE_SG_NOT_FOUND, remote_group)


@handles("security_group_rule", "get")
def get_rule(call: Call) -> dict:
    return {"security_group_rule": call.stored(errors.SECURITY_GROUP_RULE_NOT_FOUND)}


@handles("security_group_rule", "list")
def list_rules(call: Call) -> dict:
    return call.listing()


@handles("security_group_rule", "delete")
def delete_rule(call: Call) -> None:
    model = call.model
    rule = model.store["security_group_rule"].pop(call.id, None)
    if rule is None:
        raise Rejected(errors.SECURITY_GROUP_RULE_NOT_FOUND, call.id)
    group = find(model, rule["security_group_id"])
    if group and rule in group["security_group_rules"]:
        group["security_group_rules"].remove(rule)
    return None
