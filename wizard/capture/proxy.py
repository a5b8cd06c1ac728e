"""The capture proxy: Neutron's API passed through unchanged, each write logged before it is sent.

Clients (CLI, Horizon, Nova) talk to the proxy as they talked to Neutron. Every
request goes upstream with its method, path, query, headers (less hop-by-hop
ones, plus X-Forwarded-For/-Proto) and body; Neutron's answer comes back with
its status, headers and body. A write (see `is_write`) is first logged as
`pending` and fsync'd; if the log cannot take it, the client gets a 503 and
Neutron never sees it (fail closed). Neutron's answer is logged before the client
gets it and fsync'd with the next group commit, which the client does not wait for (a
crash before it leaves the entry to be settled by reading Neutron); an outcome the log
cannot take is kept and logged once it can (unlogged.py). A write body over `max_body_size` gets oslo.middleware's
413 before it is logged. Reads never touch the log. At cut-over the gate can
hold new writes (they wait) or reject them (503 with Retry-After) until it releases them.

Built on a lean HTTP server of its own (server.py: asyncio and httptools' request parser) and a
lean client of its own to Neutron (upstream.py: kept-alive connections, answers parsed with
httptools); see docs/capture.md and bench/README.md for the measurements behind the choice.
`CaptureProxy` runs its own event loop in a background thread and publishes ProxyStats and
WriteCaptured events.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import math
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from wizard.capture.answers import NeutronRefusals, neutron_error
from wizard.capture.commit import GroupCommit
from wizard.capture.config import ProxyConfig, url_of
from wizard.capture.connections import ConnectionCap, raise_open_files
from wizard.capture.health import HEALTH_PATH, health_answer
from wizard.capture.hold_file import HOLD_MODES
from wizard.capture.server import NO_ANSWER, CutOff, Request, Response, Server
from wizard.capture.stats import MARK_HEADER, MARK_LENGTH, ProxyCounters
from wizard.capture.unlogged import Unlogged
from wizard.capture.upstream import Answer, Upstream, UpstreamFailed
from wizard.capture.writelog import REQUEST_ID_HEADER, LogUnavailable, WriteLog, is_write
from wizard.core.errors import InputError, MigrateError
from wizard.core.events import EventBus, Message, ProxyStats, WriteCaptured

HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"trailers",
        b"transfer-encoding",
        b"upgrade",
    }
)
# Not forwarded either: the length is recomputed from the same body, which was read whole, and the
# X-Forwarded-* ones are the proxy's.
_REQUEST_DROPS = HOP_BY_HOP | {b"content-length", b"expect", b"x-forwarded-for", b"x-forwarded-proto"}
_REQUEST_ID = REQUEST_ID_HEADER.lower().encode()
_MARK = MARK_HEADER.lower().encode()
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})  # sent with a Content-Length even when empty

STREAM_ABOVE = 256 * 1024  # read answers larger than this, or of unknown size, are streamed
MAX_REQUEST_BODY = 64 * 1024 * 1024  # a read's body; a write's is capped by ProxyConfig.max_body_size
STOP_GRACE_SECONDS = 1.0  # on stop, requests in flight get this long before they are cancelled


class CaptureError(MigrateError):
    """The proxy could not start (address in use, bad certificate...)."""


@dataclass
class _Serving:
    """What the proxy holds while it serves, made on its event loop."""

    upstream: Upstream  # connections to Neutron
    commit: GroupCommit
    unlogged: Unlogged
    released: asyncio.Event  # set while writes are not held


class CaptureProxy:
    """The proxy on its own event loop in a background thread: `start()`, then `stop()`."""

    def __init__(self, config: ProxyConfig, log: WriteLog, bus: EventBus | None = None):
        upstream = urlsplit(config.upstream)
        if upstream.scheme not in ("http", "https") or not upstream.netloc:
            raise InputError(f"neutron.url: {config.upstream!r} is not an http(s) URL")
        self.config = config
        self.log = log
        self.bus = bus or EventBus()
        self.counters = ProxyCounters()
        self._prefix = upstream.path.rstrip("/")  # Neutron's API under a path, if it is
        self._neutron_host = upstream.netloc
        self._neutron = (upstream.hostname or "", upstream.port or (443 if upstream.scheme == "https" else 80))
        self._host, self._port = config.host_port()
        self._server_tls = config.server_tls()
        self._upstream_tls = config.upstream_tls()
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._failure: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._running: _Serving | None = None
        self._syncing: set[asyncio.Task] = set()  # fsyncs of answers the clients already have
        self._hold: tuple[str, float] | None = None  # (mode, retry_after) while writes are held
        self._connections: ConnectionCap | None = None

    @property
    def url(self) -> str:
        """Where clients reach the proxy (the real port once started on port 0)."""
        return url_of(self._host, self._port, self._server_tls is not None)

    def stats(self) -> ProxyStats:
        return self.counters.snapshot(self.url)

    @property
    def connections(self) -> ConnectionCap:
        """The server's connections: their cap and the open-file limit (once started)."""
        if self._connections is None:
            raise CaptureError("the capture proxy has no connections before it is started")
        return self._connections

    @property
    def _serving(self) -> _Serving:
        """What the proxy holds while it serves (its handlers run only then)."""
        if self._running is None:
            raise CaptureError("the capture proxy is not serving")
        return self._running

    # -- lifecycle -----------------------------------------------------------------
    def start(self, timeout: float = 10.0) -> None:
        """Listen and serve in a background thread; returns once listening."""
        self._thread = threading.Thread(target=self._run, name="capture-proxy", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise CaptureError(f"the capture proxy did not start within {timeout:g}s")
        if self._failure is not None:
            self._thread.join()
            raise CaptureError(f"capture proxy: cannot listen on {self.config.listen}: {self._failure}")
        for seq in self.log.recovered:
            self._publish_message("warning", f"write log entry {seq}, left pending by a stopped capture: now unknown")
        if self.log.torn_tail is not None:
            torn = self.log.torn_tail
            self._publish_message(
                "warning",
                f"write log {self.log.path}: an unfinished last record ({torn.length} bytes at offset "
                f"{torn.offset}) was moved to {torn.saved_to}",
            )

    def stop(self, timeout: float = 10.0) -> None:
        """Stop listening, let requests in flight finish (briefly), and release everything."""
        if self._thread is None:
            return
        if self._loop is not None and self._stopping is not None:
            self._loop.call_soon_threadsafe(self._stopping.set)
        self._thread.join(timeout)
        self._thread = None

    def _run(self) -> None:
        try:
            with asyncio.Runner(loop_factory=_loop_factory()) as runner:
                runner.run(self._serve())
        except BaseException as exc:
            if self._ready.is_set():
                self._publish_message("error", f"the capture proxy stopped: {describe(exc)}")
            else:  # start() reports it
                self._failure = exc
                self._ready.set()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        commit = GroupCommit(self.log)
        serving = self._running = _Serving(
            upstream=Upstream(*self._neutron, self._upstream_tls, connect_timeout=self.config.timeout,
                              read_timeout=self.config.timeout),
            commit=commit, unlogged=Unlogged(self.log, commit, self._publish_message), released=asyncio.Event())
        self._set_hold(self._hold)
        cap = self._connections = ConnectionCap(self.config.connections, raise_open_files())
        server = Server(self._handle, cap=cap, body_limit=self._body_limit, refusals=NeutronRefusals(),
                        tls=self._server_tls)
        try:
            self._port = await server.listen(self._host, self._port, reuse_port=self.config.reuse_port)
            self._ready.set()
            reporter = asyncio.create_task(self._report_stats())
            settler = asyncio.create_task(serving.unlogged.run())
            await self._stopping.wait()
            self._set_hold(None)  # held writes go on to Neutron before the proxy stops
            reporter.cancel()
            # requests in flight get a short grace, then are cancelled (a write so cancelled is logged unknown)
            await server.close(STOP_GRACE_SECONDS)
            await asyncio.gather(*self._syncing, return_exceptions=True)
            settler.cancel()
            await serving.unlogged.settle()  # a last attempt; what is left stays pending, unknown on reopen
        finally:
            await server.close(0)
            serving.upstream.close()
            serving.commit.close()
            self.bus.publish(self.stats())

    def _body_limit(self, method: str, path: str) -> int:
        """The most bytes of body a request takes: a write's is Neutron's (oslo.middleware's 413 past it)."""
        return self.config.max_body_size if is_write(method, path) else MAX_REQUEST_BODY

    async def _report_stats(self) -> None:
        while True:
            await asyncio.sleep(self.config.stats_interval)
            self.bus.publish(self.stats())

    # -- the cut-over's brake on writes (gate.WriteHold) -----------------------------
    def hold_writes(self, mode: str, retry_after: float) -> None:
        """From now on, new writes wait ("hold") or are answered 503 with Retry-After ("reject").
        On return every write the proxy will log until `release_writes` is already logged."""
        if mode not in HOLD_MODES:
            raise ValueError(f"write hold mode {mode!r}: expected one of {', '.join(HOLD_MODES)}")
        self._in_loop(self._set_hold, (mode, retry_after))

    def release_writes(self) -> None:
        """Let held writes through and accept new ones again."""
        self._in_loop(self._set_hold, None)

    def _in_loop(self, change, *args) -> None:
        if self._loop is None or not self._loop.is_running():
            change(*args)
            return
        done = threading.Event()

        def apply() -> None:
            change(*args)
            done.set()

        self._loop.call_soon_threadsafe(apply)
        if not done.wait(10):
            raise CaptureError("the capture proxy's event loop did not answer within 10s")

    def _set_hold(self, hold: tuple[str, float] | None) -> None:
        self._hold = hold
        if self._running is not None:
            (self._running.released.clear if hold else self._running.released.set)()

    async def _held(self) -> Response | None:
        """Wait while writes are held; the 503 to answer while they are rejected."""
        while self._hold is not None:
            mode, retry_after = self._hold
            if mode == "reject":
                self.counters.refused += 1
                return neutron_error(503, "The network service is switching over; this write was not sent "
                                     "to Neutron. Retry later.", retry_after=max(1, math.ceil(retry_after)))
            await self._serving.released.wait()
        return None

    def _publish_message(self, level: str, text: str) -> None:
        self.bus.publish(Message(level=level, text=text, phase="capture"))

    # -- requests ------------------------------------------------------------------
    async def _handle(self, request: Request) -> Response:
        """The server's handler: a request, whole (a client that hung up mid-body never gets here)."""
        if request.raw_path == HEALTH_PATH:  # the capture's own: not forwarded, logged or counted
            return self._health()
        started = time.perf_counter()
        counters = self.counters
        counters.requests += 1
        mark = request.header(_MARK)
        if mark:
            counters.marks.append(mark.decode("latin-1")[:MARK_LENGTH])
        counters.in_flight += 1
        try:
            if request.method == "CONNECT" or not request.raw_path.startswith("/"):
                return not_a_path(request)
            counters.bytes += len(request.body)
            if is_write(request.method, request.path):
                counters.writes += 1
                return await self._pass_write(request)
            return await self._pass_read(request)
        finally:
            counters.in_flight -= 1
            counters.latencies.append(time.perf_counter() - started)

    def _health(self) -> Response:
        stopping = self._stopping is not None and self._stopping.is_set()
        return health_answer(self.config.name, self.counters, self.log, len(self._serving.unlogged), stopping)

    async def _upstream(self, request: Request) -> Answer:
        """Send the request to Neutron; the head of its answer."""
        head = forward_head(request, self._prefix, self._neutron_host)
        return await self._serving.upstream.send(head + request.body, head_only=request.method == "HEAD")

    async def _pass_read(self, request: Request) -> Response:
        try:
            upstream = await self._upstream(request)
        except UpstreamFailed as exc:
            return self._failed_upstream(exc)[0]
        size = upstream.content_length
        if request.method == "HEAD" or (size is not None and size <= STREAM_ABOVE):
            try:
                async with upstream:
                    return self._answer(upstream, await upstream.read())
            except UpstreamFailed as exc:
                return self._failed_upstream(exc)[0]
        return relayed(upstream, stream=_Relay(self, request, upstream))

    async def _pass_write(self, request: Request) -> Response:
        refused = await self._held()
        if refused is not None:
            return refused
        try:
            seq = await self._log_pending(request)
        except LogUnavailable as exc:
            return self._refuse(exc)
        response, outcome = await self._forward_write(request, seq)
        try:
            ticket = outcome()
        except LogUnavailable as exc:
            self._answer_unlogged(seq, outcome, response.status, exc)
        else:
            self._make_durable(seq, ticket, outcome, response.status)
        logged = self.log.indexed(seq)
        state = logged.state if logged is not None else "lost"  # None: lost with a failed fsync
        self.bus.publish(
            WriteCaptured(seq=seq, method=request.method, path=request.path, status=response.status, state=state)
        )
        return response

    def _make_durable(self, seq: int, ticket: int, outcome: Callable[[], int], status: int) -> None:
        """Fsync Neutron's logged answer without keeping the client waiting for it: a crash before
        that fsync leaves the entry `pending`, which becomes `unknown` on reopen and replay settles
        by reading Neutron."""
        if ticket <= self.log.synced:
            return
        task = asyncio.create_task(self._answer_durable(seq, ticket, outcome, status))
        self._syncing.add(task)
        task.add_done_callback(self._syncing.discard)

    async def _answer_durable(self, seq: int, ticket: int, outcome: Callable[[], int], status: int) -> None:
        try:
            await self._serving.commit.durable(ticket)
        except LogUnavailable as exc:
            self._answer_unlogged(seq, outcome, status, exc)

    def _answer_unlogged(self, seq: int, outcome: Callable[[], int], status: int, error: LogUnavailable) -> None:
        """Neutron has done it and the client has (or gets) its answer: the outcome is logged once the log can."""
        self.counters.errors += 1
        self._publish_message("error", f"write log entry {seq}: Neutron's answer could not be logged yet: {error}")
        self._serving.unlogged.answered(seq, outcome, status)

    async def _log_pending(self, request: Request) -> int:
        """Log the write and wait until it is on disk; its sequence number."""
        headers = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in request.raw_headers]
        seq, ticket = self.log.begin(request.method, request.path, request.query, request.body, headers, request.peer)
        try:
            await self._serving.commit.durable(ticket)
        except LogUnavailable:
            self._serving.unlogged.refused(seq)  # logged `rejected` once the log can
            raise
        return seq

    def _refuse(self, error: LogUnavailable) -> Response:
        """Fail closed: a write the log cannot take is not sent to Neutron."""
        self.counters.refused += 1
        self.counters.errors += 1
        self._publish_message("error", f"write refused, the write log cannot take it: {error}")
        return neutron_error(
            503,
            f"The migration's capture proxy cannot log this write ({error.strerror or error}); "
            "it was not sent to Neutron. Retry later.",
        )

    async def _forward_write(self, request: Request, seq: int):
        """Send a logged write to Neutron: the client's answer, and the call that logs the outcome."""
        log = self.log
        try:
            async with await self._upstream(request) as upstream:
                payload = await upstream.read()
                request_id = upstream.header(_REQUEST_ID)
                outcome = functools.partial(log.record_answer, seq, upstream.status, payload,
                                            None if request_id is None else request_id.decode("latin-1"))
                return self._answer(upstream, payload), outcome
        except UpstreamFailed as exc:
            response, reached = self._failed_upstream(exc, write=True)
            return response, functools.partial(log.record_failure, seq, response.status, describe(exc), reached=reached)
        except asyncio.CancelledError:
            with contextlib.suppress(LogUnavailable):
                log.record_failure(seq, 0, "the capture stopped while Neutron was answering", reached=True)
            raise

    def _answer(self, upstream: Answer, payload: bytes) -> Response:
        self.counters.bytes += len(payload)
        return relayed(upstream, body=payload)

    def _failed_upstream(self, exc: UpstreamFailed, write: bool = False) -> tuple[Response, bool]:
        """The answer for a failed upstream request, and whether Neutron may have received it.
        A write Neutron may have received gets no answer: its connection is cut, so the client sees
        what it would see talking to Neutron directly (a connection error, outcome unknown), never a
        status it could take for Neutron's."""
        self.counters.errors += 1
        if not exc.reached and exc.timeout:
            return neutron_error(504, f"Neutron took no connection: {describe(exc)}"), False
        if not exc.reached:
            return neutron_error(502, f"Neutron is unreachable: {describe(exc)}"), False
        if write:
            return NO_ANSWER, True
        if exc.timeout:
            return neutron_error(504, f"Neutron did not answer in time: {describe(exc)}"), True
        return neutron_error(502, f"Neutron's answer failed: {describe(exc)}"), True


class _Relay:
    """Neutron's answer's body, streamed to the client as it comes (server.BodyStream); the connection to
    Neutron is given back at its end, or dropped if the client hung up before it."""

    def __init__(self, proxy: CaptureProxy, request: Request, upstream: Answer):
        self._proxy = proxy
        self._request = request
        self._upstream = upstream
        self._chunks = upstream.chunks()

    def __aiter__(self) -> _Relay:
        return self

    async def __anext__(self) -> bytes:
        try:
            chunk = await anext(self._chunks)
        except UpstreamFailed as exc:
            # Neutron failed mid-answer: cut the client off, so that it cannot take part of a body for all of it.
            proxy, request = self._proxy, self._request
            proxy.counters.errors += 1
            proxy._publish_message("warning", f"{request.method} {request.path}: Neutron's answer broke off: {exc}")
            raise CutOff(str(exc)) from None
        self._proxy.counters.bytes += len(chunk)
        return chunk

    async def aclose(self) -> None:
        await self._chunks.aclose()
        self._upstream.release()


def _loop_factory():
    """uvloop's event loop where it is installed (a quarter less CPU per request), else asyncio's."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def not_a_path(request: Request) -> Response:
    """The answer to a request for anything but a path on Neutron (an absolute URI as sent to a
    forward proxy, CONNECT, OPTIONS *): nothing is logged or forwarded."""
    return neutron_error(400, f"{request.method} {request.raw_path}: this is Neutron's API, "
                         "not a forward proxy; send requests for a path such as /v2.0/networks")


def without_hop_by_hop(headers: Iterable[tuple[bytes, bytes]],
                       drop: frozenset[bytes]) -> tuple[list[tuple[bytes, bytes]], bytes]:
    """`headers` less those in `drop` and those the Connection header names; and that header's
    value, lowercased (b"" if none)."""
    kept = []
    connection = b""
    for name, value in headers:
        lower = name.lower()
        if lower == b"connection":
            connection = b",".join((connection, value.lower())) if connection else value.lower()
        elif lower not in drop:
            kept.append((name, value))
    if connection:
        named = {token.strip() for token in connection.split(b",")}
        kept = [(name, value) for name, value in kept if name.lower() not in named]
    return kept, connection


def relayed(upstream: Answer, body: bytes = b"", stream: _Relay | None = None) -> Response:
    """Neutron's answer as the client gets it: Neutron's status, reason and headers in Neutron's order,
    less the hop-by-hop ones (the server adds no Date or Server header, and keeps the Content-Length
    Neutron sent, a 204's too). Connection: close from Neutron closes the client's connection as well."""
    kept, connection = without_hop_by_hop(upstream.raw_headers, HOP_BY_HOP)
    return Response(upstream.status, kept, body, upstream.reason, stream, close=b"close" in connection)


def forward_head(request: Request, prefix: str, neutron_host: str) -> bytes:
    """The request head as it goes to Neutron: the client's headers less the hop-by-hop ones, with
    X-Forwarded-For/-Proto added (and a Host, if the client sent none), the length of its body."""
    kept, _ = without_hop_by_hop(request.raw_headers, _REQUEST_DROPS)
    lines = [f"{request.method} {prefix}{request.raw_path} HTTP/1.1\r\n".encode("latin-1")]
    lines += [b"%s: %s\r\n" % header for header in kept]
    if not any(name.lower() == b"host" for name, _ in kept):
        lines.append(b"Host: %s\r\n" % neutron_host.encode("latin-1"))
    peer = request.peer.encode("latin-1")
    earlier = request.header(b"x-forwarded-for")
    lines.append(b"X-Forwarded-For: %s\r\nX-Forwarded-Proto: %s\r\n"
                 % (b"%s, %s" % (earlier, peer) if earlier else peer, request.scheme.encode()))
    body = request.body
    if body or request.method in _BODY_METHODS:
        lines.append(b"Content-Length: %d\r\n" % len(body))
    lines.append(b"\r\n")
    return b"".join(lines)
