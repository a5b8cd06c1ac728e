"""Options shared by the commands that act on a plan, and the plan they describe."""

from __future__ import annotations

import argparse
import os

from wizard import plan as plan_module
from wizard.core.errors import InputError
from wizard.lab import home as lab_home
from wizard.lab.samples import cloud_file
from wizard.neutron import snapshot as snapshot_module
from wizard.neutron.snapshot import Snapshot
from wizard.plan import Override, Plan


def add_plan_options(parser: argparse.ArgumentParser) -> None:
    """--plan plus the overrides of the plan keys people change most."""
    parser.add_argument("--plan", metavar="FILE", help="the YAML plan to use")
    add_overrides(parser)


def add_overrides(parser: argparse.ArgumentParser) -> None:
    """Options that override plan keys; checked like the keys they set."""
    parser.add_argument("--snapshot", metavar="FILE", help="read Neutron from this snapshot file")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--neutron-url", metavar="URL", help="Neutron endpoint (auth none)")
    source.add_argument("--os-cloud", metavar="NAME", help="a cloud from clouds.yaml (OS_* honoured)")
    parser.add_argument("--alcor-url", metavar="URL", help="one base URL for every Alcor service")
    add_state_dir(parser)


def add_state_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--state-dir", metavar="DIR", help="where state, logs and reports go")


def overrides_from_args(args: argparse.Namespace) -> list[Override]:
    """The plan keys the command line sets (a command may take only some of these options);
    paths are relative to the current directory."""
    snapshot, neutron_url, os_cloud, alcor_url, state_dir = (
        getattr(args, name, None) for name in ("snapshot", "neutron_url", "os_cloud", "alcor_url", "state_dir"))
    out = []
    if snapshot:
        out.append(Override("neutron.snapshot", os.path.abspath(snapshot), "--snapshot"))
    if neutron_url:
        out += [Override("neutron.url", neutron_url, "--neutron-url"),
                Override("neutron.auth", "none", "--neutron-url"),
                Override("neutron.cloud", None, "--neutron-url")]
    if os_cloud:
        out += [Override("neutron.cloud", os_cloud, "--os-cloud"),
                Override("neutron.auth", "keystone", "--os-cloud"),
                Override("neutron.url", None, "--os-cloud")]
    if alcor_url:
        out.append(Override("alcor.url", alcor_url, "--alcor-url"))
    if state_dir:
        out.append(Override("state_dir", os.path.abspath(state_dir), "--state-dir"))
    return out


def plan_from_args(args: argparse.Namespace) -> Plan:
    """The plan file (or the defaults) with the command line's overrides, all checked; a lab plan
    shipped with alcor-migrate gets its state directory (wizard/lab/home.py)."""
    overrides = overrides_from_args(args)
    if args.plan:
        return plan_module.load(args.plan, [*lab_home.overrides_for(args.plan), *overrides])
    return plan_module.from_overrides(overrides)


def snapshot_of(plan: Plan, command: str) -> Snapshot:
    """The plan's snapshot file (or the lab's cloud), loaded, for a command that cannot work without one."""
    path = plan.neutron.snapshot or (cloud_file(plan.lab.cloud) if plan.lab else None)
    if not path:
        raise InputError(f"{command} needs a snapshot: --snapshot FILE, or neutron.snapshot (or lab.cloud) in the plan")
    return snapshot_module.load(path)
