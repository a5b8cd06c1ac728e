"""What the write log keeps in memory of each entry: where its last record is, its state and its time.

Three arrays by sequence number (1, 2, ...), 17 bytes an entry, so memory stays flat as the log
grows; the rest of an entry (request, answer, verdict) is read from the file when the entry is read.
It is the write log's `DocumentIndex` (tinylog.py): the storage hands it every record it reads or writes.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator
from typing import Any, NamedTuple


class Indexed(NamedTuple):
    """What the log keeps in memory of an entry."""

    seq: int
    state: str
    time: float


class EntryIndex:
    """Each entry's last record offset, state and time, by sequence number."""

    def __init__(self, states: tuple[str, ...]):
        self._states = ("", *states)  # code 0: no entry under that number
        self._codes = {state: code for code, state in enumerate(self._states) if code}
        self.clear()

    def clear(self) -> None:
        self._offsets, self._times, self._held = array("q"), array("d"), bytearray()
        self._count = 0

    # -- DocumentIndex --------------------------------------------------------------
    def put(self, doc_id: str, offset: int, doc: dict[str, Any]) -> None:
        seq = _seq(doc_id)
        if seq > len(self._held):
            grow = seq - len(self._held)
            self._offsets.extend([0] * grow)
            self._times.extend([0.0] * grow)
            self._held.extend(bytes(grow))
        if not self._held[seq - 1]:
            self._count += 1
        self._offsets[seq - 1], self._times[seq - 1] = offset, doc["time"]
        self._held[seq - 1] = self._code(doc["state"])

    def update(self, doc_id: str, offset: int, record: dict[str, Any]) -> None:
        slot, changed = _seq(doc_id) - 1, record["u"]
        self._offsets[slot] = offset
        if "state" in changed:
            self._held[slot] = self._code(changed["state"])
        if "time" in changed:
            self._times[slot] = changed["time"]

    def remove(self, doc_id: str) -> None:
        if self.offset(doc_id) is not None:
            self._held[_seq(doc_id) - 1] = 0
            self._count -= 1

    def offset(self, doc_id: str) -> int | None:
        seq = _seq(doc_id)
        return self._offsets[seq - 1] if seq <= len(self._held) and self._held[seq - 1] else None

    # -- the write log's reads --------------------------------------------------------
    def __len__(self) -> int:
        return self._count

    def head(self) -> int:
        """The highest sequence number held (0: none)."""
        return next((slot + 1 for slot in range(len(self._held) - 1, -1, -1) if self._held[slot]), 0)

    def get(self, seq: int) -> Indexed | None:
        if not 0 < seq <= len(self._held) or not self._held[seq - 1]:
            return None
        return Indexed(seq, self._states[self._held[seq - 1]], self._times[seq - 1])

    def entries(self, after: int = 0) -> Iterator[tuple[Indexed, int]]:
        """The entries past `after` in sequence order, each with its last record's offset."""
        states, held, times, offsets = self._states, self._held, self._times, self._offsets
        for slot in range(max(after, 0), len(held)):
            if held[slot]:
                yield Indexed(slot + 1, states[held[slot]], times[slot]), offsets[slot]

    def _code(self, state: str) -> int:
        try:
            return self._codes[state]
        except (KeyError, TypeError):
            raise KeyError(f"not a write log state: {state!r}") from None


def _seq(doc_id: str) -> int:
    if not doc_id.isdigit() or int(doc_id) < 1:
        raise KeyError(f"not a write log sequence number: {doc_id!r}")
    return int(doc_id)
