"""The capture's log feed: its write logs, read-only over HTTP, so the migration host reads every
API node's logs without ssh (`capture --feed-listen HOST:PORT`, plan `capture.feed`); and the
cut-over's write hold, the one call that changes anything, so the run holds every node's writes.

It listens on its own address (not the one clients and HAProxy reach) and serves one log per
worker process: a capture of one process has one log, named after the capture (`capture --name`,
default the host name); with `--workers N` the logs are `NAME-worker-1` .. `NAME-worker-N`, each a
separate source for replay's merge. It only reads the logs' files (as `alcor-migrate log` does), so
it keeps serving a log whose worker is down or restarting.

Wire format (JSON; every request needs `Authorization: Bearer TOKEN`, the token of
`capture.feed.token_file`; a missing or wrong token gets 401 `{"error": ...}`):

`GET /v1/status`
    `{"capture": NAME, "requests": N, "writes": N, "marks": [MARK, ...],
      "logs": [{"log": LOG, "head": SEQ, "entries": N, "requests": N, "writes": N, "marks": [...]}, ...]}`
    `requests` counts every request the capture passed (reads too; not health checks), `writes`
    the writes it logged, per log and in all; `head` is the log's last sequence number (0: none).
    `marks` are the values of the `X-Alcor-Migrate-Mark` header of the last 64 requests that
    carried one (first 64 characters): a request preflight sends with a fresh mark to the cloud's
    public endpoint passed through this capture if its mark shows up here. Counts and marks go on
    across a worker's restarts; a worker's reach the feed within 0.1 s.

`GET /v1/states?log=LOG&after=SEQ&limit=N`
    `{"log": LOG, "states": [[SEQ, STATE, TIME], ...], "next": SEQ | null}`: each entry past
    `after` (default 0) in sequence order, at most `limit` (default and most 100,000), its state
    as the capture logged it and when it was logged (Unix time).

`GET /v1/entries?log=LOG&after=SEQ&limit=N&state=STATE`
    `{"log": LOG, "entries": [ENTRY, ...], "next": SEQ | null}`: the entries past `after`, all or
    those in `state`, at most `limit` (default 1,000, most 10,000). An ENTRY is exactly what
    `alcor-migrate log --json` prints for it (secrets redacted), plus `"log": LOG`.

`PUT /v1/hold` with `{"mode": "hold" | "reject", "retry_after": SECONDS, "expires_in": SECONDS}`
    Holds the capture's writes (every worker's) as the cut-over gate does: new writes wait ("hold")
    or get 503 with Retry-After ("reject"). Answered `{"capture": NAME, "hold": {"mode", "retry_after",
    "expires"}}` only once the capture's proxy (every worker's) has taken it, through the hold file
    its processes watch (hold_file.py): from then on every write it logs is already logged. It ends
    with `DELETE /v1/hold`, or by itself `expires_in` seconds later (default: Retry-After and 60 s;
    at most MAX_HOLD), so a hold a dead run left is released. 503 if the proxy did not take it within
    hold_file.ACK_TIMEOUT (writes are then not held), 400 for a bad body.
`DELETE /v1/hold`
    Releases the hold (none: nothing to do): `{"capture": NAME, "hold": null}`, once the capture's
    proxy (every worker's) lets writes through again; 503 if it did not say so within ACK_TIMEOUT.

The hold takes the feed's token: the token is the migration host's, which alone reads the logs and
alone holds the writes for the switch; a second token would be one more secret to copy to the same
place. What it adds to a stolen token is bounded: a hold ends by itself within MAX_HOLD.

A page that may have more after it has `next`: ask again with `after=next`. Verdicts of replay
are not here: the migration host keeps them (feed_client.py). A bad parameter gets 400, an unknown
log 404, both `{"error": ...}`.
"""

from __future__ import annotations

import asyncio
import hmac
import itertools
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

from wizard.capture.config import host_port, url_of
from wizard.capture.hold_file import EXPIRY_MARGIN, HOLD_MODES, HoldRequest
from wizard.capture.redact import redact_entry
from wizard.capture.stats import Shared
from wizard.capture.writelog import LOG_FILE, STATES, WriteLog
from wizard.core.errors import MigrateError

STATES_LIMIT = 100_000
ENTRIES_LIMIT = 10_000
ENTRIES_DEFAULT = 1_000
MAX_HOLD = 3600.0  # seconds a write hold may last (Retry-After and expiry alike)


class FeedStartError(MigrateError):
    """The feed could not start (address in use...)."""


@dataclass(frozen=True)
class Source:
    """One write log the feed serves: its name, its state directory, and its capture's counters."""

    name: str
    state_dir: Path
    counters: Callable[[], Shared]


class FeedServer:
    """The feed on its own event loop in a background thread: `start()`, then `stop()`."""

    def __init__(self, capture: str, sources: Sequence[Source], listen: str, token: str, tls=None,
                 hold: HoldRequest | None = None):
        """`hold`: the hold file of the capture's state directory, which its processes watch (None: no
        PUT /v1/hold here)."""
        self.capture, self._sources = capture, {source.name: source for source in sources}
        self._hold = hold
        self._holding: asyncio.Lock | None = None
        self._host, self._port = host_port(listen, "capture.feed.listen")
        self._token, self._tls = token.encode(), tls
        self._logs: dict[str, WriteLog] = {}
        self._ready = threading.Event()
        self._failure: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return url_of(self._host, self._port, self._tls is not None)

    def start(self, timeout: float = 10.0) -> None:
        self._thread = threading.Thread(target=lambda: asyncio.run(self._serve()), name="capture-feed", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout) or self._failure is not None:
            self._thread.join(timeout)
            self._thread = None
            reason = getattr(self._failure, "strerror", None) or self._failure or f"no answer within {timeout:g}s"
            raise FeedStartError(f"capture.feed.listen: cannot listen on {self._host}:{self._port}: {reason}")

    def stop(self, timeout: float = 10.0) -> None:
        if self._thread is None:
            return
        if self._loop is not None and self._stopping is not None:
            self._loop.call_soon_threadsafe(self._stopping.set)
        self._thread.join(timeout)
        self._thread = None
        for log in self._logs.values():
            log.close()

    async def _serve(self) -> None:
        self._loop, self._stopping, self._holding = asyncio.get_running_loop(), asyncio.Event(), asyncio.Lock()
        app = web.Application(middlewares=[self._authorized])
        app.router.add_get("/v1/status", self._status)
        app.router.add_get("/v1/states", self._states)
        app.router.add_get("/v1/entries", self._entries)
        if self._hold is not None:
            app.router.add_put("/v1/hold", self._hold_writes)
            app.router.add_delete("/v1/hold", self._release_writes)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        try:
            await runner.setup()
            site = web.TCPSite(runner, self._host, self._port, ssl_context=self._tls)
            await site.start()
        except OSError as exc:
            self._failure = exc
            self._ready.set()
            await runner.cleanup()
            return
        self._port = runner.addresses[0][1]
        self._ready.set()
        await self._stopping.wait()
        await runner.cleanup()

    @web.middleware
    async def _authorized(self, request: web.Request, handler) -> web.StreamResponse:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), self._token):
            return web.json_response({"error": "this feed needs `Authorization: Bearer TOKEN`, the token of "
                                               "capture.feed.token_file"}, status=401,
                                     headers={"WWW-Authenticate": 'Bearer realm="alcor-migrate capture feed"'})
        try:
            return await handler(request)
        except _BadRequest as exc:
            return web.json_response({"error": str(exc)}, status=exc.status)

    # -- the three reads -------------------------------------------------------------
    async def _status(self, request: web.Request) -> web.Response:
        logs: list[dict[str, Any]] = []
        for source in self._sources.values():
            log = self._log(source)
            counted = source.counters()
            logs.append({"log": source.name, "head": log.head if log else 0, "entries": len(log) if log else 0,
                         "requests": counted.requests, "writes": counted.writes, "marks": list(counted.marks)})
        return web.json_response({"capture": self.capture, "requests": sum(log["requests"] for log in logs),
                                  "writes": sum(log["writes"] for log in logs),
                                  "marks": sorted({mark for log in logs for mark in log["marks"]}), "logs": logs})

    async def _states(self, request: web.Request) -> web.Response:
        source, after, limit = self._page(request, STATES_LIMIT, STATES_LIMIT)
        log = self._log(source)
        chosen = [[e.seq, e.state, e.time] for e in (log.states() if log else []) if e.seq > after][:limit]
        return web.json_response({"log": source.name, "states": chosen, "next": _next(chosen, limit)})

    async def _entries(self, request: web.Request) -> web.Response:
        source, after, limit = self._page(request, ENTRIES_DEFAULT, ENTRIES_LIMIT)
        state = request.query.get("state")
        if state is not None and state not in STATES:
            raise _BadRequest(f"state={state!r}: expected one of {', '.join(STATES)}")
        log = self._log(source)
        found = itertools.islice(log.iter_entries(state, after), limit) if log else ()
        entries = [{**redact_entry(entry), "log": source.name} for entry in found]
        return web.json_response({"log": source.name, "entries": entries,
                                  "next": _next([[e["seq"]] for e in entries], limit)})

    # -- the cut-over's write hold -------------------------------------------------------
    async def _hold_writes(self, request: web.Request) -> web.Response:
        asked = await _json_object(request)
        mode = asked.get("mode")
        if mode not in HOLD_MODES:
            raise _BadRequest(f"mode={mode!r}: expected one of {', '.join(HOLD_MODES)}")
        retry_after = _seconds(asked, "retry_after", None)
        expires_in = _seconds(asked, "expires_in", min(MAX_HOLD, retry_after + EXPIRY_MARGIN))
        hold, holding = self._hold, self._holding
        assert hold is not None and holding is not None  # routed only with a hold, on the loop
        async with holding:  # one change of the hold file at a time
            try:
                await asyncio.get_running_loop().run_in_executor(None, hold.hold_writes, mode, retry_after,
                                                                 expires_in)
            except MigrateError:
                return web.json_response({"error": f"capture {self.capture}: its proxy did not take the write "
                                                   f"hold within {hold.ack_timeout:g}s; writes are not held"},
                                         status=503)
        return web.json_response({"capture": self.capture, "hold": {
            "mode": mode, "retry_after": retry_after, "expires": time.time() + expires_in}})

    async def _release_writes(self, request: web.Request) -> web.Response:
        hold, holding = self._hold, self._holding
        assert hold is not None and holding is not None
        async with holding:
            try:
                await asyncio.get_running_loop().run_in_executor(None, hold.release_writes)
            except MigrateError:
                return web.json_response({"error": f"capture {self.capture}: its proxy did not confirm the release "
                                                   f"within {hold.ack_timeout:g}s; a process that missed it lets "
                                                   "writes through when the hold expires"}, status=503)
        return web.json_response({"capture": self.capture, "hold": None})

    def _page(self, request: web.Request, default: int, most: int) -> tuple[Source, int, int]:
        name = request.query.get("log", "")
        if name not in self._sources:
            raise _BadRequest(f"log={name!r}: no such log here (logs: {', '.join(self._sources)})", 404)
        after, limit = _number(request, "after", 0), _number(request, "limit", default)
        if limit < 1 or limit > most:
            raise _BadRequest(f"limit={limit}: expected 1 to {most}")
        return self._sources[name], after, limit

    def _log(self, source: Source) -> WriteLog | None:
        """The source's log opened read-only (None until its worker has made it)."""
        if source.name not in self._logs:
            if not (source.state_dir / LOG_FILE).exists():
                return None
            self._logs[source.name] = WriteLog(source.state_dir, readonly=True)
        return self._logs[source.name]


class _BadRequest(Exception):
    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def _number(request: web.Request, name: str, default: int) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    if not raw.isdigit():
        raise _BadRequest(f"{name}={raw!r}: expected a whole number")
    return int(raw)


async def _json_object(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise _BadRequest("the body is not JSON") from None
    if not isinstance(body, dict):
        raise _BadRequest("the body is not a JSON object")
    return body


def _seconds(asked: dict[str, Any], name: str, default: float | None) -> float:
    """A duration of the hold's request: more than 0, at most MAX_HOLD."""
    value = asked.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= MAX_HOLD:
        raise _BadRequest(f"{name}={value!r}: expected seconds, more than 0 and at most {MAX_HOLD:g}")
    return float(value)


def _next(page: list[list[Any]], limit: int) -> int | None:
    """Where the next page starts: the last sequence number of a full page, else None."""
    return page[-1][0] if len(page) == limit else None
