"""Where Alcor's resources live: each kind's service, paths, JSON wrappers and answers.

One table (KINDS) says, per resource kind, which service holds it, its paths, the key
that wraps one item or a list, the status a create answers, whether bulk create works,
and how a GET of an absent item answers (Alcor has three ways). Translation builds its
requests from these kinds, the emulator registers its routes from ROUTES and the client
classifies requests with `match`, so all three read the same facts
(reference/alcor-api.md §1, §3).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from typing import Any


class Missing(Enum):
    """How Alcor answers a GET of an item that does not exist."""

    EMPTY_WRAPPER = "200 with the wrapper set to null"  # VPC, subnet, router, segment, node
    NOT_FOUND = "404"  # port, elastic IP, elastic IP range
    PRECONDITION_FAILED = "412"  # security group and rule (SecurityGroupNotFound...)


@dataclass(frozen=True)
class Kind:
    """One Alcor resource kind and the shape of its REST endpoints."""

    name: str
    service: str
    collection: str  # path template; `{project_id}` where the path holds one
    wrapper: str  # key around one item: {"network": {...}}
    list_wrapper: str  # key around a list: {"vpcs": [...]}
    missing: Missing
    id_field: str = "id"
    create_status: int = 201
    bulk: str | None = None  # key of a working bulk create at collection + "/bulk"
    bulk_status: int = 201
    bulk_stub: str | None = None  # key of a bulk endpoint that answers but creates nothing
    gateway_list_wrapper: str | None = None  # the list key once Alcor's API gateway rewrote the answer

    @property
    def item(self) -> str:
        return self.collection + "/{id}"

    @property
    def bulk_template(self) -> str:
        return self.collection + "/bulk"

    def bulk_path(self, project_id: str | None = None) -> str:
        return self.bulk_template.format(project_id=project_id)

    def collection_path(self, project_id: str | None = None) -> str:
        return self.collection.format(project_id=project_id)

    def item_path(self, id: str, project_id: str | None = None) -> str:
        return self.item.format(project_id=project_id, id=id)

    def unwrap(self, body: Any) -> dict | None:
        """The item inside a single-item body, or None (also for Alcor's empty wrapper)."""
        if isinstance(body, dict) and isinstance(body.get(self.wrapper), dict):
            return body[self.wrapper]
        return None

    def listed(self, body: Any) -> list[dict]:
        """The items of a list answer, under the service's list key or the gateway's."""
        for key in (self.list_wrapper, self.gateway_list_wrapper):
            items = body.get(key) if key and isinstance(body, dict) else None
            if isinstance(items, list):
                return [i for i in items if isinstance(i, dict)]
        return []

    def id_of(self, item: dict) -> str | None:
        value = item.get(self.id_field) if isinstance(item, dict) else None
        return value or None


_P = "/project/{project_id}"

SEGMENT = Kind("segment", "vpc", _P + "/segments", "segment", "segments", Missing.EMPTY_WRAPPER)
# The API gateway answers a VPC list as {"networks": [...]} (GW/route/VpcRouteConfiguration.java).
VPC = Kind("vpc", "vpc", _P + "/vpcs", "network", "vpcs", Missing.EMPTY_WRAPPER, bulk_stub="vpcs",
           gateway_list_wrapper="networks")
SUBNET = Kind("subnet", "subnet", _P + "/subnets", "subnet", "subnets", Missing.EMPTY_WRAPPER, bulk_stub="subnets")
PORT = Kind("port", "port", _P + "/ports", "port", "ports", Missing.NOT_FOUND, bulk="ports")
SECURITY_GROUP = Kind("security_group", "security_group", _P + "/security-groups", "security_group",
                      "security_groups", Missing.PRECONDITION_FAILED, bulk="security_groups")
SECURITY_GROUP_RULE = Kind("security_group_rule", "security_group", _P + "/security-group-rules",
                           "security_group_rule", "security_group_rules", Missing.PRECONDITION_FAILED,
                           bulk="security_group_rules")
# Router create has no @ResponseStatus(CREATED): it answers 200.
ROUTER = Kind("router", "route", _P + "/routers", "router", "routers", Missing.EMPTY_WRAPPER, create_status=200)
ELASTIC_IP_RANGE = Kind("elastic_ip_range", "elastic_ip", "/elasticip-ranges", "elasticip-range",
                        "elasticip-ranges", Missing.NOT_FOUND)
ELASTIC_IP = Kind("elastic_ip", "elastic_ip", _P + "/elasticips", "elasticip", "elasticips", Missing.NOT_FOUND)
# NodesWebJson has no @JsonProperty, so the list key is the Java field name; bulk answers a bare
# JSON array with 200.
NODE = Kind("node", "node", "/nodes", "host_info", "nodeInfos", Missing.EMPTY_WRAPPER, id_field="node_id",
            bulk="host_infos", bulk_status=200)

KINDS: dict[str, Kind] = {k.name: k for k in (
    SEGMENT, VPC, SUBNET, PORT, SECURITY_GROUP, SECURITY_GROUP_RULE, ROUTER, ELASTIC_IP_RANGE, ELASTIC_IP, NODE)}

# Router actions: PUT {router item}/{action}. Interface bodies are unwrapped
# {"subnet_id": ...} or {"port_id": ...}; extra-route bodies are wrapped in EXTRA_ROUTES_WRAPPER.
ADD_ROUTER_INTERFACE, REMOVE_ROUTER_INTERFACE = "add_router_interface", "remove_router_interface"
ADD_EXTRA_ROUTES, REMOVE_EXTRA_ROUTES = "add_extraroutes", "remove_extraroutes"
INTERFACE_ACTIONS = (ADD_ROUTER_INTERFACE, REMOVE_ROUTER_INTERFACE)
EXTRA_ROUTE_ACTIONS = (ADD_EXTRA_ROUTES, REMOVE_EXTRA_ROUTES)
EXTRA_ROUTES_WRAPPER = "newRoutesWebRequest"

SEGMENT_TABLE_PATH = "/segments/createDefaultTable"  # VPC manager; POST, answers 200 with no body
DEFAULT_SG_PATH = _P + "/security-groups/default/{tenant_id}"  # GET; creates the default SG if absent
NODE_FILTERS = ("node_name", "node_id", "mac_address", "local_ip", "ncm_id")  # GET /nodes?...

# Actions a request can be: the CRUD ones per kind plus the router actions and the segment table.
CREATE, BULK_CREATE, GET, LIST, UPDATE, DELETE = "create", "bulk_create", "get", "list", "update", "delete"
CREATES = (CREATE, BULK_CREATE)


@dataclass(frozen=True)
class Route:
    """One endpoint: method and path template, and what it does to which kind."""

    method: str
    template: str
    kind: str
    action: str

    @property
    def service(self) -> str:
        return KINDS[self.kind].service if self.kind in KINDS else "vpc"

    @property
    def regex(self) -> re.Pattern:
        return _compile(self.template)


def _kind_routes(kind: Kind) -> list[Route]:
    routes = []
    if kind.bulk or kind.bulk_stub:  # before the item routes, which would also match ".../bulk"
        routes.append(Route("POST", kind.bulk_template, kind.name, BULK_CREATE))
    routes += [
        Route("POST", kind.collection, kind.name, CREATE),
        Route("GET", kind.collection, kind.name, LIST),
        Route("GET", kind.item, kind.name, GET),
        Route("PUT", kind.item, kind.name, UPDATE),
        Route("DELETE", kind.item, kind.name, DELETE),
    ]
    return routes


ROUTES: tuple[Route, ...] = (
    Route("POST", SEGMENT_TABLE_PATH, "segment", "segment_table"),
    Route("GET", DEFAULT_SG_PATH, "security_group", "get_default"),
    *(Route("PUT", ROUTER.item + "/" + action, "router", action)
      for action in INTERFACE_ACTIONS + EXTRA_ROUTE_ACTIONS),
    *(route for kind in KINDS.values() for route in _kind_routes(kind)),
)


@dataclass(frozen=True)
class Operation:
    """What one request does: the route it matches and the values in its path."""

    route: Route
    params: dict[str, str]

    @property
    def kind(self) -> Kind:
        return KINDS[self.route.kind]

    @property
    def action(self) -> str:
        return self.route.action

    @property
    def project_id(self) -> str | None:
        return self.params.get("project_id")


def match(method: str, path: str) -> Operation | None:
    """The operation a request performs, or None when no Alcor endpoint has this shape."""
    path = path.split("?", 1)[0]
    for route in ROUTES:
        if route.method == method.upper():
            found = route.regex.fullmatch(path)
            if found:
                return Operation(route, found.groupdict())
    return None


_COMPILED: dict[str, re.Pattern] = {}


def _compile(template: str) -> re.Pattern:
    if template not in _COMPILED:
        pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
        _COMPILED[template] = re.compile(pattern)
    return _COMPILED[template]
