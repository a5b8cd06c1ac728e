"""Convert: apply a translation's requests to Alcor in order, checkpointed per request.

Requests run in stages, each a run of consecutive requests of one kind and method
(translation orders them so that a stage needs only earlier ones). Within a stage up to
`concurrency` requests are in flight; a request waits until its `depends_on` are applied.

The state store records, in this order, that a request is being sent, every id its
create made that translation could not know (learned from Alcor, on disk before the next
record), and that it was applied or failed. So a run killed at any moment resumes
cleanly: applied requests are skipped; a request sent but not recorded applied is first
looked up in Alcor and only what is missing is sent again (no duplicates).

Replay applies the requests of each logged write through the same Converter with
`look_first`: any of them may be applied already (the snapshot can hold the write), so
each is looked up in Alcor first, as after a crash.

A request Alcor refuses is recorded with its answer; the requests depending on it are
held back ("held back: depends on KEY"); independent ones go on. The next run retries both.
"""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from itertools import groupby
from typing import Any

from wizard.alcor.client import AlcorClient, AlcorUnavailable, Outcome
from wizard.alcor.paths import KINDS
from wizard.errors import MigrateError
from wizard.events import Progress, RequestFailed
from wizard.state import StateStore
from wizard.translate.model import AlcorRequest, resolve_ids

PHASE = "convert"
PROGRESS_EVERY = 0.25  # seconds between two Progress events of one kind
ANSWER_CHARS = 2000  # how much of a failure's answer the state store keeps
ETA_FROM = 0.01  # no ETA before 1 % is done


class ConvertIncomplete(MigrateError):
    """Some requests failed or were held back; running again retries them."""


@dataclass(frozen=True)
class Failure:
    """A request not applied: refused by Alcor, or held back behind one that was."""

    key: str
    request: str  # "METHOD path"
    error: str
    status: int | None = None
    answer: Any = None

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "request": self.request, "status": self.status, "error": self.error,
                "answer": self.answer}


@dataclass
class ConvertSummary:
    """What one convert run did. `resent`: requests sent again because an earlier run had sent
    them without recording the outcome; `found_applied`: such requests Alcor already held."""

    requests: int
    applied: int = 0
    skipped: int = 0  # applied by an earlier run
    resent: int = 0
    found_applied: int = 0
    failures: list[Failure] = field(default_factory=list)
    held_back: list[Failure] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def complete(self) -> bool:
        return not self.failures and not self.held_back

    def to_json(self, most: int = 20) -> dict[str, Any]:
        return {"requests": self.requests, "applied": self.applied, "skipped": self.skipped,
                "failed": len(self.failures), "held_back": len(self.held_back), "resent": self.resent,
                "found_applied": self.found_applied, "seconds": round(self.seconds, 3),
                "failures": [f.to_json() for f in (self.failures + self.held_back)[:most]]}

    def describe(self, most: int = 10, phase: str = PHASE) -> str:
        lines = [f"{phase}: {len(self.failures)} request(s) failed, {len(self.held_back)} held back; "
                 "run again to retry them"]
        for f in (self.failures + self.held_back)[:most]:
            status = f" -> {f.status}" if f.status is not None else ""
            lines.append(f"  {f.key}: {f.request}{status}: {f.error}")
        return "\n".join(lines)


def resources_in(request: AlcorRequest) -> int:
    """How many resources a request creates or changes (a bulk create: its items)."""
    kind = KINDS.get(request.kind)
    items = request.body.get(kind.bulk) if kind and kind.bulk and isinstance(request.body, dict) else None
    return len(items) if isinstance(items, list) else 1


def stages(requests: Sequence[AlcorRequest]) -> Iterator[list[AlcorRequest]]:
    """Runs of consecutive requests of one kind and method."""
    for _, stage in groupby(requests, key=lambda r: (r.kind, r.method)):
        yield list(stage)


class KindProgress:
    """Done/total/failed of one kind, published as Progress events at most every PROGRESS_EVERY."""

    def __init__(self, kind: str, total: int, emit: Callable[[Any], None], phase: str = PHASE):
        self.kind, self.total, self.emit, self.phase = kind, total, emit, phase
        self.done = self.failed = self._fresh = 0
        self.started = time.monotonic()
        self._last = 0.0

    def advance(self, count: int, current: str, failed: bool = False, fresh: bool = True,
                force: bool = False) -> None:
        """Count resources done (`fresh` when done by this run, which is what the rate counts)."""
        self.done += count
        self.failed += count if failed else 0
        self._fresh += count if fresh else 0
        now = time.monotonic()
        if force or self.done >= self.total or now - self._last >= PROGRESS_EVERY:
            self._last = now
            elapsed = now - self.started
            rate = self._fresh / elapsed if elapsed > 0 else 0.0
            left = self.total - self.done
            eta = left / rate if rate > 0 and self.done >= self.total * ETA_FROM else None
            self.emit(Progress(phase=self.phase, kind=self.kind, done=self.done, total=self.total, failed=self.failed,
                               rate=rate, eta=eta, current=current))


@dataclass(frozen=True)
class _Result:
    request: AlcorRequest
    outcome: Outcome
    error: str | None  # why it is not applied, or None
    checked: bool  # an earlier run had sent it: looked up in Alcor first


class Converter:
    """Applies requests through an AlcorClient, recording every step in a StateStore; its events
    name `phase` (convert's, or the phase that applies requests with it: repair)."""

    def __init__(self, client: AlcorClient, state: StateStore, *, concurrency: int = 8,
                 emit: Callable[[Any], None] = lambda event: None, checkpoint: Callable[[], None] = lambda: None,
                 look_first: bool = False, phase: str = PHASE):
        self.client, self.state, self.phase = client, state, phase
        self.look_first = look_first
        self.concurrency = max(1, concurrency)
        self.emit, self.checkpoint = emit, checkpoint

    def run(self, requests: Sequence[AlcorRequest]) -> ConvertSummary:
        started = time.monotonic()
        self._keys = {r.key for r in requests}
        self._broken: dict[str, str] = {}  # key -> why it is not applied in this run
        self._summary = ConvertSummary(requests=len(requests))
        totals: dict[str, int] = {}
        for request in requests:
            totals[request.kind] = totals.get(request.kind, 0) + resources_in(request)
        self._progress = {kind: KindProgress(kind, total, self.emit, self.phase) for kind, total in totals.items()}
        try:
            with ThreadPoolExecutor(self.concurrency, thread_name_prefix="convert") as pool:
                for stage in stages(requests):
                    self._run_stage(stage, pool)
        finally:
            self._summary.seconds = time.monotonic() - started
        return self._summary

    # -- one stage ----------------------------------------------------------------------------
    def _run_stage(self, stage: list[AlcorRequest], pool: ThreadPoolExecutor) -> None:
        waiting: deque[AlcorRequest] = deque()
        for request in stage:
            if self.state.is_applied(request.key):
                self._summary.skipped += 1
                self._progress[request.kind].advance(resources_in(request), request.key, fresh=False)
            else:
                waiting.append(request)
        parked: list[AlcorRequest] = []  # waiting for a request of this stage
        in_flight: dict[Future, AlcorRequest] = {}
        try:
            while waiting or parked or in_flight:
                parked = [r for r in parked if not self._start(r, pool, in_flight)]
                while waiting and len(in_flight) < self.concurrency:
                    request = waiting.popleft()
                    if not self._start(request, pool, in_flight):
                        parked.append(request)
                if not in_flight:  # what is left waits for requests that will not be applied in this run
                    for request in parked + list(waiting):
                        dep = next(d for d in request.depends_on if d in self._keys and not self.state.is_applied(d))
                        self._hold(request, f"held back: depends on {dep}, not applied")
                    return
                done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                for future in done:
                    in_flight.pop(future)
                    self._record(future.result())
        finally:  # cancelled or failed: what is in flight still gets recorded
            for future in list(in_flight):
                self._record(future.result())

    def _start(self, request: AlcorRequest, pool: ThreadPoolExecutor, in_flight: dict) -> bool:
        """Send the request, or hold it back; False when it must wait for this stage."""
        if len(in_flight) >= self.concurrency:
            return False
        for dep in request.depends_on:
            if dep in self._broken:
                self._hold(request, f"held back: depends on {dep}")
                return True
            if dep in self._keys and not self.state.is_applied(dep):
                return False
        try:
            resolved = self._resolved(request)
        except KeyError as exc:
            self._hold(request, f"held back: {exc.args[0]}")
            return True
        self.checkpoint()
        future = pool.submit(self._apply, request, resolved, self.look_first or self.state.was_sent(request.key))
        in_flight[future] = request
        return True

    def _resolved(self, request: AlcorRequest) -> AlcorRequest:
        """The request with its deferred ids replaced by those learned (KeyError if one is not)."""
        if not request.deferred:
            return request
        lookup = self.state.mapped_id
        return replace(request, path=resolve_ids(request.path, lookup), body=resolve_ids(request.body, lookup))

    # -- in a worker thread -------------------------------------------------------------------
    def _apply(self, request: AlcorRequest, resolved: AlcorRequest, checked: bool) -> _Result:
        """Send, learn, record. The ids learned are on disk before the request counts as applied."""
        self.state.mark_sent(request.key)
        try:
            outcome = self.client.send(resolved, check_first=checked)
        except AlcorUnavailable as exc:  # a look at Alcor (before a retry) failed
            outcome = Outcome(request.key, request.method, request.path, None, None, 0.0, 0, str(exc))
        error = None if outcome.ok else (outcome.error or f"HTTP {outcome.status}")
        if error is None and request.learns:
            error = self._learn(request, resolved)
        if error is None:
            self.state.mark_applied(request.key, status=outcome.status, attempts=outcome.attempts,
                                    duration=round(outcome.duration, 4),
                                    found_applied=list(outcome.already_applied))
        else:
            self.state.mark_failed(request.key, kind=request.kind, request=_line(resolved), status=outcome.status,
                                   error=error, answer=_clipped(outcome.body), attempts=outcome.attempts,
                                   duration=round(outcome.duration, 4))
        return _Result(request, outcome, error, checked)

    def _learn(self, request: AlcorRequest, resolved: AlcorRequest) -> str | None:
        """Record the ids the create made, read back from Alcor; why not, if it cannot."""
        try:
            answer = self.client.stored_answer(resolved)
        except AlcorUnavailable as exc:
            return f"applied, but its ids could not be read back: {exc}"
        for learn in request.learns:
            found = learn.find(answer)
            if found is None:
                return f"applied, but Alcor holds no id for {learn.kind} {learn.neutron_id}"
            self.state.map_id(learn.kind, learn.neutron_id, found)
        return None

    # -- bookkeeping, in the calling thread ------------------------------------------------------
    def _record(self, result: _Result) -> None:
        request, outcome, summary = result.request, result.outcome, self._summary
        if result.checked:
            if outcome.ok and outcome.attempts == 0:
                summary.found_applied += 1
            else:
                summary.resent += 1
        if result.error is None:
            summary.applied += 1
        else:
            self._broken[request.key] = result.error
            failure = Failure(request.key, _line(request), result.error, outcome.status, _clipped(outcome.body))
            summary.failures.append(failure)
            self.emit(failed_event(failure, request.kind, self.phase))
        self._progress[request.kind].advance(resources_in(request), request.key, failed=result.error is not None)

    def _hold(self, request: AlcorRequest, why: str) -> None:
        self._broken[request.key] = why
        self.state.mark_failed(request.key, kind=request.kind, request=_line(request), status=None, error=why,
                               held_back=True)
        self._summary.held_back.append(Failure(request.key, _line(request), why))
        self._progress[request.kind].advance(resources_in(request), request.key, failed=True)


def _line(request: AlcorRequest) -> str:
    return f"{request.method} {request.path}"


def failed_event(failure: Failure, kind: str, phase: str = PHASE) -> RequestFailed:
    """The event telling the operator that Alcor refused a request."""
    status = f" -> {failure.status}" if failure.status is not None else ""
    return RequestFailed(phase=phase, key=failure.key, kind=kind, status=failure.status,
                         answer=f"{failure.key}: {failure.request}{status}: {failure.error}")


def recorded_failures(state: StateStore) -> list[RequestFailed]:
    """The events of the refusals the state store recorded (held-back requests were never sent)."""
    return [failed_event(Failure(r["key"], r.get("request", ""), r.get("error", ""), r.get("status")),
                         r.get("kind") or r["key"].split(":", 1)[0])
            for r in state.failures() if not r.get("held_back")]


def _clipped(answer: Any) -> Any:
    """An answer small enough to keep; a long one as the start of its JSON text."""
    text = json.dumps(answer, default=str)
    return answer if len(text) <= ANSWER_CHARS else text[:ANSWER_CHARS] + "…"


class ConvertPhase:
    """The engine's convert phase: applies ctx.artifacts["translation"] to the plan's Alcor.

    Puts the ConvertSummary in ctx.artifacts["convert"]; raises ConvertIncomplete (after
    recording everything) when a request failed or was held back.
    """

    name = PHASE

    def run(self, ctx) -> dict[str, Any]:
        translation = ctx.need("translation")
        with AlcorClient.from_plan(ctx.plan) as client:
            converter = Converter(client, ctx.state, concurrency=ctx.plan.alcor.concurrency, emit=ctx.emit,
                                  checkpoint=ctx.checkpoint)
            summary = converter.run(translation.requests)
        ctx.artifacts["convert"] = summary
        if not summary.complete:
            raise ConvertIncomplete(summary.describe())
        return summary.to_json()
