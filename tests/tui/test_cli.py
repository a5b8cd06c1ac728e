"""`alcor-migrate` with no command: the wizard on a terminal, the help otherwise; `tui` and its options."""

import os

import pytest

from tests.tui.conftest import wait_until
from wizard.cli import build_parser, main
from wizard.commands import tui_cmd
from wizard.lab.samples import FILES

SMALL = FILES / "small.json"


def test_no_command_without_a_terminal_prints_help(capsys):
    assert main([]) == 2
    assert "tui" in capsys.readouterr().out


def test_the_tui_command_takes_a_plan():
    args = build_parser().parse_args(["tui", "--plan", "plans/lab.yaml"])
    assert str(args.plan) == "plans/lab.yaml" and args.func.__module__ == "wizard.commands.tui_cmd"


def test_tui_takes_the_overrides_run_takes():
    def options(command: str) -> set[str]:
        parser = build_parser()._subparsers._group_actions[0].choices[command]
        return {option for action in parser._actions for option in action.option_strings}

    overrides = {"--state-dir", "--snapshot", "--neutron-url", "--os-cloud", "--alcor-url"}
    assert overrides <= options("run") and overrides | {"--plan"} <= options("tui")


def test_a_bad_override_is_exit_2_before_the_wizard_opens(capsys):
    assert main(["tui", "--neutron-url", "neutron:9696"]) == 2
    assert "--neutron-url" in capsys.readouterr().err


@pytest.mark.anyio
async def test_the_wizard_opens_its_plan_with_the_command_lines_overrides(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    plan = tmp_path / "plan.yaml"
    plan.write_text("version: 1\nname: overridden\nneutron: {url: 'http://127.0.0.1:9696', auth: none}\n"
                    "alcor: {url: 'http://127.0.0.1:9009'}\n")
    args = build_parser().parse_args(["tui", "--plan", str(plan), "--snapshot", str(SMALL),
                                      "--alcor-url", "http://127.0.0.1:9011", "--state-dir", "elsewhere"])
    app = tui_cmd.app_for(args)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.engine is not None, "the plan's engine")
        await pilot.pause()  # the Plan step it opens on finishes mounting before the app closes
        opened = app.engine.ctx.plan
        assert opened.neutron.snapshot == str(SMALL) and opened.alcor.url == "http://127.0.0.1:9011"
        assert opened.state_dir == os.path.abspath("elsewhere") == str(app.engine.state.dir)
        assert (tmp_path / "elsewhere").is_dir()
