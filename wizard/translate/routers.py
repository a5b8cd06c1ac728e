"""Neutron routers -> Alcor routers, their interfaces (by subnet) and extra routes.

Alcor attaches a router to a subnet through the gateway port it made with the subnet
(`add_router_interface {"subnet_id"}`), refuses (409) a router joining subnets of more
than one network, takes extra routes through `add_extraroutes` with its own wrapper, and
only stores the external gateway (no SNAT).
"""

from __future__ import annotations

from typing import Any

from wizard.alcor import contract
from wizard.translate import requests
from wizard.translate.context import Context
from wizard.translate.fields import IDENTITY, SET_BY_ALCOR, Table, carried, convert, drop, keep
from wizard.translate.model import AlcorRequest, NeutronRef

KIND = "routers"


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


def body(router: dict[str, Any], ctx: Context) -> dict[str, Any]:
    rid = router["id"]
    if router.get("external_gateway_info"):
        ctx.find("router-gateway-stored-only", KIND, rid,
                 f"gateway on network {router['external_gateway_info'].get('network_id')} is stored, no SNAT")
    for field, code in FIELDS.dropped_with_meaning(router):
        ctx.find(code, KIND, rid, f"{field} {router[field]!r} is not kept")
    return FIELDS.body(router)


def create(router: dict[str, Any], ctx: Context) -> list[AlcorRequest]:
    """The router itself; its gateway ports are carried by external_gateway_info."""
    gateway_refs = [NeutronRef("ports", pid) for pid in ctx.index.gateway_ports(router["id"])]
    return [requests.create(contract.ROUTER, ctx.project(router), body(router, ctx), NeutronRef(KIND, router["id"]),
                            extra_refs=gateway_refs)]


def _action(router: dict[str, Any], kind: str, action: str, body: dict[str, Any], key: str,
            refs: tuple[NeutronRef, ...], depends_on: list[str]) -> AlcorRequest:
    """PUT {router}/{action}: the project in the path is the router's own."""
    endpoint = contract.ROUTER
    return AlcorRequest(key=key, kind=kind, service=endpoint.service, method="PUT",
                        path=f"{endpoint.item_path(router['id'], Context.project(router))}/{action}", body=body,
                        neutron=refs, depends_on=tuple(sorted(set(depends_on))))


def interface(router: dict[str, Any], subnet_id: str, ctx: Context, port_id: str | None = None,
              add: bool = True) -> AlcorRequest:
    """Attach (or detach) a router to a subnet: by subnet id, as Alcor uses the subnet's gateway port."""
    action = contract.ADD_ROUTER_INTERFACE if add else contract.REMOVE_ROUTER_INTERFACE
    refs = (NeutronRef("ports", port_id),) if port_id else (NeutronRef(KIND, router["id"]),)
    prefix = "router-interface" if add else "router-interface-remove"
    return _action(router, "router_interface", action, {"subnet_id": subnet_id},
                   requests.key(prefix, f"{router['id']}:{subnet_id}"),
                   refs, ctx.needs((KIND, router["id"]), ("subnets", subnet_id)))


def interfaces(router: dict[str, Any], ctx: Context) -> list[AlcorRequest]:
    """One add_router_interface per migrated subnet of the router's interface ports, all on one network."""
    out: list[AlcorRequest] = []
    network = None
    for port in ctx.index.router_interfaces(router["id"]):
        attached = False
        for fixed in port.get("fixed_ips") or ():
            subnet = ctx.index.get("subnets", fixed.get("subnet_id"))
            if subnet is None or not ctx.subnet_created(subnet["id"]):
                continue
            if network is None:
                network = subnet["network_id"]
            if subnet["network_id"] != network:
                ctx.find("router-multiple-networks", "ports", port["id"],
                         f"router {router['id']} already joins network {network}; Alcor refuses a second "
                         f"network ({subnet['network_id']}) with 409")
                attached = True  # reported
                continue
            owners = sorted(ctx.index.routers_of_subnet(subnet["id"]))
            if owners and owners[0] != router["id"]:
                ctx.find("subnet-on-several-routers", "ports", port["id"],
                         f"subnet {subnet['id']} is also on router {owners[0]}; its gateway port serves one")
                attached = True
                continue
            if fixed.get("ip_address") != subnet.get("gateway_ip"):
                ctx.find("router-interface-not-gateway", "ports", port["id"],
                         f"router address {fixed.get('ip_address')} becomes the gateway {subnet.get('gateway_ip')}")
            out.append(interface(router, subnet["id"], ctx, port_id=port["id"]))
            attached = True
        if not attached:
            ctx.find("skipped-with-parent", "ports", port["id"], "router interface on no migrated subnet")
    return out


def extraroutes(router: dict[str, Any], routes: list[dict[str, Any]], ctx: Context,
                add: bool = True, after: list[str] = ()) -> AlcorRequest:
    """add_extraroutes (or remove_extraroutes) with Alcor's newRoutesWebRequest body."""
    action = contract.ADD_EXTRAROUTES if add else contract.REMOVE_EXTRAROUTES
    ordered = sorted(routes, key=lambda r: (r.get("destination"), r.get("nexthop")))
    body = {contract.EXTRAROUTES_WRAPPER: {"routes": [
        {"destination": r.get("destination"), "nexthop": r.get("nexthop")} for r in ordered]}}
    prefix = "extraroutes" if add else "extraroutes-remove"
    return _action(router, "extraroutes", action, body, requests.key(prefix, router["id"]),
                   (NeutronRef(KIND, router["id"]),), ctx.needs((KIND, router["id"])) + list(after))


def routers(ctx: Context) -> tuple[list[AlcorRequest], list[AlcorRequest], list[AlcorRequest]]:
    """Every router's create, then every interface, then every router's extra routes."""
    ordered = sorted(ctx.index.all(KIND), key=lambda r: r["id"])
    creates = [request for router in ordered for request in create(router, ctx)]
    ctx.record(creates)
    attach, routes = [], []
    for router in ordered:
        joined = interfaces(router, ctx)
        attach.extend(joined)
        if router.get("routes"):
            routes.append(extraroutes(router, router["routes"], ctx, after=[r.key for r in joined]))
    return creates, attach, routes
