"""Neutron routers -> Alcor routers, their interfaces (by subnet) and extra routes.

Alcor attaches a router to a subnet through the gateway port it made with the subnet
(`add_router_interface {"subnet_id"}`), refuses (409) a router joining subnets of more
than one network, takes extra routes through `add_extraroutes` with its own wrapper, and
only stores the external gateway (no SNAT; the external network itself is elastic-IP ranges).

A router joining several networks keeps only its first network under
`translate.multi_network_routers: block` (the others are blockers). Under `split` it
becomes one Alcor router per network: the first network (that of the router's earliest
interface port, by `created_at` then id) keeps the router's id, each other network gets
a router with id `split_id(router, network)` and the router's fields (but no external
gateway), and an extra route goes to the router of the network holding its nexthop.
The id map names the Alcor router of each (router, network) pair (kind `SPLIT_KIND`,
id "ROUTER:NETWORK"); replay follows it, so a network joining later gets a router of
its own and a network leaving takes its router (never the router's own id) away.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence
from typing import Any

from wizard.alcor import paths
from wizard.alcor.request import AlcorRequest, NeutronRef
from wizard.translate import requests
from wizard.translate.context import Context, in_cidr
from wizard.translate.fields import IDENTITY, SET_BY_ALCOR, Table, carried, convert, drop, keep

KIND = "routers"
SPLIT_KIND = "router_networks"  # id-map kind: "ROUTER:NETWORK" -> the Alcor router serving that network
_SPLIT_NAMESPACE = uuid.UUID("0b6c6f3e-2d7a-4e5b-9f41-6a8d2c1e7b90")


def external_gateway_info(value: dict[str, Any] | None) -> dict[str, Any] | None:
    if not value:
        return None
    fixed = sorted(value.get("external_fixed_ips") or [], key=lambda f: (f.get("subnet_id"), f.get("ip_address")))
    return {"network_id": value.get("network_id"),
            "enable_snat": True if value.get("enable_snat") is None else value["enable_snat"],
            "external_fixed_ips": [{"subnet_id": f.get("subnet_id"), "ip_address": f.get("ip_address")}
                                   for f in fixed]}


FIELDS = Table(KIND, {
    **IDENTITY,
    "admin_state_up": keep(default=True),
    "distributed": keep(default=False),
    "ha": keep(default=False),
    "external_gateway_info": convert(external_gateway_info),  # stored only (finding)
    "availability_zone_hints": keep(default=[]),
    "flavor_id": keep(),
    "tags": keep(default=[]),
    "revision_number": keep(),
    "routes": carried("add_extraroutes after the interfaces"),
    "status": drop("Alcor sets ACTIVE"),
    "availability_zones": drop("set by Alcor"),
    **SET_BY_ALCOR,
    "external_gateways": drop("the first is external_gateway_info", finding=None),
    "conntrack_helpers": drop("Alcor takes strings, Neutron objects", finding="feature-dropped"),
    "enable_ndp_proxy": drop("Alcor has no NDP proxy", finding="feature-dropped"),
    "enable_default_route_bfd": drop("Alcor has no BFD", finding="feature-dropped"),
    "enable_default_route_ecmp": drop("Alcor has no ECMP", finding="feature-dropped"),
})


def body(router: dict[str, Any], context: Context) -> dict[str, Any]:
    rid = router["id"]
    if router.get("external_gateway_info"):
        context.find("router-gateway-stored-only", KIND, rid,
                 f"gateway on external network {router['external_gateway_info'].get('network_id')} (elastic-IP "
                 "ranges in Alcor) is stored, no SNAT")
    for field, code in FIELDS.dropped_with_meaning(router):
        context.find(code, KIND, rid, f"{field} {router[field]!r} is not kept")
    return FIELDS.body(router)


def create(router: dict[str, Any], context: Context) -> list[AlcorRequest]:
    """The router itself; its gateway ports are carried by external_gateway_info."""
    gateway_refs = [NeutronRef("ports", pid) for pid in context.index.gateway_ports(router["id"])]
    return [requests.create(paths.ROUTER, context.project(router), body(router, context),
                            NeutronRef(KIND, router["id"]), extra_refs=gateway_refs)]


# -- one Alcor router per network: the split ------------------------------------------------
def split_id(router_id: str, network_id: str) -> str:
    """The id of the Alcor router serving a network of a split router, other than the first."""
    return str(uuid.uuid5(_SPLIT_NAMESPACE, f"{router_id}:{network_id}"))


def _pair(router_id: str, network_id: str | None) -> tuple[str, str]:
    return SPLIT_KIND, f"{router_id}:{network_id}"


def serving(router_id: str, network_id: str | None, context: Context) -> str:
    """The Alcor router holding a router's interfaces on a network: its own id unless split."""
    return context.id_map.get(_pair(router_id, network_id), router_id)


def _as(request: AlcorRequest, alcor_id: str) -> AlcorRequest:
    """A request about another Alcor router of the same Neutron router, keyed by that router's id."""
    return dataclasses.replace(request, key=requests.key(request.key.split(":", 1)[0], alcor_id))


def split_body(router: dict[str, Any], network_id: str, alcor_id: str, context: Context) -> dict[str, Any]:
    """The router serving one more network: the router's fields, its own id and name, no gateway."""
    network = context.index.get("networks", network_id) or {}
    label = network.get("name") or network_id
    return FIELDS.body(router, {"id": alcor_id, "name": f"{router.get('name') or router['id']} ({label})",
                                "description": f"network {network_id} of Neutron router {router['id']}",
                                "external_gateway_info": None})


def create_split(router: dict[str, Any], network_id: str, alcor_id: str, context: Context) -> AlcorRequest:
    split = split_body(router, network_id, alcor_id, context)
    created = requests.create(paths.ROUTER, context.project(router), split, NeutronRef(KIND, router["id"]))
    request = _as(created, alcor_id)
    context.created_by[(KIND, alcor_id)] = request.key  # so that its interfaces wait for it
    return request


def _report_split(router: dict[str, Any], networks: list[str], context: Context) -> None:
    def name(network_id: str) -> str:
        return f"{(context.index.get('networks', network_id) or {}).get('name') or '?'} ({network_id})"

    rid = router["id"]
    placed = ", ".join(f"{name(n)} on router {serving(rid, n, context)}" for n in networks)
    context.find("router-split", KIND, rid,
             f"router {router.get('name') or rid} joins {len(networks)} networks; Alcor takes one per router, so "
             f"it is split and traffic BETWEEN these networks is no longer routed: {placed}")


def _split(router: dict[str, Any], networks: list[str], context: Context) -> list[AlcorRequest]:
    """Record which Alcor router serves each network; the creates of the routers a split adds."""
    rid = router["id"]
    made = []
    for number, network_id in enumerate(networks):
        alcor_id = context.id_map.setdefault(_pair(rid, network_id), split_id(rid, network_id) if number else rid)
        if alcor_id != rid:
            made.append(create_split(router, network_id, alcor_id, context))
    if made:
        _report_split(router, networks, context)
    return made


# -- interfaces and extra routes ------------------------------------------------------------
def _action(router: dict[str, Any], kind: str, action: str, body: dict[str, Any], key: str,
            refs: tuple[NeutronRef, ...], depends_on: list[str], target: str | None = None) -> AlcorRequest:
    """PUT {router}/{action} on `target` (default the router itself): the project in the path is the router's."""
    endpoint = paths.ROUTER
    return AlcorRequest(key=key, kind=kind, service=endpoint.service, method="PUT",
                        path=f"{endpoint.item_path(target or router['id'], Context.project(router))}/{action}",
                        body=body, neutron=refs, depends_on=tuple(sorted(set(depends_on))))


def interface(router: dict[str, Any], subnet_id: str, context: Context, port_id: str | None = None,
              add: bool = True) -> AlcorRequest:
    """Attach (or detach) a router to a subnet: by subnet id, as Alcor uses the subnet's gateway port,
    on the Alcor router serving the subnet's network."""
    action = paths.ADD_ROUTER_INTERFACE if add else paths.REMOVE_ROUTER_INTERFACE
    refs = (NeutronRef("ports", port_id),) if port_id else (NeutronRef(KIND, router["id"]),)
    prefix = "router-interface" if add else "router-interface-remove"
    target = serving(router["id"], (context.index.get("subnets", subnet_id) or {}).get("network_id"), context)
    return _action(router, "router_interface", action, {"subnet_id": subnet_id},
                   requests.key(prefix, f"{router['id']}:{subnet_id}"),
                   refs, context.needs((KIND, target), ("subnets", subnet_id)), target)


def _joined(port: dict[str, Any]) -> tuple[str, str]:
    """The order in which interfaces joined their router: by creation, then id."""
    return port.get("created_at") or "", port["id"]


def _joins(router: dict[str, Any], context: Context, report: bool = True) -> dict[str, list[tuple[dict, dict, dict]]]:
    """(port, fixed IP, subnet) of the router's interfaces on migrated subnets, by network, networks in
    the order they joined; with `report`, a finding for each interface that cannot be attached."""
    joins: dict[str, list[tuple[dict, dict, dict]]] = {}
    for port in sorted(context.index.router_interfaces(router["id"]), key=_joined):
        attached = False
        for fixed in port.get("fixed_ips") or ():
            subnet = context.index.get("subnets", fixed.get("subnet_id"))
            if subnet is None or not context.subnet_created(subnet["id"]):
                continue
            attached = True
            owners = sorted(context.index.routers_of_subnet(subnet["id"]))
            if owners and owners[0] != router["id"]:
                if report:
                    context.find("subnet-on-several-routers", "ports", port["id"],
                             f"subnet {subnet['id']} is also on router {owners[0]}; its gateway port serves one")
                continue
            joins.setdefault(subnet["network_id"], []).append((port, fixed, subnet))
        if report and not attached:
            context.find("skipped-with-parent", "ports", port["id"], "router interface on no migrated subnet")
    return joins


def _networks(router: dict[str, Any], context: Context) -> list[str]:
    """The networks of the router's interfaces on migrated subnets, in the order they joined."""
    return list(_joins(router, context, report=False))


def interfaces(router: dict[str, Any], context: Context) -> tuple[list[AlcorRequest], list[AlcorRequest]]:
    """The routers a split adds, and one add_router_interface per migrated subnet of the router's
    interface ports (beyond the first network only when split)."""
    joins = _joins(router, context)
    networks = list(joins)
    added: list[AlcorRequest] = []
    if context.options.multi_network_routers == "split":
        added = _split(router, networks, context)
    else:
        for network_id in networks[1:]:
            for port, _, _ in joins[network_id]:
                context.find("router-multiple-networks", "ports", port["id"],
                         f"router {router['id']} already joins network {networks[0]}; Alcor refuses a second "
                         f"network ({network_id}) with 409")
        networks = networks[:1]
    out = []
    for network_id in networks:
        for port, fixed, subnet in joins[network_id]:
            if fixed.get("ip_address") != subnet.get("gateway_ip"):
                context.find("router-interface-not-gateway", "ports", port["id"],
                         f"router address {fixed.get('ip_address')} becomes the gateway {subnet.get('gateway_ip')}")
            out.append(interface(router, subnet["id"], context, port_id=port["id"]))
    return added, out


def _route_target(router: dict[str, Any], route: dict[str, Any], context: Context) -> str:
    """The Alcor router of the network whose subnet holds the route's nexthop (else the router's own)."""
    nexthop = route.get("nexthop") or ""
    for port in context.index.router_interfaces(router["id"]):
        for fixed in port.get("fixed_ips") or ():
            subnet = context.index.get("subnets", fixed.get("subnet_id"))
            if subnet and nexthop and context.subnet_created(subnet["id"]) and in_cidr(nexthop, subnet["cidr"]):
                return serving(router["id"], subnet["network_id"], context)
    return router["id"]


def extraroutes(router: dict[str, Any], routes: list[dict[str, Any]], context: Context,
                add: bool = True, after: Sequence[str] = ()) -> list[AlcorRequest]:
    """add_extraroutes (or remove_extraroutes) with Alcor's newRoutesWebRequest body: one request per
    Alcor router serving a nexthop (one, the router's own, unless split)."""
    action = paths.ADD_EXTRA_ROUTES if add else paths.REMOVE_EXTRA_ROUTES
    prefix = "extraroutes" if add else "extraroutes-remove"
    by_target: dict[str, list[dict[str, Any]]] = {}
    for route in routes:
        by_target.setdefault(_route_target(router, route, context), []).append(route)
    out = []
    for target, group in sorted(by_target.items()):
        ordered = sorted(group, key=lambda r: (r.get("destination"), r.get("nexthop")))
        body = {paths.EXTRA_ROUTES_WRAPPER: {"routes": [
            {"destination": r.get("destination"), "nexthop": r.get("nexthop")} for r in ordered]}}
        out.append(_action(router, "extraroutes", action, body, requests.key(prefix, target),
                           (NeutronRef(KIND, router["id"]),), context.needs((KIND, target)) + list(after), target))
    return out


def routers(context: Context) -> tuple[list[AlcorRequest], list[AlcorRequest], list[AlcorRequest]]:
    """Every router's create (and those splits add), then every interface, then every router's extra routes."""
    ordered = context.index.in_id_order(KIND)
    creates = [request for router in ordered for request in create(router, context)]
    context.record(creates)
    attach, routes = [], []
    for router in ordered:
        added, joined = interfaces(router, context)
        creates.extend(added)
        attach.extend(joined)
        if router.get("routes"):
            routes.extend(extraroutes(router, router["routes"], context, after=[r.key for r in joined]))
    return creates, attach, routes


# -- one logged write at a time (replay) ----------------------------------------------------
def join(router: dict[str, Any], subnet_id: str, context: Context, port_id: str | None = None) -> list[AlcorRequest]:
    """A logged add_router_interface (the index holds the router's interfaces after it): attach the
    subnet to the Alcor router serving its network; a network new to a split router gets one first."""
    rid = router["id"]
    ref: tuple[str, str] = ("ports", port_id) if port_id else (KIND, rid)  # what a finding names
    subnet = context.index.get("subnets", subnet_id)
    if subnet is None or not context.subnet_created(subnet_id):
        context.find("skipped-with-parent", *ref, f"router interface on subnet {subnet_id}, which is not migrated")
        return []
    network_id = subnet["network_id"]
    networks = _networks(router, context)
    made = []
    if context.options.multi_network_routers == "split":
        if _pair(rid, network_id) not in context.id_map:
            taken = any(context.id_map.get(_pair(rid, n)) == rid for n in networks)  # by a network still joined
            context.id_map[_pair(rid, network_id)] = split_id(rid, network_id) if taken else rid
            if taken:
                made.append(create_split(router, network_id, split_id(rid, network_id), context))
                _report_split(router, networks, context)
    elif networks and networks[0] != network_id:
        context.find("router-multiple-networks", *ref, f"router {rid} already joins network {networks[0]}; Alcor "
                 f"refuses a second network ({network_id}) with 409")
        return []
    return made + [interface(router, subnet_id, context, port_id=port_id)]


def leave(router: dict[str, Any], subnet_id: str, context: Context, port_id: str | None = None) -> list[AlcorRequest]:
    """A logged remove_router_interface (the index holds the router's interfaces after it); a network
    leaving a split router takes its Alcor router away (the router's own id stays)."""
    rid = router["id"]
    network_id = (context.index.get("subnets", subnet_id) or {}).get("network_id")
    target = serving(rid, network_id, context)
    out = [interface(router, subnet_id, context, port_id=port_id, add=False)]
    if network_id is not None and network_id not in _networks(router, context):
        context.id_map.pop(_pair(rid, network_id), None)
        if target != rid:
            gone = requests.delete(paths.ROUTER, context.project(router), target, NeutronRef(KIND, rid))
            out.append(dataclasses.replace(_as(gone, target), depends_on=(out[0].key,)))
    return out


def update(router: dict[str, Any], context: Context) -> list[AlcorRequest]:
    """The PUTs of a logged router update: the router's own, and one per router its split added."""
    rid = router["id"]
    out = [requests.update(paths.ROUTER, context.project(router), rid, body(router, context), NeutronRef(KIND, rid))]
    for network_id in _networks(router, context):
        alcor_id = serving(rid, network_id, context)
        if alcor_id != rid:
            out.append(_as(requests.update(paths.ROUTER, context.project(router), alcor_id,
                                           split_body(router, network_id, alcor_id, context), NeutronRef(KIND, rid)),
                           alcor_id))
    return out


def route_changes(router: dict[str, Any], before: list[dict[str, Any]], context: Context) -> list[AlcorRequest]:
    """A logged change of a router's routes (`before` it, `router` after): remove_extraroutes of those
    gone, then add_extraroutes of those new, each on the Alcor router serving its nexthop."""
    after = router.get("routes") or []
    gone = [r for r in before if r not in after]
    new = [r for r in after if r not in before]
    out = extraroutes(router, gone, context, add=False) if gone else []
    return out + (extraroutes(router, new, context, after=[r.key for r in out]) if new else [])
