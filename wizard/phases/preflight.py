"""The preflight phase: every check, again on each run (conditions change between runs)."""

from __future__ import annotations

from typing import Any

from wizard.core.engine import RunContext
from wizard.core.errors import Blocked
from wizard.preflight import CHECKS, CHECKS_KEY, PHASE, Check, CheckInputs, run_check
from wizard.translate.model import Severity, describe


class PreflightPhase:
    """Records every check's outcome; blockers stop the run."""

    name = PHASE

    def __init__(self, checks: list[Check] | None = None):
        self.checks = checks  # None: CHECKS as it is when the phase runs

    def run(self, ctx: RunContext) -> dict[str, Any]:
        given = check_inputs(ctx)
        checks = self.checks if self.checks is not None else CHECKS
        outcomes = [run_check(check, given, ctx.emit) for check in checks]
        ctx.state.set_meta(CHECKS_KEY, [outcome.to_json() for outcome in outcomes])
        ctx.run.preflight = outcomes
        blockers = [f for outcome in outcomes for f in outcome.result.findings if f.severity is Severity.BLOCKER]
        if blockers:
            raise Blocked(f"{describe(blockers)} (see the preflight findings)")
        statuses = [outcome.status for outcome in outcomes]
        return {"checks": len(outcomes), "ok": statuses.count("ok"), "warnings": statuses.count("warning")}


def check_inputs(ctx: RunContext) -> CheckInputs:
    """What the checks look at in this run."""
    return CheckInputs(ctx.plan, ctx.state, ctx.run.capture, ctx.reaches)
