"""Preflight: named checks before anything changes, each with its state, timing and findings.

A check is a function `check(given: CheckInputs) -> CheckResult` under a name (`Check`). Its findings
(blocker / warning / info, each with a remedy) make its state: `failed` with a blocker,
`warning` with a warning, else `ok`. The phase (wizard/phases/preflight.py) runs every check (a failing one does not
hide the others), publishes `CheckChanged` and `FindingRaised` events, records the
outcomes in the state store (meta `preflight.checks`) and stops the run with `Blocked`
when any check found a blocker.

The checks live by what they look at (local.py, neutron.py, capture.py, insertion.py, alcor.py,
references.py: the hosts the plan names). To add one (every compute host has a tunnel IP...), write
the function and add `Check("name", function)` to `CHECKS`.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from typing import Any

from wizard.core.events import CheckChanged, Event, FindingRaised
from wizard.core.state import StateStore
from wizard.preflight.alcor import alcor
from wizard.preflight.capture import capture
from wizard.preflight.insertion import insertion
from wizard.preflight.local import state_directory
from wizard.preflight.model import Check, CheckInputs, CheckOutcome, CheckResult
from wizard.preflight.neutron import EXTENSIONS_KEY, neutron_api
from wizard.preflight.references import plan_references
from wizard.translate.model import Severity

__all__ = ["CHECKS", "CHECKS_KEY", "EXTENSIONS_KEY", "PHASE", "Check", "CheckInputs", "CheckOutcome", "CheckResult",
           "alcor", "capture", "check_events", "insertion", "neutron_api", "plan_references",
           "recorded_checks", "run_check", "state_directory"]

PHASE = "preflight"
CHECKS_KEY = "preflight.checks"  # meta: [CheckOutcome.to_json()] of the last preflight


# The checks every run makes, in order. Add yours here (see the module's docstring).
CHECKS: list[Check] = [
    Check("state directory", state_directory),
    Check("neutron", neutron_api),
    Check("capture", capture),
    Check("insertion", insertion),
    Check("alcor", alcor),
    Check("plan references", plan_references),
]


def run_check(check: Check, given: CheckInputs, emit: Callable[[Event], None]) -> CheckOutcome:
    """Run one check, publishing its state; a check that crashes is a failed check, not a lost run."""
    emit(CheckChanged(phase=PHASE, check=check.name, status="running"))
    started = time.monotonic()
    try:
        result = check.run(given)
    except Exception as exc:  # a bug in one check: report it as a blocker, keep checking
        result = CheckResult()
        where = traceback.extract_tb(exc.__traceback__)[-1]
        result.find(Severity.BLOCKER, "check-error", ("check", check.name),
                    f"{type(exc).__name__}: {exc} ({where.filename}:{where.lineno})",
                    "report this bug; the check could not tell whether the run is safe")
    outcome = CheckOutcome(check.name, time.monotonic() - started, result)
    for event in check_events(outcome.to_json()):
        emit(event)
    return outcome


def check_events(recorded: dict[str, Any]) -> list[Event]:
    """What a check's outcome (as `CheckOutcome.to_json` records it) tells the operator: its state
    (with its findings' messages unless it is ok) and its findings."""
    findings = recorded["findings"]
    detail = recorded["detail"] if recorded["status"] == "ok" else "; ".join(f["message"] for f in findings)
    return [CheckChanged(phase=PHASE, check=recorded["check"], status=recorded["status"],
                         seconds=recorded["seconds"], detail=detail),
            *(FindingRaised(**finding) for finding in findings)]


def recorded_checks(state: StateStore) -> list[Event]:
    """The events of the last preflight the state store recorded (the wizard shows them on reopening)."""
    return [event for recorded in state.get_meta(CHECKS_KEY, []) for event in check_events(recorded)]
