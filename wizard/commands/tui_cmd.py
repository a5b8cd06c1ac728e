"""`alcor-migrate tui [--plan FILE]`: the wizard (also what `alcor-migrate` alone opens on a terminal)."""

from __future__ import annotations

import argparse
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from wizard import plan as plan_module
from wizard.commands.options import add_plan_options, overrides_from_args
from wizard.core.errors import ExitCode

if TYPE_CHECKING:
    from wizard.tui.app import WizardApp


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "tui",
        help="the wizard: plan, preflight, capture, preview, convert, verify, cutover",
        description="Open the Textual wizard on a plan (or choose or create one). The options after --plan "
                    "override the keys they name in every plan the wizard opens, as they do for `run`.",
    )
    add_plan_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    app_for(args).run()
    return ExitCode.OK


def app_for(args: argparse.Namespace) -> WizardApp:
    """The wizard on `--plan` (or the start screen), opening every plan with the overrides."""
    from wizard.tui.app import WizardApp
    from wizard.tui.session import open_engine

    overrides = overrides_from_args(args)
    plan_module.from_overrides(overrides)  # a bad value is exit 2 here, not a dialog in the wizard
    return WizardApp(plan_path=Path(args.plan) if args.plan else None,
                     engine_for=partial(open_engine, overrides=overrides))
