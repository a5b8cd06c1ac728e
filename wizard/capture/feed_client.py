"""The migration host's side of a capture's log feed (feed.py, where the wire format is).

`FeedClient(url, token)` talks to one capture's feed: `status()` (its counters and logs),
`log(name, verdicts)`, a `FeedLog` per write log, and the cut-over's write hold, `hold(...)` and
`release()`. A FeedLog is what replay reads (replay.Log): `states()` and `iter_entries(state,
after)` as the capture logged them, with replay's verdicts laid over them, and `mark(seq, state,
**info)`, which keeps a verdict in `verdicts` (a reader.Verdicts, one per log: sequence numbers of
different logs collide), never on the capture.

Errors are typed: `CaptureUnreachable` when the capture cannot be reached or answers 5xx (it is down
or restarting: a merge counts it as holding its entries), `FeedError` for anything else (a token it
refuses, a log it does not have). The token is sent only in the Authorization header, never shown.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from typing import Any

import httpx

from wizard.capture.feed_token import read_token
from wizard.capture.hold_file import ACK_TIMEOUT
from wizard.capture.log_index import Indexed
from wizard.capture.reader import LogUnreachable, NamedVerdicts, OpenedOnUse, Verdicts, judged
from wizard.core.errors import MigrateError

HOLD_TIMEOUT = ACK_TIMEOUT + 5.0  # seconds to wait for a hold: the capture's own wait for its proxy, and more


class FeedError(MigrateError):
    """The feed refused a request (a wrong token, an unknown log, a bad parameter)."""


class CaptureUnreachable(FeedError, LogUnreachable):
    """The capture did not answer (connection refused or reset, timeout) or answered 5xx: a merge holds
    its logs' entries until it does."""

    def __init__(self, url: str, reason: str):
        super().__init__(f"capture feed {url}: unreachable: {reason}")
        self.url, self.reason = url, reason


class FeedClient:
    """One capture's feed over HTTP(S)."""

    def __init__(self, url: str, token: str, *, timeout: float = 10.0, ca_file: str | None = None):
        """`ca_file`: the CA bundle that signed an https feed's certificate (default: the system's)."""
        self.url = url.rstrip("/")
        verify = ssl.create_default_context(cafile=ca_file) if ca_file else True
        self._http = httpx.Client(base_url=self.url, timeout=timeout, verify=verify,
                                  headers={"Authorization": f"Bearer {token}"})

    def status(self) -> dict[str, Any]:
        """`{"capture", "requests", "writes", "logs": [{"log", "head", "entries", "requests", "writes"}]}`."""
        return self.get("/v1/status")

    def log(self, name: str, verdicts: Verdicts, page: int | None = None) -> FeedLog:
        return FeedLog(self, name, verdicts, page)

    def hold(self, mode: str, retry_after: float, expires_in: float) -> dict[str, Any]:
        """Hold the capture's writes (feed.py, PUT /v1/hold); returns once its proxy holds them."""
        return self._call("PUT", "/v1/hold", json={"mode": mode, "retry_after": retry_after, "expires_in": expires_in},
                          timeout=HOLD_TIMEOUT)

    def release(self) -> dict[str, Any]:
        """Let the capture's held writes through (DELETE /v1/hold); returns once its proxy does."""
        return self._call("DELETE", "/v1/hold", timeout=HOLD_TIMEOUT)

    def get(self, path: str, **params: Any) -> dict[str, Any]:
        return self._call("GET", path, params={k: v for k, v in params.items() if v is not None})

    def _call(self, method: str, path: str, **sent: Any) -> dict[str, Any]:
        try:
            answer = self._http.request(method, path, **sent)
        except httpx.TransportError as exc:
            raise CaptureUnreachable(self.url, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__) \
                from None
        if answer.status_code >= 500:
            raise CaptureUnreachable(self.url, f"HTTP {answer.status_code}{_said(answer)}")
        try:
            body = answer.json()
        except ValueError:
            raise FeedError(f"capture feed {self.url}{path}: HTTP {answer.status_code}, not JSON: "
                            f"{answer.text[:200]!r}") from None
        if answer.status_code == 401:
            raise FeedError(f"capture feed {self.url}: the token was refused (copy the capture's "
                            "capture.feed.token_file to the migration host)")
        if answer.status_code != 200:
            raise FeedError(f"capture feed {self.url}{path}: HTTP {answer.status_code}: {body.get('error')}")
        return body

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> FeedClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def node_client(node: Any, timeout: float = 10.0) -> FeedClient:
    """The feed of one of the plan's `capture.nodes` (a plan.CaptureNode with a feed): its URL, the
    token in its token_file (InputError if that file is missing or open to others)."""
    return FeedClient(node.feed, read_token(node.token_file), timeout=timeout)


def _said(answer: httpx.Response) -> str:
    """`: ERROR` when the answer is the feed's own `{"error": ...}`, else nothing."""
    try:
        error = answer.json().get("error")
    except (ValueError, AttributeError):
        return ""
    return f": {error}" if isinstance(error, str) else ""


class FeedLog:
    """One write log of a capture, read over its feed, with this run's verdicts on it (replay.Log)."""

    def __init__(self, client: FeedClient, name: str, verdicts: Verdicts, page: int | None = None):
        self.client, self.name, self.verdicts = client, name, verdicts
        self.page = page  # entries or states asked for at once (None: the feed's default)
        self._times: dict[int, float] = {}  # when each entry seen was logged: a verdict names its entry by it

    def states(self) -> list[Indexed]:
        """Every entry's (seq, state, time) in sequence order, with replay's verdicts (no body is read)."""
        verdicts, out, after = self.verdicts.verdicts(), [], 0
        while True:
            page = self.client.get("/v1/states", log=self.name, after=after, limit=self.page)
            for seq, state, logged in page["states"]:
                self._times[seq] = logged
                verdict = verdicts.get(seq)
                if verdict is not None and verdict["logged_at"] == logged:
                    state = verdict["entry"]["state"]
                out.append(Indexed(seq, state, logged))
            if page["next"] is None:
                return out
            after = page["next"]

    def iter_entries(self, state: str | None = None, after: int = 0) -> Iterator[dict[str, Any]]:
        """Entries past `after` in sequence order (all, or those in one state), with replay's verdicts,
        fetched a page at a time as the iteration goes."""
        verdicts = self.verdicts.verdicts()
        while True:
            page = self.client.get("/v1/entries", log=self.name, after=after, limit=self.page)
            for entry in page["entries"]:
                self._times[entry["seq"]] = entry["time"]
                entry = judged(entry, verdicts.get(entry["seq"]))
                if state is None or entry["state"] == state:
                    yield entry
            if page["next"] is None:
                return
            after = page["next"]

    def entries(self, state: str | None = None) -> list[dict[str, Any]]:
        return list(self.iter_entries(state))

    def mark(self, seq: int, state: str, **info: Any) -> None:
        """Replay's verdict on entry `seq`, kept in `verdicts` (durable on return if they are)."""
        if seq not in self._times:
            self.states()
        if seq not in self._times:
            raise KeyError(f"capture feed {self.client.url} log {self.name}: no entry {seq}")
        self.verdicts.set_verdict(seq, {"logged_at": self._times[seq], "entry": {**info, "state": state}})

    def __len__(self) -> int:
        return len(self.states())

    def close(self) -> None:
        self.client.close()


def feed_sources(node: str, client: FeedClient, state: Any) -> list[tuple[str, Any]]:
    """(name, log) for every log a capture's feed serves, verdicts kept in `state` under each name:
    `node` for a capture of one process, `node.LOG` for each worker's. A capture that does not answer
    now is one log named `node` that holds its entries until it does (PendingFeed)."""
    try:
        logs = [entry["log"] for entry in client.status()["logs"]]
    except CaptureUnreachable:
        return [(node, PendingFeed(node, client, state))]
    names = [node] if len(logs) == 1 else [f"{node}.{log}" for log in logs]
    return [(name, client.log(log, NamedVerdicts(state, name))) for name, log in zip(names, logs, strict=True)]


class PendingFeed(OpenedOnUse):
    """The log of a capture that did not answer when the run opened its logs: unreachable (its entries
    wait) until the capture answers, then its one log. A capture that comes back serving several logs
    (`--workers`) is read once the run is started again, which names each."""

    def __init__(self, node: str, client: FeedClient, state: Any):
        self.node, self.client, self.state = node, client, state
        self._log: FeedLog | None = None

    def _open(self) -> FeedLog:
        if self._log is None:
            logs = [entry["log"] for entry in self.client.status()["logs"]]  # CaptureUnreachable while down
            if len(logs) != 1:
                raise MigrateError(f"capture.nodes.{self.node}: the capture came back serving {len(logs)} logs "
                                   f"({', '.join(logs)}); run again to replay each")
            self._log = self.client.log(logs[0], NamedVerdicts(self.state, self.node))
        return self._log

    def __len__(self) -> int:
        return len(self._open())

    def close(self) -> None:
        self.client.close()
