"""`alcor-migrate cutover`: switch, drain and hand the nodes over to ACA; `--dry-run` prints the timeline."""

from __future__ import annotations

import argparse

from rich.console import Console

from wizard.commands.options import add_plan_options, plan_from_args
from wizard.core.engine import Engine
from wizard.core.errors import MigrateError
from wizard.core.run_state import RunState
from wizard.core.state import StateStore
from wizard.cutover.site import site_for
from wizard.cutover.timeline import timeline
from wizard.headless import RichReport, console_approver
from wizard.phases.cutover import cutover_phases

ORDER = 60


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "cutover", help="switch the endpoint, drain Neutron, move the nodes to ACA (--dry-run: the timeline)",
        description="Switch the network endpoint to Alcor behind the cut-over gate, wait for Neutron to "
                    "drain, then hand the compute nodes from the Neutron agents to ACA in waves. "
                    "With --dry-run, print every step and command per node, in order, with timeouts "
                    "and the networks each wave splits, and change nothing.")
    add_plan_options(parser)
    parser.add_argument("--dry-run", action="store_true", help="print the timeline; change nothing")
    parser.add_argument("--yes", action="store_true", help="skip the confirmations (not the checks)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    plan = plan_from_args(args)
    if args.dry_run:
        site = site_for(plan, RunState())
        console = Console(highlight=False, soft_wrap=True)
        for line in timeline(site.plan, site.nodes, site.waves, site.splits, site.executor, site.network_names):
            console.print(line, markup=False)
        return 0
    if plan.cutover.executor.kind == "lab":
        raise MigrateError("the lab's nodes live inside `alcor-migrate lab run` (or `run` on a lab plan); "
                           "use `cutover --dry-run` to see the lab's timeline")
    engine = Engine(plan, cutover_phases(), StateStore(plan.state_dir), approve=console_approver(args.yes))
    with RichReport() as report:
        engine.bus.subscribe(report)
        result = engine.run()
    return 0 if result.ok else 1
