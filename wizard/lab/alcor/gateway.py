"""A lab API gateway: routes what Alcor's API gateway routes to the emulator's services, nothing else.

Alcor's gateway (services/api_gateway, Spring Cloud Gateway on port 9009) forwards a request to a
service when its path matches one of the routes of GW/route/*RouteConfiguration.java (GW =
services/api_gateway/src/main/java/com/futurewei/alcor/apigateway), `*` standing for one path
segment. Everything else is Spring WebFlux's 404: there is no route for `/nodes` (node manager)
nor for `/segments` (VPC manager), which are reached on their own ports. A GET of a VPC list comes
back as `{"networks": [...]}`; `/v2.0/extensions` is answered by the gateway itself. A service
that does not answer is the gateway's 500.

The Keystone filter (GW/filter/KeystoneAuthGwFilter.java) is an option, off by default as in Alcor
(`keystone.enable=false` in the gateway's application.properties); see KeystoneFilter. Not modelled:
the floating-IP routes, whose filters convert bodies (ElasticIPRouteConfiguration's FloatingIp*Filter):
404 here. The emulator has no quota service: quota routes answer as Alcor's gateway does when the
quota manager is down.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus

import aiohttp
from aiohttp import web

QUOTA = "quota"  # Alcor's quota manager (port 9012): routed by the gateway, not emulated
# Alcor: GW/route/CommonRouteConfiguration.java:extensionRoute (BodyInserters.fromObject of a String: text/plain)
EXTENSIONS = b'{"extensions":{}}'
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

    service: str | None
    patterns: tuple[str, ...]
    method: str | None = None
    rewrite: Callable[[bytes], bytes] | None = None
    answer: bytes | None = None  # the gateway answers this body itself (200), nothing is forwarded

    def matches(self, method: str, path: str) -> bool:
        return (self.method in (None, method)) and any(_compile(p).fullmatch(path) for p in self.patterns)


ROUTES: tuple[GatewayRoute, ...] = (
    GatewayRoute(None, ("/v2.0/extensions",), answer=EXTENSIONS),  # Alcor: CommonRouteConfiguration.java
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


@dataclass(frozen=True)
class KeystoneAuth:
    """The gateway's `keystone.*` settings (GW's application.properties): the user it checks tokens as.
    `auth_url` holds "v3", so it is used as is (GW/client/KeystoneClient.java:checkEndPoints); the
    user's domain scopes the project too (KeystoneClient.buildLocalTokenParams)."""

    auth_url: str
    username: str
    password: str
    project_name: str = "service"
    user_domain_name: str = "Default"
    url_prefix: str = "/v2.0"  # neutron.url_prefix

    def __repr__(self) -> str:  # never the password
        return f"KeystoneAuth({self.auth_url!r}, {self.username!r}, project {self.project_name!r})"


@dataclass(frozen=True)
class TokenInfo:
    """What the gateway keeps of a verified token (lib/.../common/entity/TokenEntity.java)."""

    project_id: str
    expires_at: datetime
    header: str  # X-Token-Info, as TokenEntity.toJson


class KeystoneFilter:
    """GW/filter/KeystoneAuthGwFilter.java:filter with GW/client/KeystoneClient.java, run on every routed
    request: no X-Auth-Token, or one Keystone does not verify with a project, is 401 with an empty body;
    then the path's `/v2.0` becomes `/project/{the token's project}`, `networks` -> `vpcs` and
    `floatingips` -> `elasticips` anywhere in it, and X-Token-Info carries the token's details on."""

    def __init__(self, auth: KeystoneAuth):
        self.auth = auth
        self._tokens: dict[str, TokenInfo] = {}  # KeystoneClient's cache (expired entries refused)
        self._own: tuple[str, datetime] | None = None  # KeystoneClient.localToken and its expiry

    async def verify(self, session: aiohttp.ClientSession, token: str) -> TokenInfo | None:
        """KeystoneClient.verifyToken: GET /auth/tokens?nocatalog with the gateway's own token."""
        known = self._tokens.get(token)
        if known is not None:
            return known if known.expires_at > datetime.now(UTC) else None
        headers = {"X-Subject-Token": token, "X-Auth-Token": await self._own_token(session)}
        async with session.get(f"{self.auth.auth_url}/auth/tokens?nocatalog", headers=headers) as answer:
            if answer.status != 200:  # RestTemplate throws on 4xx: caught, nothing cached
                return None
            body = (await answer.json()).get("token", {})
        project = body.get("project")
        if not project:
            return None
        info = TokenInfo(project["id"], _keystone_time(body["expires_at"]), json.dumps({
            "token": token, "expireAt": body["expires_at"], "user": body.get("user", {}).get("name", ""),
            "userId": body.get("user", {}).get("id", ""), "projectId": project["id"],
            "projectName": project.get("name", ""), "domainId": project.get("domain", {}).get("id", ""),
            "domainName": project.get("domain", {}).get("name", ""),
            "roles": [role.get("name", "") for role in body.get("roles", [])], "invalid": False}))
        self._tokens[token] = info
        return info

    async def _own_token(self, session: aiohttp.ClientSession) -> str:
        """KeystoneClient.getLocalToken: a password token for the gateway's user, renewed once expired."""
        if self._own and self._own[1] > datetime.now(UTC):
            return self._own[0]
        domain = {"name": self.auth.user_domain_name}
        body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
            "name": self.auth.username, "password": self.auth.password, "domain": domain}}},
            "scope": {"project": {"name": self.auth.project_name, "domain": domain}}}}
        async with session.post(f"{self.auth.auth_url}/auth/tokens?nocatalog", json=body) as answer:
            if answer.status != 201:
                raise aiohttp.ClientResponseError(answer.request_info, (), status=answer.status,
                                                  message=f"the gateway's own token for {self.auth.username}")
            token, expires = answer.headers["X-Subject-Token"], (await answer.json())["token"]["expires_at"]
        self._own = (token, _keystone_time(expires))
        return token

    def internal_path(self, path: str, project_id: str) -> str:
        """KeystoneAuthGwFilter.filter's replaceAll chain (the prefix is a regex there too)."""
        path = re.sub(self.auth.url_prefix, lambda _: "/project/" + project_id, path)
        return path.replace("networks", "vpcs").replace("floatingips", "elasticips")


def _keystone_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


SESSION = web.AppKey("session", aiohttp.ClientSession)  # the gateway's client to the services


class ApiGateway:
    """The gateway's aiohttp application, forwarding to `upstreams` (service -> base URL), with
    Keystone's filter when `keystone` is given (Alcor's `keystone.enable=true`)."""

    def __init__(self, upstreams: Mapping[str, str], keystone: KeystoneAuth | None = None):
        self.upstreams = {service: url.rstrip("/") for service, url in upstreams.items()}
        self.keystone = KeystoneFilter(keystone) if keystone else None

    def app(self) -> web.Application:
        app = web.Application(client_max_size=256 * 1024 * 1024)
        app.cleanup_ctx.append(self._client)
        app.router.add_route("*", "/{path:.*}", self._forward)
        return app

    async def _client(self, app: web.Application):
        # No timeout of its own, as Spring Cloud Gateway Greenwich: the client's applies.
        app[SESSION] = session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None),
                                                       connector=aiohttp.TCPConnector(limit=0), auto_decompress=False)
        yield
        await session.close()

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        route = route_for(request.method, request.path)
        if route is None:  # Spring WebFlux: DispatcherHandler's "No matching handler"; no filter runs
            return spring_error(404, "No matching handler", request.path)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in NOT_FORWARDED}
        path = request.rel_url.raw_path
        if self.keystone:  # a global filter (order -100): after the route matched, before the route's filters
            try:
                token = request.headers.get("X-Auth-Token")
                info = await self.keystone.verify(request.app[SESSION], token) if token else None
            except aiohttp.ClientError as exc:  # RestTemplate's ResourceAccessException is not caught there
                return spring_error(500, f"keystone: {exc}", request.path)
            if info is None:
                return web.Response(status=401)
            path = self.keystone.internal_path(path, info.project_id)
            headers["X-Token-Info"] = info.header
        if route.answer is not None:
            return web.Response(status=200, body=route.answer, content_type="text/plain", charset="utf-8")
        base = self.upstreams.get(route.service) if route.service else None
        if base is None:
            return spring_error(500, f"Connection refused: no {route.service} service", request.path)
        query = request.rel_url.raw_query_string
        body = await request.read()
        try:
            async with request.app[SESSION].request(request.method, base + path + (f"?{query}" if query else ""),
                                             headers=headers, data=body or None) as answer:
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
        "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000",
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
