"""`alcor-migrate capture`: the capture proxy in the foreground, until Ctrl-C, SIGTERM or SIGHUP.

It writes the write log of the plan's state directory; a `run` of a plan with
`capture.mode: separate` replays that log read-only and holds this proxy's writes at the
cut-over through the hold file it watches (capture/hold_file.py). On an API node it runs as a
service (`--systemd-unit` prints the unit): `--feed-listen` serves its logs to the migration host
and takes the cut-over's write hold from it (capture/feed.py), `--workers N` runs N processes on
one port (capture/workers.py)."""

from __future__ import annotations

import argparse
import dataclasses
import os
import signal
import sys
import threading
from pathlib import Path

from wizard import plan as plan_module
from wizard.capture.config import ProxyConfig, url_of
from wizard.capture.feed import FeedServer, Source
from wizard.capture.feed_token import TOKEN_FILE, load_or_create_token
from wizard.capture.hold_file import HoldRequest, HoldWatcher
from wizard.capture.proxy import CaptureProxy
from wizard.capture.service import DEFAULT_STATE_DIR, systemd_unit
from wizard.capture.stats import CounterFile
from wizard.capture.workers import Supervisor, reserve_port, worker_dir
from wizard.capture.writelog import WriteLog
from wizard.commands.stop_signals import STOP_SIGNALS
from wizard.core.errors import InputError
from wizard.core.events import Event, EventBus, Message, ProxyStats
from wizard.core.state import prepare_state_dir
from wizard.neutron import endpoint
from wizard.plan import Plan

COUNTERS_FILE = "counters.json"  # a worker's requests, writes and marks, for the feed (stats.CounterFile)


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
    parser.add_argument("--feed-listen", metavar="HOST:PORT",
                        help="serve the write log(s), read-only and token-protected, on this address "
                             "(default: the plan's capture.feed.listen; none)")
    parser.add_argument("--feed-token-file", metavar="FILE",
                        help="the feed's token file, mode 0600, created if absent (default: the plan's "
                             f"capture.feed.token_file, or {TOKEN_FILE} in the state directory)")
    parser.add_argument("--workers", metavar="N", type=int,
                        help="capture processes on the one listen address, each with its own write log in "
                             "STATE_DIR/worker-K (default: the plan's capture.workers, 1)")
    parser.add_argument("--name", metavar="NAME", help="this capture's name in its health check and feed "
                                                       "(default: the host name)")
    parser.add_argument("--systemd-unit", action="store_true",
                        help="print a systemd unit running this command as a service, and exit")
    parser.add_argument(
        "--status-every", metavar="SECONDS", type=float, default=10.0, help="print a status line this often"
    )
    parser.add_argument("--worker-of", metavar="DIR", help=argparse.SUPPRESS)  # a worker of a supervisor at DIR
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if not (args.plan or args.neutron_url):
        raise InputError("capture: give --plan FILE or --neutron-url URL (or both)")
    if args.systemd_unit:
        return _print_unit(args)
    plan = _plan(args)
    config = dataclasses.replace(ProxyConfig.from_plan(plan, endpoint.find(plan.neutron)),
                                 stats_interval=args.status_every, **({"name": args.name} if args.name else {}))
    if args.worker_of:
        return _serve(plan, dataclasses.replace(config, reuse_port=True), hold_dir=args.worker_of,
                      counters=CounterFile(Path(plan.state_dir) / COUNTERS_FILE))
    if plan.capture.workers > 1:
        return _supervise(args, plan, config)
    return _serve(plan, config, hold_dir=plan.state_dir)


def _plan(args: argparse.Namespace) -> Plan:
    plan = plan_module.load(args.plan) if args.plan else Plan()
    if args.neutron_url:
        plan.neutron.url = args.neutron_url
    if args.listen:
        plan.capture.listen = args.listen
    if args.state_dir:
        plan.state_dir = args.state_dir
    if args.upstream_timeout is not None:
        plan.capture.upstream_timeout = args.upstream_timeout
    if args.feed_listen:
        plan.capture.feed.listen = args.feed_listen
    if args.feed_token_file:
        plan.capture.feed.token_file = args.feed_token_file
    if args.workers is not None:
        if args.workers < 1:
            raise InputError(f"capture --workers: {args.workers}: expected 1 or more")
        plan.capture.workers = args.workers
    if not endpoint.is_live(plan.neutron):
        raise InputError(f"{args.plan}: neutron.url / neutron.cloud: the plan names no live Neutron to "
                         "capture in front of; give --neutron-url URL")
    return plan


def _stop_event() -> threading.Event:
    stop = threading.Event()
    for signum in (signal.SIGINT, *STOP_SIGNALS):
        signal.signal(signum, lambda *_: stop.set())
    return stop


def _feed(plan: Plan, capture: str, sources: list[Source], tls) -> FeedServer | None:
    """The log feed the plan asks for, its token read (or made), not started yet (None: no feed asked for).
    Its write hold goes through the hold file of the state directory, which this capture's proxy (or
    every worker, through the supervisor) watches."""
    if not plan.capture.feed.listen:
        return None
    token = load_or_create_token(plan.capture.feed.token_file or Path(plan.state_dir) / TOKEN_FILE)
    return FeedServer(capture, sources, plan.capture.feed.listen, token, tls, hold=HoldRequest(plan.state_dir))


def _serve(plan: Plan, config: ProxyConfig, hold_dir: str, counters: CounterFile | None = None) -> int:
    """One capture process: the proxy, its hold watcher, and the feed (unless it is a worker)."""
    log = WriteLog(plan.state_dir)
    bus = EventBus()
    bus.subscribe(_print_event)
    proxy = CaptureProxy(config, log, bus)
    own = Source(config.name, Path(plan.state_dir), proxy.counters.shared)
    watcher = HoldWatcher(hold_dir, proxy, lambda text: bus.publish(Message(level="warning", text=text,
                                                                            phase="capture")),
                          ack_dir=plan.state_dir,
                          tell=lambda text: bus.publish(Message(level="info", text=text, phase="capture")))
    sharing = feed = None
    try:
        feed = None if counters else _feed(plan, config.name, [own], config.server_tls())
        stop = _stop_event()
        proxy.start()
        if feed:
            feed.start()
        sharing = counters.keep_up(proxy.counters) if counters else None
        watcher.start()
        print(f"capture: {proxy.url} -> {config.upstream}; write log {log.path}; {proxy.connections.describe()}"
              + (f"; feed {feed.url}" if feed else ""), file=sys.stderr, flush=True)
        stop.wait()
    finally:
        watcher.stop()
        proxy.stop()
        if sharing:
            sharing.set()
        if feed:
            feed.stop()
        log.close()
    return 0


def _supervise(args: argparse.Namespace, plan: Plan, config: ProxyConfig) -> int:
    """N workers on one port, and the feed serving their logs."""
    host, port = config.host_port()
    holder = reserve_port(host, port)
    port = holder.getsockname()[1]
    state_dir = str(prepare_state_dir(os.path.abspath(plan.state_dir)))

    def command(number: int) -> list[str]:
        return [sys.executable, "-m", "wizard", "capture",
                *_capture_args(args, listen=f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
                               state_dir=str(worker_dir(state_dir, number)), neutron_url=config.upstream,
                               name=f"{config.name}-worker-{number}", workers=None, feed_listen=None,
                               feed_token_file=None),
                "--worker-of", state_dir]

    stop = _stop_event()
    supervisor = Supervisor(plan.capture.workers, command, lambda text: print(text, file=sys.stderr, flush=True))
    sources = [Source(f"{config.name}-worker-{n}", worker_dir(state_dir, n),
                      CounterFile(worker_dir(state_dir, n) / COUNTERS_FILE).read)
               for n in range(1, plan.capture.workers + 1)]
    feed = _feed(plan, config.name, sources, config.server_tls())
    try:
        supervisor.start()
        if feed:
            feed.start()
        print(f"capture: {url_of(host, port, bool(config.tls_cert))} -> {config.upstream}; "
              f"{plan.capture.workers} workers, write logs {state_dir}/worker-*/"
              + (f"; feed {feed.url}" if feed else ""), file=sys.stderr, flush=True)
        for worker in supervisor.workers.values():
            print(f"{worker.name}: {worker.first_line.rstrip()}", file=sys.stderr, flush=True)
        supervisor.relay_holds(state_dir, stop)
        supervisor.watch(stop)
    finally:
        supervisor.stop()
        if feed:
            feed.stop()
        holder.close()
    return 0


# -- the command line again: for the workers, and the systemd unit's ExecStart ---------------
_OPTIONS = {  # attribute -> (option, a path made absolute)
    "plan": ("--plan", True), "neutron_url": ("--neutron-url", False), "listen": ("--listen", False),
    "state_dir": ("--state-dir", True), "upstream_timeout": ("--upstream-timeout", False),
    "feed_listen": ("--feed-listen", False), "feed_token_file": ("--feed-token-file", True),
    "workers": ("--workers", False), "name": ("--name", False), "status_every": ("--status-every", False),
}


def _capture_args(args: argparse.Namespace, **replaced) -> list[str]:
    """`capture`'s options as given in `args`, with `replaced` values instead."""
    values = {**{name: getattr(args, name) for name in _OPTIONS}, **replaced}
    out: list[str] = []
    for name, (option, is_path) in _OPTIONS.items():
        value = values[name]
        if value is not None:
            out += [option, os.path.abspath(value) if is_path else str(value)]
    return out


def _print_unit(args: argparse.Namespace) -> int:
    state_dir = args.state_dir or DEFAULT_STATE_DIR
    print(systemd_unit(_capture_args(args, state_dir=state_dir), os.path.abspath(state_dir)), end="")
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
