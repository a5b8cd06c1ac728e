"""`alcor-migrate` with no command: the wizard on a terminal, the help otherwise."""

from wizard.cli import build_parser, main


def test_no_command_without_a_terminal_prints_help(capsys):
    assert main([]) == 2
    assert "tui" in capsys.readouterr().out


def test_the_tui_command_takes_a_plan():
    args = build_parser().parse_args(["tui", "--plan", "plans/lab.yaml"])
    assert str(args.plan) == "plans/lab.yaml" and args.func.__module__ == "wizard.commands.tui_cmd"
