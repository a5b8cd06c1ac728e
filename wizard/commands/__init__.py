"""The subcommands, one module each; every module has `register(subparsers)`
that adds its parser with `set_defaults(func=run)`, where `run(args) -> int`."""

from wizard.commands import lab_cmd, plan_cmd

COMMANDS: tuple = (plan_cmd, lab_cmd)
