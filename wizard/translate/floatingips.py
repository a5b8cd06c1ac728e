"""External subnets -> Alcor elastic-IP ranges; floating IPs -> elastic IPs (native endpoint).

The native endpoint keeps the floating IP's id (the gateway's Neutron-style route drops
it). Alcor takes every elastic IP from the first range of its IP version; the address is
sent explicitly, so it must lie in a migrated range.
"""

from __future__ import annotations

from typing import Any

from wizard.alcor import contract
from wizard.translate import requests
from wizard.translate.context import Context, ip_int, ip_version
from wizard.translate.fields import SET_BY_ALCOR, Table, drop, keep, rename
from wizard.translate.model import AlcorRequest, NeutronRef

KIND = "floatingips"

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
    "floating_network_id": drop("Alcor takes the first range of the address's IP version (eip-range-order)"),
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


def ranges(ctx: Context) -> list[AlcorRequest]:
    """One elastic-IP range per IPv4 subnet of an external network, from its allocation pools."""
    out = []
    for subnet in ctx.index.external_subnets():
        if subnet.get("ip_version") != 4:
            continue
        if out:
            ctx.find("eip-range-order", "subnets", subnet["id"],
                     f"range {subnet['cidr']} comes after {out[0].body['elasticip-range']['name'] or out[0].key}: "
                     "Alcor allocates from the first range")
        pools = sorted(subnet.get("allocation_pools") or [], key=lambda p: ip_int(p["start"]))
        body = {"id": subnet["id"], "name": subnet.get("name") or "", "description": subnet.get("description") or "",
                "ip_version": 4, "allocation_ranges": [{"start": p["start"], "end": p["end"]} for p in pools]}
        endpoint = contract.ELASTIC_IP_RANGE
        out.append(AlcorRequest(key=requests.key("elastic-ip-range", subnet["id"]), kind=endpoint.kind,
                                service=endpoint.service, method="POST", path=endpoint.collection_path(),
                                body={endpoint.wrapper: body}, neutron=(NeutronRef("subnets", subnet["id"]),)))
    return out


def _in_ranges(address: str, ctx: Context) -> str | None:
    """The id of the migrated external subnet holding an address (its range), if any."""
    version, ip = ip_version(address), ip_int(address)
    for subnet in ctx.index.external_subnets():
        base, length = subnet["cidr"].split("/")
        shift = (32 if version == 4 else 128) - int(length)
        if subnet.get("ip_version") == version and ip >> shift == ip_int(base) >> shift:
            return subnet["id"]
    return None


def body(fip: dict[str, Any], ctx: Context) -> dict[str, Any] | None:
    """The elastic-IP body, or None (finding) when it cannot be made."""
    made = body_and_range(fip, ctx)
    return made[0] if made else None


def body_and_range(fip: dict[str, Any], ctx: Context) -> tuple[dict[str, Any], str] | None:
    """The elastic-IP body and its range's subnet id, or None (finding) when it cannot be made."""
    fid, address = fip["id"], fip.get("floating_ip_address")
    if ip_version(address) == 6:
        ctx.find("ipv6-fixed-ip", KIND, fid, f"IPv6 floating IP {address}: Alcor handles IPv4 only")
        return None
    range_id = _in_ranges(address, ctx)
    if range_id is None:
        ctx.find("floatingip-outside-ranges", KIND, fid, f"{address} lies in no external subnet")
        return None
    for field, code in FIELDS.dropped_with_meaning(fip):
        ctx.find(code, KIND, fid, f"{field} is not kept")
    overrides = {}
    port = ctx.index.get("ports", fip.get("port_id"))
    if fip.get("port_id") and (port is None or not ctx.network_created(port.get("network_id"))):
        ctx.find("skipped-with-parent", KIND, fid, f"its port {fip['port_id']} is not migrated: created unassociated")
        overrides.update(port_id=None, fixed_ip_address=None)
    alcor_body = {"name": "", "elastic_ip_version": 4, **FIELDS.body(fip, overrides)}  # no name in Neutron
    return alcor_body, range_id


def create(fip: dict[str, Any], ctx: Context) -> list[AlcorRequest]:
    made = body_and_range(fip, ctx)
    if made is None:
        return []
    alcor_body, range_id = made
    port = ctx.index.floatingip_port(fip["id"])
    extra = (NeutronRef("ports", port["id"]),) if port else ()
    port_needs = [("ports", alcor_body["port_id"])] if alcor_body["port_id"] else []
    return [requests.create(contract.ELASTIC_IP, ctx.project(fip), alcor_body, NeutronRef(KIND, fip["id"]),
                            depends_on=ctx.needs(*port_needs) + [requests.key("elastic-ip-range", range_id)],
                            extra_refs=extra)]


def elastic_ips(ctx: Context) -> list[AlcorRequest]:
    return [r for fip in sorted(ctx.index.all(KIND), key=lambda f: f["id"]) for r in create(fip, ctx)]
