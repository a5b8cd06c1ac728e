"""Faults the Alcor emulator injects: a share of 500s, timeouts and dropped connections, and latency.

A fault strikes either before the request takes effect or after it (`after_share`), so
a client cannot tell from the failure whether its create happened: the case retries must
survive without creating twice. Tests script exact faults with `Faults.script`.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field

KINDS = ("500", "timeout", "drop")


@dataclass(frozen=True)
class Fault:
    kind: str  # one of KINDS
    after: bool  # strike after the request took effect


@dataclass
class Scripted:
    """A fault for the next `count` requests that match method and path prefix."""

    fault: Fault
    method: str | None = None
    path_prefix: str = ""
    count: int = 1

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and path.startswith(self.path_prefix)


@dataclass
class Faults:
    """What to inject; shares are of all Alcor API requests (the emulator's own /_emulator/ excluded)."""

    error_rate: float = 0.0  # answered 500
    timeout_rate: float = 0.0  # held for hold_seconds, then the connection is closed
    drop_rate: float = 0.0  # connection closed without an answer
    latency_ms: float = 0.0  # added to every request
    hold_seconds: float = 30.0
    after_share: float = 0.5
    seed: int | None = None
    scripted: list[Scripted] = field(default_factory=list)

    def __post_init__(self) -> None:
        for name in ("error_rate", "timeout_rate", "drop_rate", "after_share"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {getattr(self, name)}")
        if self.error_rate + self.timeout_rate + self.drop_rate > 1.0:
            raise ValueError("error_rate + timeout_rate + drop_rate must not exceed 1")
        self._rng = random.Random(self.seed)
        self._lock = threading.Lock()

    def script(self, kind: str, *, after: bool = False, method: str | None = None, path_prefix: str = "",
               count: int = 1) -> None:
        """Strike the next `count` matching requests with this fault."""
        if kind not in KINDS:
            raise ValueError(f"fault kind must be one of {KINDS}")
        with self._lock:
            self.scripted.append(Scripted(Fault(kind, after), method, path_prefix, count))

    def draw(self, method: str, path: str) -> Fault | None:
        """The fault for one request, if any."""
        with self._lock:
            for entry in self.scripted:
                if entry.matches(method, path):
                    entry.count -= 1
                    if entry.count <= 0:
                        self.scripted.remove(entry)
                    return entry.fault
            roll = self._rng.random()
            for kind, rate in zip(KINDS, (self.error_rate, self.timeout_rate, self.drop_rate), strict=True):
                if roll < rate:
                    return Fault(kind, self._rng.random() < self.after_share)
                roll -= rate
            return None
