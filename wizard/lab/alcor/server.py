"""The Alcor emulator's HTTP face: aiohttp on loopback, in a background thread of its own.

One port for every service, or one port per service (Alcor's defaults 9001... when run
alone, free ports in tests), optionally behind the lab's API gateway (gateway.py) on `port`,
which routes only what Alcor's gateway routes, with Keystone's filter when `keystone` is given.
Every request is counted in the ledger, may meet an injected fault, runs its service handler, and
delivers port goal states to the nodes' ACAs before it is answered. Errors are answered in Spring
Boot's default JSON shape.

Besides Alcor's API each service port serves the emulator's own endpoints, never faulted:
GET /_emulator/stats, GET /_emulator/deliveries, GET /_emulator/state.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from wizard.alcor import errors
from wizard.alcor.errors import AlcorException
from wizard.alcor.paths import CREATES, KINDS, ROUTES, Operation, Route
from wizard.alcor.services import DEFAULT_PORTS, SERVICES
from wizard.lab.alcor import elastic_ips, nodes, ports, routers, security_groups, subnets, vpcs  # noqa: F401
from wizard.lab.alcor.calls import HANDLERS, Call, Rejected, Reply
from wizard.lab.alcor.faults import Fault, Faults
from wizard.lab.alcor.gateway import ApiGateway, KeystoneAuth, spring_error
from wizard.lab.alcor.goalstate import DeliveryLog, deliver
from wizard.lab.alcor.model import AlcorModel

OWN_PREFIX = "/_emulator/"
GATEWAY = "gateway"  # where the API gateway listens, among the services' ports


class AlcorEmulator:
    """Alcor's REST services, emulated. `start()`, `url_for(service)`, `gateway_url`, `stop()`."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        per_service: bool = False,
        service_ports: dict[str, int] | None = None,
        gateway: bool = False,
        keystone: KeystoneAuth | None = None,
        faults: Faults | None = None,
        state_file: str | Path | None = None,
        seed: int | None = None,
        delivery_timeout: float = 2.0,
    ):
        self.host = host
        self.model = AlcorModel(seed)
        self.deliveries = DeliveryLog()
        self.faults = faults or Faults()
        self.state_file = Path(state_file) if state_file else None
        self.delivery_timeout = delivery_timeout
        if per_service or gateway:
            self._wanted = {s: (service_ports or DEFAULT_PORTS)[s] for s in SERVICES}
        else:
            self._wanted = {"*": port}
        self._gateway_port = port if gateway else None
        self._keystone = keystone
        self._bound: dict[str, int] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runners: list[web.AppRunner] = []
        self._session: aiohttp.ClientSession | None = None

    @property
    def ledger(self):
        return self.model.ledger

    # --- life cycle --------------------------------------------------------------------

    def start(self) -> AlcorEmulator:
        if self.state_file and self.state_file.exists():
            self.model.load(self.state_file)
        ready = threading.Event()
        failure: list[BaseException] = []
        self._loop = loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, args=(loop, ready, failure), name="alcor-emulator",
                                        daemon=True)
        self._thread.start()
        ready.wait()
        if failure:
            self._thread.join()
            raise failure[0]
        return self

    def stop(self) -> None:
        loop = self._loop
        if not self._thread or loop is None:
            return
        if self.state_file:
            self.save(self.state_file)
        loop.call_soon_threadsafe(loop.stop)
        self._thread.join()
        self._thread = None

    def __enter__(self) -> AlcorEmulator:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _run(self, loop: asyncio.AbstractEventLoop, ready: threading.Event, failure: list[BaseException]) -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._open())
        except BaseException as exc:  # a port in use: reported by start()
            failure.append(exc)
            loop.run_until_complete(self._close())
            loop.close()
            ready.set()
            return
        ready.set()
        loop.run_forever()
        loop.run_until_complete(self._close())
        loop.close()

    @property
    def session(self) -> aiohttp.ClientSession:
        """The HTTP client goal states are delivered with, while the emulator runs."""
        if self._session is None:
            raise RuntimeError("the Alcor emulator is not running")
        return self._session

    async def _open(self) -> None:
        self._session = aiohttp.ClientSession()
        for service, port in self._wanted.items():
            routes = [r for r in ROUTES if service in ("*", r.service) and (r.kind, r.action) in HANDLERS]
            runner = web.AppRunner(self._app(routes), access_log=None, shutdown_timeout=0.2)
            await runner.setup()
            self._runners.append(runner)
            self._bound[service] = await self._listen(runner, port)
        if self._gateway_port is not None:
            gateway = ApiGateway(self.endpoints, self._keystone).app()
            runner = web.AppRunner(gateway, access_log=None, shutdown_timeout=0.2)
            await runner.setup()
            self._runners.append(runner)
            self._bound[GATEWAY] = await self._listen(runner, self._gateway_port)

    async def _listen(self, runner: web.AppRunner, port: int) -> int:
        site = web.TCPSite(runner, self.host, port)
        await site.start()
        return runner.addresses[0][1]

    async def _close(self) -> None:
        pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in pending:  # requests held by a timeout fault, deliveries under way
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        for runner in reversed(self._runners):  # the gateway first
            await runner.cleanup()
        self._runners.clear()
        if self._session:
            await self._session.close()

    # --- where it listens ------------------------------------------------------------

    def url_for(self, service: str) -> str:
        if service not in SERVICES:
            raise KeyError(f"unknown Alcor service {service!r}; one of {', '.join(SERVICES)}")
        port = self._bound.get(service) or self._bound["*"]
        return f"http://{self.host}:{port}"

    @property
    def endpoints(self) -> dict[str, str]:
        """Service -> base URL, as a plan's `alcor.endpoints` holds them."""
        return {service: self.url_for(service) for service in SERVICES}

    @property
    def gateway_url(self) -> str | None:
        """The lab API gateway's base URL (None without one)."""
        port = self._bound.get(GATEWAY)
        return f"http://{self.host}:{port}" if port else None

    # --- state -------------------------------------------------------------------------

    def save(self, path: str | Path) -> None:
        """Write the state to a file, consistently (on the emulator's own loop when running)."""
        loop = self._loop
        if self._thread and loop is not None and loop.is_running():
            asyncio.run_coroutine_threadsafe(_call(self.model.save, path), loop).result()
        else:
            self.model.save(path)

    # --- requests ----------------------------------------------------------------------

    def _app(self, routes: list[Route]) -> web.Application:
        app = web.Application(middlewares=[_spring_not_found], client_max_size=256 * 1024 * 1024)
        app.router.add_get(OWN_PREFIX + "stats", self._stats)
        app.router.add_get(OWN_PREFIX + "deliveries", self._deliveries)
        app.router.add_get(OWN_PREFIX + "state", self._state)
        for route in routes:
            app.router.add_route(route.method, route.template, self._handler(route))
        return app

    def _handler(self, route: Route):
        async def handle(request: web.Request) -> web.StreamResponse:
            return await self._dispatch(request, route)

        return handle

    async def _dispatch(self, request: web.Request, route: Route) -> web.StreamResponse:
        self.ledger.request(f"{route.method} {route.template}")
        self.ledger.began()
        try:
            faults = self.faults
            if faults.latency_ms:
                await asyncio.sleep(faults.latency_ms / 1000)
            fault = faults.draw(request.method, request.path)
            if fault and not fault.after:
                return await self._strike(fault, request)
            response = await self._answer(request, route)
            if fault:
                return await self._strike(fault, request)
            return response
        finally:
            self.ledger.ended()

    async def _answer(self, request: web.Request, route: Route) -> web.StreamResponse:
        try:
            body = await request.json() if request.can_read_body else None
        except ValueError:
            return _error(errors.BAD_BODY, route.service, request.path)
        except ConnectionResetError:  # the client hung up before its request arrived whole: nothing happens
            return web.Response(status=400)
        call = Call(self.model, Operation(route, dict(request.match_info)), body, _query(request))
        if route.action in CREATES:
            self._note_repeats(route, body)
        try:
            result = HANDLERS[route.kind, route.action](call)
        except Rejected as rejected:
            return _error(rejected.exception, route.service, request.path)
        if call.deliveries:
            await deliver(self.session, self.deliveries, call.deliveries, self.delivery_timeout)
        if isinstance(result, Reply):
            status, result = result.status, result.body
        else:
            status = _status(route)
        if isinstance(result, str):
            return web.Response(status=status, text=result)
        return web.json_response(result, status=status)

    def _note_repeats(self, route: Route, body: Any) -> None:
        kind = KINDS[route.kind]
        if route.action == "bulk_create":
            items = body.get(kind.bulk or kind.bulk_stub) if isinstance(body, dict) else None
        else:
            items = [kind.unwrap(body)]
        for item in items if isinstance(items, list) else []:
            id = kind.id_of(item) if isinstance(item, dict) else None
            if id and id in self.model.store[kind.name]:
                self.ledger.repeated(kind.name, id)

    async def _strike(self, fault: Fault, request: web.Request) -> web.StreamResponse:
        self.ledger.fault(fault.kind + (" after" if fault.after else " before"))
        if fault.kind == "500":
            return _error(errors.AlcorException("InjectedFault", 500, "injected fault"), "", request.path)
        if fault.kind == "timeout":
            await asyncio.sleep(self.faults.hold_seconds)
        if request.transport is not None:  # None when the client gave up first
            request.transport.close()  # the client sees the connection end without an answer
        raise asyncio.CancelledError

    async def _stats(self, request: web.Request) -> web.Response:
        summary = self.ledger.summary()
        summary["deliveries"] = len(self.deliveries.entries())
        summary["delivery_failures"] = len(self.deliveries.failures())
        return web.json_response(summary)

    async def _deliveries(self, request: web.Request) -> web.Response:
        return web.json_response(self.deliveries.entries())

    async def _state(self, request: web.Request) -> web.Response:
        return web.json_response(self.model.to_json())


async def _call(function, *args):
    return function(*args)


def _status(route: Route) -> int:
    kind = KINDS[route.kind]
    if route.action == "create":
        return kind.create_status
    if route.action == "bulk_create":
        return kind.bulk_status
    return 200


def _query(request: web.Request) -> dict[str, list[str]]:
    query: dict[str, list[str]] = {}
    for key, value in request.query.items():
        query.setdefault(key, []).append(value)
    return query


def _error(exception: AlcorException, service: str, path: str) -> web.Response:
    """Spring Boot's default error body; Boot >= 2.3 services leave the message empty."""
    return spring_error(exception.status, "" if service in errors.MESSAGE_HIDDEN else exception.reason, path)


@web.middleware
async def _spring_not_found(request: web.Request, handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPNotFound:
        return _error(AlcorException("NoHandlerFound", 404, "No message available"), "", request.path)
    except web.HTTPMethodNotAllowed:
        return _error(AlcorException("MethodNotSupported", 405, "Request method not supported"), "", request.path)

