"""`alcor-migrate plan new|check FILE`: write a commented plan template, or check a plan."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from wizard import plan as plan_module
from wizard.commands.options import add_overrides, overrides_from_args
from wizard.core.errors import InputError
from wizard.plan import Plan
from wizard.plan.writer import format_duration

ORDER = 10  # first in --help: a run starts with a plan


def register(subparsers) -> None:
    parser = subparsers.add_parser("plan", help="write a plan template, or check a plan")
    sub = parser.add_subparsers(dest="plan_command", metavar="SUBCOMMAND", required=True)
    new = sub.add_parser("new", help="write a plan template with a comment on every key")
    new.add_argument("file", metavar="FILE")
    new.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    new.set_defaults(func=run_new)
    check = sub.add_parser("check", help="check a plan (with any overrides): a summary (exit 0) "
                                         "or every problem (exit 2)")
    check.add_argument("file", metavar="FILE")
    add_overrides(check)
    check.set_defaults(func=run_check)


def run_new(args: argparse.Namespace) -> int:
    path = Path(args.file)
    if path.exists() and not args.force:
        raise InputError(f"{path}: already exists (use --force to overwrite it)")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(plan_module.template(), encoding="utf-8")
    Console(highlight=False).print(f"wrote {escape(str(path))}; edit it, then: "
                                   f"alcor-migrate plan check {escape(str(path))}", soft_wrap=True)
    return 0


def run_check(args: argparse.Namespace) -> int:
    plan = plan_module.load(args.file, overrides_from_args(args))
    console = Console(highlight=False)
    console.print(f"{escape(args.file)}: ok, plan {escape(plan.name)!r}", soft_wrap=True)
    for label, text in summary(plan):
        console.print(f"  {label:<9} {escape(text)}", soft_wrap=True)
    return 0


def _capture(plan: Plan) -> str:
    """Where the capture listens and where it forwards, or why nothing is captured."""
    neutron = plan.neutron
    if not plan.capture.enabled:
        return "off: writes made during the migration are not carried to Alcor"
    if plan.lab:
        return f"proxy on {plan.capture.listen} in front of the lab's Neutron"
    if not (neutron.url or neutron.cloud):
        return "nothing to capture: the plan reads only a snapshot file"
    upstream = neutron.url or f"the catalog's {neutron.interface} network endpoint (found and kept at preflight)"
    return f"proxy on {plan.capture.listen}, forwarding to {upstream}"


def summary(plan: Plan) -> list[tuple[str, str]]:
    """A few lines an operator reads at a glance: what the plan will do."""
    neutron, alcor, cutover = plan.neutron, plan.alcor, plan.cutover
    if plan.lab:
        source = f"the embedded lab, seeded from {plan.lab.cloud}"
    elif neutron.snapshot and not (neutron.cloud or neutron.url):
        source = f"snapshot {neutron.snapshot}"
    else:
        source = (f"cloud {neutron.cloud}" if neutron.cloud else f"{neutron.url}") + f" (auth {neutron.auth})"
        if neutron.snapshot:
            source += f", read from snapshot {neutron.snapshot}"
    endpoints = f"{len(alcor.endpoints)} service endpoints" if alcor.endpoints else ""
    if plan.lab:
        target = "the Alcor emulator"
    else:
        target = f"{alcor.url} (+ {endpoints})" if alcor.url and endpoints else alcor.url or endpoints
    waves = cutover.waves
    if waves.all_at_once:
        wave_text = "all hosts in one wave"
    elif waves.lists:
        wave_text = f"{len(waves.lists)} listed waves"
    else:
        wave_text = f"waves of {waves.batch_size} hosts"
    if waves.canary:
        wave_text = f"canary {', '.join(waves.canary)}, then {wave_text}"
    drain = cutover.drain
    return [
        ("neutron", source),
        ("alcor", target),
        ("state", plan.state_dir),
        ("capture", _capture(plan)),
        ("switch", f"endpoint {cutover.endpoint.method}, drain {format_duration(drain.min)}"
                   f"–{format_duration(drain.max)}" + (", postponed" if cutover.postpone else "")),
        ("nodes", f"{wave_text}, via {cutover.executor.kind}"
                  + (f"; {len(plan.nodes)} host overrides" if plan.nodes else "")),
    ]
