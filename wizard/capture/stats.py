"""The capture proxy's counters, turned into ProxyStats events, and shared with the log feed
of a capture that runs several worker processes (CounterFile)."""

from __future__ import annotations

import os
import struct
import threading
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from wizard.events import ProxyStats

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


_SHARED = struct.Struct("<qq")  # requests, writes


class CounterFile:
    """A worker's requests and writes in a 16-byte file of its state directory, which the feed
    (in the supervising process) reads. Counts go on from the file's across a worker's restarts."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)

    def read(self) -> tuple[int, int]:
        """(requests, writes) as last written; (0, 0) before the first write."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return 0, 0
        return _SHARED.unpack(raw) if len(raw) == _SHARED.size else (0, 0)

    def keep_up(self, counters: ProxyCounters, every: float = 0.1) -> threading.Event:
        """Write `counters` (plus the counts already in the file) every `every` seconds, in a
        background thread, until the returned event is set (then once more)."""
        base_requests, base_writes = self.read()
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600)
        stop = threading.Event()

        def write() -> None:
            os.pwrite(fd, _SHARED.pack(base_requests + counters.requests, base_writes + counters.writes), 0)

        def loop() -> None:
            try:
                while not stop.wait(every):
                    write()
                write()
            finally:
                os.close(fd)

        write()
        threading.Thread(target=loop, name="capture-counters", daemon=True).start()
        return stop
