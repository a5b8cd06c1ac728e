"""Neutron ports -> Alcor ports, through the bulk endpoint, without `binding:host_id`.

Alcor pushes a port to its node's ACA as soon as it has a host, while Neutron's agents
still own the switches: the host is kept in `Context.bindings` for the node cutover.
Ports Neutron makes for routers, floating IPs and DHCP are not created as ports: Alcor
makes each subnet's gateway port itself, routers attach by subnet, and ACA serves DHCP.
Every port is sent with at least one security group (allow_all.py for port security off):
Alcor fills an empty list with the project's default group or fails the create.
"""

from __future__ import annotations

import functools
from typing import Any

from wizard.alcor import paths, values
from wizard.alcor.request import AlcorRequest, NeutronRef, is_deferred
from wizard.translate import allow_all, requests
from wizard.translate.context import (
    DHCP_OWNER,
    FLOATINGIP_OWNER,
    NOT_PORT_OWNERS,
    ROUTER_GATEWAY_OWNER,
    ROUTER_INTERFACE_OWNERS,
    Context,
    ip_version,
)
from wizard.translate.fields import IDENTITY, OMIT, Table, carried, convert, drop, keep, rename
from wizard.translate.security_groups import alcor_group_ids

KIND = "ports"


def vnic_type(value: str) -> str:
    return values.VNIC_TYPE_FROM_NEUTRON.get(value, value)


def vif_type(value: str | None) -> Any:
    return value if value in values.VIF_TYPES else OMIT


def binding_profile(value: dict[str, Any] | None) -> dict[str, Any]:
    links = value.get("local_link_information") if value else None
    if not links:
        return {}
    return {"local_link_information": [
        {k: v for k, v in link.items() if k in values.LOCAL_LINK_INFORMATION_KEYS} for link in links]}


def vif_details(value: dict[str, Any] | None) -> dict[str, Any]:
    return {key: value[key] for key in _details_kept(tuple(value))} if value else {}


@functools.lru_cache(maxsize=1024)  # a cloud's ports have a few key sets, each mechanism driver its own
def _details_kept(keys: tuple[str, ...]) -> tuple[str, ...]:
    """The binding:vif_details keys Alcor keeps, in the port's order."""
    return tuple(key for key in keys if key in values.VIF_DETAILS_KEYS)


def extra_dhcp_opts(value: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """Alcor's ip_version is a string."""
    if not value:
        return []
    return [{"opt_name": o.get("opt_name"), "opt_value": o.get("opt_value"),
             "ip_version": None if o.get("ip_version") is None else str(o["ip_version"])} for o in value]


FIELDS = Table(KIND, {
    **IDENTITY,
    "network_id": keep(),
    "mac_address": keep(),
    "admin_state_up": keep(default=True),
    "device_id": keep(default=""),
    "device_owner": keep(default=""),
    "fixed_ips": keep(default=[]),  # IPv4 on migrated subnets only (findings)
    "allowed_address_pairs": keep(default=[]),
    "extra_dhcp_opts": convert(extra_dhcp_opts),
    "security_groups": keep(default=[]),  # never empty (_groups); the default group's: its Alcor id (deferred)
    "port_security_enabled": keep(default=True),
    "binding:vnic_type": convert(vnic_type, default="normal"),
    "binding:vif_type": convert(vif_type),  # values Alcor rejects are not sent
    "binding:profile": convert(binding_profile),  # only local_link_information (finding)
    "binding:vif_details": convert(vif_details),  # only ovs_hybrid_plug, port_filter (finding)
    "dns_name": keep(default=""),
    "dns_domain": keep(default=""),
    "ip_allocation": keep(default="immediate"),
    "qos_policy_id": keep(),  # kept, not enforced (finding)
    "qos_network_policy_id": keep(),
    "mac_learning_enabled": keep(default=False),
    "propagate_uplink_status": rename("uplink_status_propagation", default=False),
    "created_at": rename("create_at"),
    "updated_at": rename("update_at"),
    "tags": keep(default=[]),
    "revision_number": keep(),
    "binding:host_id": carried("left out: the node cutover binds it (Translation.bindings)"),
    "status": drop("set by Alcor"),
    "dns_assignment": drop("computed; Alcor's is an object, Neutron's a list"),
    "resource_request": drop("Alcor's shape differs", finding="resource-request-dropped"),
    "trunk_details": drop("Alcor has no trunks", finding="trunk"),
    "numa_affinity_policy": drop("Alcor has no such attribute", finding="feature-dropped"),
    "device_profile": drop("Alcor has no such attribute", finding="feature-dropped"),
    "hints": drop("Alcor has no such attribute", finding="feature-dropped"),
    "hardware_offload_type": drop("Alcor has no such attribute", finding="feature-dropped"),
})

_NOT_SENT_QUIETLY = {None, "", "unbound"}  # vif types whose absence changes nothing


def not_a_port(port: dict[str, Any], context: Context) -> bool:
    """Whether a Neutron-owned port is carried elsewhere (or reported) instead of created.

    Router interfaces, gateways and floating-IP ports are named by the router and elastic-IP
    requests; when their owner is missing, a finding names them here.
    """
    owner = port.get("device_owner") or ""
    if owner not in NOT_PORT_OWNERS:
        return False
    pid, device = port["id"], port.get("device_id")
    if owner in ROUTER_INTERFACE_OWNERS or owner == ROUTER_GATEWAY_OWNER:
        if context.index.get("routers", device) is None:
            context.find("skipped-with-parent", KIND, pid, f"{owner} port of unknown router {device}")
        return True
    if owner == FLOATINGIP_OWNER:
        if context.index.get("floatingips", device) is None:
            context.find("skipped-with-parent", KIND, pid, f"floating-IP port of unknown floating IP {device}")
        return True
    if owner == DHCP_OWNER:
        context.find("dhcp-port-not-migrated", KIND, pid, "Neutron DHCP port; ACA answers DHCP itself")
        return True
    context.find("l3-port-not-migrated", KIND, pid, f"{owner} port; Alcor has no such router internals")
    return True


def body(port: dict[str, Any], context: Context, report_details: bool = True) -> dict[str, Any] | None:
    """The port body, or None when the port is not created as a port (with a finding or a carrier);
    `report_details` False: the caller reports binding:vif_details for many ports at once."""
    pid = port["id"]
    if not_a_port(port, context):
        return None
    network_id = port.get("network_id")
    if not context.network_created(network_id):  # never an external network
        if context.index.is_external(network_id):
            context.find("port-on-external-network", KIND, pid, f"port of {port.get('device_owner') or 'no device'} "
                         f"on external network {network_id}, which Alcor holds as elastic-IP ranges only")
        else:
            context.find("skipped-with-parent", KIND, pid, f"its network {network_id} is not migrated")
        return None
    vnic = vnic_type(port.get("binding:vnic_type") or "normal")
    if vnic not in values.VNIC_TYPES:
        context.find("unsupported-vnic-type", KIND, pid, f"vnic type {vnic!r} is refused by Alcor")
        return None
    fixed_ips = _fixed_ips(port, context)
    if fixed_ips is None:
        return None
    groups = _groups(port, context)
    if groups is None:
        return None
    _check_bindings(port, context)
    if report_details:
        report_vif_details([port], context)
    if port.get("qos_policy_id"):
        context.find("qos-policy", KIND, pid, f"QoS policy {port['qos_policy_id']} is kept but not enforced")
    for field, code in FIELDS.dropped_with_meaning(port):
        context.find(code, KIND, pid, f"{field} is not kept")
    return FIELDS.body(port, {"fixed_ips": fixed_ips, "security_groups": groups})


def _groups(port: dict[str, Any], context: Context) -> list[str] | None:
    """The port's groups by Alcor id; None (finding) for a port without any that Alcor cannot hold as it is."""
    groups = port.get("security_groups")
    if groups:
        return alcor_group_ids(groups, context)
    pid = port["id"]
    if port.get("port_security_enabled") is not False:
        context.find("port-without-security-groups", KIND, pid, f"port {port.get('name') or pid} has port security on "
                 "and no security group, so Neutron lets no traffic through; Alcor holds no port without a group")
        return None
    if context.options.port_security_off != "allow_all_group":
        context.find("port-security-off", KIND, pid, f"port {port.get('name') or pid} has port security off; Alcor "
                 "holds no port without a security group and turns port security back on at bind")
        return None
    group = allow_all.group_id(context.project(port))
    context.find("port-security-off-allow-all", KIND, pid, f"port {port.get('name') or pid} has port security off: "
             f"it keeps it off in Alcor, with group {allow_all.NAME} ({group}) letting all traffic through")
    return [group]


def _fixed_ips(port: dict[str, Any], context: Context) -> list[dict[str, Any]] | None:
    """The IPv4 addresses on migrated subnets; None (finding) if that leaves a port without any."""
    kept, pid = [], port["id"]
    for fixed in port.get("fixed_ips") or ():
        address = fixed.get("ip_address")
        if address and ip_version(address) == 6:
            context.find("ipv6-fixed-ip", KIND, pid, f"IPv6 address {address} is not kept")
        elif not context.subnet_created(fixed.get("subnet_id")):
            context.find("skipped-with-parent", KIND, pid, f"address {address}: subnet {fixed.get('subnet_id')} "
                                                       "is not migrated")
        else:
            kept.append({"subnet_id": fixed.get("subnet_id"), "ip_address": address})
    if port.get("fixed_ips") and not kept:
        context.find("skipped-with-parent", KIND, pid, "none of its addresses is on a migrated IPv4 subnet")
        return None
    return kept


def _check_bindings(port: dict[str, Any], context: Context) -> None:
    pid = port["id"]
    host = port.get("binding:host_id")
    if host:
        context.bindings[pid] = host
    vif = port.get("binding:vif_type")
    if vif not in values.VIF_TYPES and vif not in _NOT_SENT_QUIETLY:
        context.find("vif-type-not-sent", KIND, pid, f"binding:vif_type {vif!r} is refused by Alcor; not sent")
    profile = port.get("binding:profile")
    if profile:
        dropped = sorted(profile.keys() - values.BINDING_PROFILE_KEYS)
        for link in profile.get("local_link_information") or ():
            dropped += sorted(f"local_link_information.{k}" for k in link.keys() - values.LOCAL_LINK_INFORMATION_KEYS)
        if dropped:
            context.find("binding-profile-keys-dropped", KIND, pid,
                         f"binding:profile keys not kept: {', '.join(dropped)}")


def report_vif_details(ports: list[dict[str, Any]], context: Context) -> None:
    """One finding per set of binding:vif_details keys Alcor does not keep, naming the first of these
    ports holding it and how many do: nearly every port of a cloud has one of a few such sets (each
    mechanism driver its own), and nothing is to be done about them."""
    first: dict[str, list[Any]] = {}  # message -> [first port id, count]
    for port in ports:
        details = port.get("binding:vif_details")
        message = _details_dropped(tuple(details)) if details else None
        if message:
            first.setdefault(message, [port["id"], 0])[1] += 1
    for message, (pid, count) in first.items():
        context.find("vif-details-keys-dropped", KIND, pid, message if count == 1 else f"{message} ({count} ports)")


@functools.lru_cache(maxsize=1024)  # a cloud's ports have a few key sets, each mechanism driver its own
def _details_dropped(keys: tuple[str, ...]) -> str | None:
    """The finding's message for binding:vif_details keys Alcor does not keep (None: there are none)."""
    dropped = sorted(set(keys) - values.VIF_DETAILS_KEYS)
    return f"binding:vif_details keys not kept: {', '.join(dropped)}" if dropped else None


def needs(port: dict[str, Any], alcor_body: dict[str, Any]) -> list[tuple[str, str]]:
    """What must exist before the port: its network, subnets and groups (Neutron's, or the allow-all group)."""
    wanted = [("networks", port["network_id"])]  # appended one by one: a port has few (faster than zip)
    for fixed in alcor_body["fixed_ips"]:
        wanted.append(("subnets", fixed["subnet_id"]))
    for group in port.get("security_groups") or alcor_body["security_groups"]:
        wanted.append(("security_groups", group))
    return wanted


def allow_all_first(port: dict[str, Any], alcor_body: dict[str, Any], context: Context) -> list[AlcorRequest]:
    """The creates of the project's allow-all group and rule, if the port's body names that group
    (a replayed write: the group may not be in Alcor yet; creating it again is a no-op, as convert looks first)."""
    project = context.project(port)
    return allow_all.creates([project], context) if allow_all.group_id(project) in alcor_body["security_groups"] else []


def check_macs(context: Context) -> set[str]:
    """Ports whose MAC another network already uses (Alcor's MACs are unique globally): blockers."""
    first: dict[str, tuple[str, str | None]] = {}  # MAC -> (port id, network id) of its first port
    clashing = set()
    for port in context.index.in_id_order(KIND):
        mac = (port.get("mac_address") or "").lower()
        if not mac or (port.get("device_owner") or "") in NOT_PORT_OWNERS:
            continue
        seen = first.setdefault(mac, (port["id"], port.get("network_id")))
        if seen[1] != port.get("network_id"):
            clashing.add(port["id"])
            context.find("mac-reused-across-networks", KIND, port["id"],
                     f"MAC {mac} is also port {seen[0]}'s on network {seen[1]}")
    return clashing


def ports(context: Context) -> list[AlcorRequest]:
    """Every port that Alcor should hold, in bulk chunks per project."""
    clashing = check_macs(context)
    items, allow_all_projects, translated = [], set(), []
    allow_all_group = context.options.port_security_off == "allow_all_group"  # else no port names it (_groups)
    for port in context.index.in_id_order(KIND):
        alcor_body = body(port, context, report_details=False)
        if alcor_body is None:
            continue
        translated.append(port)
        if port["id"] in clashing:
            continue
        project = context.project(port)
        if allow_all_group and allow_all.group_id(project) in alcor_body["security_groups"]:
            allow_all_projects.add(project)
        items.append(requests.BulkItem(NeutronRef(KIND, port["id"]), project, alcor_body,
                                       needs=needs(port, alcor_body), deferred=_deferred(alcor_body)))
    report_vif_details(translated, context)
    groups = allow_all.creates(sorted(allow_all_projects), context)
    context.record(groups)
    return groups + requests.bulk(paths.PORT, items, context.options.chunk, context.key_of)


def create(port: dict[str, Any], context: Context) -> list[AlcorRequest]:
    """The single POST of one port (replay)."""
    alcor_body = body(port, context)
    if alcor_body is None:
        return []
    first = allow_all_first(port, alcor_body, context)
    return first + [requests.create(paths.PORT, context.project(port), alcor_body, NeutronRef(KIND, port["id"]),
                                    depends_on=context.needs(*needs(port, alcor_body)) + [r.key for r in first],
                                    deferred=_deferred(alcor_body))]


def _deferred(alcor_body: dict[str, Any]) -> bool:
    return any(map(is_deferred, alcor_body["security_groups"]))
