"""The phases of a migration, assembled for a plan; `run` and the TUI give them to the Engine.

Adding a phase is one line in `build_phases`: an object with a `name` from
`wizard.engine.PHASE_ORDER` and an idempotent `run(ctx) -> summary`. The list may be in
any order (it is sorted by PHASE_ORDER); a phase left out is simply not run.

Artifacts the phases here leave in `ctx.artifacts` for the later ones (and the TUI):
`preflight` (list of CheckOutcome), `snapshot` (Snapshot), `translation` (Translation,
learned ids restored), `accounting` ({collection: Tally}), `convert` (ConvertSummary),
`repair` (RepairResult), `drift` (Drift, which the TUI's Verify screen reads), `capture` and `write_hold` (the
running capture proxy, closed by the engine when the run ends), `replication` (the write
log and its replayer, for the cut-over gate). The cutover phases read those listed in
wizard/cutover/site.py; a lab run adds `lab_fleet` (wizard/lab/world.py).
"""

from __future__ import annotations

from wizard.alcor.convert import ConvertPhase
from wizard.alcor.verify import VerifyPhase
from wizard.capture.phase import CapturePhase
from wizard.capture.replay_phase import ReplayPhase
from wizard.cutover.phases import cutover_phases
from wizard.engine import PHASE_ORDER, Phase
from wizard.neutron.endpoint import is_live
from wizard.neutron.phase import SnapshotPhase
from wizard.plan import Plan
from wizard.preflight import PreflightPhase
from wizard.preview_phase import PreviewPhase
from wizard.repair_phase import RepairPhase
from wizard.report import ReportPhase
from wizard.translate_phase import TranslatePhase


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

