"""`alcor-migrate capture`: the capture proxy in the foreground, until Ctrl-C, SIGTERM or SIGHUP.

It writes the write log of the plan's state directory; a `run` of a plan with
`capture.mode: separate` replays that log read-only and holds this proxy's writes at the
cut-over through the hold file it watches (capture/hold_file.py)."""

from __future__ import annotations

import argparse
import dataclasses
import signal
import sys
import threading

from wizard import plan as plan_module
from wizard.capture.config import ProxyConfig
from wizard.capture.hold_file import HoldWatcher
from wizard.capture.proxy import CaptureProxy
from wizard.capture.writelog import WriteLog
from wizard.commands.stop_signals import STOP_SIGNALS
from wizard.core.errors import InputError
from wizard.core.events import Event, EventBus, Message, ProxyStats
from wizard.neutron import endpoint
from wizard.plan import Plan


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "capture",
        help="run the capture proxy in front of Neutron",
        description="Pass every request through to Neutron and log each write durably "
        "before it is sent. Stops on Ctrl-C, SIGTERM or SIGHUP.",
    )
    parser.add_argument("--plan", metavar="FILE", help="take Neutron (url, or the cloud's catalog) and capture.* "
                                                       "from this plan")
    parser.add_argument("--neutron-url", metavar="URL", help="Neutron's endpoint (http or https); with --plan, "
                                                             "it replaces the plan's (or the catalog's)")
    parser.add_argument("--listen", metavar="HOST:PORT", help="default: the plan's capture.listen (127.0.0.1:9797)")
    parser.add_argument("--state-dir", metavar="DIR", help="where the write log goes (default: the plan's, or ./state)")
    parser.add_argument("--upstream-timeout", metavar="SECONDS", type=float,
                        help="how long Neutron may take to connect, and between two reads of its answer "
                             "(default: the plan's capture.upstream_timeout, 60)")
    parser.add_argument(
        "--status-every", metavar="SECONDS", type=float, default=10.0, help="print a status line this often"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if not (args.plan or args.neutron_url):
        raise InputError("capture: give --plan FILE or --neutron-url URL (or both)")
    plan = plan_module.load(args.plan) if args.plan else Plan()
    if args.neutron_url:
        plan.neutron.url = args.neutron_url
    if args.listen:
        plan.capture.listen = args.listen
    if args.state_dir:
        plan.state_dir = args.state_dir
    if args.upstream_timeout is not None:
        plan.capture.upstream_timeout = args.upstream_timeout
    if not endpoint.is_live(plan.neutron):
        raise InputError(f"{args.plan}: neutron.url / neutron.cloud: the plan names no live Neutron to "
                         "capture in front of; give --neutron-url URL")
    config = dataclasses.replace(ProxyConfig.from_plan(plan, endpoint.find(plan.neutron)),
                                 stats_interval=args.status_every)
    log = WriteLog(plan.state_dir)
    try:
        bus = EventBus()
        bus.subscribe(_print_event)
        proxy = CaptureProxy(config, log, bus)
        stop = threading.Event()
        for signum in (signal.SIGINT, *STOP_SIGNALS):
            signal.signal(signum, lambda *_: stop.set())
        proxy.start()
        watcher = HoldWatcher(plan.state_dir, proxy,
                              lambda text: bus.publish(Message(level="warning", text=text, phase="capture")))
        watcher.start()
        print(f"capture: {proxy.url} -> {config.upstream}; write log {log.path}; {proxy.connections.describe()}",
              file=sys.stderr, flush=True)
        stop.wait()
        watcher.stop()
        proxy.stop()
    finally:
        log.close()
    return 0


def _print_event(event: Event) -> None:
    if isinstance(event, ProxyStats):
        print(
            f"Capture: requests {event.requests}; writes {event.writes} (refused {event.refused}); "
            f"errors {event.errors}; in flight {event.in_flight}; "
            f"latency p50 {event.latency_p50_ms:.2f}ms p99 {event.latency_p99_ms:.2f}ms",
            file=sys.stderr,
            flush=True,
        )
    elif isinstance(event, Message):
        print(f"{event.level}: {event.text}", file=sys.stderr, flush=True)
