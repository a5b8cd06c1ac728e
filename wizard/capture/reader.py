"""A write log another process writes (`alcor-migrate capture`), as replay reads it: the log opened
read-only, without the writer's lock, and replay's verdicts kept in the run's state store.

Replay needs the same things from it as from a log it writes itself (WriteLog): `states()` (from
memory), `iter_entries()` (read from the file), and `mark(seq, state, **info)`. Here a verdict
(replayed, skipped, failed) is laid over the entry the writer logged; it holds only for the entry
logged at that time, so a log started over from 1 never inherits the verdicts of the one before.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any, Protocol

from wizard.capture.writelog import Indexed, WriteLog
from wizard.core.errors import MigrateError
from wizard.core.tinylog import TornTail


class LogUnreachable(MigrateError):
    """A log that cannot be read right now (its capture is down, its file is gone): its entries wait."""


class OpenedOnUse:
    """A write log as replay reads it (replay.Log), opened by `_open` on each use: a log that cannot
    be read now raises LogUnreachable there, and is read again once it can."""

    def _open(self) -> Any:
        """The log, read now (a LogReader, a FeedLog); LogUnreachable if it cannot be."""
        raise NotImplementedError

    def states(self) -> list[Indexed]:
        return self._open().states()

    def iter_entries(self, state: str | None = None, after: int = 0) -> Iterator[dict[str, Any]]:
        return self._open().iter_entries(state, after)

    def mark(self, seq: int, state: str, **info: Any) -> None:
        self._open().mark(seq, state, **info)


class Verdicts(Protocol):
    """Where the verdicts are: the run's StateStore (state.RecordedVerdicts to look without writing)."""

    def verdicts(self) -> dict[int, dict[str, Any]]: ...

    def set_verdict(self, seq: int, verdict: dict[str, Any]) -> None: ...


class NamedVerdicts:
    """One log's verdicts among several logs' in one state store (replay of several captures, merge.py)."""

    def __init__(self, state, log: str):
        self.state, self.log = state, log

    def verdicts(self) -> dict[int, dict[str, Any]]:
        return self.state.verdicts(self.log)

    def set_verdict(self, seq: int, verdict: dict[str, Any]) -> None:
        self.state.set_verdict(seq, verdict, self.log)


class LogReader:
    """The write log of a capture running as its own process, with this run's verdicts on it."""

    def __init__(self, state_dir: str | os.PathLike, state: Verdicts):
        self.log = WriteLog(state_dir, readonly=True)
        self.path, self.state = self.log.path, state

    @property
    def torn_tail(self) -> TornTail | None:
        return self.log.torn_tail

    def states(self) -> list[Indexed]:
        """Every entry's (seq, state, time), in sequence order, with replay's verdicts (no body is read)."""
        verdicts = self.state.verdicts()
        return [entry._replace(state=judged(entry._asdict(), verdicts.get(entry.seq))["state"])
                for entry in self.log.states()]

    def iter_entries(self, state: str | None = None, after: int = 0) -> Iterator[dict[str, Any]]:
        """Entries past `after` in sequence order (all, or those in one state), with replay's verdicts,
        each read from the file when its turn comes."""
        verdicts = self.state.verdicts()
        chosen = None if state is None else {e.seq for e in self.states() if e.state == state and e.seq > after}
        for entry in self.log.iter_entries(after=after, seqs=chosen):
            yield judged(entry, verdicts.get(entry["seq"]))

    def entries(self, state: str | None = None) -> list[dict[str, Any]]:
        """Entries in sequence order (all, or those in one state), with replay's verdicts."""
        return list(self.iter_entries(state))

    def mark(self, seq: int, state: str, **info: Any) -> None:
        """Replay's verdict on entry `seq`, durable on return (in the state store)."""
        logged = self.log.indexed(seq)
        if logged is None:
            raise KeyError(f"write log {self.path}: no entry {seq}")
        self.state.set_verdict(seq, {"logged_at": logged.time, "entry": {**info, "state": state}})

    def __len__(self) -> int:
        return len(self.log)

    def close(self) -> None:
        self.log.close()


def judged(entry: dict[str, Any], verdict: dict[str, Any] | None) -> dict[str, Any]:
    """`entry` with replay's `verdict` laid over it, if the verdict is for this very entry (logged at its time)."""
    if verdict is None or verdict["logged_at"] != entry["time"]:
        return entry
    return {**entry, **verdict["entry"]}
