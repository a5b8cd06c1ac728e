"""The subcommands, one module each; every module has `register(subparsers)`
that adds its parser with `set_defaults(func=run)`, where `run(args) -> int`."""

from wizard.commands import lab_alcor_cmd

COMMANDS: tuple = (lab_alcor_cmd,)  # lab_alcor_cmd: temporary top-level `lab`, see its register()
