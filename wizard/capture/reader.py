"""A write log another process writes (`alcor-migrate capture`), as replay reads it: the log opened
read-only, without the writer's lock, and replay's verdicts kept in the run's state store.

Replay needs the same two things from it as from a log it writes itself (WriteLog): `entries()`, each
with its state, and `mark(seq, state, **info)`. Here a verdict (replayed, skipped, failed) is laid
over the entry the writer logged; it holds only for the entry logged at that time, so a log started
over from 1 never inherits the verdicts of the one before.
"""

from __future__ import annotations

import os
from typing import Any, Protocol

from wizard.capture.writelog import WriteLog
from wizard.tinylog import TornTail


class Verdicts(Protocol):
    """Where the verdicts are: the run's StateStore (state.RecordedVerdicts to look without writing)."""

    def verdicts(self) -> dict[int, dict[str, Any]]: ...

    def set_verdict(self, seq: int, verdict: dict[str, Any]) -> None: ...


class LogReader:
    """The write log of a capture running as its own process, with this run's verdicts on it."""

    def __init__(self, state_dir: str | os.PathLike, state: Verdicts):
        self.log = WriteLog(state_dir, readonly=True)
        self.path, self.state = self.log.path, state

    @property
    def torn_tail(self) -> TornTail | None:
        return self.log.torn_tail

    def entries(self, state: str | None = None) -> list[dict[str, Any]]:
        """Entries in sequence order (all, or those in one state), with replay's verdicts."""
        verdicts = self.state.verdicts()
        entries = [_judged(entry, verdicts.get(entry["seq"])) for entry in self.log.entries()]
        return entries if state is None else [entry for entry in entries if entry["state"] == state]

    def mark(self, seq: int, state: str, **info: Any) -> None:
        """Replay's verdict on entry `seq`, durable on return (in the state store)."""
        entry = self.log.get(seq)
        if entry is None:
            raise KeyError(f"write log {self.path}: no entry {seq}")
        self.state.set_verdict(seq, {"logged_at": entry["time"], "entry": {**info, "state": state}})

    def __len__(self) -> int:
        return len(self.log)

    def close(self) -> None:
        self.log.close()


def _judged(entry: dict[str, Any], verdict: dict[str, Any] | None) -> dict[str, Any]:
    if verdict is None or verdict["logged_at"] != entry["time"]:
        return entry
    return {**entry, **verdict["entry"]}
