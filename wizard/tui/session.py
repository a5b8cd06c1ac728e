"""Opening a plan for the wizard: the plan file, its state store, and the engine over them."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable, Sequence

from wizard import plan as plan_file
from wizard.engine import Engine, Phase
from wizard.errors import MigrateError
from wizard.plan import Plan
from wizard.state import StateStore

PhasesFor = Callable[[Plan], Sequence[Phase]]


def project_phases(plan: Plan) -> Sequence[Phase]:
    """The project's phases for `plan`, from `wizard.phases.phases_for` (the same as `run`)."""
    try:
        from wizard.phases import phases_for
    except ImportError as exc:
        raise MigrateError("this build has no migration phases (wizard.phases)") from exc
    return phases_for(plan)


def open_engine(
    path: str | Path, phases_for: PhasesFor = project_phases, clock: Callable[[], float] = time.monotonic
) -> Engine:
    """Load the plan at `path` and build its engine over the plan's state directory.

    Blocking (reads the plan and replays the state store): call it from a worker.
    """
    plan = plan_file.load(path)
    return Engine(plan=plan, phases=phases_for(plan), state=StateStore(plan.state_dir), clock=clock)


EngineFor = Callable[[Path], Engine]


def candidate_plans(*folders: Path) -> list[Path]:
    """Plan files the start screen offers: *.yaml in `folders` (cwd-relative when possible)."""
    found: list[Path] = []
    for folder in folders:
        if folder.is_dir():
            found.extend(sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml")))
    return [_relative(path) for path in dict.fromkeys(p.resolve() for p in found)]


def _relative(path: Path) -> Path:
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path
