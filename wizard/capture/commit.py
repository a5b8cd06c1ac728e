"""Group commit: each request waits until its own log entry is on disk, and
requests that arrive together share one fsync.

The fsync runs in one background thread so the event loop never blocks on the
disk; while it runs, new entries queue up and are covered by the next one.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from wizard.capture.writelog import WriteLog


class GroupCommit:
    """Durability waits for one event loop, batched onto shared fsyncs."""

    def __init__(self, log: WriteLog):
        self._log = log
        self._waiting: list[asyncio.Future[None]] = []
        self._flusher: asyncio.Task[None] | None = None
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="capture-fsync")
        self.fsyncs = 0

    async def durable(self, ticket: int) -> None:
        """Return once the log is on disk up to `ticket` (from WriteLog.begin/record_*);
        raises LogUnavailable if the fsync failed."""
        if ticket <= self._log.synced:
            return
        loop = asyncio.get_running_loop()
        waiter = loop.create_future()
        self._waiting.append(waiter)
        if self._flusher is None:
            self._flusher = loop.create_task(self._flush())
        await waiter

    async def reopen(self) -> None:
        """Reopen the log (after a failed fsync) on the fsync thread, so no fsync runs meanwhile."""
        await asyncio.get_running_loop().run_in_executor(self._executor, self._log.reopen)

    async def _flush(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._waiting:
                # Every waiter's entry was written before it queued, so this fsync covers it.
                batch, self._waiting = self._waiting, []
                try:
                    await loop.run_in_executor(self._executor, self._log.sync)
                except OSError as exc:
                    _settle(batch, exc)
                else:
                    self.fsyncs += 1
                    _settle(batch, None)
        finally:
            self._flusher = None

    def close(self) -> None:
        self._executor.shutdown(wait=True)


def _settle(waiters: list[asyncio.Future[None]], error: OSError | None) -> None:
    for waiter in waiters:
        if waiter.done():  # its request was cancelled
            continue
        if error is None:
            waiter.set_result(None)
        else:
            waiter.set_exception(error)
