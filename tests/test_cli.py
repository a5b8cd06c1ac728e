"""The command line imports only the command it runs, and --help still lists every command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from wizard import commands
from wizard.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[1]
COMMAND_MODULES = sorted(path.stem for path in (ROOT / "wizard" / "commands").glob("*_cmd.py"))


def imported_by(argv: list[str]) -> set[str]:
    """The modules a fresh interpreter has imported once it has parsed `argv`."""
    code = ("import sys\nfrom wizard.cli import build_parser\n"
            f"build_parser({argv!r}).parse_args({argv!r})\nprint('\\n'.join(sys.modules))")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    return set(done.stdout.split())


def test_a_command_imports_its_own_module_and_not_the_others():
    modules = imported_by(["preview", "--snapshot", "cloud.json"])
    assert {m for m in modules if m.endswith("_cmd")} == {"wizard.commands.preview_cmd"}
    # what the other commands need (the SDK, the capture's HTTP server, the wizard's UI): seconds of start-up
    assert not {"openstack", "aiohttp", "textual"} & modules


def test_help_lists_every_command(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    shown = capsys.readouterr().out
    assert [f"{name}_cmd" for name in commands.NAMES] == COMMAND_MODULES
    for name in commands.NAMES:
        assert f"\n    {name} " in shown or f"\n    {name}\n" in shown  # a long name wraps its help


@pytest.mark.parametrize("name", commands.NAMES)
def test_each_command_module_registers_the_command_it_is_named_after(name):
    parser = build_parser([name])
    assert list(parser._subparsers._group_actions[0].choices) == [name]


def test_an_unknown_command_is_refused_naming_every_command(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["previwe"])
    assert exit_.value.code == 2
    refused = capsys.readouterr().err
    assert all(repr(name) in refused for name in commands.NAMES)
