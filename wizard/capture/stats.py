"""The capture proxy's counters, turned into ProxyStats events, and shared with the log feed
of a capture that runs several worker processes (CounterFile)."""

from __future__ import annotations

import json
import os
import threading
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from wizard.events import ProxyStats

RECENT = 4096  # latency percentiles are over this many most recent requests
MARK_HEADER = "X-Alcor-Migrate-Mark"  # a request carrying it is remembered by its value (preflight's proof)
MARKS = 64  # the most recent marks kept
MARK_LENGTH = 64  # characters of a mark kept


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
    marks: deque[str] = field(default_factory=lambda: deque(maxlen=MARKS))  # the values of MARK_HEADER seen

    def shared(self) -> Shared:
        return Shared(self.requests, self.writes, tuple(self.marks))

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


class Shared(NamedTuple):
    """What the feed shows of a capture's counters."""

    requests: int
    writes: int
    marks: tuple[str, ...]


def _percentile(ordered: list[float], fraction: float) -> float:
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


class CounterFile:
    """A worker's requests, writes and marks in a small JSON file of its state directory, which the
    feed (in the supervising process) reads; rewritten at once (never half) when they change.
    Counts go on from the file's across a worker's restarts."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)

    def read(self) -> Shared:
        """What was last written (nothing counted before the first write)."""
        try:
            record = json.loads(self.path.read_text())
        except (FileNotFoundError, ValueError):
            return Shared(0, 0, ())
        return Shared(record["requests"], record["writes"], tuple(record["marks"]))

    def keep_up(self, counters: ProxyCounters, every: float = 0.1) -> threading.Event:
        """Write `counters` (the counts already in the file added) whenever they changed, looking every
        `every` seconds in a background thread, until the returned event is set (then once more)."""
        base = self.read()
        counters.marks.extend(base.marks)
        stop = threading.Event()
        written: list[Shared] = []

        def write() -> None:
            now = Shared(base.requests + counters.requests, base.writes + counters.writes, tuple(counters.marks))
            if written and written[-1] == now:
                return
            partial = self.path.with_name(f".{self.path.name}.{os.getpid()}")
            partial.write_text(json.dumps(now._asdict()))
            os.replace(partial, self.path)
            written[:] = [now]

        def loop() -> None:
            while not stop.wait(every):
                write()
            write()

        write()
        threading.Thread(target=loop, name="capture-counters", daemon=True).start()
        return stop
