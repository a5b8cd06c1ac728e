"""`alcor-migrate run`: the migration, headless, from a plan; the same command again resumes it."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
from collections.abc import Iterator

from rich.console import Console

from wizard.commands.options import add_plan_options, plan_from_args
from wizard.commands.stop_signals import STOP_SIGNALS
from wizard.core.engine import PHASE_ORDER, Engine, RunResult
from wizard.core.errors import Blocked, ExitCode, InputError, MigrateError
from wizard.core.state import StateStore
from wizard.headless import JsonLines, RichReport, RunTally, StatusLine, console_approver, reprinting
from wizard.lab.world import LabWorld
from wizard.neutron.access import not_admin
from wizard.neutron.reader import NeutronReader
from wizard.phases import build_phases
from wizard.plan import Plan

ORDER = 20  # after `plan`: the command a plan is for
INTERRUPTED = 130  # the exit code of a run stopped by Ctrl-C or SIGTERM (wizard/cli.py)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "run", help="run the migration headless (run it again to resume)",
        description="Run the migration's phases in order, headless: progress on stderr (or JSON lines on "
                    "stdout). Every phase is checkpointed in the state directory; the same command again "
                    "continues where it stopped. Exit 0 done, 1 failed, 2 bad input, 3 blocked by findings.")
    add_plan_options(parser)
    add_run_options(parser)
    parser.set_defaults(func=run)


def add_run_options(parser: argparse.ArgumentParser) -> None:
    """How a run goes: where it stops, approvals, JSON lines, the status line (`run`, `lab run`)."""
    parser.add_argument("--until", metavar="PHASE", choices=PHASE_ORDER,
                        help=f"stop after this phase; phases: {', '.join(PHASE_ORDER)}")
    parser.add_argument("--yes", action="store_true",
                        help="approve every step without asking (blockers still stop the run)")
    parser.add_argument("--json", action="store_true", help="write one JSON object per event on stdout")
    parser.add_argument("--status-every", metavar="SECONDS", type=float, default=10.0,
                        help="when stderr is not a terminal, print a one-line status this often "
                             "(default 10; 0: never)")


def run(args: argparse.Namespace) -> int:
    tally, state_dir = RunTally(), None
    code: int = ExitCode.FAILURE
    try:
        plan = plan_from_args(args)
        state_dir = plan.state_dir
        code = _migrate(plan, args, tally)
        return code
    except MigrateError as exc:
        code = exc.exit_code
        raise
    except KeyboardInterrupt:
        code = INTERRUPTED
        raise
    finally:  # with --json the last line, whatever happened: scripts wait for it
        if args.json:
            JsonLines(sys.stdout)(tally.finished(code, state_dir))


def _migrate(plan: Plan, args: argparse.Namespace, tally: RunTally) -> int:
    if not args.plan:
        _require_source_and_target(args)
    if plan.lab is None and plan.neutron.cloud:
        _require_admin(plan)
    err = Console(stderr=True, highlight=False, soft_wrap=not sys.stderr.isatty())  # logs: a line per line
    try:
        state = StateStore(plan.state_dir)
    except OSError as exc:
        raise MigrateError(f"{plan.state_dir}: cannot use it as the state directory: {exc}") from None
    try:
        with contextlib.ExitStack() as running:
            running.enter_context(_terminate_as_interrupt())
            world = None
            if plan.lab is not None:  # the lab this plan migrates, stopped when the run ends
                world = running.enter_context(LabWorld(plan, progress=lambda text: err.print(text, soft_wrap=True)))
                plan = world.plan
            engine = Engine(plan, build_phases(plan), state, approve=console_approver(args.yes, err))
            engine.bus.subscribe(tally)
            if world is not None:
                world.attach(engine)
            result = _run(engine, args, err)
    finally:
        state.close()
    if not result.ok:
        if isinstance(result.exception, Blocked):
            then = "resolve the blockers, then run the same command again"
        elif isinstance(result.exception, InputError):
            then = "correct the input named above"
        else:
            then = "run the same command again to resume"
        err.print(f"stopped at {result.failed}; {then} (state in {plan.state_dir})", soft_wrap=True)
    return result.exit_code


def _run(engine: Engine, args: argparse.Namespace, err: Console) -> RunResult:
    with contextlib.ExitStack() as stack:
        if args.json:
            engine.bus.subscribe(JsonLines(sys.stdout))
        else:
            engine.bus.subscribe(stack.enter_context(RichReport(err)))
        if args.status_every > 0 and not sys.stderr.isatty():
            status = StatusLine()
            engine.bus.subscribe(status)
            stack.enter_context(reprinting(status, err, args.status_every))
        return engine.run(until=args.until)


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM and SIGHUP stop the run like Ctrl-C: resumable, and whatever it started (the lab) is stopped."""
    def interrupt(signum, frame):
        raise KeyboardInterrupt

    previous = {signum: signal.signal(signum, interrupt) for signum in STOP_SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _require_admin(plan) -> None:
    """A login without the admin role is refused before anything starts (a login that fails is left
    to preflight, which names the remedy)."""
    try:
        with NeutronReader(plan.neutron) as reader:
            refused = not_admin(reader)
    except MigrateError:
        return
    if refused:
        raise InputError(f"neutron.cloud: {refused}")


def _require_source_and_target(args: argparse.Namespace) -> None:
    """Without a plan, the command line names Neutron (or a snapshot) and Alcor."""
    problems = []
    if not (args.snapshot or args.neutron_url or args.os_cloud):
        problems.append("run: say where Neutron is: --plan FILE, or --snapshot FILE, --neutron-url URL "
                        "or --os-cloud NAME")
    if not args.alcor_url:
        problems.append("run: say where Alcor is: --plan FILE, or --alcor-url URL")
    if problems:
        raise InputError(problems)
