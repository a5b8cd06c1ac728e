"""Outcomes the write log could not take, kept until it can: no entry stays `pending` while the capture runs.

Two kinds. A write refused with 503 because its `pending` entry could not be made durable was never
sent to Neutron: it ends `rejected`. Neutron's answer to a forwarded write that could not be logged
(disk full, an I/O error) is logged as it was once the log takes writes again; kept longer than
`KEEP_ANSWERS` seconds, the answer is let go and the entry is marked `unknown` instead (smaller, and
replay settles it by reading Neutron), so memory holds no answer for long.

While any is kept, once a second: a log whose fsync failed (it refuses every write until then) is
reopened, then each kept outcome of an entry still `pending` is logged and fsync'd. A capture that
stops first leaves those entries `pending` on disk; the next one to open the log marks them `unknown`
(it cannot tell a refused write from an answered one), which replay settles by reading Neutron.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from wizard.capture.commit import GroupCommit
from wizard.capture.writelog import PENDING, LogUnavailable, WriteLog
from wizard.core.errors import MigrateError

RETRY_SECONDS = 1.0
KEEP_ANSWERS = 30.0


@dataclass
class _Kept:
    log_it: Callable[[], int]  # appends the outcome; returns its ticket
    status: int  # what the client was answered
    since: float
    sent: bool  # Neutron has it: past KEEP_ANSWERS, `unknown` will do


class Unlogged:
    """The outcomes kept for the write log, and the task that logs them."""

    def __init__(self, log: WriteLog, commit: GroupCommit, report: Callable[[str, str], None]):
        self._log, self._commit, self._report = log, commit, report
        self._kept: dict[int, _Kept] = {}
        self._wake = asyncio.Event()
        self._failing = False  # the last attempt failed (reported once, not every second)

    def __len__(self) -> int:
        return len(self._kept)

    def refused(self, seq: int) -> None:
        """Entry `seq` was answered 503 and never sent to Neutron."""
        reason = "refused: the write log could not make the entry durable; not sent to Neutron"
        self._kept[seq] = _Kept(lambda: self._log.record_failure(seq, 503, reason, reached=False), 503,
                                time.monotonic(), sent=False)
        self._wake.set()

    def answered(self, seq: int, log_it: Callable[[], int], status: int) -> None:
        """Neutron answered entry `seq` (`status` to the client), and `log_it` could not log it."""
        self._kept[seq] = _Kept(log_it, status, time.monotonic(), sent=True)
        self._wake.set()

    async def run(self) -> None:
        """Until cancelled: log what is kept, once a second while anything is."""
        while True:
            await self._wake.wait()
            await asyncio.sleep(RETRY_SECONDS)
            await self.settle()
            if not self._kept:
                self._wake.clear()

    async def settle(self) -> None:
        """One attempt at logging every kept outcome."""
        if not self._kept:
            return
        done = []
        try:
            if self._log.failed:
                await self._commit.reopen()
            for seq in sorted(self._kept):
                self._log_one(seq)
                done.append(seq)
            await self._commit.durable(self._log.written)
        except (OSError, MigrateError) as exc:  # LogUnavailable, or the log could not be reopened
            if not self._failing:
                self._report("warning", f"write log: {len(self._kept)} outcome(s) wait to be logged: {exc}")
            self._failing = True
            return
        for seq in done:
            del self._kept[seq]
        if self._failing:
            self._report("info", f"write log: takes writes again; {len(done)} kept outcome(s) settled")
        self._failing = False

    def _log_one(self, seq: int) -> None:
        kept = self._kept[seq]
        logged = self._log.indexed(seq)
        if logged is None or logged.state != PENDING:  # logged before an fsync failed, or lost with it
            return
        try:
            kept.log_it()
        except LogUnavailable:
            if not kept.sent or self._log.failed or time.monotonic() - kept.since < KEEP_ANSWERS:
                raise
            error = f"Neutron answered {kept.status}, but the answer could not be logged"
            kept.log_it = lambda: self._log.record_failure(seq, kept.status, error, reached=True)
            self._report("warning", f"write log entry {seq}: Neutron's answer could not be logged in "
                                    f"{KEEP_ANSWERS:g}s: marked unknown, replay reads Neutron")
            kept.log_it()
