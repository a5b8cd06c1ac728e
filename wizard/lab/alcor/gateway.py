"""A lab API gateway: routes what Alcor's API gateway routes to the emulator's services, nothing else.

Alcor's gateway (services/api_gateway, Spring Cloud Gateway on port 9009) forwards a request to a
service when its path matches one of the routes of GW/route/*RouteConfiguration.java (GW =
services/api_gateway/src/main/java/com/futurewei/alcor/apigateway), `*` standing for one path
segment. Everything else is Spring WebFlux's 404: there is no route for `/nodes` (node manager)
nor for `/segments` (VPC manager), which are reached on their own ports. A GET of a VPC list comes
back as `{"networks": [...]}`. A service that does not answer is the gateway's 500.

Not modelled: the Keystone filter (GW/filter/KeystoneAuthGwFilter.java), off by default
(`keystone.enable=false` in the gateway's application.properties): requests pass unauthenticated
and unchanged; and the Neutron-shaped routes whose filters answer or convert bodies themselves
(`/v2.0/extensions`, CommonRouteConfiguration; `/*/floatingips`, ElasticIPRouteConfiguration's
FloatingIp*Filter): 404 here. The emulator has no quota service: quota routes answer as
Alcor's gateway does when the quota manager is down.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from http import HTTPStatus

import aiohttp
from aiohttp import web

QUOTA = "quota"  # Alcor's quota manager (port 9012): routed by the gateway, not emulated
NOT_FORWARDED = frozenset({"host", "content-length", "transfer-encoding", "connection", "keep-alive"})


def networks(body: bytes) -> bytes:
    """A VPC list as the gateway answers it, whatever the status: `vpcs` renamed `networks`
    (a body without `vpcs` gives `[]`). Alcor: GW/route/VpcRouteConfiguration.java:vpcRouteLocator
    (modifyResponseBody VpcsWebJson -> NetworksWebJson; WE/vpc/NetworksWebJson.java constructor)."""
    try:
        document = json.loads(body)
    except ValueError:
        document = None
    vpcs = document.get("vpcs") if isinstance(document, dict) else None
    return json.dumps({"networks": vpcs if isinstance(vpcs, list) else []}).encode()


@dataclass(frozen=True)
class GatewayRoute:
    """One route of Alcor's gateway: path patterns (`*` is one segment), a method or any, its service."""

    service: str
    patterns: tuple[str, ...]
    method: str | None = None
    rewrite: Callable[[bytes], bytes] | None = None

    def matches(self, method: str, path: str) -> bool:
        return (self.method in (None, method)) and any(_compile(p).fullmatch(path) for p in self.patterns)


ROUTES: tuple[GatewayRoute, ...] = (
    # Alcor: GW/route/VpcRouteConfiguration.java:vpcRouteLocator (the rewriting route comes first)
    GatewayRoute("vpc", ("/*/networks", "/*/vpcs", "/project/*/vpcs"), "GET", networks),
    GatewayRoute("vpc", ("/*/networks", "/*/networks/*", "/project/*/vpcs", "/project/*/vpcs/*")),
    # Alcor: GW/route/SubnetRouteConfiguration.java:subnetRouteLocator
    GatewayRoute("subnet", ("/*/subnets", "/*/subnets/*", "/project/*/subnets", "/project/*/subnets/*")),
    # Alcor: GW/route/PortRouteConfiguration.java:portRouteLocator
    GatewayRoute("port", ("/*/ports", "/*/ports/*", "/project/*/ports", "/project/*/ports/*")),
    # Alcor: GW/route/SecurityGroupRouteConfiguration.java:securityGroupLocator
    GatewayRoute("security_group", (
        "/*/security-groups", "/*/security-groups/*", "/*/security-group-rules", "/*/security-group-rules/*",
        "/project/*/security-groups", "/project/*/security-groups/*",
        "/project/*/security-group-rules", "/project/*/security-group-rules/*")),
    # Alcor: GW/route/RouterRouteConfiguration.java:routeRouteLocator
    GatewayRoute("route", tuple(prefix + suffix for prefix in ("/*", "/project/*") for suffix in (
        "/routers", "/routers/*", "/routers/*/add_router_interface", "/routers/*/remove_router_interface",
        "/routers/*/add_extraroutes", "/routers/*/remove_extraroutes", "/subnets/*/routetable"))),
    # Alcor: GW/route/ElasticIPRouteConfiguration.java:elasticIpRouteLocator (its first route)
    GatewayRoute("elastic_ip", ("/project/*/elasticips", "/project/*/elasticips/*",
                                "/elasticip-ranges", "/elasticip-ranges/*")),
    # Alcor: GW/route/QuotaRouteConfiguration.java:quotaGroupLocator
    GatewayRoute(QUOTA, ("/*/quotas", "/*/quotas/*", "/project/*/quotas", "/project/*/quotas/*",
                         "/project/*/quotas/*/*")),
)


def route_for(method: str, path: str) -> GatewayRoute | None:
    """The first route that takes the request, or None: the gateway's 404."""
    return next((route for route in ROUTES if route.matches(method.upper(), path)), None)


class ApiGateway:
    """The gateway's aiohttp application, forwarding to `upstreams` (service -> base URL)."""

    def __init__(self, upstreams: Mapping[str, str]):
        self.upstreams = {service: url.rstrip("/") for service, url in upstreams.items()}
        self._session: aiohttp.ClientSession | None = None

    def app(self) -> web.Application:
        app = web.Application(client_max_size=256 * 1024 * 1024)
        app.cleanup_ctx.append(self._client)
        app.router.add_route("*", "/{path:.*}", self._forward)
        return app

    async def _client(self, app: web.Application):
        # No timeout of its own, as Spring Cloud Gateway Greenwich: the client's applies.
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None),
                                              connector=aiohttp.TCPConnector(limit=0), auto_decompress=False)
        yield
        await self._session.close()

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        route = route_for(request.method, request.path)
        if route is None:  # Spring WebFlux: DispatcherHandler's "No matching handler"
            return spring_error(404, "No matching handler", request.path)
        base = self.upstreams.get(route.service)
        if base is None:
            return spring_error(500, f"Connection refused: no {route.service} service", request.path)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in NOT_FORWARDED}
        body = await request.read()
        try:
            async with self._session.request(request.method, base + request.path_qs, headers=headers,
                                             data=body or None) as answer:
                status, content_type, payload = answer.status, answer.content_type, await answer.read()
        except aiohttp.ClientConnectorError as exc:
            return spring_error(500, f"Connection refused: {exc.host}:{exc.port}", request.path)
        except aiohttp.ClientError:  # the service closed the connection without answering
            return spring_error(500, "Connection prematurely closed BEFORE response", request.path)
        if route.rewrite:
            payload, content_type = route.rewrite(payload), "application/json"
        return web.Response(status=status, body=payload, content_type=content_type)


def spring_error(status: int, message: str, path: str) -> web.Response:
    """Spring Boot's default error body."""
    body = {
        "timestamp": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000",
        "status": status,
        "error": HTTPStatus(status).phrase,
        "message": message,
        "path": path,
    }
    return web.json_response(body, status=status)


_COMPILED: dict[str, re.Pattern] = {}


def _compile(pattern: str) -> re.Pattern:
    """A Spring path pattern as a regex: `*` is one segment; a trailing slash also matches."""
    if pattern not in _COMPILED:
        _COMPILED[pattern] = re.compile(re.escape(pattern).replace(r"\*", "[^/]*") + "/?")
    return _COMPILED[pattern]
