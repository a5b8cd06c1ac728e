"""The headless faces: JSON lines and the Rich report render engine events."""

import io
import json

from rich.console import Console

from wizard.core import events as ev
from wizard.headless import JsonLines, RichReport, console_approver


def test_json_lines_writes_one_object_per_event():
    out = io.StringIO()
    sink = JsonLines(out)
    sink(ev.PhaseStarted(phase="convert", at=1.0))
    sink(ev.Progress(phase="convert", kind="ports", done=3, total=10, at=2.0))
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert lines[0] == {"event": "phase_started", "phase": "convert", "at": 1.0}
    assert lines[1]["event"] == "progress" and lines[1]["done"] == 3 and lines[1]["total"] == 10


def test_rich_report_shows_phases_blockers_and_summary():
    buffer = io.StringIO()
    console = Console(file=buffer, width=120, force_terminal=False)
    with RichReport(console) as report:
        report(ev.PhaseStarted(phase="translate"))
        report(ev.FindingRaised(severity="blocker", code="flat-network", kind="networks", id="n1",
                                message="flat networks cannot be carried", remedy="skip it"))
        report(ev.FindingRaised(severity="info", code="vni-reallocated", kind="networks", id="n2",
                                message="new VNI", remedy=""))
        report(ev.PhaseFinished(phase="translate", seconds=1.25, summary={"requests": 42}))
        report(ev.PhaseFailed(phase="convert", error="vpc n1: 500 [boom]"))
    text = buffer.getvalue()
    assert "▶ translate" in text
    assert "blocker flat-network networks n1: flat networks cannot be carried" in text
    assert "n2" not in text.split("phases")[0]  # info findings are counted, not printed
    assert "✔ translate in 1.2s requests 42" in text or "✔ translate in 1.3s requests 42" in text
    assert "✘ convert: vpc n1: 500 [boom]" in text
    assert "findings: 1 blocker, 1 info" in text


def test_approver_with_yes_approves_and_without_a_terminal_declines(monkeypatch):
    console = Console(file=io.StringIO())
    assert console_approver(True, console)("switch", "switch?") is True
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert console_approver(False, console)("switch", "switch?") is False
