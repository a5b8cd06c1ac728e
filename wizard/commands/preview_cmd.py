"""`alcor-migrate preview`: translate a snapshot and show what convert would send. Sends nothing."""

from __future__ import annotations

import argparse

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from wizard.commands.options import add_plan_options, plan_from_args, snapshot_of
from wizard.core.errors import ExitCode, InputError
from wizard.core.process_exit import end_process
from wizard.neutron.access import no_agents
from wizard.translate import dryrun
from wizard.translate.accounting import Tally, account, unaccounted
from wizard.translate.model import Translation
from wizard.translate.translation import translate_for

_STYLE = {"blocker": "bold red", "warning": "yellow", "info": "dim"}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "preview", help="dry run: translate the snapshot, show requests, findings and accounting",
        description="Translate a Neutron snapshot into Alcor requests and show them; nothing is sent. "
                    "Exit 0 without blockers, 3 with blockers.")
    add_plan_options(parser)
    parser.add_argument("--out", metavar="DIR", help="write requests.jsonl, findings.json and summary.md here")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    plan = plan_from_args(args)
    snapshot = snapshot_of(plan, "preview")
    translation = translate_for(snapshot, plan)
    tallies = account(snapshot, translation)
    console = Console(highlight=False)
    show(console, translation, tallies)
    partial = no_agents(snapshot)
    if partial:
        console.print(f"[yellow]warning[/] snapshot-without-agents: {escape(partial)}")
    if args.out:
        for path in dryrun.write(args.out, translation, tallies):
            console.print(f"wrote {escape(str(path))}")
    missing = unaccounted(tallies)
    if missing:  # a translation bug, never the operator's: say so loudly
        raise InputError([f"unaccounted resource: {item}" for item in missing])
    code = ExitCode.BLOCKED if translation.blockers else ExitCode.OK
    if args.end_process_when_done:  # every file is closed: the translation need not be freed
        end_process(code)
    return code


def _clip(text: str, width: int = 72) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


def show(console: Console, translation: Translation, tallies: dict[str, Tally]) -> None:
    """Requests per kind and service, findings by severity (with examples), and the accounting."""
    requests = Table(title="requests, in execution order", show_edge=False)
    for column in ("kind", "service", "requests", "resources"):
        requests.add_column(column, justify="right" if column in ("requests", "resources") else "left")
    for kind, service, n, resources in dryrun.request_counts(translation):
        requests.add_row(kind, service, str(n), str(resources))
    console.print(requests)

    findings = Table(title="findings", show_edge=False)
    findings.add_column("severity")
    findings.add_column("code")
    findings.add_column("count", justify="right")
    findings.add_column("first one")
    first: dict[str, str] = {}
    for f in translation.findings:
        first.setdefault(f.code, _clip(f"{f.neutron.kind} {f.neutron.id}: {f.message}"))
    for severity, code, n in dryrun.finding_counts(translation):
        style = _STYLE[severity]
        findings.add_row(f"[{style}]{severity}[/]", code, str(n), escape(first[code]))
    console.print(findings)

    accounting = Table(title="accounting: every Neutron resource", show_edge=False)
    for column in ("collection", "total", "requested", "id map", "finding only", "unaccounted"):
        accounting.add_column(column, justify="left" if column == "collection" else "right")
    for kind, t in tallies.items():
        lost = f"[bold red]{len(t.unaccounted)}[/]" if t.unaccounted else "0"
        accounting.add_row(kind, str(t.total), str(t.requested), str(t.mapped), str(t.reported), lost)
    console.print(accounting)
    blockers = len(translation.blockers)
    verdict = (f"[bold red]{blockers} blocker(s)[/]: resolve them before convert" if blockers
               else "[green]no blockers[/]")
    console.print(f"{len(translation.requests)} requests; {verdict}. Nothing was sent.")
