"""The subcommands, one module each; every module has `register(subparsers)`
that adds its parser with `set_defaults(func=run)`, where `run(args) -> int`."""

from wizard.commands import capture_cmd, log_cmd

COMMANDS: tuple = (capture_cmd, log_cmd)
