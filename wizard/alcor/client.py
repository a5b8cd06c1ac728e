"""The HTTP client that applies AlcorRequests to Alcor's services and reads resources back.

Synchronous on purpose: the engine runs phases in threads and the TUI in workers, so a
thread-safe httpx.Client with a pooled connection per service is the simplest fit;
`send_many` runs requests on a bounded thread pool, and a semaphore bounds the requests
in flight however many threads call in.

Retries: connection errors, timeouts, dropped connections and 5xx answers are retried
with exponential backoff and full jitter; 4xx answers never are, nor 500s whose message
names a deterministic Alcor exception (CidrOverlapWithOtherSubnets...). A failed attempt
may still have taken effect, so before retrying a create, an interface change or an
extra-route change the client reads Alcor to see whether it did, and a bulk create is
retried with only the items still missing: no retry creates anything twice. A create
without a client id cannot be checked, so it is retried only when it never reached Alcor.
The segment table's 409 (a table, or a VXLAN partition, is there already) counts as done.

Lists: Alcor refuses a list whose scan matches SCAN_ROW_LIMIT rows or more; `list` raises
RowCapReached naming the kind and the filter, so a caller reads large kinds in slices.
"""

from __future__ import annotations

import logging
import random
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

import httpx

from wizard.alcor import errors
from wizard.alcor.paths import (
    ADD_EXTRA_ROUTES,
    ADD_ROUTER_INTERFACE,
    BULK_CREATE,
    CREATE,
    DELETE,
    EXTRA_ROUTE_ACTIONS,
    EXTRA_ROUTES_WRAPPER,
    INTERFACE_ACTIONS,
    KINDS,
    SEGMENT_TABLE_PATH,
    Kind,
    Missing,
    Operation,
    match,
)
from wizard.alcor.request import AlcorRequest
from wizard.alcor.services import SERVICES
from wizard.alcor.values import DEFAULT_SG_NAME, SCAN_ROW_LIMIT
from wizard.core.errors import InputError, MigrateError

log = logging.getLogger(__name__)

IDS_PER_LOOKUP = 100  # ids per list query when checking which bulk items exist
NEVER_SENT = frozenset({"ConnectError", "ConnectTimeout", "PoolTimeout"})  # nothing reached Alcor
NOT_JSON = "NotJSON"  # the body holds a value JSON cannot carry (NaN, Infinity): never sent, never retried
_ABSENT = {Missing.NOT_FOUND: 404, Missing.PRECONDITION_FAILED: 412}  # statuses that mean "no such item"


class AlcorUnavailable(MigrateError):
    """Alcor did not answer a read after every retry (`status` None), or answered it with an error."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


class RowCapReached(AlcorUnavailable):
    """Alcor refused a list: its scan matched SCAN_ROW_LIMIT rows or more ("too many rows found!")."""


@dataclass(frozen=True)
class Outcome:
    """What became of one request: the final answer, how long it took and how many tries."""

    key: str | None
    method: str
    path: str
    status: int | None  # None when Alcor never answered
    body: Any
    duration: float  # seconds, retries and backoff included
    attempts: int
    error: str | None = None  # transport error or Alcor exception name of a failure
    already_applied: tuple[str, ...] = ()  # ids found applied after an attempt of unknown outcome

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass(frozen=True)
class _Settled:
    """What a look at Alcor found after an attempt of unknown outcome."""

    body: Any  # what to send if retrying (a bulk body loses the items already created)
    applied: tuple[str, ...] = ()
    done: bool = False
    answer: Any = None  # the body to report when done (the item as Alcor now holds it)


class AlcorClient:
    """Alcor's services at one base URL each; thread-safe."""

    def __init__(
        self,
        endpoints: Mapping[str, str],
        *,
        timeout: float = 30.0,
        concurrency: int = 8,
        retries: int = 5,
        backoff: float = 0.2,
        backoff_cap: float = 10.0,
        token: str | None = None,
        verify: ssl.SSLContext | bool = True,
        seed: int | None = None,
    ):
        missing = [s for s in SERVICES if not endpoints.get(s)]
        if missing:
            raise InputError([f"alcor.endpoints.{s}: no URL for Alcor's {s} service" for s in missing])
        self.endpoints = {s: endpoints[s].rstrip("/") for s in SERVICES}
        self.retries = retries
        self.concurrency = concurrency
        self.backoff, self.backoff_cap = backoff, backoff_cap
        self._rng = random.Random(seed)
        self._slots = threading.BoundedSemaphore(concurrency)
        headers = {"X-Auth-Token": token} if token else {}
        self._http = httpx.Client(
            timeout=timeout,
            headers=headers,
            verify=verify,
            limits=httpx.Limits(max_connections=concurrency * len(set(self.endpoints.values())),
                                max_keepalive_connections=concurrency),
        )

    @classmethod
    def from_plan(cls, plan, **overrides: Any) -> AlcorClient:
        """A client for the plan's Alcor; `overrides` replace the plan's timeout, retries..."""
        endpoints = {s: plan.alcor_url(s) for s in SERVICES}
        a = plan.alcor
        options = {"timeout": a.timeout, "concurrency": a.concurrency, "retries": a.retries, **overrides}
        return cls(endpoints, **options)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> AlcorClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- applying requests ---------------------------------------------------------------

    def send(self, request: AlcorRequest, check_first: bool = False) -> Outcome:
        """Apply one request, retrying what can be retried without applying it twice.

        `check_first`: the request may have reached Alcor before (a run that died while
        sending it): look, as before a retry, and send only what is not applied yet.
        """
        op = match(request.method, request.path)
        started = time.monotonic()
        attempts, body = 0, request.body
        applied: tuple[str, ...] = ()
        settled = self._settle(op, body) if check_first and op else None
        if settled is not None:
            body, applied = settled.body, settled.applied
            if settled.done:
                return Outcome(request.key, request.method, request.path, _done_status(op), settled.answer,
                               time.monotonic() - started, 0, None, applied)
        while True:
            attempts += 1
            status, answer, error = self._exchange(request.service, request.method, request.path, body)
            outcome = Outcome(request.key, request.method, request.path, status, answer,
                              time.monotonic() - started, attempts, error, applied)
            if _already_done(op, error):
                return replace(outcome, status=_done_status(op), error=None)
            if (error or "").startswith(NOT_JSON) or not _retryable(status, answer) or attempts > self.retries:
                return outcome
            if error not in NEVER_SENT:  # the attempt may have taken effect: look before retrying
                settled = self._settle(op, body) if op else _Settled(body) if request.method == "GET" else None
                if settled is None:
                    return replace(outcome, error=f"{error}: outcome unknown, not retried")
                body, applied = settled.body, applied + settled.applied
                if settled.done:
                    return replace(outcome, status=_done_status(op), body=settled.answer, error=None,
                                   already_applied=applied, duration=time.monotonic() - started)
            self._pause(attempts)

    def send_many(self, requests: Iterable[AlcorRequest],
                  on_done: Callable[[Outcome], None] | None = None) -> list[Outcome]:
        """Apply independent requests `concurrency` at a time; outcomes in the requests' order."""
        def one(request: AlcorRequest) -> Outcome:
            outcome = self.send(request)
            if on_done:
                on_done(outcome)
            return outcome

        with ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="alcor") as pool:
            return list(pool.map(one, requests))

    def _settle(self, op: Operation, body: Any) -> _Settled | None:
        """After an attempt of unknown outcome: what is already applied and what to retry.

        None when the request cannot be checked and so must not be retried.
        """
        kind, action = op.kind, op.action
        if action == CREATE:
            item = kind.unwrap(body)
            if item is None or (kind.id_of(item) is None and not _is_default_group(kind, item)):
                return None
            current = self._stored(kind, item, op.project_id)
            current_id = kind.id_of(current) if current else None
            return _Settled(body, (current_id,), True, {kind.wrapper: current}) if current_id else _Settled(body)
        if action == BULK_CREATE:
            return self._settle_bulk(op, body)
        if action in INTERFACE_ACTIONS:
            attached = self._interface_attached(op, body)
            return _Settled(body, done=attached if action == ADD_ROUTER_INTERFACE else not attached)
        if action in EXTRA_ROUTE_ACTIONS:
            return _Settled(body, done=self._routes_done(op, body))
        if action == DELETE:
            return _Settled(body, done=not self.exists(kind.name, op.params["id"], op.project_id))
        return _Settled(body)  # reads, updates and the segment table (409 when there: done) are safe to repeat

    def _stored(self, kind: Kind, item: dict, project_id: str | None) -> dict | None:
        """The resource a create of `item` made, as Alcor holds it now (None if absent).

        A `default` group gets a random id and its create answers the posted body, so it
        is found by tenant; any other resource by its own id.
        """
        if _is_default_group(kind, item):
            tenant = item.get("tenant_id") or project_id
            found = self.list(kind.name, project_id, name=DEFAULT_SG_NAME, tenant_id=tenant)
            return found[0] if found else None
        item_id = kind.id_of(item)
        return self.get(kind.name, item_id, project_id) if item_id else None

    def stored_answer(self, request: AlcorRequest) -> Any:
        """The answer a create would give, rebuilt from what Alcor holds now.

        Ids learned from this are right even where Alcor's own answer is not (the default
        group's) and after a retry that sent only part of a bulk create.
        """
        op = match(request.method, request.path)
        if op is None or op.action not in (CREATE, BULK_CREATE):
            raise ValueError(f"{request.key}: not a create")
        kind = op.kind
        if op.action == CREATE:
            return {kind.wrapper: self._stored(kind, kind.unwrap(request.body) or {}, op.project_id)}
        items = (request.body or {}).get(kind.bulk or "") or []
        ids = [kind.id_of(item) for item in items]
        present = self._existing(kind, [id for id in ids if id], op.project_id)
        return {kind.bulk: [present.get(id) if id else None for id in ids]}

    def _settle_bulk(self, op: Operation, body: Any) -> _Settled | None:
        kind = op.kind
        key = kind.bulk or kind.bulk_stub
        items = body.get(key) if isinstance(body, dict) else None
        if not isinstance(items, list):
            return None
        ids = [id for id in (kind.id_of(i) for i in items) if id]
        if len(ids) < len(items) or any(_is_default_group(kind, i) for i in items):
            return None
        present = self._existing(kind, ids, op.project_id)
        remaining = [i for i, id in zip(items, ids, strict=True) if id not in present]
        return _Settled({**body, key: remaining}, tuple(id for id in ids if id in present), not remaining)

    def _existing(self, kind: Kind, ids: list[str], project_id: str | None) -> dict[str, dict]:
        """Those of `ids` that Alcor holds, id -> item."""
        present: dict[str, dict] = {}
        for start in range(0, len(ids), IDS_PER_LOOKUP):
            chunk = ids[start:start + IDS_PER_LOOKUP]
            for item in self.list(kind.name, project_id, **{kind.id_field: chunk}):
                item_id = kind.id_of(item)
                if item_id is not None and item_id in chunk:
                    present[item_id] = item
        return present

    def _interface_attached(self, op: Operation, body: Any) -> bool:
        body = body if isinstance(body, dict) else {}
        if body.get("subnet_id"):
            subnet = self.get("subnet", body["subnet_id"], op.project_id)
        else:
            found = self.list("subnet", op.project_id, gatewayPortId=body.get("port_id"))
            subnet = found[0] if found else None
        return subnet is not None and subnet.get("attached_router_id") == op.params["id"]

    def _routes_done(self, op: Operation, body: Any) -> bool:
        router = self.get("router", op.params["id"], op.project_id) or {}
        table = {(r.get("destination"), r.get("nexthop")) for r in (router.get("routetable") or {}).get("routes") or []}
        wanted = {(r.get("destination"), r.get("nexthop"))
                  for r in ((body or {}).get(EXTRA_ROUTES_WRAPPER) or {}).get("routes") or []}
        return wanted <= table if op.action == ADD_EXTRA_ROUTES else not (wanted & table)

    # --- reading -------------------------------------------------------------------------

    def get(self, kind: str, id: str, project_id: str | None = None) -> dict | None:
        """One item, or None when Alcor says it is absent (empty wrapper, 404 or 412 by kind)."""
        spec = KINDS[kind]
        status, body = self._read(spec.service, spec.item_path(id, project_id))
        if status == 200:
            return spec.unwrap(body)  # None for the empty wrapper
        if status == _ABSENT.get(spec.missing):
            return None
        raise AlcorUnavailable(f"GET {spec.item_path(id, project_id)}: {_describe(status, body)}", status)

    def exists(self, kind: str, id: str, project_id: str | None = None) -> bool:
        return self.get(kind, id, project_id) is not None

    def list(self, kind: str, project_id: str | None = None, **filters: Any) -> list[dict]:
        """Items of a kind, filtered by field values (a list value matches any of them).

        Alcor's lists are not filtered by project.
        Raises RowCapReached when Alcor's scan matched SCAN_ROW_LIMIT rows or more
        (Alcor: LIB db/ignite/IgniteClientDbCache.getAll(filterParams)).
        """
        spec = KINDS[kind]
        path = spec.collection_path(project_id)
        status, body = self._read(spec.service, path, filters)
        if status != 200 and errors.identify(status, body) == errors.TOO_MANY_ROWS.name:
            raise RowCapReached(f"GET {path}: Alcor refuses to list {kind} {_slice(filters)}: its scan matched "
                                f"{SCAN_ROW_LIMIT:,} rows or more (too many rows found!)", status)
        if status != 200:
            raise AlcorUnavailable(f"GET {path}: {_describe(status, body)}", status)
        return spec.listed(body)  # VPC lists: `vpcs`, or `networks` through Alcor's API gateway

    def _read(self, service: str, path: str, params: Mapping[str, Any] | None = None) -> tuple[int, Any]:
        for attempt in range(1, self.retries + 2):
            status, body, error = self._exchange(service, "GET", path, None, params)
            if not _retryable(status, body) or attempt > self.retries:
                break
            self._pause(attempt)
        if status is None:
            raise AlcorUnavailable(f"GET {self.endpoints[service]}{path}: {error} after {attempt} attempts")
        return status, body

    # --- one HTTP exchange -----------------------------------------------------------------

    def _exchange(self, service: str, method: str, path: str, body: Any,
                  params: Mapping[str, Any] | None = None) -> tuple[int | None, Any, str | None]:
        """(status, JSON body or text, error name); never raises for transport errors."""
        url = self.endpoints[service] + path
        with self._slots:
            try:
                response = self._http.request(method, url, json=body, params=params)
            except httpx.TransportError as exc:
                log.info("%s %s: %s", method, path, type(exc).__name__)
                return None, None, type(exc).__name__
            except ValueError as exc:  # NaN or Infinity: no JSON, so nothing was sent
                return None, None, f"{NOT_JSON}: {exc}"
        try:
            answer = response.json() if response.content else None
        except ValueError:
            answer = response.text
        error = None
        if response.status_code >= 400:
            error = errors.identify(response.status_code, answer) or f"HTTP {response.status_code}"
        log.debug("%s %s -> %s", method, path, response.status_code)
        return response.status_code, answer, error

    def _pause(self, attempt: int) -> None:
        time.sleep(self._rng.uniform(0, min(self.backoff_cap, self.backoff * 2 ** (attempt - 1))))


def _retryable(status: int | None, body: Any) -> bool:
    """Transport failures and 5xx, except 500s that name a deterministic Alcor exception."""
    if status is None:
        return True
    return status >= 500 and errors.identify(status, body) is None


def _already_done(op: Operation | None, error: str | None) -> bool:
    """A refusal that says the request's effect is there: the segment table's 409 once any VXLAN
    partition exists, after a first call or a VPC create (Alcor: VM service/Impl/SegmentServiceImpl
    .createDefaultNetworkTypeTable, dao/VxlanRangeRepository.createRange: NetworkRangeExistException)."""
    return op is not None and op.route.template == SEGMENT_TABLE_PATH and error == errors.NETWORK_RANGE_EXIST.name


def _slice(filters: Mapping[str, Any], shown: int = 3) -> str:
    """`where network_id is n1, n2, n3 (and 97 more)`, or `unfiltered`."""
    parts = []
    for name, value in filters.items():
        values = [str(v) for v in value] if isinstance(value, (list, tuple, set)) else [str(value)]
        more = f" (and {len(values) - shown} more)" if len(values) > shown else ""
        parts.append(f"{name} is {', '.join(values[:shown])}{more}")
    return "where " + " and ".join(parts) if parts else "unfiltered"


def _is_default_group(kind: Kind, item: dict) -> bool:
    return kind.name == "security_group" and item.get("name") == DEFAULT_SG_NAME


def _done_status(op: Operation | None) -> int:
    if op is None:
        return 200
    if op.action == CREATE:
        return op.kind.create_status
    if op.action == BULK_CREATE:
        return op.kind.bulk_status
    return 200


def _describe(status: int | None, body: Any) -> str:
    name = errors.identify(status, body) if status else None
    message = body.get("message") if isinstance(body, dict) else None
    return f"HTTP {status}" + (f" {name}" if name else "") + (f": {message}" if message else "")
