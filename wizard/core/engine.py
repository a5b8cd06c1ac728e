"""The migration as a state machine of phases; UI-agnostic, it only publishes events.

The TUI and the headless runner build an `Engine`, subscribe to its bus and
call `run`. Each phase is an object with a `name` and a `run(ctx)` method that
is idempotent: the engine calls it again after a restart, and the phase uses
the state store to skip what it already did (the checkpoint is what was
applied, never what was read).
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from wizard.core.errors import ExitCode, MigrateError
from wizard.core.events import (
    ApprovalNeeded,
    Event,
    EventBus,
    PhaseFailed,
    PhaseFinished,
    PhaseSkipped,
    PhaseStarted,
)
from wizard.core.events import (
    Message as LogMessage,
)
from wizard.core.run_state import RunState
from wizard.core.state import StateStore

if TYPE_CHECKING:
    from wizard.plan import Plan

# The phases of a migration, in the order they happen (see README.md, "The phases").
PHASE_ORDER = (
    "preflight",
    "capture",
    "snapshot",
    "translate",
    "preview",
    "convert",
    "replay",
    "repair",
    "verify",
    "switch",
    "drain",
    "cutover",
    "final_replay",
    "report",
)


EARLIER = "earlier"  # a summary value by which a phase says its work was done by an earlier run
INTERRUPTED = "interrupted (Ctrl-C or SIGTERM)"  # the error of a phase the run was stopped in


def idle_pass(summary: dict[str, Any]) -> bool:
    """Whether a phase's pass found its work done by an earlier run and did none: its summary says
    so (a value "earlier": preview's approval, switch, drain, cutover), or it skipped every request
    it had (convert)."""
    if any(value == EARLIER for value in summary.values()):
        return True
    requests = summary.get("requests")
    return bool(requests) and summary.get("skipped") == requests


class Cancelled(MigrateError):
    """The operator cancelled; the state is resumable."""


class NotApproved(MigrateError):
    """The operator declined an irreversible step."""


Approver = Callable[[str, str], bool]


@dataclass(frozen=True)
class OperatorRequest:
    """Something the operator asked a running phase to do (cutover: "rollback", "postpone")."""

    phase: str
    action: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass
class RunContext:
    """What a phase gets: the plan, the state store, the bus, the operator, and the run's state."""

    plan: Plan
    state: StateStore
    bus: EventBus
    approve: Approver
    run: RunState = field(default_factory=RunState)
    until: str | None = None  # the last phase of the run in progress (None: every phase)
    _resume: threading.Event = field(default_factory=threading.Event)
    _cancel: threading.Event = field(default_factory=threading.Event)
    _requests: list[OperatorRequest] = field(default_factory=list)
    _requests_lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._resume.set()

    def emit(self, event: Event) -> None:
        self.bus.publish(event)

    def checkpoint(self) -> None:
        """Called by phases between items: waits while paused, raises when cancelled."""
        while not self._resume.wait(0.1):
            if self._cancel.is_set():
                break
        if self._cancel.is_set():
            raise Cancelled("cancelled by the operator")

    def reaches(self, phase: str) -> bool:
        """Whether the run in progress goes as far as `phase` (checks that only it needs ask this)."""
        return self.until is None or PHASE_ORDER.index(self.until) >= PHASE_ORDER.index(phase)

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def take_requests(self, phase: str) -> list[OperatorRequest]:
        """The operator's pending requests for `phase`, oldest first; each is returned once."""
        with self._requests_lock:
            taken = [r for r in self._requests if r.phase == phase]
            self._requests = [r for r in self._requests if r.phase != phase]
        return taken

    def ask(self, phase: str, question: str) -> None:
        """Ask the operator to approve; raises NotApproved if they decline."""
        self.emit(ApprovalNeeded(phase=phase, question=question))
        if not self.approve(phase, question):
            raise NotApproved(f"{phase}: not approved: {question}")


class Phase(Protocol):
    """A phase may also have `close(ctx)`: the engine calls it when a run ends, however it ends,
    to release what `run` left running for later phases (the capture proxy)."""

    name: str

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Do the phase's work (idempotently) and return a short summary."""


@dataclass
class RunResult:
    completed: list[str]
    failed: str | None = None
    error: str | None = None
    exception: Exception | None = field(default=None, repr=False)  # what stopped the run

    @property
    def exit_code(self) -> int:
        """The command line's exit code: 0, or the MigrateError's (1 for anything else)."""
        if self.ok:
            return ExitCode.OK
        return self.exception.exit_code if isinstance(self.exception, MigrateError) else ExitCode.FAILURE

    @property
    def ok(self) -> bool:
        return self.failed is None


class Engine:
    """Runs phases in order, records their status, and publishes what happens."""

    def __init__(
        self,
        plan: Plan,
        phases: Sequence[Phase],
        state: StateStore,
        bus: EventBus | None = None,
        approve: Approver = lambda phase, question: False,
        clock: Callable[[], float] = time.monotonic,
    ):
        unknown = [phase.name for phase in phases if phase.name not in PHASE_ORDER]
        if unknown:
            raise ValueError(f"unknown phases: {unknown}")
        self.phases = sorted(phases, key=lambda phase: PHASE_ORDER.index(phase.name))
        self.bus = bus or EventBus()
        self.clock = clock  # measures each phase's seconds
        self.ctx = RunContext(plan=plan, state=state, bus=self.bus, approve=approve)

    @property
    def state(self) -> StateStore:
        return self.ctx.state

    def pause(self) -> None:
        self.ctx._resume.clear()

    def resume(self) -> None:
        self.ctx._resume.set()

    def cancel(self) -> None:
        self.ctx._cancel.set()
        self.ctx._resume.set()

    def request(self, phase: str, action: str, **args: Any) -> None:
        """Queue an operator request for a phase, which takes it with `ctx.take_requests`."""
        with self.ctx._requests_lock:
            self.ctx._requests.append(OperatorRequest(phase=phase, action=action, args=args))
        detail = "".join(f" {key}={value}" for key, value in args.items())
        self.bus.publish(LogMessage(level="info", text=f"{action}{detail} requested", phase=phase))

    @property
    def paused(self) -> bool:
        return not self.ctx._resume.is_set()

    def run(self, until: str | None = None) -> RunResult:
        """Run every phase up to and including `until`; stop at the first failure.

        A cancel stops the run in progress; the engine can run again afterwards.
        """
        if until is not None and until not in PHASE_ORDER:
            raise ValueError(f"unknown phase {until!r}; phases: {', '.join(PHASE_ORDER)}")
        self.ctx._cancel.clear()
        self.ctx.until = until
        try:
            return self._run(until)
        finally:
            self._close()

    def _run(self, until: str | None) -> RunResult:
        completed: list[str] = []
        for phase in self.phases:
            if until is not None and PHASE_ORDER.index(phase.name) > PHASE_ORDER.index(until):
                self.bus.publish(PhaseSkipped(phase=phase.name, reason=f"after --until {until}"))
                continue
            started, started_at = self.clock(), time.time()
            self.state.set_phase(phase.name, "running", started_at=started_at)
            self.bus.publish(PhaseStarted(phase=phase.name))
            try:
                summary = phase.run(self.ctx) or {}
            except Exception as exc:  # every failure is reported as an event, then returned
                error = str(exc) if isinstance(exc, MigrateError) else _describe(exc)
                self.state.set_phase(phase.name, "failed", error=error)
                self.bus.publish(PhaseFailed(phase=phase.name, error=error))
                return RunResult(completed=completed, failed=phase.name, error=error, exception=exc)
            except KeyboardInterrupt:  # Ctrl-C or SIGTERM: reported before the phases are closed, then raised on
                self.state.set_phase(phase.name, "failed", error=INTERRUPTED)
                self.bus.publish(PhaseFailed(phase=phase.name, error=INTERRUPTED))
                raise
            seconds = self.clock() - started
            done: dict[str, Any] = {"seconds": seconds, "summary": summary}
            if not idle_pass(summary):  # kept through later idle passes: what the phase did, and when
                done["work"] = {"started_at": started_at, "finished_at": time.time(), "seconds": seconds,
                                "summary": summary}
            self.state.set_phase(phase.name, "done", **done)
            self.bus.publish(PhaseFinished(phase=phase.name, seconds=seconds, summary=summary))
            completed.append(phase.name)
        return RunResult(completed=completed)

    def _close(self) -> None:
        """Every phase's `close(ctx)`, last phase first; a failing close is reported, not raised."""
        for phase in reversed(self.phases):
            close = getattr(phase, "close", None)
            if close is None:
                continue
            try:
                close(self.ctx)
            except Exception as exc:
                self.bus.publish(LogMessage(level="error", phase=phase.name,
                                            text=f"could not release: {_describe(exc)}"))


def _describe(exc: BaseException) -> str:
    frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    where = f" ({frame.filename}:{frame.lineno})" if frame else ""
    return f"{type(exc).__name__}: {exc}{where}"
