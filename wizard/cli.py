"""The `alcor-migrate` command line: argument parsing and exit codes, no logic."""

from __future__ import annotations

import argparse
import sys

from rich.console import Console
from rich.markup import escape

from wizard import __version__, commands
from wizard.core.errors import ExitCode, MigrateError

EXAMPLES = """\
examples:
  alcor-migrate                                  on a terminal: the wizard (choose or create a plan)
  alcor-migrate tui --plan plans/prod.yaml      the wizard on a plan; resumes where it stopped
  alcor-migrate lab run --yes                   the whole migration on this machine (from any directory)
  alcor-migrate plan new plans/prod.yaml        write a commented plan template
  alcor-migrate plan check plans/prod.yaml      validate a plan
  alcor-migrate snapshot --neutron-url http://127.0.0.1:9696 --out cloud.json
  alcor-migrate snapshot --os-cloud prod --out cloud.json
"""


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The parser of every command, or of only the command `argv` names (its module alone is imported)."""
    parser = argparse.ArgumentParser(
        prog="alcor-migrate",
        description="Move a live OpenStack cloud's networking from Neutron to Alcor.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in commands.modules(commands.NAMES if argv is None else commands.wanted(argv)):
        command.register(sub)
    return parser


def main(argv: list[str] | None = None, script: bool = False) -> int:
    """Run one command; `script`: this is the process's command line (a command may then end the
    process itself, core/process_exit.py)."""
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    args.end_process_when_done = script
    if args.command is None and sys.stdin.isatty() and sys.stdout.isatty():
        args = parser.parse_args(["tui"])
    if not getattr(args, "func", None):
        parser.print_help()
        return ExitCode.BAD_INPUT
    err = Console(stderr=True, highlight=False)
    try:
        return int(args.func(args) or ExitCode.OK)
    except MigrateError as exc:
        for problem in str(exc).splitlines():
            err.print(f"[bold red]error:[/] {escape(problem)}", soft_wrap=True)
        return int(exc.exit_code)
    except KeyboardInterrupt:
        err.print("interrupted; run the same command again to resume")
        return 130


def script() -> None:
    """The `alcor-migrate` script and `python -m wizard`."""
    sys.exit(main(script=True))


if __name__ == "__main__":
    script()
