"""`alcor-migrate tui [--plan FILE]`: the wizard (also what `alcor-migrate` alone opens on a terminal)."""

from __future__ import annotations

import argparse
from pathlib import Path

from wizard.errors import ExitCode


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "tui",
        help="the wizard: plan, preflight, capture, preview, convert, verify, cutover",
        description="Open the Textual wizard on a plan (or choose or create one).",
    )
    parser.add_argument("--plan", metavar="FILE", type=Path, help="the plan to open (resumes its run)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from wizard.tui.app import WizardApp

    WizardApp(plan_path=args.plan).run()
    return ExitCode.OK
