"""The capture proxy's HTTP/1.1 server: an asyncio.Protocol on httptools' request parser.

One job: take requests from clients and write the answers a handler gives, as lean as the
proxy's client to Neutron (upstream.py). Each request is parsed (llhttp, as in uvicorn), its
body read whole within a limit its owner sets per request, and a `Request` handed to the
handler; the `Response` it returns is written as given (its headers in its order), adding only
the framing: a Content-Length for a whole body that has none, chunks for a streamed body of
unknown length, `Connection: close` when the connection ends. Besides:

- keep-alive, and pipelined requests answered in order (reading pauses while PIPELINE_DEPTH wait);
- the timeouts and the cap of connections.py (408; 503 with Retry-After, then the connection closes);
- `Expect: 100-continue` is answered 100 Continue, or at once with the 413 if the declared length
  is over the limit;
- a body over its limit is refused (413) on its Content-Length before a byte is read, or once its
  chunks pass the limit; what the client still sends is read and dropped for LINGER_SECONDS
  before the connection closes, so the client reads the 413 rather than a reset;
- a malformed request, or one whose head is over MAX_HEAD, gets 400, the connection is closed, and
  the log gets one line;
- a client that hangs up before its request is whole never reaches the handler;
- a streamed body is written with back-pressure (it waits while the transport's buffer is full);
- `close(grace)`: listening stops, idle connections close, requests in flight get `grace` seconds
  and are then cancelled.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Protocol
from urllib.parse import unquote

import httptools

from wizard.capture.connections import ConnectionCap

LOG = logging.getLogger("wizard.capture.server")
KEEPALIVE_SECONDS = 75.0  # an idle kept-alive connection is closed after this long
LINGER_SECONDS = 5.0  # after a refusal mid-body: how long the rest is read and dropped
PIPELINE_DEPTH = 16  # requests parsed and waiting for their answers before reading pauses
MAX_HEAD = 64 * 1024  # bytes of a request's target and headers; past them, 400
_BODILESS = frozenset({204, 304})
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"

# where a connection is in its current request, and what its deadline is for
_HEAD, _BODY, _WAIT, _IDLE = range(4)  # head arriving; body arriving; answers pending; nothing pending


@dataclass(slots=True)
class Request:
    """A client's request, whole."""

    method: str
    raw_path: str  # the request target as sent, with its query
    path: str  # percent-decoded, without the query
    query: str  # as sent
    raw_headers: list[tuple[bytes, bytes]]  # as sent, in order
    body: bytes
    peer: str  # the client's address
    scheme: str  # "http" or "https"

    def header(self, name: bytes) -> bytes | None:
        """The first value of the header `name` (lowercase), or None."""
        for key, value in self.raw_headers:
            if key.lower() == name:
                return value
        return None


@dataclass(slots=True)
class Response:
    """An answer: written with its headers as given. Status 0 is no answer: the connection is cut."""

    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes = b""
    reason: str = ""  # the status's standard phrase if empty
    stream: BodyStream | None = None  # more body, streamed after `body`
    close: bool = False  # close the connection after this answer


NO_ANSWER = Response(0, [])  # the connection is cut, nothing written


class BodyStream(Protocol):
    """A body written as it comes (an async generator is one); `aclose` is called once it is done with."""

    def __aiter__(self) -> AsyncIterator[bytes]: ...
    async def aclose(self) -> None: ...


class CutOff(Exception):
    """Raised by a streamed body: the client's connection is cut, its answer left incomplete."""


class Refusals(Protocol):
    """The answers the server gives by itself."""

    def malformed(self, error: str) -> Response: ...
    def head_late(self, seconds: float) -> Response: ...
    def body_late(self, seconds: float) -> Response: ...
    def over_cap(self, max_connections: int) -> Response: ...
    def too_large(self, limit: int) -> Response: ...


Handler = Callable[[Request], Awaitable[Response]]


class Server:
    """Listens and serves: `await listen(...)`, then `await close(grace)`."""

    def __init__(self, handler: Handler, *, cap: ConnectionCap, body_limit: Callable[[str, str], int],
                 refusals: Refusals, tls: ssl.SSLContext | None = None):
        self.handler = handler
        self.cap = cap
        self.body_limit = body_limit  # (method, path) -> the most bytes of body taken
        self.refusals = refusals
        self.tls = tls
        self.scheme = "https" if tls is not None else "http"
        self.connections: set[_Connection] = set()
        self._listener: asyncio.AbstractServer | None = None

    async def listen(self, host: str, port: int, *, reuse_port: bool = False, backlog: int = 1024) -> int:
        """Start listening; the port (the real one if `port` is 0)."""
        loop = asyncio.get_running_loop()
        self._listener = listener = await loop.create_server(
            lambda: _Connection(self, loop), host, port, ssl=self.tls, backlog=backlog,
            reuse_port=reuse_port or None)
        return listener.sockets[0].getsockname()[1]

    async def close(self, grace: float) -> None:
        """Stop listening, close idle connections, give requests in flight `grace` seconds, then
        cancel them and close every connection."""
        if self._listener is not None:
            self._listener.close()
        for connection in list(self.connections):
            connection.take_no_more()
        busy = {connection.task for connection in self.connections if connection.task is not None}
        if busy:
            _, late = await asyncio.wait(busy, timeout=grace)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        for connection in list(self.connections):
            connection.close()


class _Connection(asyncio.Protocol):
    """One client connection: requests parsed, handed to the handler in order, answers written."""

    def __init__(self, server: Server, loop: asyncio.AbstractEventLoop):
        self._server = server
        self._loop = loop
        self._limits = server.cap.limits
        self._parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None
        self.task: asyncio.Task | None = None  # answering the queue
        self._peer = ""
        self._admitted = False
        self._queue: deque[tuple[Request | Response, bool, bool]] = deque()  # (what, keep alive, HTTP/1.1)
        self._closing = False  # no more requests are taken: close once the queue is answered
        self._reading_paused = False
        self._writing_paused = False
        self._drained: asyncio.Future[None] | None = None
        # the request being parsed
        self._url = b""
        self._headers: list[tuple[bytes, bytes]] = []
        self._head_size = 0
        self._body: list[bytes] = []
        self._size = 0
        self._limit = 0
        self._request: Request | None = None
        self._refused = False  # its body is being read and dropped
        # the deadline of the current phase (_HEAD...), and the timer that enforces it
        self._phase = _HEAD
        self._head_begun = False  # bytes of a request head have arrived
        self._until: float | None = None  # the phase's deadline
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = 0.0

    # -- asyncio.Protocol ------------------------------------------------------------
    def connection_made(self, transport) -> None:
        self.transport = transport
        self._server.connections.add(self)
        self._admitted = self._server.cap.admit()
        peer = transport.get_extra_info("peername")
        self._peer = str(peer[0]) if isinstance(peer, tuple) else ""
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self._limits.header_timeout > 0:
            self._until = self._loop.time() + self._limits.header_timeout
            self._schedule()

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        self._server.connections.discard(self)
        if self._admitted:
            self._admitted = False
            self._server.cap.leave()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._queue.clear()  # requests not yet answered are dropped: no answer could reach the client
        if self._drained is not None and not self._drained.done():
            self._drained.set_result(None)

    def data_received(self, data: bytes) -> None:
        if self._closing and not (self._phase == _BODY and self._refused):
            return  # past a refusal: dropped
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._upgraded()
        except httptools.HttpParserError as exc:
            if not self._closing:
                self._malformed(str(exc))
        self._schedule()
        if self._closing and self.task is None and self._phase != _BODY:
            self.close()

    def eof_received(self) -> bool:
        """The client is done sending: answer what it sent, then close."""
        self._closing = True
        return self.task is not None  # True: the transport stays open for the answers

    def pause_writing(self) -> None:
        self._writing_paused = True

    def resume_writing(self) -> None:
        self._writing_paused = False
        if self._drained is not None and not self._drained.done():
            self._drained.set_result(None)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def take_no_more(self) -> None:
        """Read no further request: close now if idle, else once the requests taken are answered."""
        self._closing = True
        if self.task is None:
            self.close()

    # -- httptools' callbacks ------------------------------------------------------
    def on_message_begin(self) -> None:
        if self._closing:
            raise _Stop  # nothing after a refusal is read
        if self._head_begun or self._phase != _HEAD:  # a later request: its head's time starts now
            timeout = self._limits.header_timeout
            self._until = self._loop.time() + timeout if timeout > 0 else None
        self._phase = _HEAD
        self._head_begun = True
        self._url = b""
        self._headers = []
        self._head_size = 0

    def on_url(self, url: bytes) -> None:
        self._url += url
        self._count_head(len(url))

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name, value))
        self._count_head(len(name) + len(value))

    def _count_head(self, size: int) -> None:
        self._head_size += size
        if self._head_size > MAX_HEAD:
            self._malformed(f"the request's head is larger than {MAX_HEAD} bytes")
            raise _Stop

    def on_headers_complete(self) -> None:
        server = self._server
        method = self._parser.get_method().decode("ascii")
        target = self._url.decode("latin-1")
        raw, _, query = target.partition("?")
        path = unquote(raw) if "%" in raw else raw
        self._request = Request(method, target, path, query, self._headers, b"", self._peer, server.scheme)
        self._phase = _BODY
        timeout = self._limits.body_timeout
        self._until = self._loop.time() + timeout if timeout > 0 else None
        self._body = []
        self._size = 0
        self._refused = False
        if not self._admitted:
            self._refuse(server.refusals.over_cap(server.cap.max_connections), linger=True)
            return
        self._limit = limit = server.body_limit(method, path)
        length, expect = _length_and_expect(self._headers)
        if length is not None and length > limit:
            self._refuse(server.refusals.too_large(limit), linger=True)
        elif expect and self.task is None and not self._queue and self.transport is not None:
            self.transport.write(_CONTINUE)

    def on_body(self, body: bytes) -> None:
        if self._refused:
            return
        self._size += len(body)
        if self._size > self._limit:
            self._body = []
            self._refuse(self._server.refusals.too_large(self._limit), linger=True)
            return
        self._body.append(body)

    def on_message_complete(self) -> None:
        self._phase = _WAIT
        self._until = None
        self._head_begun = False
        request = self._request
        self._request = None
        if self._refused or request is None:
            return
        if self._body:
            request.body = self._body[0] if len(self._body) == 1 else b"".join(self._body)
            self._body = []
        parser = self._parser
        self._enqueue(request, parser.should_keep_alive(), parser.get_http_version() == "1.1")

    # -- requests and answers ------------------------------------------------------
    def _upgraded(self) -> None:
        """A CONNECT or an Upgrade: the request is answered (never upgraded), then the connection closes."""
        request = self._request
        if self._phase == _BODY and request is not None and not self._refused:
            self.on_message_complete()
            self._queue[-1] = (request, False, True)
        self._closing = True

    def _malformed(self, error: str) -> None:
        """400, and one line in the log (a stream of bad requests cannot flood it with tracebacks)."""
        LOG.warning("Error handling request from %s: 400 Bad Request: %s", self._peer or "?", " ".join(error.split()))
        self._refuse(self._server.refusals.malformed(error), linger=False)

    def _refuse(self, response: Response, *, linger: bool) -> None:
        """Answer `response` in turn and close; with `linger`, the request's body is read and dropped
        meanwhile (for at most LINGER_SECONDS)."""
        self._closing = True
        self._refused = linger
        if linger:
            self._until = self._loop.time() + LINGER_SECONDS
        self._enqueue(response, True, True)  # True: the client is told of the close

    def _enqueue(self, what: Request | Response, keep_alive: bool, http11: bool) -> None:
        self._queue.append((what, keep_alive, http11))
        if self.task is None:
            self.task = self._loop.create_task(self._answer_queue())
        elif len(self._queue) >= PIPELINE_DEPTH and self.transport is not None and not self._reading_paused:
            self._reading_paused = True
            self.transport.pause_reading()

    async def _answer_queue(self) -> None:
        try:
            while self._queue and self.transport is not None:
                what, keep_alive, http11 = self._queue.popleft()
                if self._reading_paused and len(self._queue) < PIPELINE_DEPTH // 2:
                    self._reading_paused = False
                    self.transport.resume_reading()
                if isinstance(what, Request):
                    response = await self._handle(what)
                    head = what.method == "HEAD"
                else:
                    response, head = what, False
                last = self._closing and not self._queue
                keep = keep_alive and not response.close and not last
                if not await self._write(response, keep_alive, keep, http11, head):
                    self._closing = True
                    break
        finally:
            self.task = None
        if self.transport is None:
            return
        if self._closing:
            if not (self._phase == _BODY and self._refused):  # else closed once the dropped body ends or lingers
                self.close()
        elif self._phase == _WAIT:
            self._phase = _IDLE
            self._until = self._loop.time() + KEEPALIVE_SECONDS
            self._schedule()

    async def _handle(self, request: Request) -> Response:
        try:
            return await self._server.handler(request)
        except Exception as exc:  # a bug in the handler: one line, and a 500 for the client
            LOG.error("Error handling request from %s: %s %s: %s: %s", self._peer or "?", request.method,
                      request.path, type(exc).__name__, exc)
            return Response(500, [(b"Content-Type", b"text/plain")], b"500 Internal Server Error", close=True)

    async def _write(self, response: Response, asked: bool, keep_alive: bool, http11: bool, head: bool) -> bool:
        """Write the answer; whether the connection stays open for another. `asked`: the client asked
        to keep it open (else it expects the close, and no `Connection: close` is added, as Neutron adds none)."""
        transport = self.transport
        status = response.status
        if status == 0 or transport is None:
            if transport is not None:
                transport.abort()
            await _close_stream(response)
            return False
        reason = response.reason or _phrase(status)
        parts = [b"HTTP/1.1 %d %s\r\n" % (status, reason.encode("latin-1"))]
        has_length = False
        for name, value in response.headers:
            parts.append(b"%s: %s\r\n" % (name, value))
            if len(name) == 14 and name.lower() == b"content-length":
                has_length = True
        bodiless = status in _BODILESS or status < 200
        chunked = False
        stream = response.stream
        if not (has_length or bodiless):
            if stream is None:
                parts.append(b"Content-Length: %d\r\n" % len(response.body))
            elif head:
                pass
            elif http11:
                parts.append(b"Transfer-Encoding: chunked\r\n")
                chunked = True
            else:
                keep_alive = False  # an HTTP/1.0 client reads to the close
        if not keep_alive:
            if asked:
                parts.append(b"Connection: close\r\n")
        elif not http11:
            parts.append(b"Connection: keep-alive\r\n")
        parts.append(b"\r\n")
        if response.body and not (head or bodiless):
            parts.append(b"%x\r\n%s\r\n" % (len(response.body), response.body) if chunked else response.body)
        transport.write(b"".join(parts))
        if stream is not None:
            return await self._stream(stream, chunked, head or bodiless) and keep_alive
        if self._writing_paused:
            await self._drain()
        return keep_alive

    async def _stream(self, stream: BodyStream, chunked: bool, bodiless: bool) -> bool:
        """Write a streamed body; whether it was written whole."""
        try:
            if not bodiless:
                async for chunk in stream:
                    if self.transport is None:
                        return False
                    if chunk:
                        self.transport.write(b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)
                    if self._writing_paused:
                        await self._drain()
                if self.transport is None:
                    return False
                if chunked:
                    self.transport.write(b"0\r\n\r\n")
            return True
        except CutOff:
            if self.transport is not None:
                self.transport.abort()
            return False
        finally:
            await stream.aclose()

    async def _drain(self) -> None:
        if self.transport is None:
            return
        self._drained = self._loop.create_future()
        await self._drained

    # -- deadlines -------------------------------------------------------------------
    def _schedule(self) -> None:
        """Have the timer fire by the current deadline (a timer set for later is moved earlier)."""
        until = self._until
        if until is None or self.transport is None:
            return
        if self._timer is not None:
            if self._timer_at <= until:
                return  # it fires first, and looks again
            self._timer.cancel()
        self._timer_at = until
        self._timer = self._loop.call_at(until, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        until = self._until
        if until is None or self.transport is None:
            return
        if self._loop.time() < until:
            self._schedule()
            return
        self._until = None
        refusals = self._server.refusals
        if self._phase == _HEAD and self._head_begun and not self._closing:
            self._refuse(refusals.head_late(self._limits.header_timeout), linger=False)
        elif self._phase == _BODY and not self._closing:
            self._refuse(refusals.body_late(self._limits.body_timeout), linger=False)
        elif self.task is None:  # nothing sent, idle, or the dropped body's time is over
            self.close()
        else:
            self._refused = False  # closed once the answers in progress are written


class _Stop(Exception):
    """Raised in a parser callback: nothing more is parsed on this connection."""


def _length_and_expect(headers: list[tuple[bytes, bytes]]) -> tuple[int | None, bool]:
    """The declared Content-Length (None if none or not a number), and whether 100-continue is expected."""
    length = None
    expect = False
    for name, value in headers:
        size = len(name)
        if size == 14 and name.lower() == b"content-length":
            length = int(value) if value.strip().isdigit() else None
        elif size == 6 and name.lower() == b"expect":
            expect = value.strip().lower() == b"100-continue"
    return length, expect


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


async def _close_stream(response: Response) -> None:
    if response.stream is not None:
        await response.stream.aclose()
