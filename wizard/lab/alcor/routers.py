"""The emulated route manager: Neutron-style routers, their interfaces and extra routes.

Traps kept from Alcor: create answers 200, and a repeated create overwrites the router,
dropping its interfaces and routes (the subnets stay marked as attached); an interface is
always the subnet's own gateway port; a router only takes subnets of one VPC
(RouterHasMultipleVPCs, 409); attaching a subnet twice fails (PortIsAlreadyInUse, 409);
an interface request naming a missing subnet answers 200 with every field null; extra
routes use the body `{"newRoutesWebRequest": {"routes": [...]}}` and a destination
already routed fails (DestinationSame, 409); a missing router reads as `{"router": null}`;
list items carry `"routetable": null` (extra routes show on a single GET only).
"""

from __future__ import annotations

from wizard.alcor import errors, values
from wizard.alcor.paths import EXTRA_ROUTES_WRAPPER
from wizard.lab.alcor.calls import Call, Rejected, handles, merged, owned

PRIMITIVE_FALSE = ("admin_state_up", "distributed", "ha")
INTERFACE_FIELDS = ("id", "network_id", "port_id", "subnet_id", "subnet_ids", "project_id", "tenant_id", "tags")


@handles("router", "create")
def create_router(call: Call) -> dict:
    model = call.model
    router = owned(call, call.item())
    if router.get("status") is not None and router["status"] not in values.NETWORK_STATUSES:
        raise Rejected(errors.RESOURCE_NOT_VALID, f"status {router['status']}")
    router["id"] = router.get("id") or model.new_id()
    for name in PRIMITIVE_FALSE:
        router[name] = bool(router.get(name))
    router.update(
        status="ACTIVE",
        gateway_ports=[],
        subnet_ids=[],
        owner=None,
        routetable={"id": model.new_id(), "routes": [], "route_table_type": "neutron", "owner": router["id"]},
    )
    model.store["router"][router["id"]] = router
    model.ledger.created("router", router["id"])
    return {"router": router}


@handles("router", "get")
def get_router(call: Call) -> dict:
    return {"router": call.model.store["router"].get(call.id)}


@handles("router", "list")
def list_routers(call: Call) -> dict:
    """RM/controller/NeutronRouterController.getNeutronRouters copies each Router with BeanUtils;
    its table is `neutronRouteTable`, so `routetable` stays null (only a single GET sets it)."""
    return call.listing([{**router, "routetable": None} for router in call.model.store["router"].values()])


@handles("router", "update")
def update_router(call: Call) -> dict:
    old = call.stored(errors.ROUTER_UNAVAILABLE)
    router = merged(old, call.item(), keep=("id", "gateway_ports", "subnet_ids", "owner", "routetable"))
    call.model.store["router"][call.id] = router
    return {"router": router}


@handles("router", "delete")
def delete_router(call: Call) -> dict:
    router = call.model.store["router"].get(call.id)
    if router is None:
        return {"id": None}
    if router["gateway_ports"]:
        raise Rejected(errors.ROUTER_HAS_INTERFACES, call.id)
    del call.model.store["router"][call.id]
    return {"id": call.id}


def _interface_subnet(call: Call) -> dict | None:
    """The subnet an interface body names (by subnet id or by its gateway port), or None."""
    body = call.body if isinstance(call.body, dict) else {}
    subnet_id, port_id = body.get("subnet_id"), body.get("port_id")
    subnets = call.model.store["subnet"]
    if subnet_id is not None:
        return subnets.get(subnet_id)
    if port_id is not None:
        return next((s for s in subnets.values() if s["gatewayPortId"] == port_id), None)
    return None


def _interface(router_id: str, subnet: dict) -> dict:
    return {
        "id": router_id,
        "network_id": subnet["network_id"],
        "port_id": subnet["gatewayPortId"],
        "subnet_id": subnet["id"],
        "subnet_ids": [subnet["id"]],
        "project_id": subnet["project_id"],
        "tenant_id": subnet["project_id"],
        "tags": subnet.get("tags"),
    }


EMPTY_INTERFACE = dict.fromkeys(INTERFACE_FIELDS)


@handles("router", "add_router_interface")
def add_interface(call: Call) -> dict:
    model = call.model
    body = call.body if isinstance(call.body, dict) else {}
    if body.get("subnet_id") is not None and body.get("port_id") is not None:
        raise Rejected(errors.SPECIFY_BOTH_SUBNET_AND_PORT)
    subnet = _interface_subnet(call)
    if subnet is None:
        return dict(EMPTY_INTERFACE)
    router = model.store["router"].get(call.id)
    if router is None:
        raise Rejected(errors.ROUTER_UNAVAILABLE, call.id)
    if subnet.get("attached_router_id"):
        raise Rejected(errors.PORT_ALREADY_IN_USE, f"subnet {subnet['id']} is on router {subnet['attached_router_id']}")
    for port_id in router["gateway_ports"]:
        other = next(s for s in model.store["subnet"].values() if s["gatewayPortId"] == port_id)
        if other["network_id"] != subnet["network_id"]:
            raise Rejected(errors.ROUTER_HAS_MULTIPLE_VPCS, f"{subnet['network_id']} != {other['network_id']}")
    if not router["gateway_ports"]:
        router["owner"] = subnet["network_id"]
    gateway_port = model.store["port"][subnet["gatewayPortId"]]
    gateway_port.update(device_id=call.id, device_owner=values.GATEWAY_DEVICE_OWNER)
    subnet["attached_router_id"] = call.id
    router["gateway_ports"].append(subnet["gatewayPortId"])
    router["subnet_ids"].append(subnet["id"])
    return _interface(call.id, subnet)


@handles("router", "remove_router_interface")
def remove_interface(call: Call) -> dict:
    model = call.model
    body = call.body if isinstance(call.body, dict) else {}
    subnet = _interface_subnet(call)
    if subnet is None:
        return dict(EMPTY_INTERFACE)
    if body.get("port_id") is not None and body.get("subnet_id") is not None \
            and subnet["gatewayPortId"] != body["port_id"]:
        raise Rejected(errors.PORT_NOT_SUBNET_GATEWAY, body["port_id"])
    router = model.store["router"].get(call.id)
    if router is None:
        raise Rejected(errors.ROUTER_OR_SUBNET_NOT_VISIBLE, call.id)
    if subnet.get("attached_router_id") is None:
        raise Rejected(errors.INTERFACE_NOT_ATTACHED, subnet["id"])
    if any(route.get("nexthop") == subnet["gateway_ip"] for route in router["routetable"]["routes"]):
        raise Rejected(errors.INTERFACE_USED_BY_ROUTES, subnet["gateway_ip"])
    subnet["attached_router_id"] = ""  # "" rather than null: removing again passes this check
    if subnet["gatewayPortId"] in router["gateway_ports"]:
        router["gateway_ports"].remove(subnet["gatewayPortId"])
    if subnet["id"] in router["subnet_ids"]:
        router["subnet_ids"].remove(subnet["id"])
    return _interface(call.id, subnet)


def _routes(call: Call) -> tuple[dict, list[dict]]:
    router = call.model.store["router"].get(call.id)
    if router is None:
        raise Rejected(errors.ROUTER_OR_SUBNET_NOT_VISIBLE, call.id)
    routes = call.item(EXTRA_ROUTES_WRAPPER).get("routes")
    if not isinstance(routes, list):
        raise Rejected(errors.NULL_POINTER, f"{EXTRA_ROUTES_WRAPPER}.routes is not a list")
    for route in routes:
        if not isinstance(route, dict) or route.get("destination") is None or route.get("nexthop") is None:
            raise Rejected(errors.DESTINATION_OR_NEXTHOP_NULL, str(route))
    return router, routes


def _routes_reply(router: dict) -> dict:
    routes = [{"destination": r["destination"], "nexthop": r["nexthop"]} for r in router["routetable"]["routes"]]
    return {"router": {"id": router["id"], "name": router.get("name"), "routes": routes}}


@handles("router", "add_extraroutes")
def add_routes(call: Call) -> dict:
    router, routes = _routes(call)
    table = list(router["routetable"]["routes"])
    for route in routes:
        if any(r["destination"] == route["destination"] for r in table):
            raise Rejected(errors.DESTINATION_SAME, route["destination"])
        table.append({"destination": route["destination"], "nexthop": route["nexthop"]})
    router["routetable"]["routes"] = table
    return _routes_reply(router)


@handles("router", "remove_extraroutes")
def remove_routes(call: Call) -> dict:
    router, routes = _routes(call)
    gone = {(r["destination"], r["nexthop"]) for r in routes}
    router["routetable"]["routes"] = [
        r for r in router["routetable"]["routes"] if (r["destination"], r["nexthop"]) not in gone
    ]
    return _routes_reply(router)
