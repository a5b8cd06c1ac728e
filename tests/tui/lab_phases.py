"""Small real phases that emit the events the project's phases will: the wizard's contract.

Each is idempotent over the state store like the real ones (convert skips what is applied,
approvals are asked once), deterministic (fixed rates, durations and sample times), and
`World` lets a test hold a phase at an item, make a request fail, or raise blockers.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import deque
from dataclasses import dataclass, field

from wizard.alcor.convert import Failure, failed_event
from wizard.alcor.verify import Difference, Drift, KindDrift
from wizard.capture.stats import ProxyCounters
from wizard.engine import RunContext
from wizard.errors import Blocked
from wizard.events import (
    CheckChanged,
    DrainTick,
    FindingRaised,
    LagChanged,
    Message,
    NodeStep,
    Progress,
    WaveFinished,
    WaveStarted,
    WriteCaptured,
)
from wizard.report import ReportPhase
from wizard.translate.model import AlcorRequest, Finding, NeutronRef, Severity, Translation
from wizard.translate_phase import summary as translate_summary

T0 = 1_750_000_000.0  # sample times of the proxy's stats, so rates are exact
RATE = 20.0
NODE_STEPS = ("stop_agents", "start_aca", "bind_ports", "check")


@dataclass
class World:
    """What a test controls: blockers, failing requests, and a hold inside convert."""

    blockers: int = 0
    failing: set[str] = field(default_factory=lambda: {"port:p3"})
    hold_convert_at: int | None = None
    applied: list[str] = field(default_factory=list)  # keys applied, in order, across runs
    held: threading.Event = field(default_factory=threading.Event)  # convert reached the hold
    release: threading.Event = field(default_factory=threading.Event)  # the test lets it go on


def approved_once(ctx: RunContext, phase: str, question: str) -> None:
    """Ask once per state directory, like the real phases: a resumed run does not ask again."""
    key = f"approved:{phase}:{question}"
    if not ctx.state.get_meta(key):
        ctx.ask(phase, question)
        ctx.state.set_meta(key, True)


class Preflight:
    name = "preflight"
    CHECKS = (
        ("neutron reachable", 0.3, "admin, all projects"),
        ("alcor services", 1.2, "7 of 7 answer"),
        ("alcor is empty", 0.4, "no resources"),
        ("compute hosts", 0.2, "3 hosts, tunnel IPs known"),
    )

    def __init__(self, world: World):
        self.world = world

    def run(self, ctx: RunContext) -> dict:
        for check, seconds, detail in self.CHECKS:
            ctx.emit(CheckChanged(phase=self.name, check=check, status="running"))
            ctx.checkpoint()
            ctx.emit(CheckChanged(phase=self.name, check=check, status="ok", seconds=seconds, detail=detail))
        ctx.emit(FindingRaised(severity="warning", code="qos-policy", kind="networks", id="net-2",
                               message="QoS policies are not carried to Alcor",
                               remedy="recreate the bandwidth limits on the hosts"))
        ctx.emit(FindingRaised(severity="info", code="dns-domain", kind="networks", id="net-1",
                               message="dns_domain is dropped", remedy="none needed"))
        for number in range(self.world.blockers):
            ctx.emit(FindingRaised(severity="blocker", code="flat-network", kind="networks", id=f"flat-{number}",
                                   message="flat networks have no VNI in Alcor",
                                   remedy="move its ports to a VXLAN network, or set translate.flat_networks: skip"))
        if self.world.blockers:
            raise Blocked(f"{self.world.blockers} blocker(s)")
        return {"checks": len(self.CHECKS), "warnings": 1}


def proxy_stats(url: str, at: float, requests: int, writes: int, errors: int, latencies_ms: list[float]):
    """ProxyStats as the real proxy makes them (CaptureProxy.stats: its counters and its URL)."""
    counters = ProxyCounters(requests=requests, writes=writes, errors=errors, bytes=512 * requests,
                             latencies=deque(ms / 1000 for ms in latencies_ms))
    return dataclasses.replace(counters.snapshot(url), in_flight=0, at=at)


class Capture:
    name = "capture"

    def run(self, ctx: RunContext) -> dict:
        url = f"http://{ctx.plan.capture.listen}"  # as CaptureProxy.url
        ctx.emit(proxy_stats(url, T0, 100, 4, 0, [3.0] * 98 + [21.0] * 2))
        for seq, (method, path) in enumerate(
            (("POST", "/v2.0/networks"), ("PUT", "/v2.0/ports/p1"), ("DELETE", "/v2.0/floatingips/f1")), 1
        ):
            ctx.emit(WriteCaptured(seq=seq, method=method, path=path, status=201 if method == "POST" else 200,
                                   state="committed"))
        ctx.emit(proxy_stats(url, T0 + 2, 160, 7, 1, [4.0] * 98 + [25.0] * 2))
        ctx.emit(LagChanged(waiting=3, oldest_age=1.5))
        return {"listen": url, "upstream": ctx.plan.neutron.url, "log_entries": 3}


class Snapshot:
    name = "snapshot"
    COUNTS = {"networks": 4, "subnets": 4, "ports": 6, "security_groups": 2}

    def run(self, ctx: RunContext) -> dict:
        for kind, total in self.COUNTS.items():
            ctx.checkpoint()
            ctx.emit(Progress(phase=self.name, kind=kind, done=total, total=total, rate=RATE, eta=0.0))
        return {"source": f"{ctx.plan.neutron.url}/v2.0", "resources": sum(self.COUNTS.values()),
                "counts": dict(self.COUNTS)}


def lab_translation() -> Translation:
    requests = []
    for kind, prefix, count in (("vpc", "n", 4), ("subnet", "s", 4), ("port", "p", 6)):
        for number in range(1, count + 1):
            key = f"{kind}:{prefix}{number}"
            body = {kind: {"id": f"{prefix}{number}", "project_id": "demo", "name": f"{kind}-{number}"}}
            ref = NeutronRef({"vpc": "networks", "subnet": "subnets", "port": "ports"}[kind], f"{prefix}{number}")
            requests.append(AlcorRequest(key=key, kind=kind, service=kind, method="POST",
                                         path=f"/project/demo/{kind}s", body=body, neutron=(ref,)))
    findings = [Finding(Severity.WARNING, "port-security-off", NeutronRef("ports", "p2"),
                        "port security is off on this port",
                        "Alcor applies the project's default group; check its rules")]
    return Translation(requests=requests, findings=findings, id_map={("security_groups", "sg-default"): "alcor-sg-1"})


class Translate:
    name = "translate"

    def run(self, ctx: RunContext) -> dict:
        translation = lab_translation()
        ctx.artifacts["translation"] = translation
        for finding in translation.findings:
            ctx.emit(FindingRaised(**finding.to_json()))
        return {**translate_summary(translation), "learned ids": 0}


class Preview:
    name = "preview"

    def run(self, ctx: RunContext) -> dict:
        count = len(ctx.artifacts["translation"].requests)
        approved_once(ctx, self.name, f"Apply {count} requests to Alcor?")
        return {"requests": count}


class Convert:
    name = "convert"

    def __init__(self, world: World):
        self.world = world

    def run(self, ctx: RunContext) -> dict:
        requests = ctx.artifacts["translation"].requests
        totals: dict[str, int] = {}
        for request in requests:
            totals[request.kind] = totals.get(request.kind, 0) + 1
        done = {kind: 0 for kind in totals}
        failed = {kind: 0 for kind in totals}
        for index, request in enumerate(requests):
            ctx.checkpoint()
            if index == self.world.hold_convert_at and not self.world.release.is_set():
                self.world.held.set()
                while not self.world.release.wait(0.02):
                    ctx.checkpoint()
            if not ctx.state.is_applied(request.key):
                if request.key in self.world.failing:  # recorded and told as the real convert does
                    error = 'MacAddressConflict {"message": "port p3: mac address already in use"}'
                    failure = Failure(request.key, f"{request.method} {request.path}", error, 409)
                    ctx.state.mark_failed(request.key, kind=request.kind, request=failure.request, status=409,
                                          error=error)
                    ctx.emit(failed_event(failure, request.kind))
                    failed[request.kind] += 1
                else:
                    ctx.state.mark_applied(request.key)
                    self.world.applied.append(request.key)
            done[request.kind] += 1
            left = totals[request.kind] - done[request.kind]
            ctx.emit(Progress(phase=self.name, kind=request.kind, done=done[request.kind],
                              total=totals[request.kind], failed=failed[request.kind], rate=RATE,
                              eta=left / RATE, current=request.key))
        return {"applied": ctx.state.applied_count(), "failed": len(ctx.state.failures())}


class Replay:
    name = "replay"

    def run(self, ctx: RunContext) -> dict:
        for waiting in (2, 1, 0):
            ctx.checkpoint()
            ctx.emit(Progress(phase=self.name, kind="writes", done=3 - waiting, total=3, rate=RATE))
            ctx.emit(LagChanged(waiting=waiting, oldest_age=0.5 * waiting))
        return {"replayed": 3}


class Repair:
    """What the repair phase publishes when nothing bypassed the capture (as in the recorded lab run)."""

    name = "repair"

    def run(self, ctx: RunContext) -> dict:
        ctx.emit(Message(level="info", text="nothing to repair in 0 request(s)", phase=self.name))
        return {"drift_before": 0, "requests": 0, "sent": 0, "failed": 0, "repaired": {}, "kept": 0, "findings": 0,
                "changes": []}


class Verify:
    name = "verify"

    def run(self, ctx: RunContext) -> dict:
        ctx.artifacts["drift"] = Drift([KindDrift("port", expected=3, actual=3, differences=[
            Difference("port", "p3", "mac_address", "fa:16:3e:00:00:03", None)])])
        return {"differences": 1}


class Switch:
    name = "switch"

    def run(self, ctx: RunContext) -> dict:
        approved_once(ctx, self.name, "Switch the cloud's network endpoint to Alcor?")
        ctx.emit(Message(level="info", text="endpoint switched", phase=self.name))
        return {"method": ctx.plan.cutover.endpoint.method}


class Drain:
    name = "drain"

    def run(self, ctx: RunContext) -> dict:
        drain = ctx.plan.cutover.drain
        for elapsed, waiting in ((0.0, ("2 ports in BUILD", "agent on node-2")), (5.0, ("1 port in BUILD",)),
                                 (30.0, ())):
            ctx.checkpoint()
            ctx.emit(DrainTick(elapsed=elapsed, min_left=max(drain.min - elapsed, 0),
                               max_left=drain.max - elapsed, waiting_for=waiting))
        return {"waited": 30.0}


class Cutover:
    name = "cutover"
    WAVES = (("canary", ["node-1"]), ("batch 2", ["node-2", "node-3"]))

    def run(self, ctx: RunContext) -> dict:
        moved = rolled_back = 0
        for number, (label, nodes) in enumerate(self.WAVES, start=1):
            approved_once(ctx, self.name, f"Move wave {label} ({', '.join(nodes)}) to ACA?")
            ctx.emit(WaveStarted(wave=number, label=label, nodes=len(nodes), waves=len(self.WAVES)))
            for node in nodes:
                for step_number, step in enumerate(NODE_STEPS, start=1):
                    ctx.checkpoint()
                    ctx.emit(NodeStep(node=node, step=step, status="started"))
                    ctx.emit(NodeStep(node=node, step=step, status="ok", seconds=0.5 * step_number))
                moved += 1
            back = 0
            for request in ctx.take_requests(self.name):
                if request.action == "rollback":
                    back += 1
                    ctx.emit(NodeStep(node=request.args["node"], step="start_agents", status="ok",
                                      seconds=1.0, rollback=True))
            rolled_back += back
            ctx.emit(WaveFinished(wave=number, label=label, done=len(nodes), rolled_back=back, seconds=1.0))
        return {"nodes": moved, "rolled_back": rolled_back}


class FinalReplay:
    name = "final_replay"

    def run(self, ctx: RunContext) -> dict:
        ctx.emit(LagChanged(waiting=0, oldest_age=0.0))
        return {"replayed": 0}


def lab_phases(world: World) -> list:
    return [Preflight(world), Capture(), Snapshot(), Translate(), Preview(), Convert(world), Replay(),
            Repair(), Verify(), Switch(), Drain(), Cutover(), FinalReplay(), ReportPhase()]
