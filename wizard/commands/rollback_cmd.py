"""`alcor-migrate rollback`: undo a partial cutover node by node, then restore the network endpoint."""

from __future__ import annotations

import argparse

from rich.console import Console
from rich.table import Table

from wizard.commands.options import add_plan_options, plan_from_args
from wizard.core.engine import NotApproved
from wizard.core.errors import MigrateError
from wizard.core.state import StateStore
from wizard.cutover.records import NodeRecords
from wizard.cutover.rollback import roll_back
from wizard.headless import console_approver
from wizard.phases.cutover import alcor_node_control

ORDER = 61


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "rollback", help="undo a partial cutover: nodes back to the Neutron agents, then the endpoint",
        description="Roll back every node the state directory records as moved (or partly moved) to ACA, "
                    "the last one first: unbind its ports in Alcor, stop ACA, start the Neutron agents. "
                    "Then point the network endpoint back at Neutron.")
    add_plan_options(parser)
    parser.add_argument("--nodes-only", action="store_true", help="leave the endpoint on Alcor")
    parser.add_argument("--yes", action="store_true", help="skip the confirmations (not the checks)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    plan = plan_from_args(args)
    if plan.cutover.executor.kind == "lab":
        raise MigrateError("the lab's nodes live inside `alcor-migrate lab run` (or `run` on a lab plan), which "
                           "rolls them back itself")
    state = StateStore(plan.state_dir)
    approve = console_approver(args.yes)

    def ask(phase: str, question: str) -> None:
        if not approve(phase, question):
            raise NotApproved(f"{phase}: not approved: {question}")

    nodes = NodeRecords(state).to_undo()
    console = Console(highlight=False)
    ask("rollback", f"Roll back {len(nodes)} nodes to the Neutron agents"
                    + ("" if args.nodes_only else ", then restore the endpoint") + "?")
    result = roll_back(plan, state, alcor_node_control(plan), ask, endpoint=not args.nodes_only)
    table = Table("node", "result", "steps", title="rollback", title_justify="left")
    for outcome in result.nodes:
        steps = ", ".join(f"{r.step} {r.seconds:.1f}s{'' if r.ok else ' FAILED'}" for r in outcome.rollback)
        table.add_row(outcome.node, outcome.status.replace("_", " "), steps)
    console.print(table)
    console.print(f"{len(result.nodes)} nodes, {result.endpoints} endpoints restored")
    return 0 if result.ok else 1
