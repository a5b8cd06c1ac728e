"""The engine's `capture` phase: start the proxy in this process and leave it running, or (the
plan's `capture.mode: separate`) check that an `alcor-migrate capture` process writes the run's
write log; then `run` only reads that log (capture/reader.py), and the cut-over gate holds writes
through the hold file that process watches (capture/hold_file.py).

The proxy forwards to Neutron's endpoint as the run recorded it (wizard/neutron/endpoint.py):
`neutron.url`, or the catalog's entry, found before anything changed.

The proxy keeps capturing through the later phases; it is found in
`ctx.artifacts["capture"]` (its write log as `.log`; also as `ctx.artifacts["write_hold"]`,
the cut-over gate's brake on writes), and the engine stops it when the run ends (`close`,
which is `CapturePhase.stop(ctx)`). The phase is run again on
every resume, since a new process has no proxy yet.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from wizard.capture.config import ProxyConfig
from wizard.capture.hold_file import HoldRequest
from wizard.capture.insertion import insert, withdraw
from wizard.capture.proxy import CaptureProxy
from wizard.capture.writelog import LOG_FILE, WriteLog
from wizard.errors import InputError, MigrateError
from wizard.neutron.endpoint import is_live, pinned
from wizard.tinylog import held_for_writing

ARTIFACT = "capture"
WRITE_HOLD = "write_hold"
SEPARATE = "separate"  # capture.mode: the capture runs as its own process


class CapturePhase:
    name = "capture"

    def run(self, ctx) -> dict[str, Any]:
        if not ctx.plan.capture.enabled:
            return {"enabled": False}
        if ctx.plan.capture.mode == SEPARATE:
            return self._separate(ctx)
        running = ctx.artifacts.get(ARTIFACT)
        if running is None:
            if not is_live(ctx.plan.neutron):
                raise InputError("capture: no live Neutron to capture in front of (neutron.url or "
                                 "neutron.cloud); the plan reads only a snapshot file")
            config = ProxyConfig.from_plan(ctx.plan, pinned(ctx.plan.neutron, ctx.state).url)
            log = WriteLog(ctx.state.dir)
            running = CaptureProxy(config, log, ctx.bus)
            try:
                running.start()
            except BaseException:
                log.close()
                raise
            ctx.artifacts[ARTIFACT] = ctx.artifacts[WRITE_HOLD] = running
            insert(ctx, running.url)  # clients reach it as capture.insertion says
        return {"listen": running.url, "upstream": running.config.upstream, "log_entries": len(running.log)}

    @staticmethod
    def _separate(ctx) -> dict[str, Any]:
        log = Path(ctx.state.dir) / LOG_FILE
        if not held_for_writing(log):
            raise MigrateError(f"capture: capture.mode is separate, but no `alcor-migrate capture` process writes "
                               f"{log}; start `alcor-migrate capture --plan <this plan>`, then run again")
        ctx.artifacts[WRITE_HOLD] = HoldRequest(ctx.state.dir)
        insert(ctx, None)  # capture.insertion haproxy: HAProxy sends Neutron's traffic to the capture processes
        return {"mode": SEPARATE, "log": str(log)}

    def close(self, ctx) -> None:
        self.stop(ctx)

    @staticmethod
    def stop(ctx) -> None:
        """Stop the proxy this run started, if any, and close its log; before the switch, the catalog
        goes back to Neutron first."""
        try:
            withdraw(ctx)
        finally:  # the proxy stops even if Keystone could not take the catalog back
            running = ctx.artifacts.pop(ARTIFACT, None)
            ctx.artifacts.pop(WRITE_HOLD, None)
            if running is not None:
                running.stop()
                running.log.close()
