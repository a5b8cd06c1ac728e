"""The capture proxy's counters, turned into ProxyStats events."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from wizard.core.events import ProxyStats

RECENT = 4096  # latency percentiles are over this many most recent requests


@dataclass
class ProxyCounters:
    """Counted on the proxy's event loop; read from any thread (a snapshot may be a request behind)."""

    requests: int = 0
    writes: int = 0
    errors: int = 0  # answers the proxy made itself (502/503/504) and failed log writes
    refused: int = 0  # writes refused because the log could not take them (503)
    bytes: int = 0  # request and response bodies
    in_flight: int = 0
    latencies: deque[float] = field(default_factory=lambda: deque(maxlen=RECENT))

    def snapshot(self, listen: str) -> ProxyStats:
        recent = sorted(self.latencies)
        return ProxyStats(
            listen=listen,
            requests=self.requests,
            writes=self.writes,
            errors=self.errors,
            bytes=self.bytes,
            latency_p50_ms=_percentile(recent, 0.50) * 1000,
            latency_p99_ms=_percentile(recent, 0.99) * 1000,
            refused=self.refused,
            in_flight=self.in_flight,
        )


def _percentile(ordered: list[float], fraction: float) -> float:
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]
