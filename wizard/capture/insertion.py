"""How clients reach the capture proxy: the catalog points them at it, or the operator does.

`capture.insertion: keystone`: when the capture starts, the catalog's network endpoints
(those cutover.endpoint names) move to the capture's URL through the switch's own machinery
(wizard/cutover/endpoint.py), which records Neutron's URLs; when the run ends before the switch
they go back, and the switch moves them on to Alcor. Tokens issued before the insertion carry the
old catalog, so the capture is complete only `capture.token_lifetime` after it: the cut-over gate
waits until `tokens_expire_at`.

`capture.insertion: haproxy`: when the capture phase runs, HAProxy's Neutron backend is sent to the
captures (capture/haproxy_insertion.py: written, checked, HAProxy reloaded), and when the run ends
it gets its original backend back; then a marked request to the public network endpoint (HAProxy's
frontend) must show up in a capture's counters (`arrival_problem`), else the run stops there.

`capture.insertion: none`: on a cloud, the operator points the clients at the capture and
confirms; a marked request to the catalog's public network endpoint must then reach the capture
(`arrival_problem`), else a warning says that clients are not going through it.
"""

from __future__ import annotations

import dataclasses
import functools
import time
import uuid
from collections.abc import Callable
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx

from wizard.capture.feed_client import FeedError, node_client
from wizard.capture.haproxy_insertion import HaproxyInsertion
from wizard.capture.health import HEALTH_PATH
from wizard.capture.stats import MARK_HEADER
from wizard.core.errors import InputError, MigrateError
from wizard.core.events import Event, Message
from wizard.core.state import StateStore
from wizard.cutover.endpoint import SWITCHED, keystone_switch
from wizard.neutron import endpoint as neutron_endpoint
from wizard.plan import Plan

HAPROXY = "haproxy"
INSERTED_AT = "capture.inserted_at"  # meta: time.time() when the catalog first pointed at the capture
PROBE_TIMEOUT = 10.0
PROBE_ATTEMPTS = 5
PROBE_PAUSE = 0.5  # seconds before the second attempt; one more before each later one
WILDCARDS = ("0.0.0.0", "::")


def capture_url(plan: Plan, listening: str) -> str:
    """The URL clients reach the capture at: capture.advertise, else where it listens (not a wildcard)."""
    if plan.capture.advertise:
        return plan.capture.advertise.rstrip("/")
    if urlsplit(listening).hostname in WILDCARDS:
        raise InputError(f"capture.advertise: the capture listens on {plan.capture.listen}, which is no address "
                         "a client can use; give the URL clients reach it at")
    return listening


def haproxy(plan: Plan, state: StateStore, emit: Callable[[Event], None]) -> HaproxyInsertion:
    return HaproxyInsertion(plan.capture.haproxy, state.dir,
                            lambda text: emit(Message(level="info", phase="capture", text=text)))


def insert(plan: Plan, state: StateStore, listening: str | None, requests_seen: Callable[[], int], *,
           emit: Callable[[Event], None], ask: Callable[[str, str], None], keystone: Any = None) -> str | None:
    """Once the capture listens at `listening` (None: the captures are processes of their own): point the
    clients at it as the plan says. Returns what this run put in the clients' path, for `withdraw`:
    HAPROXY, the URL put into Keystone's catalog, or None (the clients were pointed another way)."""
    if plan.capture.insertion == HAPROXY:
        insertion = haproxy(plan, state, emit)
        insertion.insert()
        problem = haproxy_arrival_problem(plan)
        if problem:
            insertion.remove()
            raise MigrateError(f"capture.insertion haproxy: {problem}")
        return HAPROXY
    if listening is None:
        return None  # the operator points the clients at the capture processes
    if state.get_meta(SWITCHED) or not plan.neutron.cloud:
        return None  # the catalog is Alcor's now; or no catalog (neutron.url): whoever runs the clients points them
    url = capture_url(plan, listening)
    if plan.capture.insertion == "keystone":
        keystone_switch(plan, state, emit, keystone).switch(url)
        if not state.get_meta(INSERTED_AT):
            state.set_meta(INSERTED_AT, time.time())
        return url
    ask("capture", f"Point every client of Neutron (the catalog's network endpoints, or the address they "
                   f"resolve to) at the capture at {url}, then confirm")
    problem = arrival_problem(plan, state, requests_seen, url)
    if problem:
        emit(Message(level="warning", phase="capture", text=problem))
    return None


def withdraw(plan: Plan, state: StateStore, inserted: str, emit: Callable[[Event], None],
             keystone: Any = None) -> None:
    """The captures leave the clients' path (`inserted`: what `insert` returned): HAProxy's Neutron
    backend goes back to Neutron's servers; unless the switch happened, the catalog goes back to
    Neutron's URLs."""
    if inserted == HAPROXY:  # the switch too: HAProxy's Neutron frontend goes back to Neutron
        haproxy(plan, state, emit).remove()
        return
    if state.get_meta(SWITCHED):
        return
    keystone_switch(plan, state, emit, keystone).restore()
    state.set_meta(INSERTED_AT, None)


def tokens_expire_at(plan: Plan, state: StateStore) -> float:
    """When the last token issued before the insertion expires (time.time()); 0: nothing to wait for."""
    inserted = state.get_meta(INSERTED_AT)
    return inserted + plan.capture.token_lifetime if inserted else 0.0


def arrival_problem(plan: Plan, state: StateStore, requests_seen, capture: str) -> str | None:
    """Why a marked request to the catalog's public network endpoint did not reach the capture (None:
    it did). `requests_seen()` is the capture's request counter."""
    public = neutron_endpoint.find(dataclasses.replace(plan.neutron, url=None, interface="public"))
    try:
        if marked_request_arrives(public, Counted(requests_seen), plan.neutron.verify_tls):
            return None
    except httpx.HTTPError as exc:
        return f"a marked request to the catalog's public network endpoint {public} failed ({exc})"
    if neutron_endpoint.root(public) == neutron_endpoint.root(state.get_meta(neutron_endpoint.STATE_KEY) or ""):
        return (f"clients are not going through the capture: the catalog's public network endpoint {public} is "
                f"Neutron's own; point it (or the address it resolves to) at {capture}, or set "
                "capture.insertion: keystone")
    return (f"clients are not going through the capture: a marked request to the catalog's public network "
            f"endpoint {public} never reached the capture at {capture}")


def haproxy_arrival_problem(plan: Plan) -> str | None:
    """Why a marked request to the public network endpoint (the catalog's, else neutron.url: HAProxy's
    frontend) shows up in no capture's request counter (None: it does in one). HAProxy may take a
    moment after a reload, so the request is tried PROBE_ATTEMPTS times."""
    settings = plan.capture.haproxy
    public = (neutron_endpoint.find(dataclasses.replace(plan.neutron, url=None, interface="public"))
              if plan.neutron.cloud else neutron_endpoint.root(plan.neutron.url or ""))
    with CaptureWitness(plan) as witness:
        try:
            for attempt in range(PROBE_ATTEMPTS):
                if marked_request_arrives(public, witness, plan.neutron.verify_tls):
                    return None
                if attempt + 1 < PROBE_ATTEMPTS:
                    time.sleep(PROBE_PAUSE * (attempt + 1))
        except httpx.HTTPError as exc:
            return f"a marked request to the public network endpoint {public} failed ({exc})"
    captures = ", ".join(f"{name} at {address}" for name, address in settings.captures.items())
    return (f"clients are not going through the captures: {PROBE_ATTEMPTS} marked requests to the public network "
            f"endpoint {public} reached none of them ({captures}); its HAProxy frontend must send to backend "
            f"{settings.backend} of {settings.config}")


def marked_request_arrives(public: str, witness: Witness, verify: bool) -> bool:
    """Whether a GET to the network endpoint `public`, marked by a unique name and MARK_HEADER, is seen
    by `witness`. No token: Neutron's 401 passes through a capture and is counted all the same."""
    marker = uuid.uuid4().hex
    witness.before()
    httpx.get(f"{public}/v2.0/networks", params={"name": f"alcor-migrate-probe-{marker}"},
              headers={MARK_HEADER: marker}, timeout=PROBE_TIMEOUT, verify=verify)
    return witness.saw(marker)


class Witness(Protocol):
    def before(self) -> None: ...

    def saw(self, marker: str) -> bool: ...


class Counted:
    """A capture's request counter moved past a marked request (the run's own capture)."""

    def __init__(self, requests_seen: Callable[[], int]):
        self.requests_seen, self.count = requests_seen, 0

    def before(self) -> None:
        self.count = self.requests_seen()

    def saw(self, marker: str) -> bool:
        return self.requests_seen() > self.count


class CaptureWitness:
    """Whether the captures passed a marked request: its mark among those their feeds show when
    capture.nodes lists them (every worker's, exactly), else a request counter moving, from each
    capture's health check over one kept-alive connection (with `--workers` it asks the same worker
    each time, and a marked request another worker took is missed, and tried again)."""

    def __init__(self, plan: Plan):
        self._feeds = [node_client(node, timeout=PROBE_TIMEOUT)
                       for node in plan.capture.nodes.values() if node.feed and node.token_file]
        self._health = [] if self._feeds else [httpx.Client(base_url=f"http://{address}", timeout=PROBE_TIMEOUT)
                                               for address in plan.capture.haproxy.captures.values()]
        self._counted = Counted(self._requests)

    def before(self) -> None:
        self._counted.before()

    def saw(self, marker: str) -> bool:
        if self._feeds:
            return any(marker in _answer(feed.status).get("marks", ()) for feed in self._feeds)
        return self._counted.saw(marker)

    def _requests(self) -> int:
        return sum(int(_answer(functools.partial(_health, client)).get("requests", 0)) for client in self._health)

    def __enter__(self) -> CaptureWitness:
        return self

    def __exit__(self, *exc_info: object) -> None:
        for feed in self._feeds:
            feed.close()
        for client in self._health:
            client.close()


def _health(client: httpx.Client) -> dict[str, Any]:
    return client.get(HEALTH_PATH).json()


def _answer(read: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """A capture's status or health answer; empty if it does not answer."""
    try:
        return read()
    except (httpx.HTTPError, FeedError, ValueError):
        return {}
