"""`alcor-migrate lab alcor`: run the Alcor emulator alone, in the foreground, until Ctrl-C.

A subcommand of `lab` (wizard/commands/lab_cmd.py), hence not named `*_cmd`.
"""

from __future__ import annotations

import argparse
import signal
import threading

from rich.console import Console

from wizard.alcor.services import API_GATEWAY_PORT, SERVICES
from wizard.commands.stop_signals import STOP_SIGNALS
from wizard.core.errors import InputError
from wizard.lab.alcor import AlcorEmulator, Faults

# Faults' field names as the command line spells them, for error messages.
OPTIONS = {"error_rate": "--fault-500", "timeout_rate": "--fault-timeout", "drop_rate": "--fault-drop",
           "after_share": "--fault-after"}


def add_parser(lab_subparsers) -> argparse.ArgumentParser:
    """Add `alcor` to the `lab` command's subparsers."""
    parser = lab_subparsers.add_parser(
        "alcor",
        help="run the Alcor emulator alone",
        description="Serve Alcor's REST API (emulated, traps included) on loopback until Ctrl-C.",
    )
    where = parser.add_argument_group("where")
    where.add_argument("--host", default="127.0.0.1", help="address to listen on (default %(default)s)")
    where.add_argument("--port", type=int, default=API_GATEWAY_PORT,
                       help="one port for every service, or the gateway's with --gateway "
                            "(default %(default)s; 0 picks free ports, also for each service)")
    where.add_argument("--per-service-ports", action="store_true",
                       help="one port per service on Alcor's defaults (vpc 9001, subnet 9002, ...)")
    where.add_argument("--gateway", action="store_true",
                       help="one port per service, behind an API gateway on --port that routes only what "
                            "Alcor's gateway routes (no /nodes, no /segments; VPC lists as `networks`)")
    where.add_argument("--state", metavar="FILE", help="load state from FILE at start, save it there at exit")
    faults = parser.add_argument_group("faults")
    faults.add_argument("--fault-500", type=float, default=0.0, metavar="SHARE", help="share of requests answered 500")
    faults.add_argument("--fault-timeout", type=float, default=0.0, metavar="SHARE",
                        help="share of requests held past the client's timeout")
    faults.add_argument("--fault-drop", type=float, default=0.0, metavar="SHARE",
                        help="share of connections closed without an answer")
    faults.add_argument("--fault-after", type=float, default=0.5, metavar="SHARE",
                        help="share of faults that strike after the request took effect (default %(default)s)")
    faults.add_argument("--hold-seconds", type=float, default=30.0, help="how long a timeout fault holds (s)")
    faults.add_argument("--latency-ms", type=float, default=0.0, help="latency added to every request")
    parser.add_argument("--seed", type=int, help="seed for ids, VNIs and faults (reproducible runs)")
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    try:
        faults = Faults(error_rate=args.fault_500, timeout_rate=args.fault_timeout, drop_rate=args.fault_drop,
                        after_share=args.fault_after, latency_ms=args.latency_ms, hold_seconds=args.hold_seconds,
                        seed=args.seed)
    except ValueError as exc:
        message = str(exc)
        for field, option in OPTIONS.items():
            message = message.replace(field, option)
        raise InputError(f"lab alcor: {message}") from None
    emulator = AlcorEmulator(host=args.host, port=args.port, per_service=args.per_service_ports,
                             service_ports=dict.fromkeys(SERVICES, 0) if args.port == 0 else None,
                             gateway=args.gateway, faults=faults, state_file=args.state, seed=args.seed)
    try:
        emulator.start()
    except OSError as exc:
        raise InputError(f"lab alcor: cannot listen on {args.host}: {exc.strerror or exc}") from None
    console = Console(highlight=False)
    stop = threading.Event()
    if threading.current_thread() is threading.main_thread():
        for signum in STOP_SIGNALS:  # a service manager's stop, or a closed terminal, saves state too
            signal.signal(signum, lambda *_: stop.set())
    try:  # from the first line printed on, Ctrl-C stops the emulator cleanly
        for service, url in emulator.endpoints.items():
            console.print(f"{service:15} {url}", soft_wrap=True)
        if emulator.gateway_url:
            console.print(f"{'gateway':15} {emulator.gateway_url}", soft_wrap=True)
        console.print("Alcor emulator running; Ctrl-C stops it" + (f" and saves {args.state}" if args.state else ""))
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
    return 0
