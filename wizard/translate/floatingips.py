"""External subnets -> ONE Alcor elastic-IP range; floating IPs -> elastic IPs (native endpoint).

Alcor takes every elastic IP from "the first" range of its IP version, the first of a map
ordered by id hash (Alcor: EM/service/implement/ElasticIpServiceImpl.java:createElasticIp;
LIB/db/ignite/IgniteClientDbCache.java:findAllItems), and refuses an address outside it
(Alcor: EM/dao/ElasticIpAllocator.java:allocateIpv4Address). So there is one IPv4 range,
with a fixed id, holding the allocation pools of every external IPv4 subnet (less the
addresses routers' gateways hold); a subnet's create, update or delete (replay) rewrites it.
The native endpoint keeps the floating IP's id (the gateway's Neutron-style route drops it).
"""

from __future__ import annotations

import bisect
import ipaddress
import uuid
from typing import Any

from wizard.alcor import paths
from wizard.alcor.request import AlcorRequest, NeutronRef
from wizard.core.errors import InputError
from wizard.translate import requests
from wizard.translate.context import Context, ip_int, ip_version
from wizard.translate.fields import SET_BY_ALCOR, Table, drop, keep, rename

KIND = "floatingips"
RANGE_ID = str(uuid.uuid5(uuid.NAMESPACE_URL, "alcor-migrate:elastic-ip-range:ipv4"))
RANGE_KEY = requests.key("elastic-ip-range", RANGE_ID)
RANGE_NAME = "alcor-migrate-external-ipv4"

FIELDS = Table(KIND, {
    "id": keep(),
    "project_id": keep(),
    "tenant_id": keep(),
    "description": keep(default=""),
    "floating_ip_address": rename("elastic_ip"),
    "port_id": keep(),
    "fixed_ip_address": rename("private_ip"),  # Alcor allows it only with port_id
    "dns_name": keep(default=""),
    "dns_domain": keep(default=""),
    "floating_network_id": drop("Alcor has one elastic-IP range per IP version, holding every external pool"),
    "router_id": drop("derived by Neutron from the port's router"),
    "status": drop("set by Alcor"),
    "port_details": drop("read-only"),
    **SET_BY_ALCOR,
    "revision_number": drop("Alcor elastic IPs have no revision"),
    "tags": drop("Alcor elastic IPs have no tags", finding="tags-dropped"),
    "qos_policy_id": drop("Alcor has no QoS service", finding="qos-policy"),
    "qos_network_policy_id": drop("Alcor has no QoS service"),
    "port_forwardings": drop("Alcor has no port forwarding", finding="port-forwarding"),
})


def is_range(subnet: dict[str, Any], context: Context) -> bool:
    """Whether Alcor holds this subnet's pools in the elastic-IP range: IPv4, on an external network."""
    return subnet.get("ip_version") == 4 and (
        bool(subnet.get("router:external")) or context.index.is_external(subnet.get("network_id")))


def range_subnets(context: Context, leaving: str | None = None) -> list[dict[str, Any]]:
    """The subnets whose pools the range holds (all but `leaving`, a subnet being deleted), by id."""
    return [s for s in context.index.external_subnets() if is_range(s, context) and s["id"] != leaving]


def gateway_addresses(subnet_ids: set[str], context: Context) -> set[str]:
    """Addresses routers' external gateways hold on these external subnets."""
    return {fixed.get("ip_address") for router in context.index.all("routers")
            for fixed in (router.get("external_gateway_info") or {}).get("external_fixed_ips") or ()
            if fixed.get("subnet_id") in subnet_ids and fixed.get("ip_address")}


def _pools_less(subnets: list[dict[str, Any]], context: Context) -> list[tuple[int, int]]:
    """The subnets' pools as (first, last) integers, without the addresses routers' gateways hold
    (Alcor would hand those out as elastic IPs), in address order."""
    taken = sorted(map(ip_int, gateway_addresses({s["id"] for s in subnets}, context)))
    out = []
    for pool in (pool for s in subnets for pool in s.get("allocation_pools") or ()):
        start, end = ip_int(pool["start"]), ip_int(pool["end"])
        for address in taken[bisect.bisect_left(taken, start):bisect.bisect_right(taken, end)]:
            if start < address:
                out.append((start, address - 1))
            start = address + 1
        if start <= end:
            out.append((start, end))
    return sorted(out)


def allocation_ranges(context: Context) -> list[tuple[int, int]]:
    """The range's addresses as (first, last) integers, in address order."""
    return context.derived("elastic-ip-range", lambda: _pools_less(range_subnets(context), context))


def range_body(context: Context, leaving: str | None = None) -> dict[str, Any]:
    """The elastic-IP range: every external IPv4 subnet's pools (but `leaving`'s), less routers' gateways."""
    held = _pools_less(range_subnets(context, leaving), context) if leaving else allocation_ranges(context)
    return {"id": RANGE_ID, "name": RANGE_NAME, "description": "the allocation pools of Neutron's external "
            "IPv4 subnets (alcor-migrate)", "ip_version": 4,
            "allocation_ranges": [{"start": str(ipaddress.IPv4Address(a)), "end": str(ipaddress.IPv4Address(b))}
                                  for a, b in held]}


def create_range(context: Context) -> AlcorRequest:
    """POST the range, naming every subnet it holds."""
    endpoint = paths.ELASTIC_IP_RANGE
    return AlcorRequest(key=RANGE_KEY, kind=endpoint.name, service=endpoint.service, method="POST",
                        path=endpoint.collection_path(), body={endpoint.wrapper: range_body(context)},
                        neutron=tuple(NeutronRef("subnets", s["id"]) for s in range_subnets(context)))


def ranges(context: Context) -> list[AlcorRequest]:
    """The range, if any external IPv4 subnet is there."""
    return [create_range(context)] if range_subnets(context) else []


def update_range(subnet: dict[str, Any], context: Context) -> AlcorRequest:
    """A logged create or update of an external subnet, the range existing: PUT it whole."""
    return requests.update(paths.ELASTIC_IP_RANGE, None, RANGE_ID, range_body(context),
                           NeutronRef("subnets", subnet["id"]))


def range_without(subnet: dict[str, Any], context: Context) -> AlcorRequest:
    """A logged delete of an external subnet: the range without its pools, or the range's delete if it was the last."""
    ref = NeutronRef("subnets", subnet["id"])
    if range_subnets(context, leaving=subnet["id"]):
        return requests.update(paths.ELASTIC_IP_RANGE, None, RANGE_ID, range_body(context, leaving=subnet["id"]), ref)
    return requests.delete(paths.ELASTIC_IP_RANGE, None, RANGE_ID, ref)


def in_range(address: str, context: Context) -> bool:
    """Whether the range holds an address."""
    held = allocation_ranges(context)
    value = ip_int(address)
    place = bisect.bisect_right(held, (value, float("inf"))) - 1
    return place >= 0 and held[place][0] <= value <= held[place][1]


def body(fip: dict[str, Any], context: Context) -> dict[str, Any] | None:
    """The elastic-IP body, or None (finding) when it cannot be made."""
    fid, address = fip["id"], fip.get("floating_ip_address")
    if not isinstance(address, str) or not address:
        raise InputError(f"floatingips {fid}: no floating_ip_address (Neutron gives every floating IP one)")
    if ip_version(address) == 6:
        context.find("ipv6-fixed-ip", KIND, fid, f"IPv6 floating IP {address}: Alcor handles IPv4 only")
        return None
    if not in_range(address, context):
        context.find("floatingip-outside-ranges", KIND, fid, f"{address} lies in no allocation pool of an external "
                 "subnet, so not in Alcor's elastic-IP range")
        return None
    for field, code in FIELDS.dropped_with_meaning(fip):
        context.find(code, KIND, fid, f"{field} is not kept")
    overrides: dict[str, Any] = {}
    if fip.get("port_id") and not _association_migrated(fip, context):
        context.find("skipped-with-parent", KIND, fid, f"its port {fip['port_id']} (or its address "
                 f"{fip.get('fixed_ip_address')}) is not migrated: created unassociated")
        overrides.update(port_id=None, fixed_ip_address=None)
    return {"name": "", "elastic_ip_version": 4, **FIELDS.body(fip, overrides)}  # no name in Neutron


def _association_migrated(fip: dict[str, Any], context: Context) -> bool:
    """Whether Alcor holds the floating IP's port with its fixed address (Alcor checks both)."""
    port = context.index.get("ports", fip.get("port_id"))
    if port is None or not context.network_created(port.get("network_id")):
        return False
    address = fip.get("fixed_ip_address")
    return any(context.subnet_created(fixed.get("subnet_id")) and address in (None, fixed.get("ip_address"))
               for fixed in port.get("fixed_ips") or ())


def create(fip: dict[str, Any], context: Context) -> list[AlcorRequest]:
    alcor_body = body(fip, context)
    if alcor_body is None:
        return []
    port = context.index.floatingip_port(fip["id"])
    extra = (NeutronRef("ports", port["id"]),) if port else ()
    port_needs = [("ports", alcor_body["port_id"])] if alcor_body["port_id"] else []
    return [requests.create(paths.ELASTIC_IP, context.project(fip), alcor_body, NeutronRef(KIND, fip["id"]),
                            depends_on=context.needs(*port_needs) + [RANGE_KEY], extra_refs=extra)]


def elastic_ips(context: Context) -> list[AlcorRequest]:
    return [r for fip in context.index.in_id_order(KIND) for r in create(fip, context)]
