"""Neutron subnets -> Alcor subnets, one POST each (Alcor's subnet bulk endpoint is a stub).

Alcor handles IPv4 only, refuses prefixes outside /16-/28 (`translate.unsupported_subnets`:
such a subnet is never sent, and `Context.subnet_created` holds back what depends on it),
reserves a gateway port on every subnet (on the first usable address when Neutron has no
gateway), and allocates from the whole CIDR, not the pools.
A subnet of an external network is no Alcor subnet: its pools are in the elastic-IP range (floatingips).
"""

from __future__ import annotations

from typing import Any

from wizard.alcor import paths
from wizard.alcor.request import AlcorRequest, NeutronRef
from wizard.translate import requests
from wizard.translate.context import ALCOR_PREFIXES, NOT_PORT_OWNERS, Context, cidr_problem, first_usable, ip_int
from wizard.translate.fields import IDENTITY, SET_BY_ALCOR, Table, convert, drop, keep

KIND = "subnets"


def _sorted_by(key: str):
    return lambda items: sorted(items or [], key=lambda item: str(item.get(key)))


FIELDS = Table(KIND, {
    **IDENTITY,
    "network_id": keep(),
    "cidr": keep(),
    "ip_version": keep(default=4),
    "gateway_ip": keep(),  # null in Neutron: Alcor still makes a gateway port (finding)
    "enable_dhcp": keep(default=True),
    "allocation_pools": convert(_sorted_by("start")),  # stored by Alcor, not used (finding)
    "dns_nameservers": keep(default=[]),
    "host_routes": convert(_sorted_by("destination")),
    "ipv6_address_mode": keep(),
    "ipv6_ra_mode": keep(),
    "segment_id": keep(),
    "subnetpool_id": keep(),
    "service_types": keep(default=[]),
    "dns_publish_fixed_ip": keep(default=False),
    "tags": keep(default=[]),
    "revision_number": keep(),
    **SET_BY_ALCOR,
    "router:external": drop("read-only, from the network"),
    "use_default_subnet_pool": drop("a create-time choice Alcor does not take"),
    "prefixlen": drop("a create-time choice Alcor does not take"),
})


def body(subnet: dict[str, Any], context: Context) -> dict[str, Any] | None:
    """The subnet body, or None when Alcor will not hold this subnet (a finding says why) or holds
    its pools in the elastic-IP range (an external network's)."""
    sid = subnet["id"]
    if subnet.get("ip_version") == 6:
        context.find("ipv6-subnet", KIND, sid, f"IPv6 subnet {subnet.get('cidr')}: Alcor handles IPv4 only")
        return None
    if context.index.is_external(subnet.get("network_id")):
        return None
    if not context.network_created(subnet.get("network_id")):
        context.find("skipped-with-parent", KIND, sid, f"its network {subnet.get('network_id')} is not migrated")
        return None
    problem = cidr_problem(subnet.get("cidr"))
    if problem:  # Alcor: SM/service/implement/SubnetServiceImp.java:verifyCidrBlock (a 500)
        first, last = ALCOR_PREFIXES[0], ALCOR_PREFIXES[-1]
        context.find("subnet-prefix-unsupported", KIND, sid,
                 f"subnet {subnet.get('name') or sid} {subnet.get('cidr')} {problem}: Alcor takes IPv4 prefixes "
                 f"/{first} to /{last} only")
        return None
    _check_gateway(subnet, context)
    _check_pools(subnet, context)
    if subnet.get("subnetpool_id"):
        context.find("subnetpool", KIND, sid, f"allocated from subnet pool {subnet['subnetpool_id']}")
    return FIELDS.body(subnet)


def _check_gateway(subnet: dict[str, Any], context: Context) -> None:
    gateway = subnet.get("gateway_ip")
    if gateway is None:
        gateway = first_usable(subnet["cidr"])
        context.find("subnet-without-gateway", KIND, subnet["id"],
                 f"no gateway in Neutron; Alcor creates a gateway port on {gateway}")
    holder = context.index.get("ports", context.index.port_holding(subnet["id"], gateway))
    if holder and (holder.get("device_owner") or "") not in NOT_PORT_OWNERS:
        context.find("gateway-ip-taken", "ports", holder["id"],
                 f"holds {gateway}, which Alcor's gateway port on subnet {subnet['id']} takes")


def _check_pools(subnet: dict[str, Any], context: Context) -> None:
    base, length = subnet["cidr"].split("/")
    size = 1 << (32 - int(length))
    first = ip_int(base) & ~(size - 1)
    usable = max(size - 2, 1)
    gateway = subnet.get("gateway_ip")
    if gateway and first < ip_int(gateway) < first + size - 1:
        usable -= 1
    pooled = sum(ip_int(p["end"]) - ip_int(p["start"]) + 1 for p in subnet.get("allocation_pools") or ())
    if pooled < usable:
        context.find("allocation-pools-ignored", KIND, subnet["id"],
                 f"pools hold {pooled} of {usable} usable addresses; Alcor allocates from all of {subnet['cidr']}")


def create(subnet: dict[str, Any], context: Context) -> list[AlcorRequest]:
    alcor_body = body(subnet, context)
    if alcor_body is None:
        return []
    return [requests.create(paths.SUBNET, context.project(subnet), alcor_body, NeutronRef(KIND, subnet["id"]),
                            depends_on=context.needs(("networks", subnet["network_id"])))]

