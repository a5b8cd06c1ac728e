"""Options shared by the commands that act on a plan, and the plan they describe."""

from __future__ import annotations

import argparse
import os

from wizard import plan as plan_module
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
    parser.add_argument("--state-dir", metavar="DIR", help="where state, logs and reports go")


def overrides_from_args(args: argparse.Namespace) -> list[Override]:
    """The plan keys the command line sets; paths are relative to the current directory."""
    out = []
    if args.snapshot:
        out.append(Override("neutron.snapshot", os.path.abspath(args.snapshot), "--snapshot"))
    if args.neutron_url:
        out += [Override("neutron.url", args.neutron_url, "--neutron-url"),
                Override("neutron.auth", "none", "--neutron-url"),
                Override("neutron.cloud", None, "--neutron-url")]
    if args.os_cloud:
        out += [Override("neutron.cloud", args.os_cloud, "--os-cloud"),
                Override("neutron.auth", "keystone", "--os-cloud"),
                Override("neutron.url", None, "--os-cloud")]
    if args.alcor_url:
        out.append(Override("alcor.url", args.alcor_url, "--alcor-url"))
    if args.state_dir:
        out.append(Override("state_dir", os.path.abspath(args.state_dir), "--state-dir"))
    return out


def plan_from_args(args: argparse.Namespace) -> Plan:
    """The plan file (or the defaults) with the command line's overrides, all checked."""
    overrides = overrides_from_args(args)
    if args.plan:
        return plan_module.load(args.plan, overrides)
    return plan_module.from_overrides(overrides)
