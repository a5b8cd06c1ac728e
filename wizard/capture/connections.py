"""The capture proxy's connections: read timeouts on a request's head and body, a cap on how many
are open, and the open-file limit raised to make room for them.

- Header timeout: from the connection's start, or from the first byte of a later request on a
  kept-alive connection, to a complete request head. A head that trickles in past it gets 408
  Request Timeout and the connection is closed; a connection that sent nothing is just closed
  (an idle kept-alive connection is aiohttp's keep-alive timeout's).
- Body timeout: from a complete head to the whole body. A stalled body gets 408 and the
  connection is closed; the request never reaches the proxy's handler whole, so it is never
  logged and never sent to Neutron.
- Cap: past `max_connections` open at once (or half the open-file limit, if lower: the other
  half is for Neutron's connections, the write log and these answers), a new connection's
  request gets 503 with Retry-After and `Connection: close` instead of a reset.

A timeout of 0 is none.
"""

from __future__ import annotations

import asyncio
import contextlib
import resource
from dataclasses import dataclass

from aiohttp import web
from aiohttp.web_protocol import RequestHandler

from wizard.capture.answers import closing_answer, neutron_error

RETRY_AFTER_SECONDS = 1  # past the cap: connections come and go fast, so try again soon


@dataclass(frozen=True)
class ConnectionLimits:
    header_timeout: float = 30.0
    body_timeout: float = 60.0
    max_connections: int = 10_000


def raise_open_files() -> tuple[int, int]:
    """Raise this process's soft open-file limit to its hard limit: (before, after)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft != hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return soft, resource.getrlimit(resource.RLIMIT_NOFILE)[0]


class GuardedServer(web.Server):
    """aiohttp's low-level server whose connections are timed and counted (`Connection`)."""

    def __init__(self, handler, *, limits: ConnectionLimits, open_files: tuple[int, int], **kwargs):
        super().__init__(self._dispatch, **kwargs)
        self._handler = handler
        self.limits = limits
        self.open_files = open_files  # the soft limit (before, after raising it)
        room = limits.max_connections if open_files[1] == resource.RLIM_INFINITY else open_files[1] // 2
        self.max_connections = max(1, min(limits.max_connections, room))
        self.admitted = 0  # connections open and served
        self.refused = 0  # connections answered 503 for being past the cap
        make_request = self.request_factory

        def request_factory(message, payload, protocol, writer, task):
            protocol.head_complete(payload)
            return make_request(message, payload, protocol, writer, task)

        self.request_factory = request_factory

    def describe(self) -> str:
        """The limits in force, for the operator."""
        before, after = self.open_files
        raised = f", raised from {before}" if after != before else ""
        limits = self.limits
        return (f"at most {self.max_connections} connections (open-file limit {after}{raised}); "
                f"header timeout {limits.header_timeout:g}s, body timeout {limits.body_timeout:g}s")

    def __call__(self) -> Connection:
        return Connection(self, loop=self._loop, **self._kwargs)

    def admit(self) -> bool:
        """Count a new connection in, if the cap allows."""
        if self.admitted >= self.max_connections:
            self.refused += 1
            return False
        self.admitted += 1
        return True

    async def _dispatch(self, request: web.BaseRequest) -> web.StreamResponse:
        connection = request.protocol
        if not (isinstance(connection, Connection) and connection.admitted):
            response = neutron_error(503, "HTTPServiceUnavailable",
                                     f"The migration's capture proxy has {self.max_connections} connections open, "
                                     "its limit; this request was not sent to Neutron. Retry later.")
            response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
            response.force_close()
            return response
        return await self._handler(request)


class Connection(RequestHandler):
    """One client connection: aiohttp's protocol, with a deadline on the head and on the body of
    each request, counted against the server's cap."""

    def __init__(self, manager: GuardedServer, **kwargs):
        super().__init__(manager, **kwargs)
        self._limits = manager.limits
        self._server = manager
        self.admitted = False
        self._deadline: asyncio.TimerHandle | None = None
        self._payload = None  # the current request's body stream
        self._answering = False  # the current request's answer has begun
        self._head_begun = False  # bytes of a request head have arrived since the last request

    def connection_made(self, transport) -> None:
        self.admitted = self._server.admit()
        super().connection_made(transport)
        self._arm(self._limits.header_timeout, self._head_late)

    def connection_lost(self, exc) -> None:
        self._disarm()
        if self.admitted:
            self.admitted = False
            self._server.admitted -= 1
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if data and self._between_requests():
            self._head_begun = True
            if self._deadline is None:
                self._arm(self._limits.header_timeout, self._head_late)
        super().data_received(data)

    def head_complete(self, payload) -> None:
        """A request head is complete (called as its request is made): its body's deadline starts."""
        self._disarm()
        self._payload, self._answering, self._head_begun = payload, False, False
        if not payload.is_eof():
            self._arm(self._limits.body_timeout, self._body_late)
            payload.on_eof(self._disarm)

    async def finish_response(self, request, resp, start_time):
        self._answering = True
        return await super().finish_response(request, resp, start_time)

    def _between_requests(self) -> bool:
        return self._payload is None or (self._answering and self._payload.is_eof())

    def _arm(self, seconds: float, late) -> None:
        if seconds > 0:
            self._deadline = self._loop.call_later(seconds, late)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _head_late(self) -> None:
        self._deadline = None
        if self._head_begun:
            self._close_with(408, f"The request's head did not arrive within {self._limits.header_timeout:g}s.")
        else:
            self.force_close()

    def _body_late(self) -> None:
        self._deadline = None
        if not self._answering:  # else aiohttp's lingering read ends it
            self._close_with(408, f"The request's body did not arrive within {self._limits.body_timeout:g}s; "
                                  "it was not sent to Neutron.")

    def _close_with(self, status: int, message: str) -> None:
        if self.transport is not None:
            self.transport.write(closing_answer(status, "HTTPRequestTimeout", message))
        self.force_close()
