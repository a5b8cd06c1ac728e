"""`alcor-migrate verify`: read Alcor back and compare it with the translation of the snapshot."""

from __future__ import annotations

import argparse
import json

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from wizard.alcor.client import AlcorClient
from wizard.alcor.verify import Drift, verify
from wizard.commands.options import add_plan_options, plan_from_args, snapshot_of
from wizard.core.errors import ExitCode, InputError
from wizard.core.state import StateStore
from wizard.translate.translation import translate_for

ORDER = 60
SHOWN = 10  # findings listed per kind and sort


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "verify", help="compare Alcor with the translation: counts, missing, unexpected, field differences",
        description="Read every Alcor resource back and compare it with what the translation of the snapshot "
                    "says should exist (learned ids from the state directory). Exit 0 without drift, 1 with.")
    add_plan_options(parser)
    parser.add_argument("--json", action="store_true", help="print the drift as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    plan = plan_from_args(args)
    snapshot = snapshot_of(plan, "verify")
    if not plan.alcor_url("vpc"):
        raise InputError("verify needs Alcor: --alcor-url URL, or alcor.url in the plan")
    translation = translate_for(snapshot, plan)
    state = StateStore(plan.state_dir)
    try:
        with AlcorClient.from_plan(plan) as client:
            drift = verify(translation.requests, client, state.mapped_id)
    finally:
        state.close()
    console = Console(highlight=False)
    if args.json:
        console.print_json(json.dumps(drift.to_json(), default=str))
    else:
        show(console, drift)
    return ExitCode.FAILURE if drift.total else ExitCode.OK


def show(console: Console, drift: Drift) -> None:
    """Counts per kind, then the first findings of each kind."""
    table = Table(title="Alcor against the translation", show_edge=False)
    for column in ("kind", "expected", "in Alcor", "missing", "unexpected", "different"):
        table.add_column(column, justify="left" if column == "kind" else "right")
    for k in drift.kinds:
        marks = [f"[bold red]{n}[/]" if n else "0" for n in (len(k.missing), len(k.unexpected), len(k.differences))]
        table.add_row(k.kind, str(k.expected), str(k.actual), *marks)
    console.print(table)
    for k in drift.kinds:
        for id in k.missing[:SHOWN]:
            console.print(f"missing     {k.kind} {escape(id)}", soft_wrap=True)
        for id in k.unexpected[:SHOWN]:
            console.print(f"unexpected  {k.kind} {escape(id)}", soft_wrap=True)
        for d in k.differences[:SHOWN]:
            console.print(f"different   {k.kind} {escape(d.id)} {escape(d.field)}: expected "
                          f"{escape(repr(d.expected))}, Alcor has {escape(repr(d.actual))}", soft_wrap=True)
    verdict = "[green]no drift[/]" if not drift.total else f"[bold red]{drift.total} difference(s)[/]"
    console.print(f"verify: {verdict}")
