"""The engine's `capture` phase: start the proxy in this process and leave it running, or (the
plan's `capture.mode: separate`) check that an `alcor-migrate capture` process writes the run's
write log; then `run` only reads that log (capture/reader.py), and the cut-over gate holds writes
through the hold file that process watches (capture/hold_file.py). With `capture.nodes` (a capture
per API node), the nodes are the captures: replay merges their logs and the gate holds the writes
of every one, or of none (capture/hold_every.py), this run's own capture too if it runs one.

The proxy forwards to Neutron's endpoint as the run recorded it (wizard/neutron/endpoint.py):
`neutron.url`, or the catalog's entry, found before anything changed.

The proxy keeps capturing through the later phases; it is found in
`ctx.run.capture` (its write log as `.log`; also as `ctx.run.write_hold`,
the cut-over gate's brake on writes), and the engine stops it when the run ends (`close`,
which is `CapturePhase.stop(ctx)`). The phase is run again on
every resume, since a new process has no proxy yet.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from wizard.capture.config import SEPARATE, ProxyConfig
from wizard.capture.hold_every import EveryCapture, node_holds
from wizard.capture.hold_file import HoldRequest
from wizard.capture.insertion import insert, withdraw
from wizard.capture.proxy import CaptureProxy
from wizard.capture.writelog import LOG_FILE, WriteLog
from wizard.core.errors import InputError, MigrateError
from wizard.core.events import Message
from wizard.core.tinylog import held_for_writing
from wizard.neutron.endpoint import is_live, pinned_url


class CapturePhase:
    name = "capture"

    def run(self, ctx) -> dict[str, Any]:
        if not ctx.plan.capture.enabled:
            return {"enabled": False}
        if ctx.plan.capture.mode == SEPARATE:
            return self._separate(ctx)
        running = ctx.run.capture
        if running is None:
            if not is_live(ctx.plan.neutron):
                raise InputError("capture: no live Neutron to capture in front of (neutron.url or "
                                 "neutron.cloud); the plan reads only a snapshot file")
            config = ProxyConfig.from_plan(ctx.plan, pinned_url(ctx.plan.neutron, ctx.state))
            log = WriteLog(ctx.state.dir)
            running = CaptureProxy(config, log, ctx.bus)
            try:
                running.start()
            except BaseException:
                log.close()
                raise
            ctx.run.capture = ctx.run.write_hold = running
            if ctx.plan.capture.nodes:  # the API nodes' captures are held with this one
                ctx.run.write_hold = EveryCapture({"this run's capture": running, **node_holds(ctx.plan.capture.nodes)},
                                                  _warn(ctx))
            proxy = running  # clients reach it as capture.insertion says
            ctx.run.insertion = insert(ctx.plan, ctx.state, proxy.url, lambda: proxy.stats().requests, emit=ctx.emit,
                                       ask=ctx.ask, keystone=ctx.run.keystone)
        return {"listen": running.url, "upstream": running.config.upstream, "log_entries": len(running.log)}

    @staticmethod
    def _separate(ctx) -> dict[str, Any]:
        nodes = ctx.plan.capture.nodes
        if nodes:  # the captures of the API nodes, each held through its feed (or its hold file)
            ctx.run.write_hold = EveryCapture(node_holds(nodes), _warn(ctx))
            summary: dict[str, Any] = {"mode": SEPARATE, "nodes": ", ".join(nodes)}
        else:
            log = Path(ctx.state.dir) / LOG_FILE
            if not held_for_writing(log):
                raise MigrateError(f"capture: capture.mode is separate, but no `alcor-migrate capture` process "
                                   f"writes {log}; start `alcor-migrate capture --plan <this plan>`, then run again")
            ctx.run.write_hold = HoldRequest(ctx.state.dir)
            summary = {"mode": SEPARATE, "log": str(log)}
        # capture.insertion haproxy: HAProxy sends Neutron's traffic to the capture processes
        ctx.run.insertion = insert(ctx.plan, ctx.state, None, lambda: 0, emit=ctx.emit, ask=ctx.ask,
                                   keystone=ctx.run.keystone)
        return summary

    def close(self, ctx) -> None:
        self.stop(ctx)

    @staticmethod
    def stop(ctx) -> None:
        """Stop the proxy this run started, if any, and close its log; before the switch, the catalog
        goes back to Neutron first."""
        try:
            inserted, ctx.run.insertion = ctx.run.insertion, None
            if inserted is not None:
                withdraw(ctx.plan, ctx.state, inserted, ctx.emit, ctx.run.keystone)
        finally:  # the proxy stops even if Keystone could not take the catalog back
            running, ctx.run.capture, ctx.run.write_hold = ctx.run.capture, None, None
            if running is not None:
                running.stop()
                running.log.close()


def _warn(ctx):
    return lambda text: ctx.emit(Message(level="warning", text=text, phase="cutover"))
