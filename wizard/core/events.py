"""Typed engine events: the only thing the TUI and the headless runner listen to."""

from __future__ import annotations

import dataclasses
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Event:
    """Base class; `at` is the wall-clock time the event was made."""

    at: float = field(default_factory=time.time, kw_only=True)

    @classmethod
    def name(cls) -> str:
        return re.sub(r"(?<!^)(?=[A-Z])", "_", cls.__name__).lower()

    def to_dict(self) -> dict[str, Any]:
        return {"event": self.name(), **dataclasses.asdict(self)}


@dataclass(frozen=True)
class PhaseStarted(Event):
    phase: str


@dataclass(frozen=True)
class PhaseFinished(Event):
    phase: str
    seconds: float
    summary: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PhaseSkipped(Event):
    phase: str
    reason: str


@dataclass(frozen=True)
class PhaseFailed(Event):
    phase: str
    error: str


@dataclass(frozen=True)
class Progress(Event):
    """Work done in a phase, per resource kind (or per node, per wave...); `total` 0: not known yet."""

    phase: str
    kind: str
    done: int
    total: int
    failed: int = 0
    rate: float = 0.0
    eta: float | None = None
    current: str = ""


@dataclass(frozen=True)
class FindingRaised(Event):
    severity: str
    code: str
    kind: str
    id: str
    message: str
    remedy: str


@dataclass(frozen=True)
class ApprovalNeeded(Event):
    """The engine waits for the operator before an irreversible step."""

    phase: str
    question: str


@dataclass(frozen=True)
class Message(Event):
    level: str  # "info" | "warning" | "error"
    text: str
    phase: str = ""


@dataclass(frozen=True)
class LagChanged(Event):
    """The capture log's backlog: entries not yet replayed, and the oldest one's age."""

    waiting: int
    oldest_age: float


@dataclass(frozen=True)
class ProxyStats(Event):
    """The capture proxy's counters since it started; latency over its recent requests.
    `refused`: writes answered 503 because the write log could not take them."""

    listen: str
    requests: int
    writes: int
    errors: int
    bytes: int
    latency_p50_ms: float
    latency_p99_ms: float
    refused: int = 0
    in_flight: int = 0


@dataclass(frozen=True)
class WriteCaptured(Event):
    """A write passed through the capture proxy and its outcome is in the write log."""

    seq: int
    method: str
    path: str
    status: int
    state: str


@dataclass(frozen=True)
class CheckChanged(Event):
    """One check of a phase (preflight's "neutron reachable", ...) changed state."""

    phase: str
    check: str
    status: str  # "running" | "ok" | "warning" | "failed"
    seconds: float = 0.0
    detail: str = ""


@dataclass(frozen=True)
class RequestFailed(Event):
    """Alcor refused a request; `answer` is what it said (status line and body)."""

    phase: str
    key: str
    kind: str
    status: int | None  # None: no answer (connection failed, timed out)
    answer: str


@dataclass(frozen=True)
class GateChanged(Event):
    """The cut-over gate: postponed, catching up, holding writes, switched, or released to retry."""

    state: str
    detail: str = ""
    lag: int = 0


@dataclass(frozen=True)
class EndpointChanged(Event):
    """One catalog endpoint moved (switch) or moved back (rollback)."""

    endpoint_id: str
    interface: str
    region: str
    old_url: str
    new_url: str


@dataclass(frozen=True)
class DrainTick(Event):
    """The drain's countdown and what it still waits for (empty: Neutron is quiet)."""

    elapsed: float
    min_left: float
    max_left: float
    waiting_for: tuple[str, ...] = ()


@dataclass(frozen=True)
class TokenTick(Event):
    """The switch's countdown until tokens issued before the capture's insertion into the catalog
    have expired (they may still send clients to Neutron directly); `left` 0: the wait is over."""

    left: float
    lifetime: float


@dataclass(frozen=True)
class WaveStarted(Event):
    wave: int
    label: str  # "canary", "batch 2", ...
    nodes: int
    waves: int


@dataclass(frozen=True)
class WaveFinished(Event):
    wave: int
    label: str
    done: int
    rolled_back: int
    seconds: float


@dataclass(frozen=True)
class NodeStep(Event):
    """A node cutover step (or rollback step): started, ok or failed, with its duration."""

    node: str
    step: str
    status: str  # "started" | "ok" | "failed"
    seconds: float = 0.0
    detail: str = ""
    rollback: bool = False


@dataclass(frozen=True)
class Waiting(Event):
    """A phase waits on something outside it (Alcor backing off, the replay lag...);
    `reason` is the single reason, "" when the phase goes on."""

    phase: str
    reason: str


@dataclass(frozen=True)
class RunFinished(Event):
    """The last event of a headless run, also when it fails: its exit code, the phases it finished, the
    phase that stopped it ("" if none) and its report (None: no report written by this run)."""

    exit_code: int
    phases: tuple[str, ...] = ()
    failed: str = ""
    report: str | None = None


Listener = Callable[[Event], None]


class EventBus:
    """Delivers every published event to each subscriber, from any thread."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def publish(self, event: Event) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            listener(event)
