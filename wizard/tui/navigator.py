"""Where Next leads from a step: run the step's phases, go on to the next step, or wait."""

from __future__ import annotations

from dataclasses import dataclass

from wizard.tui.model import RunModel
from wizard.tui.steps import Step, next_step


@dataclass(frozen=True)
class Move:
    label: str
    enabled: bool
    go_to: Step | None = None  # show this step ...
    run_until: str | None = None  # ... and run the engine up to this phase
    reason: str = ""


def next_move(step: Step, model: RunModel, running: bool) -> Move:
    """Next from `step`: never past unfinished phases, never past a blocker."""
    if running:
        return Move("Running…", False)
    blockers = [f for phase in step.phases for f in model.blockers(phase)]
    if blockers:
        reason = f"{len(blockers)} blocker(s): resolve them, then run again (a)"
        return Move("Next ›", False, reason=reason)
    status = model.step_status(step)
    if status != "done":
        failed = next((model.phase(p) for p in step.phases if model.phase(p).status == "failed"), None)
        if failed is not None:
            return Move("Resume ›", True, step, step.last_phase, reason=f"stopped: {failed.error}")
        label = "Resume ›" if status == "started" else "Run ›"
        return Move(label, True, step, step.last_phase)
    following = next_step(step)
    if following is None:
        return Move("Quit", True, reason="the migration is complete")
    return Move("Next ›", True, following, following.last_phase)
