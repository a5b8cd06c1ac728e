"""The emulated elastic IP manager: elastic-IP ranges and elastic IPs (Neutron's floating IPs).

Traps kept from Alcor: an elastic IP comes from the first range of its IP version in Java
HashMap order of the range ids (not creation order), whatever Neutron's floating network
was; an address outside that range's allocation ranges fails (ElasticIpAllocationException,
400); no range → 400; a repeated create of an id answers 406 ("The elastic ip is in use");
a repeated range create answers 409; a body project_id that differs from the path's answers
400; a list matching 100,000 elastic IPs or more answers empty; nothing is pushed to the
data plane.
"""

from __future__ import annotations

import ipaddress

from wizard.alcor import errors, values
from wizard.lab.alcor.calls import Call, Rejected, handles, owned

RANGE_KEY = "range_id"  # internal: Alcor's rangeId is @JsonIgnore


@handles("elastic_ip_range", "create")
def create_range(call: Call) -> dict:
    model = call.model
    item = dict(call.item())
    item["id"] = item.get("id") or model.new_id()
    if item["id"] in model.store["elastic_ip_range"]:
        raise Rejected(errors.EIP_RANGE_EXISTS, item["id"])
    item["ip_version"] = item.get("ip_version") or values.DEFAULT_EIP_VERSION
    _check_ranges(item)
    model.store["elastic_ip_range"][item["id"]] = item
    model.ledger.created("elastic_ip_range", item["id"])
    return {"elasticip-range": _range_shown(model, item)}


def _check_ranges(item: dict) -> None:
    ranges = item.get("allocation_ranges")
    try:
        bounds = [(ipaddress.ip_address(r["start"]), ipaddress.ip_address(r["end"])) for r in ranges or []]
    except (TypeError, KeyError, ValueError):
        raise Rejected(errors.EIP_RANGE_BAD_RANGES, str(ranges)) from None
    if not bounds or any(a.version != item["ip_version"] or b.version != a.version or int(a) > int(b)
                         for a, b in bounds):
        raise Rejected(errors.EIP_RANGE_BAD_RANGES, str(ranges))


def _range_shown(model, item: dict) -> dict:
    return {**item, "used_ip_count": len(model.eips.get(item["id"], ()))}


@handles("elastic_ip_range", "get")
def get_range(call: Call) -> dict:
    item = call.stored(errors.EIP_RANGE_NOT_FOUND)
    return {"elasticip-range": _range_shown(call.model, item)}


@handles("elastic_ip_range", "list")
def list_ranges(call: Call) -> dict:
    items = [_range_shown(call.model, r) for r in call.model.store["elastic_ip_range"].values()]
    return call.listing(items)


@handles("elastic_ip_range", "delete")
def delete_range(call: Call) -> dict:
    if call.model.store["elastic_ip_range"].pop(call.id, None) is None:
        raise Rejected(errors.EIP_RANGE_NOT_FOUND, call.id)
    return {"id": call.id}


@handles("elastic_ip", "create")
def create_eip(call: Call) -> dict:
    model = call.model
    posted = call.item()
    if posted.get("project_id") not in (None, call.project_id):
        raise Rejected(errors.EIP_PROJECT_CONFLICT, posted["project_id"])
    eip = owned(call, posted)
    eip["elastic_ip_version"] = eip.get("elastic_ip_version") or values.DEFAULT_EIP_VERSION
    if eip.get("elastic_ip") is not None and _ip(eip["elastic_ip"]) is None:
        raise Rejected(errors.EIP_ADDRESS_INVALID, eip["elastic_ip"])
    if eip.get("private_ip") and not eip.get("port_id"):
        raise Rejected(errors.EIP_PRIVATE_IP_WITHOUT_PORT)
    if eip.get("id") and eip["id"] in model.store["elastic_ip"]:
        raise Rejected(errors.EIP_IN_USE, eip["id"])
    eip["id"] = eip.get("id") or model.new_id()
    ranges = model.store["elastic_ip_range"]
    chosen = next((ranges[i] for i in hash_map_order(list(ranges))
                   if ranges[i]["ip_version"] == eip["elastic_ip_version"]), None)
    if chosen is None:
        raise Rejected(errors.EIP_NO_PROPER_RANGE, f"IPv{eip['elastic_ip_version']}")
    port = _associated(model, eip)
    eip["elastic_ip"] = _allocate(model, chosen, eip.get("elastic_ip"))
    eip[RANGE_KEY] = chosen["id"]
    model.store["elastic_ip"][eip["id"]] = eip
    model.ledger.created("elastic_ip", eip["id"])
    return {"elasticip": _shown(eip, port)}


def _associated(model, eip: dict) -> dict | None:
    """The port an elastic IP points at, with private_ip set to one of its fixed IPs."""
    if not eip.get("port_id"):
        eip["private_ip"] = None
        return None
    port = model.store["port"].get(eip["port_id"])
    addresses = [f["ip_address"] for f in (port or {}).get("fixed_ips") or []]
    wanted = eip.get("private_ip") or (addresses[0] if addresses else None)
    if port is None or wanted not in addresses:
        raise Rejected(errors.EIP_PORT_NOT_FOUND, f"port {eip['port_id']} / {wanted}")
    eip["private_ip"] = wanted
    return port


def hash_map_order(keys: list[str]) -> list[str]:
    """The iteration order of a java.util.HashMap holding these String keys, put in this order.

    Alcor: EM/service/implement/ElasticIpServiceImpl.createElasticIp takes the first range of
    elasticIpRangeRepo.findAllItems(), a HashMap from Collectors.toMap (LIB/db/ignite/
    IgniteClientDbCache.getAll). Buckets by the spread String.hashCode in a table of 16 doubled
    past 0.75 load; a bucket keeps insertion order (here: creation order; Ignite's scan order
    is unknown). Bins of 8+ keys, which Java would treeify, do not occur with a few ranges.
    """
    capacity = 16
    while len(keys) > capacity * 3 // 4:
        capacity *= 2
    return sorted(keys, key=lambda k: _spread(java_string_hash(k)) & (capacity - 1))  # stable: insertion order kept


def java_string_hash(text: str) -> int:
    """String.hashCode over UTF-16 code units, as an unsigned 32-bit number."""
    units = text.encode("utf-16-be")
    h = 0
    for i in range(0, len(units), 2):
        h = (31 * h + int.from_bytes(units[i:i + 2], "big")) & 0xFFFFFFFF
    return h


def _spread(h: int) -> int:
    """HashMap.hash: h ^ (h >>> 16)."""
    return h ^ (h >> 16)


def _allocate(model, chosen: dict, wanted: str | None) -> str:
    """An address of the range: the one wanted if free and in any of its allocation ranges, else the first free.

    Alcor: EM/dao/ElasticIpAllocator.allocateIpAddress (all allocation ranges are pooled at range
    creation); a wanted address outside them, or taken, is ElasticIpAllocationException (400).
    """
    used = model.eips.setdefault(chosen["id"], set())
    for bounds in chosen["allocation_ranges"]:
        start, end = ipaddress.ip_address(bounds["start"]), ipaddress.ip_address(bounds["end"])
        if wanted is not None:
            address = _ip(wanted)
            if address.version == start.version and start <= address <= end and wanted not in used:
                used.add(wanted)
                return wanted
            continue
        address = start
        while int(address) <= int(end):  # one version: checked when the range was made
            if str(address) not in used:
                used.add(str(address))
                return str(address)
            address += 1
    raise Rejected(errors.EIP_ALLOCATION_FAILED, wanted or f"range {chosen['id']} is full")


def _ip(text: str):
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _shown(eip: dict, port: dict | None) -> dict:
    shown = {k: v for k, v in eip.items() if k != RANGE_KEY}
    shown["state"] = "activated" if port else "deactivated"
    if port:
        shown["port_details"] = {k: port.get(k) for k in (
            "name", "network_id", "mac_address", "admin_state_up", "status", "device_id", "device_owner")}
    return shown


@handles("elastic_ip", "get")
def get_eip(call: Call) -> dict:
    eip = call.stored(errors.EIP_NOT_FOUND)
    return {"elasticip": _shown(eip, call.model.store["port"].get(eip.get("port_id")))}


@handles("elastic_ip", "list")
def list_eips(call: Call) -> dict:
    ports = call.model.store["port"]
    eips = [_shown(e, ports.get(e.get("port_id"))) for e in call.model.store["elastic_ip"].values()]
    return call.listing(eips)


@handles("elastic_ip", "update")
def update_eip(call: Call) -> dict:
    old = call.stored(errors.EIP_NOT_FOUND)
    changes = call.item()
    eip = {**old, **{k: changes[k] for k in ("name", "description", "port_id", "private_ip", "dns_name",
                                               "dns_domain") if k in changes}}
    port = _associated(call.model, eip)
    call.model.store["elastic_ip"][call.id] = eip
    return {"elasticip": _shown(eip, port)}


@handles("elastic_ip", "delete")
def delete_eip(call: Call) -> dict:
    eip = call.model.store["elastic_ip"].pop(call.id, None)
    if eip is None:
        raise Rejected(errors.EIP_NOT_FOUND, call.id)
    call.model.eips.get(eip[RANGE_KEY], set()).discard(eip["elastic_ip"])
    return {"id": call.id}
