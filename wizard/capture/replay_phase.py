"""The engine's `replay` and `final_replay` phases, and the write log as the cut-over gate sees it.

Both phases are one class under two names. A phase replays until the log's lag is zero
(or REPLAY_PATIENCE passes while writes keep coming), publishing LagChanged and Progress;
its summary has `replayed`, `skipped`, `failed`, `lag` and `position`. A failed entry
fails the phase (ReplayIncomplete) once everything else is applied; the next run retries it.

The write log is the capture phase's (`ctx.artifacts["capture"].log`) when the proxy runs
in this process (one writer per state directory); with `capture.mode: separate` it is the
capture process's log, read here without its lock, replay's verdicts kept in the state store
(capture/reader.py); else a log a stopped capture left is opened here. The replayer is
left in `ctx.artifacts["replication"]` (a LogReplication) for the gate and the later phase;
`ReplayPhase.stop(ctx)` closes a log this phase opened.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from wizard.alcor.client import AlcorClient
from wizard.capture.merge import EMBEDDED, MergedReplayer, Source, node_sources
from wizard.capture.phase import ARTIFACT as CAPTURE
from wizard.capture.phase import SEPARATE
from wizard.capture.reader import LogReader
from wizard.capture.replay import Replayer
from wizard.capture.writelog import LOG_FILE, WriteLog
from wizard.cutover.site import load_snapshot
from wizard.errors import MigrateError
from wizard.neutron.endpoint import pinned
from wizard.neutron.reader import NeutronReader
from wizard.translate.context import Context, Index, Options

ARTIFACT = "replication"
REPLAY_PATIENCE = 300.0  # seconds a phase keeps replaying while writes keep the lag above zero
IDLE = 0.05  # seconds between two passes while the log's head entry awaits Neutron's answer


class ReplayIncomplete(MigrateError):
    """Some logged writes could not be applied to Alcor; running again retries them."""


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


class ReplayPhase:
    def __init__(self, name: str = "replay"):
        self.name = name

    def run(self, ctx) -> dict[str, Any]:
        replication = ctx.artifacts.get(ARTIFACT) or self._open(ctx)
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
        capture = ctx.artifacts.get(CAPTURE)
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
        translation = ctx.artifacts["translation"]
        context = Context(Index(load_snapshot(ctx.plan, ctx.artifacts)), Options.from_plan(ctx.plan))
        context.id_map = dict(translation.id_map)
        client = AlcorClient.from_plan(ctx.plan)
        neutron = NeutronReader(pinned(ctx.plan.neutron, ctx.state))
        owned += [client, neutron]
        options: dict[str, Any] = dict(concurrency=ctx.plan.alcor.concurrency, known=translation.findings)
        replayer = (Replayer(log, client, ctx.state, context, neutron, **options) if log is not None
                    else MergedReplayer(sources, client, ctx.state, context, neutron, **options))
        replication = ctx.artifacts[ARTIFACT] = LogReplication(replayer, owned)
        return replication

    def close(self, ctx) -> None:
        self.stop(ctx)

    @staticmethod
    def stop(ctx) -> None:
        """Close what the replay phases opened (the capture phase closes its own log)."""
        replication = ctx.artifacts.pop(ARTIFACT, None)
        if replication is not None:
            replication.close()
