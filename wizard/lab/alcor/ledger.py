"""What the Alcor emulator saw: creates per kind and id, repeats, requests per endpoint, faults.

Benchmarks and tests read it to prove that retries never created anything twice.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any


class Ledger:
    """Counters, safe to read from any thread while the emulator runs."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._creates: Counter[tuple[str, str]] = Counter()  # creates that took effect
            self._repeats: Counter[tuple[str, str]] = Counter()  # create requests for an id that existed
            self._requests: Counter[str] = Counter()  # "METHOD /path/template"
            self._faults: Counter[str] = Counter()
            self._in_flight = self._max_in_flight = 0

    def created(self, kind: str, id: str) -> None:
        with self._lock:
            self._creates[kind, id] += 1

    def repeated(self, kind: str, id: str) -> None:
        with self._lock:
            self._repeats[kind, id] += 1

    def request(self, endpoint: str) -> None:
        with self._lock:
            self._requests[endpoint] += 1

    def began(self) -> None:
        with self._lock:
            self._in_flight += 1
            self._max_in_flight = max(self._max_in_flight, self._in_flight)

    def ended(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def fault(self, name: str) -> None:
        with self._lock:
            self._faults[name] += 1

    def creates(self, kind: str, id: str) -> int:
        with self._lock:
            return self._creates[kind, id]

    def duplicates(self) -> dict[str, dict[str, int]]:
        """Per kind, the ids created more than once, with how many times."""
        with self._lock:
            found: dict[str, dict[str, int]] = {}
            for (kind, id), count in self._creates.items():
                if count > 1:
                    found.setdefault(kind, {})[id] = count
            return found

    def summary(self) -> dict[str, Any]:
        with self._lock:
            per_kind: Counter[str] = Counter()
            for (kind, _), count in self._creates.items():
                per_kind[kind] += count
            return {
                "creates": dict(per_kind),
                "duplicate_creates": sum(c - 1 for c in self._creates.values() if c > 1),
                "repeated_create_requests": sum(self._repeats.values()),
                "requests": dict(self._requests),
                "faults": dict(self._faults),
                "max_in_flight": self._max_in_flight,
            }
