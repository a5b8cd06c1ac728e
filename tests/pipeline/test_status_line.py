"""The gh-ost-style status line: phase, per-kind progress, rate, ETA (not before 1 %), the reason for a wait."""

from __future__ import annotations

import io
import time

from rich.console import Console

from wizard.core import events as ev
from wizard.headless import StatusLine, reprinting


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def progress(kind: str, done: int, total: int, **extra) -> ev.Progress:
    return ev.Progress(phase="convert", kind=kind, done=done, total=total, **extra)


def test_no_line_between_phases_and_a_bare_line_before_any_progress():
    clock = Clock()
    status = StatusLine(clock)
    assert status.line() is None
    status(ev.PhaseStarted(phase="translate"))
    clock.now += 3
    assert status.line() == "Phase: translate; Elapsed: 3s; State: running; ETA: N/A"
    status(ev.PhaseFinished(phase="translate", seconds=3))
    assert status.line() is None


def test_rate_and_eta_come_from_progress_and_there_is_no_eta_before_one_percent():
    clock = Clock()
    status = StatusLine(clock)
    status(ev.PhaseStarted(phase="convert"))
    status(progress("vpc", 0, 10))
    status(progress("port", 0, 10_000))
    clock.now += 10
    status(progress("vpc", 10, 10))
    status(progress("port", 90, 10_000))  # 100 of 10,010 done: 0.999 %
    assert status.line() == ("Phase: convert; vpc 10/10 100.0%, port 90/10,000 0.9%; Rate: 10/s; Elapsed: 10s; "
                             "State: running; ETA: N/A")
    clock.now += 10
    status(progress("port", 1_090, 10_000))  # 1,100 done in 20 s: 55/s, 8,910 to go
    assert status.line().endswith("Rate: 55/s; Elapsed: 20s; State: running; ETA: 2m42s")
    status(progress("port", 10_000, 10_000, rate=400.0))  # a rate the phase measured itself wins
    assert status.line().endswith("Rate: 400/s; Elapsed: 20s; State: running; ETA: due")


def test_unknown_totals_show_counts_without_eta():
    status = StatusLine(Clock())
    status(ev.PhaseStarted(phase="snapshot"))
    status(ev.Progress(phase="snapshot", kind="ports", done=3000, total=0))
    assert "ports 3,000;" in status.line() and status.line().endswith("ETA: N/A")


def test_the_single_reason_for_a_wait_shows_until_work_goes_on():
    status = StatusLine(Clock())
    status(ev.PhaseStarted(phase="convert"))
    status(ev.ApprovalNeeded(phase="convert", question="Apply 21 requests?"))
    assert "State: waiting, approval: Apply 21 requests?;" in status.line()
    status(progress("vpc", 1, 10))
    assert "State: running;" in status.line()
    status(ev.Waiting(phase="convert", reason="Alcor answers 503; retrying in 4s"))
    assert "State: waiting, Alcor answers 503; retrying in 4s;" in status.line()
    status(ev.Waiting(phase="other", reason="not this phase"))
    assert "not this phase" not in status.line()
    status(ev.Waiting(phase="convert", reason=""))
    assert "State: running;" in status.line()


def test_the_line_is_reprinted_on_a_timer_while_a_phase_runs():
    out = io.StringIO()
    status = StatusLine()
    with reprinting(status, Console(file=out, width=60), every=0.02):
        time.sleep(0.1)  # between phases: nothing to print
        assert out.getvalue() == ""
        status(ev.PhaseStarted(phase="snapshot"))
        status(ev.Progress(phase="snapshot", kind="networks", done=5, total=0))
        deadline = time.monotonic() + 5
        while out.getvalue().count("\n") < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
    lines = out.getvalue().splitlines()
    assert len(lines) >= 2 and all(line.startswith("Phase: snapshot; networks 5; ") for line in lines)
    assert all(len(line) > 60 for line in lines)  # one line each, never wrapped


def test_the_cutover_gate_and_drain_name_their_waits():
    status = StatusLine(Clock())
    status(ev.PhaseStarted(phase="switch"))
    status(ev.GateChanged(state="postponed", detail="remove state/postpone to cut over"))
    assert "State: waiting, gate postponed: remove state/postpone to cut over;" in status.line()
    status(ev.GateChanged(state="switched", detail="writes held 0.4s"))
    assert "State: running;" in status.line()
    status(ev.PhaseStarted(phase="drain"))
    status(ev.DrainTick(elapsed=3, min_left=27, max_left=597, waiting_for=("2 ports in BUILD",)))
    assert "State: waiting, drain: waiting for 2 ports in BUILD;" in status.line()
    status(ev.DrainTick(elapsed=5, min_left=25, max_left=595))
    assert "State: waiting, drain: quiet, 25s of the minimum wait left;" in status.line()
