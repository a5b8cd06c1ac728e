"""Preflight: named checks before anything changes, each with its state, timing and findings.

A check is a function `check(ctx) -> CheckResult` under a name (`Check`). Its findings
(blocker / warning / info, each with a remedy) make its state: `failed` with a blocker,
`warning` with a warning, else `ok`. The phase runs every check (a failing one does not
hide the others), publishes `CheckChanged` and `FindingRaised` events, records the
outcomes in the state store (meta `preflight.checks`) and stops the run with `Blocked`
when any check found a blocker.

To add a check (Alcor's services answer, Alcor empty or holding an earlier run, every
compute host has a tunnel IP...), write the function and add `Check("name", function)`
to `CHECKS` (or append to it from a module `wizard.pipeline` imports).
"""

from __future__ import annotations

import os
import shutil
import stat
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from wizard.engine import RunContext
from wizard.errors import Blocked, MigrateError
from wizard.events import CheckChanged, FindingRaised
from wizard.neutron.phase import TAKEN_KEY
from wizard.neutron.reader import NeutronReader, NeutronRefused
from wizard.translate.model import Finding, NeutronRef, Severity, describe

PHASE = "preflight"
CHECKS_KEY = "preflight.checks"  # meta: [CheckOutcome.to_json()] of the last preflight
EXTENSIONS_KEY = "neutron.extensions"  # meta: the extension aliases Neutron offers, sorted
MIN_FREE_BYTES = 1 << 30  # the write log grows with every user write while the migration runs


@dataclass
class CheckResult:
    """What one check found: a one-line detail and its findings."""

    detail: str = ""
    findings: list[Finding] = field(default_factory=list)

    def find(self, severity: Severity, code: str, about: tuple[str, str], message: str, remedy: str) -> None:
        """Add a finding; `about` is (kind, id) of what it is about, e.g. ("state_dir", path)."""
        self.findings.append(Finding(severity, code, NeutronRef(*about), message, remedy))

    @property
    def status(self) -> str:
        severities = {finding.severity for finding in self.findings}
        if Severity.BLOCKER in severities:
            return "failed"
        return "warning" if Severity.WARNING in severities else "ok"


@dataclass(frozen=True)
class Check:
    name: str
    run: Callable[[RunContext], CheckResult]


@dataclass
class CheckOutcome:
    """A check's result with its name and how long it took."""

    name: str
    seconds: float
    result: CheckResult

    @property
    def status(self) -> str:
        return self.result.status

    def to_json(self) -> dict[str, Any]:
        return {"check": self.name, "status": self.status, "seconds": round(self.seconds, 3),
                "detail": self.result.detail, "findings": [f.to_json() for f in self.result.findings]}


def state_directory(ctx: RunContext, min_free: int = MIN_FREE_BYTES) -> CheckResult:
    """The state directory takes writes (fsynced), is private to its owner, and has disk to spare."""
    result, path = CheckResult(), ctx.state.dir
    about = ("state_dir", str(path))
    probe = path / ".preflight-probe"
    try:
        with open(probe, "wb") as fh:
            fh.write(b"probe")
            fh.flush()
            os.fsync(fh.fileno())
        probe.unlink()
    except OSError as exc:
        result.find(Severity.BLOCKER, "state-dir-not-writable", about, f"cannot write into {path}: {exc}",
                    f"give the user running alcor-migrate write access to {path}, or choose another state_dir")
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        result.find(Severity.BLOCKER, "state-dir-not-private", about,
                    f"{path} has mode {mode:o}: other users can read the run's state and write log",
                    f"chmod 700 {path}")
    free = shutil.disk_usage(path).free
    if free < min_free:
        result.find(Severity.BLOCKER, "disk-low", about,
                    f"{_size(free)} free under {path}; the write log needs at least {_size(min_free)}",
                    "free disk space there, or point state_dir at a larger file system")
    result.detail = f"{path}, mode {mode:o}, {_size(free)} free"
    return result


def neutron_api(ctx: RunContext) -> CheckResult:
    """Neutron answers as an admin of all projects (it lists its extensions and an agent; to others
    it lists no agent); with `neutron.snapshot`, the file is there instead."""
    source, result = ctx.plan.neutron, CheckResult()
    if source.snapshot:
        path = Path(source.snapshot)
        if ctx.state.get_meta(TAKEN_KEY):
            result.detail = f"this run's snapshot is in {ctx.state.dir}; Neutron is not contacted"
        elif path.is_file():
            result.detail = f"snapshot file {path} ({_size(path.stat().st_size)}); Neutron is not contacted"
        else:
            result.find(Severity.BLOCKER, "snapshot-missing", ("snapshot", str(path)), f"no snapshot file {path}",
                        "check neutron.snapshot (or --snapshot), or read the live Neutron instead")
        return result
    try:
        with NeutronReader(source) as reader:
            extensions = reader.extensions
            agents = reader.first("agents")  # Neutron lists agents to admins only (others get none)
            endpoint = reader.endpoint
    except NeutronRefused as exc:
        code, remedy = (("neutron-not-admin", "use an account with Neutron's admin role: the migration reads "
                         "every project's resources and the agents") if exc.status in (401, 403)
                        else ("neutron-refused", "check neutron.url (or the catalog's network endpoint)"))
        result.find(Severity.BLOCKER, code, ("neutron", _where(source)), str(exc), remedy)
        return result
    except MigrateError as exc:
        result.find(Severity.BLOCKER, "neutron-unreachable", ("neutron", _where(source)), str(exc),
                    "check that Neutron's API answers from here, and the plan's neutron section")
        return result
    ctx.state.set_meta(EXTENSIONS_KEY, extensions)
    if not agents:
        result.find(Severity.BLOCKER, "neutron-no-agents", ("neutron", endpoint),
                    f"{endpoint} lists no agents: the account is not an admin, or the cloud runs none; the "
                    "migration reads every project's resources and each compute host's agent",
                    "use an account with Neutron's admin role")
    result.detail = f"{endpoint}: {len(extensions)} extensions, agents listed"
    return result


def _where(source) -> str:
    return source.url or f"cloud {source.cloud or '(OS_* variables)'}"


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"


# The checks every run makes, in order. Add yours here (see the module's docstring).
CHECKS: list[Check] = [
    Check("state directory", state_directory),
    Check("neutron", neutron_api),
]


def run_check(check: Check, ctx: RunContext) -> CheckOutcome:
    """Run one check, publishing its state; a check that crashes is a failed check, not a lost run."""
    ctx.emit(CheckChanged(phase=PHASE, check=check.name, status="running"))
    started = time.monotonic()
    try:
        result = check.run(ctx)
    except Exception as exc:  # a bug in one check: report it as a blocker, keep checking
        result = CheckResult()
        where = traceback.extract_tb(exc.__traceback__)[-1]
        result.find(Severity.BLOCKER, "check-error", ("check", check.name),
                    f"{type(exc).__name__}: {exc} ({where.filename}:{where.lineno})",
                    "report this bug; the check could not tell whether the run is safe")
    outcome = CheckOutcome(check.name, time.monotonic() - started, result)
    detail = result.detail if outcome.status == "ok" else "; ".join(f.message for f in result.findings)
    ctx.emit(CheckChanged(phase=PHASE, check=check.name, status=outcome.status,
                          seconds=outcome.seconds, detail=detail))
    for finding in result.findings:
        ctx.emit(FindingRaised(**finding.to_json()))
    return outcome


class PreflightPhase:
    """Runs every check again on each run (conditions change between runs); blockers stop the run."""

    name = PHASE

    def __init__(self, checks: list[Check] | None = None):
        self.checks = checks  # None: CHECKS as it is when the phase runs

    def run(self, ctx: RunContext) -> dict[str, Any]:
        outcomes = [run_check(check, ctx) for check in (self.checks if self.checks is not None else CHECKS)]
        ctx.state.set_meta(CHECKS_KEY, [outcome.to_json() for outcome in outcomes])
        ctx.artifacts["preflight"] = outcomes
        blockers = [f for outcome in outcomes for f in outcome.result.findings if f.severity is Severity.BLOCKER]
        if blockers:
            raise Blocked(f"{describe(blockers)} (see the preflight findings)")
        statuses = [outcome.status for outcome in outcomes]
        return {"checks": len(outcomes), "ok": statuses.count("ok"), "warnings": statuses.count("warning")}

