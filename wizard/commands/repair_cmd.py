"""`alcor-migrate repair`: send Alcor the difference from a fresh translation of Neutron (wizard/alcor/repair.py)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from wizard.alcor.client import AlcorClient
from wizard.alcor.repair import CREATED, DELETED, UPDATED, RepairResult, made_by_migration, repair
from wizard.commands.options import add_plan_options, plan_from_args, snapshot_of
from wizard.core.errors import ExitCode, InputError
from wizard.core.state import StateStore
from wizard.neutron import snapshot as snapshot_file
from wizard.neutron.endpoint import is_live, pinned
from wizard.neutron.reader import NeutronReader
from wizard.neutron.snapshot import Snapshot
from wizard.plan import Plan
from wizard.translate import idmap
from wizard.translate.model import Finding, raised_anew
from wizard.translate.translation import translate_for

ORDER = 61
SHOWN = 20  # changes listed


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "repair", help="send Alcor what differs from a fresh translation of Neutron (writes that bypassed capture)",
        description="Read Neutron now (the plan's live Neutron, else its snapshot file), translate it with the "
                    "plan's policies, read Alcor back and send only the difference: creates, updates, and deletes "
                    "of what the migration made (never of what it did not). Then verify again. Exit 0 without "
                    "drift left, 1 with drift left or requests Alcor refused, 2 on bad input.")
    add_plan_options(parser)
    parser.add_argument("--dry-run", action="store_true", help="print the difference and send nothing")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    plan = plan_from_args(args)
    if not plan.alcor_url("vpc"):
        raise InputError("repair needs Alcor: --alcor-url URL, or alcor.url in the plan")
    state = StateStore(plan.state_dir)
    try:
        now = translate_for(neutron_now(plan, state), plan)
        idmap.restore(state, now)
        converted = translate_for(run_snapshot(plan, state), plan)
        with AlcorClient.from_plan(plan) as client:
            result = repair(now.requests, client, state, made_by_migration(converted.requests, state),
                            dry_run=args.dry_run, concurrency=plan.alcor.concurrency)
        findings = raised_anew(now.findings, converted.findings)
    finally:
        state.close()
    console = Console(highlight=False)
    if args.json:
        console.print_json(json.dumps(to_json(result, findings), default=str))
    else:
        show(console, result, findings, args.dry_run)
    if args.dry_run:
        return ExitCode.OK
    return ExitCode.OK if result.complete and result.drift is not None and not result.drift.total else ExitCode.FAILURE


def neutron_now(plan: Plan, state: StateStore) -> Snapshot:
    """Neutron as it is now: read from the live API (at the endpoint the run recorded), else the snapshot file."""
    if is_live(plan.neutron):
        with NeutronReader(pinned(plan.neutron, state)) as reader:
            return reader.read()
    return snapshot_of(plan, "repair")


def run_snapshot(plan: Plan, state: StateStore) -> Snapshot:
    """The snapshot the run converted (its copy in the state directory), else Neutron's snapshot file."""
    path = Path(state.dir) / snapshot_file.STATE_FILE
    return snapshot_file.load(path) if path.exists() else snapshot_of(plan, "repair")


def to_json(result: RepairResult, findings: list[Finding]) -> dict:
    return {**result.patch.to_json(), "sent": result.sent.to_json() if result.sent else None,
            "drift_after": result.drift.to_json(most=SHOWN) if result.drift is not None else None,
            "findings": [f.to_json() for f in findings]}


def show(console: Console, result: RepairResult, findings: list[Finding], dry_run: bool) -> None:
    """Per kind what is (or would be) created, updated and deleted, the first changes, and the verdict."""
    patch = result.patch
    table = Table(title="Repair: Alcor against a fresh translation of Neutron" + (" (dry run)" if dry_run else ""),
                  show_edge=False)
    for column in ("kind", CREATED, UPDATED, DELETED):
        table.add_column(column, justify="left" if column == "kind" else "right")
    for kind, n in sorted(patch.counts().items()):
        table.add_row(kind, str(n[CREATED]), str(n[UPDATED]), str(n[DELETED]))
    console.print(table)
    for change in patch.changes[:SHOWN]:
        fields = f" ({', '.join(change.fields)})" if change.fields else ""
        console.print(f"{change.action:<8} {change.kind} {escape(change.id)}{escape(fields)}", soft_wrap=True)
    for kind, id in patch.kept[:SHOWN]:
        console.print(f"kept     {kind} {escape(id)}: not made by the migration", soft_wrap=True)
    for kind, id in patch.unrepairable[:SHOWN]:
        console.print(f"left     {kind} {escape(id)}: Alcor makes it with its group, which it holds", soft_wrap=True)
    for finding in findings[:SHOWN]:
        about = f"{finding.neutron.kind} {finding.neutron.id}"
        console.print(f"{finding.severity.value:<8} {finding.code} {escape(about)}: {escape(finding.message)}",
                      soft_wrap=True)
    if dry_run:
        console.print(f"repair: {len(patch.requests)} request(s) would be sent; nothing sent (dry run)")
        return
    if result.sent is not None and not result.sent.complete:
        console.print(escape(result.sent.describe(phase="repair")), soft_wrap=True)
    left = result.drift.total if result.drift is not None else 0
    verdict = "[green]no drift[/]" if not left else f"[bold red]{left} difference(s) left[/]"
    console.print(f"repair: {len(patch.requests)} request(s) sent; {verdict}")
