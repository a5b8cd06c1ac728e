"""Options shared by the commands that act on a plan, and the plan they describe."""

from __future__ import annotations

import argparse

from wizard import plan as plan_module
from wizard.plan import Plan


def add_plan_options(parser: argparse.ArgumentParser) -> None:
    """--plan plus the overrides of the plan keys people change most."""
    parser.add_argument("--plan", metavar="FILE", help="the YAML plan to use")
    parser.add_argument("--snapshot", metavar="FILE", help="read Neutron from this snapshot file")
    parser.add_argument("--neutron-url", metavar="URL", help="Neutron endpoint (auth none)")
    parser.add_argument("--os-cloud", metavar="NAME", help="a cloud from clouds.yaml (OS_* honoured)")
    parser.add_argument("--alcor-url", metavar="URL", help="one base URL for every Alcor service")
    parser.add_argument("--state-dir", metavar="DIR", help="where state, logs and reports go")


def plan_from_args(args: argparse.Namespace) -> Plan:
    """The plan file (or the defaults) with the command line's overrides applied."""
    plan = plan_module.load(args.plan) if args.plan else Plan()
    if args.snapshot:
        plan.neutron.snapshot = args.snapshot
    if args.neutron_url:
        plan.neutron.url, plan.neutron.auth, plan.neutron.cloud = args.neutron_url, "none", None
    if args.os_cloud:
        plan.neutron.cloud, plan.neutron.url, plan.neutron.auth = args.os_cloud, None, "keystone"
    if args.alcor_url:
        plan.alcor.url = args.alcor_url
    if args.state_dir:
        plan.state_dir = args.state_dir
    return plan
