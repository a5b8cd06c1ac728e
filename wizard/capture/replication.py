"""The write logs and their replayer as the replay phases and the cut-over gate use them."""

from __future__ import annotations

import time
from typing import Any

from wizard.capture.merge import MergedReplayer
from wizard.capture.replay import Replayer

IDLE = 0.05  # seconds between two passes while the log's head entry awaits Neutron's answer


class LogReplication:
    """The write log and its replayer, for the phases and the gate (gate.Replication)."""

    def __init__(self, replayer: Replayer | MergedReplayer, owned: list[Any]):
        self.replayer = replayer
        self._owned = owned  # what closes with it: a log opened here, the client, the Neutron reader

    def head(self) -> int:
        return self.replayer.lag().head

    def lag(self) -> int:
        return self.replayer.lag().waiting

    def replay(self, until: int, deadline: float, retry_failed: bool = False) -> int:
        """Pass over the log until every entry up to `until` is settled or `deadline` (monotonic); a log
        that cannot be read (several merged) is waited for like a pending entry."""
        while True:
            result = self.replayer.replay(until, retry_failed=retry_failed)
            retry_failed = False
            if result.position >= until or time.monotonic() >= deadline or (result.stopped_at_pending is None
                                                                             and not result.held):
                return result.position
            time.sleep(IDLE)

    def unreadable(self) -> tuple[str, ...]:
        return self.replayer.lag().held

    def close(self) -> None:
        for thing in reversed(self._owned):
            thing.close()
