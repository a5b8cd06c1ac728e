"""The engine phases of the cutover: switch (behind the gate), drain, and the node waves."""

from __future__ import annotations

import time
from typing import Any

from wizard.alcor.client import AlcorClient
from wizard.capture.insertion import tokens_expire_at
from wizard.core.engine import RunContext
from wizard.core.errors import MigrateError
from wizard.core.events import Message, Waiting
from wizard.cutover.alcor_control import AlcorNodeControl
from wizard.cutover.drain import DRAINED, Drain, PortActivity
from wizard.cutover.endpoint import SWITCHED, endpoint_switch, target_url
from wizard.cutover.gate import CutoverGate, postponement_for
from wizard.cutover.records import NodeRecords
from wizard.cutover.runner import WaveRunner
from wizard.cutover.site import site_for

POSTPONE_APPLIED = "cutover.postpone_applied"  # the plan's postpone flag creates the flag file once
POSTPONE_POLL = 0.2  # seconds between looks at the postpone flag file


class SwitchPhase:
    """Points the cloud's network endpoint at Alcor, through the cut-over gate (which first waits out the
    token lifetime when the capture was inserted through the catalog)."""

    name = "switch"

    def run(self, ctx: RunContext) -> dict[str, Any]:
        if ctx.state.get_meta(SWITCHED):
            return {"switched": "earlier"}
        plan = ctx.plan
        url = target_url(plan)
        switch = endpoint_switch(plan, ctx.state, ctx.ask, ctx.emit, conn=ctx.run.keystone)
        ctx.ask(self.name, f"Switch the '{plan.cutover.endpoint.service_type}' endpoint to Alcor at {url}?")
        postponement = postponement_for(plan.cutover.gate, plan.state_dir)
        if plan.cutover.postpone and not ctx.state.get_meta(POSTPONE_APPLIED):
            postponement.postpone()
            ctx.state.set_meta(POSTPONE_APPLIED, True)
        ctx.run.postponement = postponement
        gate = CutoverGate(plan.cutover.gate, postponement, ctx.run.replication,
                           ctx.run.write_hold, ctx.emit, ctx.checkpoint,
                           tokens_expire_at=tokens_expire_at(plan, ctx.state),
                           token_lifetime=plan.capture.token_lifetime)
        outcome = gate.pass_through(lambda: switch.switch(url))
        ctx.state.set_meta(SWITCHED, True)
        return {"url": url, "attempts": outcome.attempts, "writes held s": round(outcome.held_seconds, 2)}


class DrainPhase:
    """Waits, within the plan's bounds, until Neutron's pipeline is quiet; then a final replay."""

    name = "drain"

    def run(self, ctx: RunContext) -> dict[str, Any]:
        if ctx.state.get_meta(DRAINED):
            return {"drained": "earlier"}
        activity = ctx.run.neutron_activity or _neutron_ports(ctx, self.name)
        result = Drain(ctx.plan.cutover.drain, activity, ctx.run.replication, ctx.emit,
                       ctx.checkpoint).run()
        if result.unreachable:  # whether Neutron is quiet is unknown: the nodes must not move yet
            raise MigrateError(f"drain: Neutron did not answer by drain.max ({result.unreachable}); check that "
                               "Neutron's API answers from here at the endpoint the run recorded (state "
                               "meta neutron.endpoint), then run again")
        if not result.quiet:
            ctx.emit(Message(level="warning", phase=self.name,
                             text=f"drain reached its maximum with {', '.join(result.waiting_for)}"))
        ctx.state.set_meta(DRAINED, True)
        return {"seconds": round(result.seconds, 1), "quiet": result.quiet}


class CutoverPhase:
    """Hands the nodes over to ACA, wave after wave. The operator's `rollback` requests (args:
    `node`) are taken before each wave, while the cutover is postponed, and after the last wave."""

    name = "cutover"

    def run(self, ctx: RunContext) -> dict[str, Any]:
        site = site_for(ctx.plan, ctx.run)
        control = ctx.run.node_control or alcor_node_control(ctx.plan)
        records = NodeRecords(ctx.state)
        finished = records.finished()
        left = [node for node in site.nodes if node.name not in finished]
        if not left:
            return {"nodes": len(site.nodes), "done": "earlier"}
        ctx.ask(self.name, f"Hand {len(left)} nodes over from the Neutron agents to ACA "
                           f"in {len(site.waves)} waves?")

        postponement = postponement_for(ctx.plan.cutover.gate, ctx.plan.state_dir)
        rolled_back: list[str] = []

        def operator_rollbacks() -> None:
            for request in ctx.take_requests(self.name):
                if request.action == "rollback":
                    rolled_back.extend(self._roll_back(ctx, site, control, records, request.args.get("node")))

        def before_wave(wave) -> None:
            ctx.checkpoint()
            if postponement.active:  # the operator postponed (the wizard's key, or the file by hand)
                ctx.emit(Waiting(phase=self.name, reason=f"postponed before wave {wave.number}: "
                                                         f"remove {postponement.path} to go on"))
                while postponement.active:
                    ctx.checkpoint()
                    operator_rollbacks()
                    time.sleep(POSTPONE_POLL)
                ctx.emit(Waiting(phase=self.name, reason=""))
            if wave.number > 1 and site.waves[0].name == "canary":
                ctx.ask(self.name, f"{_wave_done(site.waves[wave.number - 2], records)} Go on with wave "
                                   f"{wave.number} of {len(site.waves)} ({wave.name}, {_nodes(len(wave.nodes))})?")
            operator_rollbacks()  # asked for while the wave before ran, or while the operator was asked
            split = site.splits[wave.number - 1]
            if split.networks:
                ctx.emit(Message(level="info", phase=self.name,
                                 text=f"wave {wave.number} splits {len(split.networks)} networks "
                                      f"({len(split.vms)} VMs) until their last node moves"))

        runner = WaveRunner(site.nodes, site.executor, control, site.plan.cutover, ctx.emit,
                            record=records.record, finished=finished, before_wave=before_wave)
        result = runner.run(site.waves)
        operator_rollbacks()
        if result.failed:
            failed = "; ".join(f"{o.node} at {o.failed_step}: {o.error} ({o.status.replace('_', ' ')})"
                               for o in result.failed)
            where = f" after wave {result.stopped_after}" if result.stopped_after else ""
            raise MigrateError(f"cutover stopped{where}: {failed}. Run again to retry, or "
                               "`alcor-migrate rollback` to undo")
        summary = {"nodes": len(site.nodes), "moved": result.count("done"), "seconds": round(result.seconds, 1)}
        if rolled_back:
            summary["rolled back by the operator"] = len(rolled_back)
        return summary

    def _roll_back(self, ctx: RunContext, site, control, records: NodeRecords, name: str | None) -> list[str]:
        """Roll one node back at the operator's request; returns [name] when it went back."""
        if name not in records.to_undo():  # between waves no node is moving
            ctx.emit(Message(level="warning", phase=self.name,
                             text=f"rollback of {name}: it is not on ACA; nothing done"))
            return []
        outcome = site.undo(name, control, ctx.emit)
        records.record(outcome)
        if outcome.status != "rolled_back":
            ctx.emit(Message(level="error", phase=self.name, text=f"rollback of {name} failed: {outcome.error}"))
            return []
        ctx.emit(Message(level="warning", phase=self.name,
                         text=f"{name} is back on the Neutron agents; run the cutover again to move it"))
        return [name]


def _wave_done(wave, records: NodeRecords) -> str:
    """What a wave did, from the nodes' records (this run's or an earlier one's)."""
    statuses = [(records.get(name) or {}).get("status") for name in wave.nodes]
    rolled_back = sum(status in ("rolled_back", "rollback_failed") for status in statuses)
    back = f", {rolled_back} rolled back" if rolled_back else ""
    return (f"Wave {wave.number} ({wave.name}) is done: {statuses.count('done')} of "
            f"{_nodes(len(wave.nodes))} on ACA{back}.")


def _nodes(count: int) -> str:
    return f"{count} node" if count == 1 else f"{count} nodes"


def cutover_phases() -> list:
    return [SwitchPhase(), DrainPhase(), CutoverPhase()]


def _neutron_ports(ctx: RunContext, phase: str) -> PortActivity:
    """Neutron's ports, read live at its recorded endpoint (the catalog points at Alcor now); a plan
    with only a snapshot cannot watch Neutron (warned)."""
    from wizard.neutron.endpoint import is_live, pinned
    from wizard.neutron.reader import NeutronReader

    source = ctx.plan.neutron
    if not is_live(source):
        ctx.emit(Message(level="warning", phase=phase,
                         text="neutron: no url or cloud, so the drain cannot watch Neutron; it waits drain.min"))
        return PortActivity(lambda: [])
    reader = NeutronReader(pinned(source, ctx.state))
    return PortActivity(lambda: reader.resources("ports"))


def alcor_node_control(plan) -> AlcorNodeControl:
    return AlcorNodeControl(AlcorClient.from_plan(plan))
