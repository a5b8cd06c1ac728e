"""`alcor-migrate lab ...`: tools of the embedded lab, one subcommand each."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from rich.console import Console

from wizard.commands import lab_alcor, run_cmd
from wizard.commands.options import add_state_dir
from wizard.lab import home
from wizard.lab.synth import CloudSize, SyntheticCloud, write

ORDER = 90


def register(subparsers) -> None:
    parser = subparsers.add_parser("lab", help="the embedded lab: run it, and its tools (synthetic clouds, ...)")
    sub = parser.add_subparsers(dest="lab_command", metavar="SUBCOMMAND", required=True)
    for add in SUBCOMMANDS:
        add(sub)


def add_run(sub) -> None:
    parser = sub.add_parser(
        "run", help="run a lab plan shipped with alcor-migrate, from any directory",
        description="Run the whole migration on this machine, as `run --plan` on a lab plan shipped with "
                    "alcor-migrate. Its state goes to state/NAME of the source tree when started inside it, "
                    "else to $XDG_STATE_HOME/alcor-migrate/NAME (~/.local/state/alcor-migrate/NAME); the "
                    "same command again resumes it.")
    parser.add_argument("name", nargs="?", default=home.DEFAULT, choices=home.labs(), metavar="NAME",
                        help=f"the lab: {', '.join(home.labs())} (default %(default)s)")
    add_state_dir(parser)  # the lab itself says where Neutron and Alcor are
    run_cmd.add_run_options(parser)
    parser.set_defaults(func=run_lab)


def run_lab(args: argparse.Namespace) -> int:
    args.plan = str(home.plan_file(args.name))
    state_dir = args.state_dir or home.state_dir(args.name)
    Console(stderr=True, highlight=False).print(f"lab {args.name}: plan {args.plan}, state in {state_dir}",
                                                soft_wrap=True)
    return run_cmd.run(args)


def add_synth(sub) -> None:
    parser = sub.add_parser(
        "synth", help="write a synthetic Neutron snapshot of any size",
        description="Write a consistent neutron-snapshot/1 file in Neutron 29's exact shapes. "
                    "Options left out are derived from --ports. The same seed gives the same file.")
    parser.add_argument("--ports", type=int, required=True, metavar="N", help="ports in all (exactly)")
    parser.add_argument("--networks", type=int, metavar="N", help="tenant networks (default ports/40)")
    parser.add_argument("--rules", type=int, metavar="N", help="security group rules (exactly)")
    parser.add_argument("--projects", type=int, metavar="N", help="tenant projects (default networks/4)")
    parser.add_argument("--hosts", type=int, metavar="N", help="compute hosts (default ports/30)")
    parser.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default 0)")
    parser.add_argument("--out", required=True, metavar="FILE", help="the snapshot file to write")
    parser.set_defaults(func=run_synth)


def run_synth(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    cloud = SyntheticCloud(CloudSize(ports=args.ports, networks=args.networks, rules=args.rules,
                                     projects=args.projects, hosts=args.hosts, seed=args.seed))
    counts = write(cloud, args.out)
    summary = ", ".join(f"{count} {name}" for name, count in counts.items() if count)
    Console(highlight=False).print(
        f"wrote {args.out}: {summary} in {time.perf_counter() - started:.1f} s", soft_wrap=True)
    return 0


SUBCOMMANDS: tuple[Callable, ...] = (add_run, add_synth, lab_alcor.add_parser)
