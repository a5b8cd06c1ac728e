"""The capture proxy's connections to Neutron: kept alive and reused, answers parsed with httptools.

A lean client for one job: send a request already serialised, and hand back Neutron's status,
reason and headers as Neutron sent them, with its body read whole or streamed. aiohttp's client
cost the proxy about half its time per request (bench/README.md); this one does only what the
proxy needs. A request fails with `UpstreamFailed`, which says whether Neutron may have received
it (`reached`) and whether a timeout ended it (`timeout`).
"""

from __future__ import annotations

import asyncio
import collections
import socket
import ssl
from collections.abc import AsyncGenerator

import httptools

BUFFER_LIMIT = 256 * 1024  # bytes of an answer held before reading from Neutron pauses
IDLE_SECONDS = 30.0  # an idle kept-alive connection older than this is closed, not reused
MAX_CONNECTIONS = 512


class UpstreamFailed(Exception):
    """A request to Neutron failed; `reached`: it may have received the request."""

    def __init__(self, message: str, *, reached: bool, timeout: bool = False):
        super().__init__(message)
        self.reached = reached
        self.timeout = timeout


class _Connection(asyncio.Protocol):
    """One connection to Neutron, carrying one request at a time."""

    def __init__(self, loop: asyncio.AbstractEventLoop, read_timeout: float | None):
        self._loop = loop
        self._read_timeout = read_timeout
        self.transport: asyncio.Transport | None = None
        self.idle_since = 0.0
        self.lent = False  # carrying a request whose connection is not yet given back
        self._parser = httptools.HttpResponseParser(self)
        self._reset(head_only=False)

    def _reset(self, head_only: bool) -> None:
        self._head_only = head_only
        self.status = 0
        self.reason = b""
        self.headers: list[tuple[bytes, bytes]] = []
        self._chunks: collections.deque[bytes] = collections.deque()
        self._buffered = 0
        self._paused = False
        self.complete = False
        self._error: UpstreamFailed | None = None
        self._head: asyncio.Future[None] = self._loop.create_future()
        self._waiter: asyncio.Future[None] | None = None
        self._timer: asyncio.TimerHandle | None = None

    @property
    def usable(self) -> bool:
        return self.transport is not None and not self.transport.is_closing()

    def send(self, data: bytes, head_only: bool) -> None:
        self._reset(head_only)
        assert self.transport is not None
        self.transport.write(data)
        self._arm()

    # -- the answer, for Answer ----------------------------------------------------
    async def head(self) -> None:
        await self._head

    async def next_chunk(self) -> bytes:
        """The next bytes of the body, b"" at its end."""
        while not self._chunks:
            if self._error is not None:
                raise self._error
            if self.complete:
                return b""
            self._waiter = self._loop.create_future()
            await self._waiter
        chunk = self._chunks.popleft()
        self._buffered -= len(chunk)
        if self._paused and self._buffered < BUFFER_LIMIT and self.transport is not None:
            self._paused = False
            self.transport.resume_reading()
            self._arm()
        return chunk

    # -- asyncio.Protocol ------------------------------------------------------------
    def connection_made(self, transport) -> None:
        self.transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # a request goes out in one write

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(f"Neutron's answer is not valid HTTP: {exc}")
            return
        if not self._paused:
            self._arm()  # the read timeout starts again: Neutron is sending

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        if self._head.done() and not self._delimited():  # a body that runs until the connection closes
            self._complete(keep_alive=False)
        else:
            self._fail(f"Neutron closed the connection{f': {exc}' if exc else ''}")

    # -- httptools' callbacks ------------------------------------------------------
    def on_status(self, reason: bytes) -> None:
        self.reason += reason

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        self.status = self._parser.get_status_code()
        if not self._head.done():
            self._head.set_result(None)
        if self._head_only:  # the answer to a HEAD has no body, whatever its Content-Length says
            keep_alive = self._parser.should_keep_alive()
            self._parser = httptools.HttpResponseParser(self)
            self._complete(keep_alive)

    def on_body(self, body: bytes) -> None:
        self._chunks.append(body)
        self._buffered += len(body)
        if self._buffered >= BUFFER_LIMIT and not self._paused and self.transport is not None:
            self._paused = True
            self.transport.pause_reading()
            self._disarm()
        self._wake()

    def on_message_complete(self) -> None:
        self._complete(self._parser.should_keep_alive())

    def _complete(self, keep_alive: bool) -> None:
        if self.complete:
            return
        self.complete = True
        self._disarm()
        self.idle_since = self._loop.time()
        if not keep_alive and self.transport is not None:
            self.transport.close()
        self._wake()

    # -- internals -----------------------------------------------------------------
    def _delimited(self) -> bool:
        """Whether the answer's end is marked (a length, chunks, a status without a body)."""
        names = {name.lower() for name, _ in self.headers}
        return (b"content-length" in names or b"transfer-encoding" in names
                or self.status in (204, 304) or 100 <= self.status < 200)

    def _fail(self, message: str, timeout: bool = False) -> None:
        if self.complete or self._error is not None:
            return
        self._error = UpstreamFailed(message, reached=True, timeout=timeout)
        self._disarm()
        if not self._head.done():
            self._head.set_exception(self._error)
            self._head.exception()  # retrieved: a head nobody awaits any more is no loop warning
        if self.transport is not None:
            self.transport.abort()
        self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def _arm(self) -> None:
        if self._read_timeout and not self.complete and self._error is None:
            if self._timer is not None:
                self._timer.cancel()
            self._timer = self._loop.call_later(self._read_timeout, self._late)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _late(self) -> None:
        self._timer = None
        self._fail(f"Neutron did not answer within {self._read_timeout:g}s", timeout=True)


class Answer:
    """Neutron's answer: status, reason and headers as sent, and its body (read once, whole or in chunks).
    `release()` (or leaving `async with`) gives the connection back if the answer was read to its end."""

    def __init__(self, pool: Upstream, connection: _Connection):
        self._pool = pool
        self._connection = connection
        self.status = connection.status
        self.reason = connection.reason.decode("latin-1")
        self.raw_headers = connection.headers
        length = self.header(b"content-length")
        self.content_length = int(length) if length is not None and length.isdigit() else None

    def header(self, name: bytes) -> bytes | None:
        """The first value of the header `name` (lowercase), or None."""
        return next((value for key, value in self.raw_headers if key.lower() == name), None)

    async def read(self) -> bytes:
        parts = []
        while chunk := await self._connection.next_chunk():
            parts.append(chunk)
        return b"".join(parts)

    async def chunks(self) -> AsyncGenerator[bytes, None]:
        while chunk := await self._connection.next_chunk():
            yield chunk

    def release(self) -> None:
        self._pool.put_back(self._connection)

    async def __aenter__(self) -> Answer:
        return self

    async def __aexit__(self, *exc_info) -> None:
        self.release()


class Upstream:
    """Connections to one Neutron, kept alive: at most MAX_CONNECTIONS carry requests at once."""

    def __init__(self, host: str, port: int, tls: ssl.SSLContext | bool, connect_timeout: float | None,
                 read_timeout: float | None):
        self._host, self._port = host, port
        self._tls = tls or None
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._idle: collections.deque[_Connection] = collections.deque()
        self._slots = asyncio.Semaphore(MAX_CONNECTIONS)
        self._loop = asyncio.get_running_loop()

    async def send(self, data: bytes, head_only: bool = False) -> Answer:
        """Send one request (serialised whole) and wait for the head of Neutron's answer."""
        await self._slots.acquire()
        try:
            connection = await self._take()
        except BaseException:
            self._slots.release()
            raise
        connection.lent = True
        connection.send(data, head_only)
        try:
            await connection.head()
        except BaseException:
            self.put_back(connection)
            raise
        return Answer(self, connection)

    def put_back(self, connection: _Connection) -> None:
        """Keep the connection for the next request if its answer was read to the end, else close it."""
        if not connection.lent:
            return
        connection.lent = False
        self._slots.release()
        if connection.complete and connection.usable:
            self._idle.append(connection)
        elif connection.transport is not None:
            connection.transport.abort()

    async def _take(self) -> _Connection:
        now = self._loop.time()
        while self._idle:
            connection = self._idle.pop()
            if connection.usable and now - connection.idle_since < IDLE_SECONDS:
                return connection
            if connection.transport is not None:
                connection.transport.close()
        return await self._connect()

    async def _connect(self) -> _Connection:
        try:
            async with asyncio.timeout(self._connect_timeout):
                _, connection = await self._loop.create_connection(
                    lambda: _Connection(self._loop, self._read_timeout), self._host, self._port, ssl=self._tls)
        except TimeoutError:
            raise UpstreamFailed(f"Neutron took no connection within {self._connect_timeout:g}s",
                                 reached=False, timeout=True) from None
        except ssl.SSLCertVerificationError as exc:
            raise UpstreamFailed(f"Certificate of {self._host}:{self._port} not accepted: {exc}",
                                 reached=False) from None
        except (OSError, ssl.SSLError) as exc:
            raise UpstreamFailed(f"cannot connect to {self._host}:{self._port}: {exc}", reached=False) from None
        return connection

    def close(self) -> None:
        while self._idle:
            connection = self._idle.pop()
            if connection.transport is not None:
                connection.transport.close()
