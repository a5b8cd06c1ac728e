"""The phases of a migration: one module each, thin adapters between the engine and the areas.

Each phase reads what it needs from the run state (`ctx.run`, wizard/core/run_state.py), calls
the area that does the work (neutron/, translate/, alcor/, capture/, cutover/, preflight/),
publishes events, sets what it made in the run state and returns a short summary. The areas
never import the engine or this package (tests/test_layers.py).

Adding a phase: a module here with an object that has a `name` from
`wizard.core.engine.PHASE_ORDER` and an idempotent `run(ctx) -> summary`, and one line in
`build_phases`. A phase left out is simply not run.
"""

from __future__ import annotations

from wizard.core.engine import PHASE_ORDER, Phase
from wizard.neutron.endpoint import is_live
from wizard.phases.capture import CapturePhase
from wizard.phases.convert import ConvertPhase
from wizard.phases.cutover import cutover_phases
from wizard.phases.preflight import PreflightPhase
from wizard.phases.preview import PreviewPhase
from wizard.phases.repair import RepairPhase
from wizard.phases.replay import ReplayPhase
from wizard.phases.report import ReportPhase
from wizard.phases.snapshot import SnapshotPhase
from wizard.phases.translate import TranslatePhase
from wizard.phases.verify import VerifyPhase
from wizard.plan import Plan


def build_phases(plan: Plan) -> list[Phase]:
    """Every phase this build of alcor-migrate has for `plan`, in PHASE_ORDER."""
    phases: list[Phase] = [
        PreflightPhase(),
        SnapshotPhase(),
        TranslatePhase(),
        PreviewPhase(),
        ConvertPhase(),
        VerifyPhase(),
        *cutover_phases(),
        ReportPhase(),
        ReplayPhase("replay"),
        RepairPhase(),
        ReplayPhase("final_replay"),
    ]
    if plan.capture.enabled and is_live(plan.neutron):  # else preflight says why nothing is captured
        phases.append(CapturePhase())
    names = [phase.name for phase in phases]
    unknown = [name for name in names if name not in PHASE_ORDER]
    if unknown:
        raise ValueError(f"phases not in PHASE_ORDER: {', '.join(unknown)}")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"phases given twice: {', '.join(repeated)}")
    return sorted(phases, key=lambda phase: PHASE_ORDER.index(phase.name))

