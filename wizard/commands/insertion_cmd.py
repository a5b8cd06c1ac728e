"""`alcor-migrate insertion`: send HAProxy's Neutron backend to the captures, or back (capture.insertion
haproxy), outside a run: to put the captures in place before it, or to take them out after one that
was killed (`run` does both by itself). `--dry-run` prints the backend it would write and changes nothing."""

from __future__ import annotations

import argparse
import difflib

from rich.console import Console

from wizard.capture.haproxy_insertion import HaproxyInsertion
from wizard.capture.insertion import HAPROXY, haproxy_arrival_problem
from wizard.commands.options import add_state_dir, overrides_from_args
from wizard.core.errors import InputError, MigrateError
from wizard.plan import load

ORDER = 51  # after `capture`: what puts the captures in the clients' path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "insertion", help="send HAProxy's Neutron backend to the captures (capture.insertion: haproxy), or back",
        description="Write the backend that sends Neutron's frontend to the captures into HAProxy's "
                    "configuration (capture.haproxy), check it with haproxy -c, reload HAProxy, and prove with a "
                    "marked request that traffic reaches a capture; --remove puts the original backend back. "
                    "The original is kept in the state directory until then.")
    parser.add_argument("--plan", metavar="FILE", required=True, help="the plan (capture.insertion: haproxy)")
    add_state_dir(parser)
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--remove", action="store_true", help="put HAProxy's original Neutron backend back")
    action.add_argument("--dry-run", action="store_true",
                        help="print the backend that would be written, and whether haproxy -c takes it; change "
                             "nothing")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    plan = load(args.plan, overrides_from_args(args))
    if plan.capture.insertion != HAPROXY:
        raise InputError(f"{args.plan}: capture.insertion: {plan.capture.insertion}: this command makes the "
                         "haproxy insertion; set capture.insertion: haproxy and capture.haproxy")
    console = Console(highlight=False, soft_wrap=True)
    insertion = HaproxyInsertion(plan.capture.haproxy, plan.state_dir, console.print)
    if args.dry_run:
        current, candidate = insertion.config.read_text(), insertion.candidate()
        console.print(f"backend {plan.capture.haproxy.backend} in {insertion.config} would become:\n")
        console.print(insertion.section, markup=False)
        console.print("".join(difflib.unified_diff(current.splitlines(keepends=True),
                                                   candidate.splitlines(keepends=True), str(insertion.config),
                                                   f"{insertion.config} (with the captures)")), markup=False)
        problem = insertion.check(candidate)
        console.print(problem or "haproxy -c takes it; nothing was changed (dry run)", markup=False)
        return 1 if problem else 0
    if args.remove:
        if not insertion.remove():
            console.print(f"nothing to remove: no insertion recorded in {insertion.backup}")
        return 0
    insertion.insert()
    problem = haproxy_arrival_problem(plan)
    if problem:
        raise MigrateError(f"capture.insertion haproxy: {problem} (still inserted; `insertion --remove` takes "
                           "it out)")
    console.print("a marked request to the public network endpoint reached a capture")
    return 0
