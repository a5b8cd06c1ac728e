"""Opening a plan for the wizard: the plan file, its state store, and the engine over them."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

from wizard import plan as plan_file
from wizard.alcor.convert import recorded_failures
from wizard.core.engine import Engine, Phase
from wizard.core.state import StateStore
from wizard.cutover.records import NodeRecords
from wizard.lab import home as lab_home
from wizard.lab.world import LabWorld
from wizard.phases import build_phases
from wizard.plan import Override, Plan
from wizard.preflight import recorded_checks
from wizard.tui.model import RunModel

PhasesFor = Callable[[Plan], Sequence[Phase]]
Progress = Callable[[str], None]


def project_phases(plan: Plan) -> Sequence[Phase]:
    """The project's phases for `plan`, the same as `run`'s."""
    return build_phases(plan)


def open_engine(
    path: str | Path, progress: Progress = lambda text: None, phases_for: PhasesFor = project_phases,
    clock: Callable[[], float] = time.monotonic, overrides: Sequence[Override] = (),
) -> Engine:
    """Load the plan at `path` with the command line's `overrides` (a lab plan shipped with
    alcor-migrate gets its state directory first: wizard/lab/home.py) and build its engine over the
    plan's state directory.

    A lab plan with the project's phases starts its lab (wizard/lab/world.py) first, telling
    `progress` what it does (the first start installs neutron: minutes); the lab runs until
    `close_engine`. Blocking (reads the plan, replays the state store, starts the lab): call
    it from a worker.
    """
    plan = plan_file.load(path, [*lab_home.overrides_for(path), *overrides])
    world = None
    if plan.lab is not None and phases_for is project_phases:
        world = LabWorld(plan, progress=progress).__enter__()
        plan = world.plan
    try:
        engine = Engine(plan=plan, phases=phases_for(plan), state=StateStore(plan.state_dir), clock=clock)
    except BaseException:
        if world is not None:
            world.stop()
        raise
    if world is not None:
        world.attach(engine)
    return engine


def recorded_model(state: StateStore, clock: Callable[[], float]) -> RunModel:
    """The run as its state store recorded it, for a reopened plan: phase statuses, the last
    preflight's checks and findings, convert's refusals and each node's cutover steps."""
    model = RunModel(state.phases(), clock=clock)
    model.restore("preflight", recorded_checks(state))
    model.restore("convert", recorded_failures(state))
    model.restore("cutover", NodeRecords(state).steps())
    return model


def plan_as_written(engine: Engine) -> Plan:
    """The plan as its file says: a lab run fills in addresses that live only as long as the lab."""
    lab = engine.ctx.run.lab
    return lab.given if lab is not None else engine.ctx.plan


def close_engine(engine: Engine) -> None:
    """Close the engine's state store and stop its lab, if it has one."""
    engine.state.close()
    world, engine.ctx.run.lab = engine.ctx.run.lab, None
    if world is not None:
        world.stop()


EngineFor = Callable[[Path, Progress], Engine]


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
