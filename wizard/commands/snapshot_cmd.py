"""`alcor-migrate snapshot`: read every Neutron collection into a snapshot file."""

from __future__ import annotations

import argparse
import time

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from wizard.commands.options import add_plan_options, plan_from_args
from wizard.core.errors import InputError
from wizard.neutron.access import require_admin
from wizard.neutron.reader import NeutronReader


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "snapshot", help="read every Neutron resource into a snapshot file",
        description="Read every Neutron collection (all projects, paginated) into a "
                    "neutron-snapshot/1 JSON file.")
    add_plan_options(parser)
    parser.add_argument("--out", metavar="FILE", required=True, help="the snapshot file to write")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    plan = plan_from_args(args)
    if plan.neutron.snapshot:
        raise InputError(f"neutron.snapshot: {plan.neutron.snapshot}: `snapshot` reads a live Neutron; "
                         "drop the snapshot file setting or use --neutron-url / --os-cloud")
    started = time.monotonic()
    progress = Progress(SpinnerColumn(), TextColumn("{task.description:<24}"),
                        TextColumn("{task.completed:>8,.0f}"), TimeElapsedColumn(),
                        console=Console(stderr=True), transient=True)
    tasks: dict[str, TaskID] = {}

    def report(name: str, count: int, done: bool) -> None:
        if name not in tasks:
            tasks[name] = progress.add_task(name, total=None)
        progress.update(tasks[name], completed=count)
        if done:
            progress.stop_task(tasks[name])

    with NeutronReader(plan.neutron, progress=report) as reader:
        require_admin(reader)
        with progress:
            counts = reader.write(args.out)
        endpoint, requests = reader.endpoint, reader.requests
    table = Table("collection", "resources", title=f"{args.out} from {endpoint}", title_justify="left")
    for name, count in counts.items():
        served = reader.is_served(name)
        table.add_row(name, f"{count:,}" if served else "- (extension absent)")
    Console(highlight=False).print(table)
    Console(highlight=False).print(f"{sum(counts.values()):,} resources, {requests:,} requests, "
                                   f"{time.monotonic() - started:.1f} s")
    return 0
