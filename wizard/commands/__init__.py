"""The subcommands, one module each; every module has `register(subparsers)`
that adds its parser with `set_defaults(func=run)`, where `run(args) -> int`."""

from wizard.commands import tui_cmd

COMMANDS: tuple = (tui_cmd,)
