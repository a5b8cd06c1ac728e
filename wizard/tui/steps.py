"""The wizard's steps and the engine phases each one shows (its share of PHASE_ORDER)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    name: str
    title: str
    phases: tuple[str, ...]

    @property
    def last_phase(self) -> str | None:
        return self.phases[-1] if self.phases else None


STEPS = (
    Step("plan", "Plan", ()),
    Step("preflight", "Preflight", ("preflight",)),
    Step("capture", "Capture", ("capture", "snapshot")),
    Step("preview", "Preview", ("translate", "preview")),
    Step("convert", "Convert", ("convert", "replay")),
    Step("verify", "Verify", ("repair", "verify")),
    Step("cutover", "Cutover", ("switch", "drain", "cutover", "final_replay")),
    Step("summary", "Summary", ("report",)),
)

STEP_BY_NAME = {step.name: step for step in STEPS}


def step_of(phase: str) -> Step:
    """The step that shows `phase`."""
    return next(step for step in STEPS if phase in step.phases)


def next_step(step: Step) -> Step | None:
    index = STEPS.index(step)
    return STEPS[index + 1] if index + 1 < len(STEPS) else None


def previous_step(step: Step) -> Step | None:
    index = STEPS.index(step)
    return STEPS[index - 1] if index > 0 else None
