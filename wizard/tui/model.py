"""What the wizard knows of a run: the engine's events folded into one plain object.

The screens draw from a RunModel; only the app feeds it (with `apply`). It holds no
Textual objects, so it is tested on its own.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import singledispatchmethod
from typing import Any

from wizard.core.engine import idle_pass
from wizard.core.events import (
    CheckChanged,
    DrainTick,
    Event,
    FindingRaised,
    LagChanged,
    Message,
    NodeStep,
    PhaseFailed,
    PhaseFinished,
    PhaseStarted,
    Progress,
    ProxyStats,
    RequestFailed,
    TokenTick,
    WaveFinished,
    WaveStarted,
    WriteCaptured,
)
from wizard.tui.steps import Step

LAST_WRITES = 8
LAG_HISTORY = 60
LOG_LINES = 200


@dataclass
class PhaseStatus:
    status: str = "pending"  # pending | running | done | failed
    seconds: float | None = None
    summary: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    started_at: float | None = None


@dataclass
class ProxyRates:
    """Requests and writes per second between the last two ProxyStats samples."""

    requests: float = 0.0
    writes: float = 0.0


class RunModel:
    """Phase statuses, progress, checks, findings, capture and cutover facts of one run."""

    def __init__(self, phases: list[dict[str, Any]] | None = None, clock: Callable[[], float] = time.time):
        self.clock = clock  # when the wizard saw a phase start
        self.phases: dict[str, PhaseStatus] = {}
        self.work: dict[str, PhaseStatus] = {}  # per phase, the last pass that did its work (not idle)
        for record in phases or ():
            status, error = record.get("status", "pending"), record.get("error", "")
            if status == "running":  # recorded by a process that stopped mid-phase
                status, error = "failed", "interrupted: the process stopped during this phase"
            self.phases[record["phase"]] = PhaseStatus(
                status=status,
                seconds=record.get("seconds"),
                summary=record.get("summary") or {},
                error=error,
                started_at=record.get("started_at"),
            )
            work = record.get("work")
            if work:
                self.work[record["phase"]] = PhaseStatus("done", work["seconds"], work["summary"],
                                                         started_at=work["started_at"])
        self.running: str | None = None
        self.paused = False
        self.progress: dict[tuple[str, str], Progress] = {}
        self.checks: dict[str, CheckChanged] = {}
        self.findings: dict[str, list[FindingRaised]] = {}
        self.proxy: ProxyStats | None = None
        self.rates = ProxyRates()
        self.writes: deque[WriteCaptured] = deque(maxlen=LAST_WRITES)
        self.lag: LagChanged | None = None
        self.lag_history: deque[int] = deque(maxlen=LAG_HISTORY)
        self.failures: dict[str, RequestFailed] = {}
        self.drain: DrainTick | None = None
        self.tokens: TokenTick | None = None  # the switch's wait for tokens issued before the capture
        self.waves: dict[int, WaveStarted] = {}
        self.waves_done: dict[int, WaveFinished] = {}
        self.node_wave: dict[str, int] = {}  # the wave each node moved in
        self.node_steps: dict[str, dict[str, NodeStep]] = {}  # node -> step (↺step: rollback)
        self.log: deque[Message] = deque(maxlen=LOG_LINES)

    # -- queries -------------------------------------------------------------------
    def phase(self, name: str) -> PhaseStatus:
        return self.phases.get(name) or PhaseStatus()

    def step_status(self, step: Step) -> str:
        """done when all its phases are; running, failed or started when one is; else pending."""
        statuses = [self.phase(name).status for name in step.phases]
        if not statuses:
            return "done"
        for state in ("running", "failed"):
            if state in statuses:
                return state
        if all(status == "done" for status in statuses):
            return "done"
        return "started" if any(status == "done" for status in statuses) else "pending"

    def done_earlier(self, name: str) -> PhaseStatus | None:
        """The pass that did `name`'s work, when its last pass found that work done (an idle pass)."""
        latest = self.phase(name)
        if latest.status != "done" or not idle_pass(latest.summary):
            return None
        return self.work.get(name)

    def progress_of(self, phase: str) -> list[Progress]:
        return [event for (name, _), event in self.progress.items() if name == phase]

    def findings_of(self, phase: str) -> list[FindingRaised]:
        return self.findings.get(phase, [])

    def all_findings(self) -> list[FindingRaised]:
        return [finding for found in self.findings.values() for finding in found]

    def blockers(self, phase: str) -> list[FindingRaised]:
        return [f for f in self.findings_of(phase) if f.severity == "blocker"]

    def first_unfinished(self, order: tuple[str, ...]) -> str | None:
        return next((name for name in order if self.phase(name).status != "done"), None)

    # -- folding events ------------------------------------------------------------
    def restore(self, phase: str, events: Iterable[Event]) -> None:
        """Fold what `phase` told an earlier session (recorded in the state store) into the model."""
        running, self.running = self.running, phase
        for event in events:
            self.apply(event)
        self.running = running

    @singledispatchmethod
    def apply(self, event: Event) -> None:
        """Events the wizard does not draw change nothing: ApprovalNeeded (the modal shows the
        question) and PhaseSkipped (a phase after `until` is still pending)."""

    @apply.register
    def _(self, event: PhaseStarted) -> None:
        self.phases[event.phase] = PhaseStatus(status="running", started_at=self.clock())
        self.running = event.phase
        self.findings[event.phase] = []
        if event.phase == "preflight":
            self.checks.clear()
        for key in [key for key in self.progress if key[0] == event.phase]:
            del self.progress[key]

    @apply.register
    def _(self, event: PhaseFinished) -> None:
        started_at = self.phase(event.phase).started_at
        done = PhaseStatus("done", event.seconds, dict(event.summary), started_at=started_at)
        self.phases[event.phase] = done
        if not idle_pass(done.summary):
            self.work[event.phase] = done
        self.running = None

    @apply.register
    def _(self, event: PhaseFailed) -> None:
        self.phases[event.phase] = PhaseStatus(status="failed", error=event.error)
        self.running = None

    @apply.register
    def _(self, event: Progress) -> None:
        self.progress[(event.phase, event.kind)] = event

    @apply.register
    def _(self, event: CheckChanged) -> None:
        self.checks[event.check] = event

    @apply.register
    def _(self, event: FindingRaised) -> None:
        self.findings.setdefault(self.running or "", []).append(event)

    @apply.register
    def _(self, event: ProxyStats) -> None:
        previous, self.proxy = self.proxy, event
        if previous is not None and event.at > previous.at:
            span = event.at - previous.at
            self.rates = ProxyRates(
                requests=(event.requests - previous.requests) / span,
                writes=(event.writes - previous.writes) / span,
            )

    @apply.register
    def _(self, event: WriteCaptured) -> None:
        self.writes.appendleft(event)

    @apply.register
    def _(self, event: LagChanged) -> None:
        self.lag = event
        self.lag_history.append(event.waiting)

    @apply.register
    def _(self, event: RequestFailed) -> None:
        self.failures[event.key] = event

    @apply.register
    def _(self, event: DrainTick) -> None:
        self.drain = event

    @apply.register
    def _(self, event: TokenTick) -> None:
        self.tokens = event

    @apply.register
    def _(self, event: WaveStarted) -> None:
        self.waves[event.wave] = event

    @apply.register
    def _(self, event: WaveFinished) -> None:
        self.waves_done[event.wave] = event

    @apply.register
    def _(self, event: NodeStep) -> None:
        current = max(self.waves, default=0)
        self.node_wave.setdefault(event.node, current)
        key = f"↺{event.step}" if event.rollback else event.step
        self.node_steps.setdefault(event.node, {})[key] = event

    @apply.register
    def _(self, event: Message) -> None:
        self.log.append(event)
