"""The engine's `replay` and `final_replay` phases, and the write log as the cut-over gate sees it.

Both phases are one class under two names. A phase replays until the log's lag is zero
(or REPLAY_PATIENCE passes while writes keep coming), publishing LagChanged and Progress;
its summary has `replayed`, `skipped`, `failed`, `lag` and `position`. A failed entry
fails the phase (ReplayIncomplete) once everything else is applied; the next run retries it.

The write log is the capture phase's (`ctx.run.capture.log`) when the proxy runs
in this process (one writer per state directory); with `capture.mode: separate` it is the
capture process's log, read here without its lock, replay's verdicts kept in the state store
(capture/reader.py); else a log a stopped capture left is opened here. The replayer is
left in `ctx.run.replication` (a LogReplication) for the gate and the later phase;
`ReplayPhase.stop(ctx)` closes a log this phase opened.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from wizard.alcor.client import AlcorClient
from wizard.capture.config import SEPARATE
from wizard.capture.merge import EMBEDDED, MergedReplayer, Source, node_sources
from wizard.capture.reader import LogReader
from wizard.capture.replay import Replayer
from wizard.capture.replication import IDLE, LogReplication
from wizard.capture.writelog import LOG_FILE, WriteLog
from wizard.core.errors import MigrateError
from wizard.cutover.site import load_snapshot
from wizard.neutron.endpoint import pinned
from wizard.neutron.reader import NeutronReader
from wizard.translate.context import Context, Index, Options

REPLAY_PATIENCE = 300.0  # seconds a phase keeps replaying while writes keep the lag above zero


class ReplayIncomplete(MigrateError):
    """Some logged writes could not be applied to Alcor; running again retries them."""


class ReplayPhase:
    def __init__(self, name: str = "replay"):
        self.name = name

    def run(self, ctx) -> dict[str, Any]:
        replication = ctx.run.replication or self._open(ctx)
        if replication is None:
            return {"replayed": 0, "skipped": 0, "failed": 0, "lag": 0, "enabled": False}
        replayer = replication.replayer
        replayer.emit, replayer.checkpoint, replayer.phase = ctx.emit, ctx.checkpoint, self.name
        totals = {"replayed": 0, "skipped": 0, "failed": 0}
        deadline = time.monotonic() + REPLAY_PATIENCE
        retry_failed = True
        while True:
            result = replayer.replay(retry_failed=retry_failed)
            retry_failed = False
            for key in ("replayed", "skipped"):
                totals[key] += getattr(result, key)
            totals["failed"] = result.failed
            lag = replayer.publish_lag()
            if lag.waiting == 0 or time.monotonic() >= deadline:
                break
            time.sleep(IDLE)
        summary = {**totals, "lag": lag.waiting, "position": result.position, "head": lag.head,
                   "findings": len(replayer.findings)}
        if totals["failed"]:
            raise ReplayIncomplete(f"{self.name}: {totals['failed']} logged write(s) could not be applied to "
                                   f"Alcor (see the write log's failed entries); run again to retry them")
        return summary

    @staticmethod
    def _open(ctx) -> LogReplication | None:
        capture = ctx.run.capture
        owned: list[Any] = []
        sources = node_sources(ctx.plan.capture.nodes, ctx.state)
        owned += [source.log for source in sources]
        log: Any = None
        if sources:  # merged; the capture this run started, if any, is one more log
            sources += [Source(EMBEDDED, capture.log)] if capture is not None else []
        elif capture is not None:
            log = capture.log
        elif ctx.plan.capture.enabled and ctx.plan.capture.mode == SEPARATE:
            log = LogReader(ctx.state.dir, ctx.state)
            owned.append(log)
        elif (Path(ctx.state.dir) / LOG_FILE).exists():
            log = WriteLog(ctx.state.dir)
            owned.append(log)
        else:
            return None
        translation = ctx.run.translation
        context = Context(Index(load_snapshot(ctx.plan, ctx.run)), Options.from_plan(ctx.plan))
        context.id_map = dict(translation.id_map)
        client = AlcorClient.from_plan(ctx.plan)
        neutron = NeutronReader(pinned(ctx.plan.neutron, ctx.state))
        owned += [client, neutron]
        options: dict[str, Any] = dict(concurrency=ctx.plan.alcor.concurrency, known=translation.findings)
        replayer = (Replayer(log, client, ctx.state, context, neutron, **options) if log is not None
                    else MergedReplayer(sources, client, ctx.state, context, neutron, **options))
        replication = ctx.run.replication = LogReplication(replayer, owned)
        return replication

    def close(self, ctx) -> None:
        self.stop(ctx)

    @staticmethod
    def stop(ctx) -> None:
        """Close what the replay phases opened (the capture phase closes its own log)."""
        replication, ctx.run.replication = ctx.run.replication, None
        if replication is not None:
            replication.close()
