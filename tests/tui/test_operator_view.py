"""What issue 15 saw walking the lab by hand, each fed by what the real engine emits: the events of a
real lab run (tests/tui/recorded_run.py) replayed into the wizard, or the real lab driven by Pilot."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tui import recorded_run
from tests.tui.conftest import finish_run, make_app, next_step, open_session, press_next, wait_until
from tests.tui.lab_phases import World
from tests.tui.test_wizard import next_label, rows_of, text_of
from wizard.core.events import ApprovalNeeded, PhaseFinished, Progress, ProxyStats
from wizard.tui.screens.modals import ConfirmScreen
from wizard.tui.widgets.findings import FindingsTable

pytestmark = pytest.mark.anyio

SIZE = (110, 32)  # the terminal the issue was seen in


def recorded(until_end_of: str | None = None) -> list:
    """The real run's events (up to the end of a phase), its state directory the lab plan's."""
    events = recorded_run.events(Path("plans/state").resolve())
    if until_end_of is None:
        return events
    end = next(i for i, e in enumerate(events) if isinstance(e, PhaseFinished) and e.phase == until_end_of)
    return events[: end + 1]


async def replay(pilot, events: list, step: str) -> None:
    app = pilot.app
    await open_session(pilot)
    for event in events:
        app.engine.bus.publish(event)
    app.show_step(step)
    await pilot.pause()
    await pilot.pause()


async def test_the_capture_screen_shows_the_url_the_proxy_gives(lab_dir):
    events = recorded("replay")  # the proxy's stats come every 2 s: the first during convert
    listen = next(e.listen for e in events if isinstance(e, ProxyStats))
    assert listen.startswith("http://127.0.0.1:")  # the engine sends a URL
    app = make_app(World())
    async with app.run_test(size=SIZE) as pilot:
        await replay(pilot, events, "capture")
        proxy = text_of(app, "#proxy")
    assert "://http" not in proxy
    assert f"proxy    {listen}  capturing" in proxy and f"point them at {listen}:" in proxy


async def test_preview_asks_under_the_requests_and_findings_and_escape_does_not_decline(lab_dir):
    app = make_app(World())
    async with app.run_test(size=SIZE) as pilot:
        await open_session(pilot)
        for _ in range(2):  # plan, preflight: the capture step is done
            await next_step(pilot)
        await press_next(pilot)
        await wait_until(pilot, lambda: app.approval is not None, "the preview's question")
        assert not isinstance(app.screen, ConfirmScreen) and app.screen.step.name == "preview"
        assert "Apply 14 requests to Alcor?" in text_of(app, "#approval-question")
        assert next_label(app) == "Approve ›"
        findings = app.screen.query_one(FindingsTable)
        assert findings.region.height >= 5  # the list, not only counts
        assert [row[1] for row in rows_of(app, "#findings")] == ["port-security-off"]
        app.screen.query_one("#request-tree").focus()
        await pilot.press("down", "down", "down", "enter", "down")  # the operator reads first
        assert '"key": "port:p1"' in text_of(app, "#request-json")
        await pilot.press("escape", "n")  # neither answers: "n" is "no" in dialogs, never a yes here
        await pilot.pause()
        assert app.approval is not None and app.model.phase("preview").status == "running"
        await pilot.press("d")  # declining is a choice
        await finish_run(pilot)
        assert "not approved" in app.model.phase("preview").error and next_label(app) == "Resume ›"
        await press_next(pilot)
        await wait_until(pilot, lambda: app.approval is not None, "the preview's question again")
        await press_next(pilot)  # Next approves
        await finish_run(pilot)
        assert app.model.phase("preview").status == "done" and next_label(app) == "Next ›"
        assert not app.screen.query_one("#approval").display


async def test_cutover_shows_the_url_the_switch_asked_about_and_used(lab_dir):
    events = recorded("final_replay")
    asked = [e.question for e in events if isinstance(e, ApprovalNeeded) and e.phase == "switch"]
    used = next(e.summary["url"] for e in events if isinstance(e, PhaseFinished) and e.phase == "switch")
    assert asked and all(used in question for question in asked)
    app = make_app(World())
    async with app.run_test(size=SIZE) as pilot:
        await replay(pilot, events, "cutover")
        switch = text_of(app, "#switch")
    assert f"→ {used} in " in switch, switch


async def test_progress_bars_keep_whole_kind_names(lab_dir):
    """The real kinds (security_group_rule, router_interface...) at 110 columns, and at 80."""
    events = recorded("replay")
    kinds = {step: {e.kind for e in events if isinstance(e, Progress) and e.phase == phase}
             for step, phase in (("capture", "snapshot"), ("convert", "convert"))}
    assert "security_group_rule" in kinds["convert"] and "network_segment_ranges" in kinds["capture"]
    for size in (SIZE, (80, 24)):
        app = make_app(World())
        async with app.run_test(size=size) as pilot:
            await replay(pilot, events, "capture")
            for step in ("capture", "convert"):
                app.show_step(step)
                await pilot.pause()
                labels = {str(label.content): label for label in app.screen.query("KindProgress .kind")}
                labels = {name: label for name, label in labels.items() if name in kinds[step]}
                assert set(labels) == kinds[step]
                cut = {name: label.content_region.width for name, label in labels.items()
                       if label.content_region.width < len(name)}
                assert not cut, f"{step} at {size}: names cut to widths {cut}"
