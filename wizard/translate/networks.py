"""Neutron networks -> Alcor VPCs, one POST each (Alcor's VPC bulk endpoint is a stub).

Alcor allocates its own segmentation id for every VPC (the Neutron one is sent but
overwritten), cannot create flat networks, and turns omitted booleans into false.
An external network (`router:external`, whatever its type) is no VPC: Alcor takes
floating IPs from the elastic-IP range (floatingips.ranges, from every external subnet)
and only stores a router's external gateway, so nothing else needs it as a network.
"""

from __future__ import annotations

from typing import Any

from wizard.alcor import paths, values
from wizard.alcor.request import AlcorRequest, NeutronRef
from wizard.translate import floatingips, requests
from wizard.translate.context import NETWORK_TYPE_TO_ALCOR, Context
from wizard.translate.fields import IDENTITY, SET_BY_ALCOR, Table, carried, convert, drop, keep

KIND = "networks"


def _network_type(value: str | None) -> str | None:
    return NETWORK_TYPE_TO_ALCOR.get(value, value)


def _segments(value: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    if not value:
        return None
    return [{"provider:network_type": _network_type(s.get("provider:network_type")),
             "provider:physical_network": s.get("provider:physical_network"),
             "provider:segmentation_id": s.get("provider:segmentation_id")} for s in value]


FIELDS = Table(KIND, {
    **IDENTITY,
    "admin_state_up": keep(default=True),
    "shared": keep(default=False),
    "router:external": keep(default=False),
    "vlan_transparent": keep(default=False),
    "is_default": keep(default=False),
    "port_security_enabled": keep(default=True),
    "mtu": keep(default=values.DEFAULT_MTU),
    "status": convert(lambda s: s if s in values.NETWORK_STATUSES else "ACTIVE", default="ACTIVE"),
    "dns_domain": keep(default=""),
    "availability_zone_hints": keep(default=[]),
    "tags": keep(default=[]),
    "revision_number": keep(),
    "provider:network_type": convert(_network_type),
    "provider:physical_network": keep(),
    "provider:segmentation_id": keep(),  # sent, but Alcor allocates its own (finding)
    "segments": convert(_segments),
    "subnets": carried("each subnet's own create adds it"),
    "availability_zones": drop("set by Alcor"),
    "l2_adjacency": drop("set by Alcor"),
    **SET_BY_ALCOR,
    "ipv4_address_scope": drop("Alcor has no address scopes", finding="address-scope"),
    "ipv6_address_scope": drop("Alcor has no address scopes", finding="address-scope"),
    "qos_policy_id": drop("Alcor has no QoS service", finding="qos-policy"),
})
# Alcor-only VPC fields left unset on purpose: `cidr` (would confine every subnet), `routes`, `router`.


def body(network: dict[str, Any], context: Context) -> dict[str, Any] | None:
    """The VPC body, or None (with a finding) when Alcor cannot hold this network."""
    nid = network["id"]
    net_type = network.get("provider:network_type")
    if network.get("router:external"):
        _report_external(network, context)
        return None
    if net_type == "flat":
        context.find("flat-network", KIND, nid, f"flat network {network.get('name') or nid}: Alcor allocates no "
                 "segment key for flat networks and fails to create it; ACA rejects flat networks")
        return None
    if net_type not in NETWORK_TYPE_TO_ALCOR:
        context.find("unsupported-network-type", KIND, nid, f"network type {net_type!r} is not one Alcor creates")
        return None
    if net_type == "geneve":
        context.find("network-type-converted", KIND, nid, "geneve network created as vxlan in Alcor")
    key = network.get("provider:segmentation_id")
    if key is not None and net_type == "vlan":  # a VLAN leaves the cloud: the switches see the new id
        context.find("vlan-id-reallocated", KIND, nid, f"VLAN {key} on {network.get('provider:physical_network')} "
                 "is replaced by a VLAN id Alcor allocates: the physical network must carry the new one")
    elif key is not None:
        context.find("segmentation-id-reallocated", KIND, nid,
                     f"{net_type} id {key} is replaced by one Alcor allocates")
    if len(network.get("segments") or ()) > 1:
        context.find("multi-segment-network", KIND, nid, f"{len(network['segments'])} segments; Alcor uses one")
    for field, code in FIELDS.dropped_with_meaning(network):
        context.find(code, KIND, nid, f"{field} {network[field]!r} is not kept")
    return FIELDS.body(network)


def _report_external(network: dict[str, Any], context: Context) -> None:
    nid = network["id"]
    subnets = [s for s in context.index.external_subnets() if s.get("network_id") == nid and s.get("ip_version") == 4]
    held = len(floatingips.gateway_addresses({s["id"] for s in subnets}, context))
    carried = (f"its subnets' allocation pools ({', '.join(s['cidr'] for s in subnets)}) join the elastic-IP "
               f"range, less the {held} address(es) routers' gateways hold" if subnets
               else "nothing is kept: it has no IPv4 subnet")
    context.find("external-network-as-eip-ranges", KIND, nid,
             f"external network {network.get('name') or nid} ({network.get('provider:network_type')}) is no VPC "
             f"in Alcor; {carried}")


def create(network: dict[str, Any], context: Context) -> list[AlcorRequest]:
    alcor_body = body(network, context)
    if alcor_body is None:
        return []
    refs = [NeutronRef("segments", sid) for sid in context.index.segments_of(network["id"])]
    return [requests.create(paths.VPC, context.project(network), alcor_body, NeutronRef(KIND, network["id"]),
                            extra_refs=refs)]

