"""The wizard driven like an operator would, over a real Engine whose phases emit the real events."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from rich.console import Console
from textual.widgets import Button, Input, OptionList, Static

from tests.tui.conftest import finish_run, hold_in_convert, make_app, next_step, open_session, press_next, wait_until
from tests.tui.lab_phases import World
from wizard import plan as plan_file
from wizard.core.engine import PHASE_ORDER
from wizard.core.events import ApprovalNeeded, NodeStep, PhaseFinished, PhaseStarted, Progress, RequestFailed
from wizard.tui.messages import EngineEvent
from wizard.tui.screens.modals import ConfirmScreen, HelpScreen
from wizard.tui.widgets.tables import RowsTable

pytestmark = pytest.mark.anyio


def recorder(events: list):
    """A message hook keeping the engine events the app received (Harlequin's way)."""

    def hook(message):
        if isinstance(message, EngineEvent):
            events.append(message.event)

    return hook


def text_of(app, selector: str) -> str:
    """What a Static of the current screen shows, as plain text (whatever Rich renderable it holds)."""
    console = Console(width=200, file=io.StringIO(), record=True)
    console.print(app.screen.query_one(selector, Static).content)
    return console.export_text()


def rows_of(app, selector: str) -> list[tuple[str, ...]]:
    table = app.screen.query_one(selector, RowsTable)
    return [tuple(str(cell) for cell in table.get_row_at(i)) for i in range(table.row_count)]


def next_label(app) -> str:
    return app.screen.query_one("#next", Button).label.plain


async def answer(pilot, yes: bool, what: str) -> str:
    """Answer the confirmation on screen; returns its question."""
    app = pilot.app
    await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen) and app.screen.query(".dialog-text"), what)
    question = text_of(app, ".dialog-text")
    await pilot.press("y" if yes else "n")
    await pilot.pause()
    return question


async def test_the_whole_lab_migration_through_the_wizard(lab_dir):
    events: list = []
    app = make_app(World())
    async with app.run_test(size=(100, 30), message_hook=recorder(events)) as pilot:
        await open_session(pilot)
        assert app.screen.step.name == "plan" and next_label(app) == "Next ›"

        await next_step(pilot)
        assert [row[0] for row in rows_of(app, "#checks")] == [check for check, *_ in __import__(
            "tests.tui.lab_phases", fromlist=["Preflight"]).Preflight.CHECKS]
        assert all("ok" in row[1] for row in rows_of(app, "#checks"))
        assert [row[1] for row in rows_of(app, "#findings")] == ["qos-policy", "dns-domain"]

        await next_step(pilot)
        proxy = text_of(app, "#proxy")
        assert "http://127.0.0.1:9797" in proxy and "30.0/s requests" in proxy and "1.5/s writes" in proxy
        assert [row[1] for row in rows_of(app, "#writes")] == ["DELETE", "PUT", "POST"]

        await press_next(pilot)  # preview asks, on its screen, before convert may send anything: decline first
        await wait_until(pilot, lambda: app.approval is not None, "the preview's question")
        assert "Apply 14 requests to Alcor?" in text_of(app, "#approval-question")
        await pilot.press("d")
        await finish_run(pilot)
        assert "not approved" in app.model.phase("preview").error and next_label(app) == "Resume ›"
        await next_step(pilot)
        assert "14 requests in 3 kinds; 1 findings" in text_of(app, "#preview-counts")
        app.screen.query_one("#request-tree").focus()
        await pilot.press("down", "down", "down", "enter", "down")  # open "port (6)", its first request
        shown = text_of(app, "#request-json")
        assert '"key": "port:p1"' in shown and '"seq": 9' in shown
        await pilot.press("down")
        assert "port-security-off" in text_of(app, "#request-findings")
        await pilot.press("e")
        await wait_until(pilot, lambda: bool(app.screen.query(Input)), "the export prompt")
        await pilot.press("enter")
        await wait_until(pilot, lambda: Path("plans/state/dry-run/summary.md").exists(), "the dry-run files")

        await next_step(pilot)
        assert rows_of(app, "#failures") == [("port:p3", "409", "port")]
        assert "mac address already in use" in text_of(app, "#failure-answer")
        assert "caught up" in text_of(app, ".lag-text")

        await next_step(pilot)
        assert "1 difference(s) across 1 kind(s)" in text_of(app, "#drift-summary")

        await press_next(pilot)
        await answer(pilot, True, "the switch approval")
        await answer(pilot, True, "the canary approval")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the wave 2 approval")
        cutover = app.get_screen("cutover")
        assert cutover.query_one("#waves", RowsTable).selected_key == "node-1"
        cutover.action_rollback()  # the operator rolls the canary back while wave 2 waits
        assert "Roll node node-1 back" in await answer(pilot, True, "the rollback confirmation")
        await finish_run(pilot)
        waves = {row[1]: row for row in rows_of(app, "#waves")}
        assert "rolled back" in waves["node-1"][2] and "done" in waves["node-3"][2]
        assert "drain: done" in text_of(app, ".drain-text")

        await next_step(pilot)
        summary = rows_of(app, "#phase-times")
        assert [row[0] for row in summary] == list(PHASE_ORDER)
        assert all("done" in row[1] and row[2] == "0.5s" for row in summary), summary
        where = text_of(app, "#where")
        assert "plans/state/report.md" in where and "plans/state/dry-run" in where
        assert next_label(app) == "Quit"
        await press_next(pilot)
    assert not app.is_running

    finished = [e.phase for e in events if isinstance(e, PhaseFinished)]
    assert finished[-1] == "report" and set(finished) == set(PHASE_ORDER)
    assert [e.question for e in events if isinstance(e, ApprovalNeeded)] == [
        "Apply 14 requests to Alcor?",
        "Apply 14 requests to Alcor?",
        "Switch the cloud's network endpoint to Alcor?",
        "Move wave canary (node-1) to ACA?",
        "Move wave batch 2 (node-2, node-3) to ACA?",
    ]
    assert {e.key for e in events if isinstance(e, RequestFailed)} == {"port:p3"}  # retried each run
    rollbacks = [e for e in events if isinstance(e, NodeStep) and e.rollback]
    assert [(e.node, e.step, e.status) for e in rollbacks] == [("node-1", "start_agents", "ok")]
    lines = Path("plans/state/dry-run/requests.jsonl").read_text().splitlines()
    assert len(lines) == 14 and json.loads(lines[8])["key"] == "port:p1"
    assert "14 requests" in Path("plans/state/dry-run/summary.md").read_text()


async def test_pause_holds_convert_and_resume_finishes_it(lab_dir):
    world = World(hold_convert_at=5)
    events: list = []
    app = make_app(world)
    async with app.run_test(size=(100, 30), message_hook=recorder(events)) as pilot:
        await hold_in_convert(pilot, world)
        await pilot.press("p")
        await pilot.pause()
        assert app.engine.paused and "convert paused" in text_of(app, "#status")
        assert next_label(app) == "Running…"
        world.release.set()
        await pilot.pause(0.3)
        applied = len(world.applied)
        await pilot.pause(0.3)
        assert len(world.applied) == applied <= 6 and app.running
        await pilot.press("r")
        await finish_run(pilot)
        assert app.model.phase("replay").status == "done"
    last = {e.kind: e for e in events if isinstance(e, Progress) and e.phase == "convert"}
    assert {kind: (e.done, e.total) for kind, e in last.items()} == {"vpc": (4, 4), "subnet": (4, 4), "port": (6, 6)}


async def test_quit_while_running_asks_then_reopening_resumes_without_duplicates(lab_dir):
    world = World(hold_convert_at=5)
    events: list = []
    app = make_app(world)
    async with app.run_test(size=(100, 30), message_hook=recorder(events)) as pilot:
        await hold_in_convert(pilot, world)
        await pilot.press("q")
        assert "resumes there when you reopen" in await answer(pilot, True, "the quit question")
        await wait_until(pilot, lambda: not app.is_running, "the app to exit")
    assert [e.phase for e in events if isinstance(e, PhaseStarted)][-1] == "convert"
    applied_before = list(world.applied)
    assert applied_before == ["vpc:n1", "vpc:n2", "vpc:n3", "vpc:n4", "subnet:s1"]

    world.hold_convert_at = None
    reopened: list = []
    app = make_app(world)
    async with app.run_test(size=(100, 30), message_hook=recorder(reopened)) as pilot:
        await open_session(pilot)
        assert app.screen.step.name == "convert"
        assert "cancelled by the operator" in text_of(app, "#status")
        assert next_label(app) == "Resume ›"
        await next_step(pilot)
        assert app.model.phase("replay").status == "done"
    assert world.applied[: len(applied_before)] == applied_before
    assert len(world.applied) == len(set(world.applied)) == 13  # 14 requests, port:p3 refused
    assert not [e for e in reopened if isinstance(e, ApprovalNeeded)]  # approved before the quit


async def test_reopening_shows_what_the_state_recorded_before(lab_dir):
    """Convert's refusals come back with the plan, not only when convert runs again."""
    world = World()
    app = make_app(world)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_session(pilot)
        for _ in range(4):  # plan, preflight, capture, preview: convert runs to its end
            await next_step(pilot)
        assert rows_of(app, "#failures") == [("port:p3", "409", "port")]
    app = make_app(world)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_session(pilot)
        app.show_step("convert")
        await pilot.pause()
        assert rows_of(app, "#failures") == [("port:p3", "409", "port")]
        assert "mac address already in use" in text_of(app, "#failure-answer")


async def test_blockers_keep_next_disabled_and_findings_filter(lab_dir):
    world = World(blockers=1)
    app = make_app(world)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_session(pilot)
        await next_step(pilot)
        next_button = app.screen.query_one("#next", Button)
        assert next_button.disabled and "1 blocker(s)" in text_of(app, "#status")
        assert [row[1] for row in rows_of(app, "#findings")] == ["flat-network", "qos-policy", "dns-domain"]
        assert "flat networks have no VNI" in text_of(app, "#remedy")

        app.screen.query_one("#severity").value = "warning"
        await pilot.pause()
        assert [row[1] for row in rows_of(app, "#findings")] == ["qos-policy"]
        assert "recreate the bandwidth limits" in text_of(app, "#remedy")
        app.screen.query_one("#severity").clear()
        app.screen.query_one("#kind").value = "networks"
        await pilot.pause()
        assert len(rows_of(app, "#findings")) == 3

        world.blockers = 0  # the operator fixed it
        await pilot.press("a")
        await finish_run(pilot)
        assert not next_button.disabled and next_label(app) == "Next ›"


async def test_start_screen_creates_a_plan_checked_as_you_type(lab_dir):
    app = make_app(World(), plan_path=None)
    async with app.run_test(size=(80, 24)) as pilot:
        options = app.screen.query_one(OptionList)
        assert str(options.get_option_at_index(0).prompt) == "Open plans/lab.yaml"
        await pilot.press("c")
        await wait_until(pilot, lambda: bool(app.screen.query(Input)), "the path prompt")
        await pilot.press("enter")
        await wait_until(pilot, lambda: getattr(app.screen, "STEP", "") == "plan", "the plan screen")
        assert next_label(app) == "Next ›" and app.screen.query_one("#next", Button).disabled
        app.screen.query_one("#field-neutron-auth").value = "none"
        url = app.screen.query_one("#field-neutron-url", Input)
        url.focus()
        await pilot.press(*"neutron:9696")
        assert "not a URL" in text_of(app, "#error-field-neutron-url")
        url.value = "http://127.0.0.1:9696"
        app.screen.query_one("#field-alcor-url", Input).value = "http://127.0.0.1:9009"
        await pilot.pause()
        assert "The plan is valid." in text_of(app, "#plan-problems")
        assert next_label(app) == "Save & next ›"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: Path("plans/migration.yaml").exists(), "the plan file")
        await pilot.pause()
        assert next_label(app) == "Next ›"
        await next_step(pilot)
        assert app.screen.step.name == "preflight"
        assert app.model.phase("preflight").status == "done"
    assert plan_file.load("plans/migration.yaml").neutron.url == "http://127.0.0.1:9696"


async def test_a_bad_plan_file_is_reported_with_its_place(lab_dir):
    Path("plans/broken.yaml").write_text("name: x\nbogus: 1\n")
    app = make_app(World(), plan_path=Path("plans/broken.yaml"))
    async with app.run_test(size=(80, 24)) as pilot:
        # the dialog's text, not only its box: under load the box is mounted before its children
        await wait_until(pilot, lambda: bool(app.screen.query(".dialog-box.error .dialog-text")), "the error")
        assert "plans/broken.yaml" in text_of(app, ".dialog-text") and "bogus" in text_of(app, ".dialog-text")
        assert app.engine is None


async def test_help_screen_and_palette_commands(lab_dir):
    app = make_app(World())
    async with app.run_test(size=(80, 24)) as pilot:
        await open_session(pilot)
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        help_text = app.screen.text.plain
        assert "Save writes the YAML file" in help_text, help_text
        assert "^s Save" in help_text, help_text
        await pilot.press("escape")
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert "Go to Summary" in titles and "Help" in titles and "Pause the run" not in titles


async def test_the_postpone_key_creates_the_flag_and_going_on_removes_it(lab_dir):
    from wizard.cutover.gate import postponement_for

    app = make_app(World())
    async with app.run_test(size=(100, 30)) as pilot:
        await open_session(pilot)
        flag = postponement_for(app.plan.cutover.gate, app.plan.state_dir)
        cutover = app.get_screen("cutover")
        cutover.action_postpone()
        assert "Postpone the cutover?" in await answer(pilot, True, "the postpone confirmation")
        assert flag.active
        cutover.action_postpone()
        assert "Go on with the cutover?" in await answer(pilot, True, "the go-on confirmation")
        assert not flag.active


async def test_a_redraw_before_a_new_screen_is_composed_waits_for_it(lab_dir):
    """The once-a-second redraw can fire between a screen's switch and its compose (a CI failure)."""
    app = make_app(World())
    async with app.run_test(size=(80, 24)) as pilot:
        await open_session(pilot)
        app.switch_screen("preflight")
        app._redraw()  # the preflight screen is on the stack, its widgets not yet there
        await pilot.pause()
        assert app.screen.step.name == "preflight" and next_label(app)


async def test_what_opening_a_plan_does_is_shown_while_it_runs(lab_dir):
    """A lab's first start installs neutron for minutes: its worker's progress reaches the screen."""
    app = make_app(World())
    opens = app.engine_for

    def engine_for(path, progress):
        progress("installing neutron (about a minute)")
        return opens(path, progress)

    app.engine_for = engine_for
    async with app.run_test(size=(80, 24)) as pilot:
        await open_session(pilot)
        shown = [(n.title, n.message) for n in app._notifications]
        assert ("Opening plans/lab.yaml", "installing neutron (about a minute)") in shown, shown


async def test_a_redraw_while_the_app_shuts_down_draws_nothing(lab_dir):
    """The once-a-second redraw can fire while quitting takes the screens apart (two CI failures)."""
    app = make_app(World())
    prune = app._prune

    async def pruning(*screens, **options):  # the timer firing between two screens' removal
        await prune(*screens, **options)
        app._redraw()

    app._prune = pruning
    async with app.run_test(size=(80, 24)) as pilot:
        await open_session(pilot)
    assert app.return_code in (None, 0)
