"""The headless face of the engine: Rich progress for `run` on a terminal, JSON lines for scripts.

It only subscribes to engine events; the work is the engine's.
"""

from __future__ import annotations

import contextlib
import json
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from rich.console import Console
from rich.live import Live
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeRemainingColumn
from rich.prompt import Confirm
from rich.table import Table

from wizard.core import events as ev
from wizard.phases.report import REPORT_MD

_CHECK_MARK = {"ok": ("✔", "green"), "warning": ("!", "yellow"), "failed": ("✘", "bold red")}
_SEVERITY_STYLE = {"blocker": "bold red", "warning": "yellow", "info": "dim"}


class JsonLines:
    """Writes one JSON object per event, for scripts and CI."""

    def __init__(self, out: IO[str] = sys.stdout):
        self._out = out
        self._lock = threading.Lock()

    def __call__(self, event: ev.Event) -> None:
        line = json.dumps(event.to_dict(), default=str, sort_keys=True)
        with self._lock:
            self._out.write(line + "\n")
            self._out.flush()


class RunTally:
    """What a run did, from its events, for the `run_finished` event scripts wait for."""

    def __init__(self) -> None:
        self.phases: list[str] = []
        self.failed = ""

    def __call__(self, event: ev.Event) -> None:
        if isinstance(event, ev.PhaseFinished):
            self.phases.append(event.phase)
        elif isinstance(event, ev.PhaseFailed):
            self.failed = event.phase

    def finished(self, exit_code: int, state_dir: str | None) -> ev.RunFinished:
        """The last event: the report is named if this run's report phase wrote it."""
        report = str(Path(state_dir) / REPORT_MD) if state_dir and "report" in self.phases else None
        return ev.RunFinished(exit_code=int(exit_code), phases=tuple(self.phases), failed=self.failed,
                              report=report)


class RichReport:
    """Phase lines, a live bar per (phase, kind), findings as they come, and a final table."""

    def __init__(self, console: Console | None = None):
        self.console = console or Console(stderr=True)
        self._progress = Progress(
            TextColumn("{task.description:<28}"),
            BarColumn(bar_width=None),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]:>10}"),
            TimeRemainingColumn(),
            console=self.console,
            transient=False,
        )
        self._tasks: dict[tuple[str, str], TaskID] = {}
        self._live: Live | None = None
        self._finished: list[tuple[str, float, str]] = []
        self._findings: dict[str, int] = {}
        self._drain_waiting, self._drain_shown = "", 0.0
        self._token_shown = 0.0  # seconds left at the last token countdown line (0: none yet)
        self._lock = threading.Lock()

    def __enter__(self) -> RichReport:
        self._live = Live(self._progress, console=self.console, refresh_per_second=4, transient=False)
        self._live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live:
            self._live.__exit__(None, None, None)
            if not self.console.is_terminal:  # Live's one rendering off a terminal ends mid-line
                self.console.line()
        self.print_summary()

    def __call__(self, event: ev.Event) -> None:
        with self._lock:
            handler = getattr(self, f"_on_{event.name()}", None)
            if handler:
                handler(event)

    def _on_phase_started(self, event: ev.PhaseStarted) -> None:
        self.console.print(f"[bold]▶ {event.phase}[/]")

    def _on_phase_finished(self, event: ev.PhaseFinished) -> None:
        detail = ", ".join(f"{k} {v}" for k, v in event.summary.items() if not isinstance(v, (dict, list)))
        self._finished.append((event.phase, event.seconds, detail))
        self.console.print(f"[green]✔ {event.phase}[/] in {event.seconds:.1f}s {escape(detail)}")

    def _on_phase_failed(self, event: ev.PhaseFailed) -> None:
        self._finished.append((event.phase, 0.0, "FAILED"))
        self.console.print(f"[bold red]✘ {event.phase}:[/] {escape(event.error)}")

    def _on_phase_skipped(self, event: ev.PhaseSkipped) -> None:
        self.console.print(f"[dim]- {event.phase}: {escape(event.reason)}[/]")

    def _on_progress(self, event: ev.Progress) -> None:
        key = (event.phase, event.kind)
        if key not in self._tasks:
            self._tasks[key] = self._progress.add_task(f"{event.phase} {event.kind}", total=event.total or None,
                                                      rate="")
        rate = f"{event.rate:,.0f}/s" if event.rate else ""
        self._progress.update(self._tasks[key], completed=event.done, total=event.total or None, rate=rate)

    def _on_check_changed(self, event: ev.CheckChanged) -> None:
        if event.status != "running":
            mark, style = _CHECK_MARK[event.status]
            self.console.print(f"  [{style}]{mark} {escape(event.check)}[/] {event.seconds:.1f}s "
                               f"{escape(event.detail)}")

    def _on_finding_raised(self, event: ev.FindingRaised) -> None:
        self._findings[event.severity] = self._findings.get(event.severity, 0) + 1
        if event.severity == "blocker":
            style = _SEVERITY_STYLE[event.severity]
            self.console.print(
                f"[{style}]{event.severity}[/] {event.code} {event.kind} {event.id}: {escape(event.message)}"
            )

    def _on_message(self, event: ev.Message) -> None:
        style = {"warning": "yellow", "error": "red"}.get(event.level, "")
        text = escape(event.text)
        self.console.print(f"[{style}]{text}[/]" if style else text)

    def _on_request_failed(self, event: ev.RequestFailed) -> None:
        self.console.print(f"[red]{escape(event.answer)}[/]")

    def _on_lag_changed(self, event: ev.LagChanged) -> None:
        if event.waiting:
            self.console.print(f"[dim]replay lag: {event.waiting} entries, oldest {event.oldest_age:.1f}s[/]")

    def _on_gate_changed(self, event: ev.GateChanged) -> None:
        detail = f": {escape(event.detail)}" if event.detail else ""
        self.console.print(f"gate {event.state}{detail} [dim](lag {event.lag})[/]")

    def _on_endpoint_changed(self, event: ev.EndpointChanged) -> None:
        self.console.print(f"endpoint {event.region} {event.interface}: {escape(event.old_url)} -> "
                           f"{escape(event.new_url)}")

    def _on_drain_tick(self, event: ev.DrainTick) -> None:
        waiting = ", ".join(event.waiting_for) or "quiet"
        if waiting != self._drain_waiting or event.elapsed - self._drain_shown >= 10:
            self._drain_waiting, self._drain_shown = waiting, event.elapsed
            self.console.print(f"drain {event.elapsed:.0f}s; min in {event.min_left:.0f}s, max in "
                               f"{event.max_left:.0f}s; {escape(waiting)}")

    def _on_token_tick(self, event: ev.TokenTick) -> None:
        if event.left <= 0 or not self._token_shown or self._token_shown - event.left >= 60:
            self._token_shown = max(0.0, event.left)
            self.console.print(f"switch: {_token_wait(event) or 'tokens issued before the capture have expired'}")

    def _on_wave_started(self, event: ev.WaveStarted) -> None:
        self._tasks[("cutover", f"wave {event.wave}")] = self._progress.add_task(
            f"wave {event.wave}/{event.waves} {event.label}", total=event.nodes, rate="")

    def _on_wave_finished(self, event: ev.WaveFinished) -> None:
        failed = f", [red]{event.rolled_back} rolled back[/]" if event.rolled_back else ""
        self.console.print(f"wave {event.wave} {event.label}: {event.done} nodes moved{failed} "
                           f"in {event.seconds:.1f}s")

    def _on_node_step(self, event: ev.NodeStep) -> None:
        if event.status == "failed":
            what = "rollback " if event.rollback else ""
            self.console.print(f"[red]{event.node}: {what}{event.step} failed after {event.seconds:.1f}s: "
                               f"{escape(event.detail)}[/]")
        elif event.status == "ok" and (event.step == "check" or event.step == "start_agents"):
            task = next((t for (phase, _), t in reversed(list(self._tasks.items())) if phase == "cutover"), None)
            if task is not None:
                self._progress.advance(task)

    def print_summary(self) -> None:
        if not self._finished:
            return
        table = Table(title="phases", show_edge=False)
        table.add_column("phase")
        table.add_column("time", justify="right")
        table.add_column("result")
        for phase, seconds, detail in self._finished:
            table.add_row(phase, f"{seconds:.1f}s", detail)
        self.console.print(table)
        if self._findings:
            counts = ", ".join(f"{n} {sev}" for sev, n in sorted(self._findings.items()))
            self.console.print(f"findings: {counts}")


def console_approver(assume_yes: bool, console: Console | None = None):
    """The `approve` callback for headless runs: --yes approves, else ask on the terminal."""
    console = console or Console(stderr=True)

    def approve(phase: str, question: str) -> bool:
        if assume_yes:
            console.print(f"[dim]{phase}: {escape(question)} yes (--yes)[/]")
            return True
        if not sys.stdin.isatty():
            console.print(f"[red]{phase}: {escape(question)} needs approval; rerun with --yes[/]")
            return False
        return Confirm.ask(f"{phase}: {question}", console=console)

    return approve


class StatusLine:
    """gh-ost's one status line, folded from the engine's events, for logs an operator skims:

    `Phase: convert; port 300/1200 25.0%, vpc 4/4 100.0%; Rate: 150/s; Elapsed: 12s; State: running; ETA: 6s`

    No ETA before 1 % is done; `State` names the single reason for any wait: an approval,
    the cutover gate or drain, or what a phase says with a `Waiting` event.
    """

    def __init__(self, clock=time.monotonic):
        self._clock = clock
        self._lock = threading.Lock()
        self._phase: str | None = None
        self._started = 0.0
        self._kinds: dict[str, ev.Progress] = {}
        self._baseline: tuple[float, int] | None = None  # (when, done) at the phase's first progress
        self._wait = ""

    def __call__(self, event: ev.Event) -> None:
        with self._lock:
            if isinstance(event, ev.PhaseStarted):
                self._phase, self._started = event.phase, self._clock()
                self._kinds, self._baseline, self._wait = {}, None, ""
            elif isinstance(event, (ev.PhaseFinished, ev.PhaseFailed)):
                self._phase = None
            elif isinstance(event, (ev.GateChanged, ev.DrainTick)):  # the cutover's waits
                self._wait = _cutover_wait(event)
            elif isinstance(event, ev.TokenTick):
                self._wait = _token_wait(event)
            elif getattr(event, "phase", None) != self._phase:
                return
            elif isinstance(event, ev.Progress):
                self._kinds[event.kind] = event
                if self._baseline is None:
                    self._baseline = (self._clock(), self._done())
                self._wait = ""
            elif isinstance(event, ev.ApprovalNeeded):
                self._wait = f"approval: {event.question}"
            elif isinstance(event, ev.Waiting):
                self._wait = event.reason

    def _done(self) -> int:
        return sum(progress.done for progress in self._kinds.values())

    def line(self) -> str | None:
        """The status now, or None between phases."""
        with self._lock:
            if self._phase is None:
                return None
            now = self._clock()
            parts = [f"Phase: {self._phase}"]
            kinds = ", ".join(_kind_status(p) for p in self._kinds.values())
            if kinds:
                parts.append(kinds)
            rate = self._rate(now)
            if rate:
                parts.append(f"Rate: {rate:,.0f}/s")
            parts.append(f"Elapsed: {_duration(now - self._started)}")
            parts.append(f"State: {'waiting, ' + self._wait if self._wait else 'running'}")
            parts.append(f"ETA: {self._eta(rate)}")
            return "; ".join(parts)

    def _rate(self, now: float) -> float:
        given = sum(progress.rate for progress in self._kinds.values())
        if given or self._baseline is None:
            return given
        since, done = self._baseline
        return (self._done() - done) / (now - since) if now > since else 0.0

    def _eta(self, rate: float) -> str:
        kinds = self._kinds.values()
        total = sum(progress.total for progress in kinds)
        if not kinds or any(progress.total <= 0 for progress in kinds):
            return "N/A"
        done = self._done()
        if done >= total:
            return "due"
        if done / total < 0.01 or rate <= 0:
            return "N/A"
        return _duration((total - done) / rate)


_GATE_WAITS = ("postponed", "retrying", "catching_up", "holding")


def _cutover_wait(event: ev.GateChanged | ev.DrainTick) -> str:
    if isinstance(event, ev.GateChanged):
        if event.state not in _GATE_WAITS:
            return ""
        return f"gate {event.state.replace('_', ' ')}" + (f": {event.detail}" if event.detail else "")
    if event.waiting_for:
        return f"drain: waiting for {', '.join(event.waiting_for)}"
    return f"drain: quiet, {event.min_left:.0f}s of the minimum wait left" if event.min_left > 0 else ""


def _token_wait(event: ev.TokenTick) -> str:
    if event.left <= 0:
        return ""
    return f"tokens issued before the capture may still reach Neutron: {_duration(event.left)} left"


def _kind_status(progress: ev.Progress) -> str:
    if progress.total <= 0:
        return f"{progress.kind} {progress.done:,}"
    return f"{progress.kind} {progress.done:,}/{progress.total:,} {100 * progress.done / progress.total:.1f}%"


def _duration(seconds: float) -> str:
    seconds = int(seconds + 0.5)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


@contextlib.contextmanager
def reprinting(status: StatusLine, console: Console, every: float) -> Iterator[None]:
    """Print the status line every `every` seconds while a phase runs, from a daemon thread."""
    stop = threading.Event()

    def tick() -> None:
        while not stop.wait(every):
            line = status.line()
            if line:
                console.print(line, markup=False, highlight=False, soft_wrap=True)

    thread = threading.Thread(target=tick, name="status line", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
