"""The headless face of the engine: Rich progress for `run` on a terminal, JSON lines for scripts.

It only subscribes to engine events; the work is the engine's.
"""

from __future__ import annotations

import json
import sys
import threading
from typing import IO

from rich.console import Console
from rich.live import Live
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeRemainingColumn
from rich.prompt import Confirm
from rich.table import Table

from wizard import events as ev

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
        self._lock = threading.Lock()

    def __enter__(self) -> "RichReport":
        self._live = Live(self._progress, console=self.console, refresh_per_second=4, transient=False)
        self._live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live:
            self._live.__exit__(None, None, None)
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
            self._tasks[key] = self._progress.add_task(f"{event.phase} {event.kind}", total=event.total, rate="")
        rate = f"{event.rate:,.0f}/s" if event.rate else ""
        self._progress.update(self._tasks[key], completed=event.done, total=event.total, rate=rate)

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

