"""The repair phase: after replay, Alcor is given what bypassed the captures (wizard/alcor/repair.py).

Repairs against the translation verify compares with next (`current_translation`: Neutron read
again when writes were captured), so verify then finds no drift; the verify phase, which follows,
is the check after repair (repair does not read Alcor a second time itself). Publishes the findings the fresh
translation raises anew (FindingRaised), convert's Progress and RequestFailed events under its
own name, and one Message saying what it repaired per kind. Puts the RepairResult in
ctx.run.repair; its summary (RepairResult.summary) holds `repaired` ({kind: {created,
updated, deleted}}), `drift_before`, `requests`, `sent`, `kept` and the first `changes`, which the report lists.
"""

from __future__ import annotations

from typing import Any

from wizard.alcor.client import AlcorClient
from wizard.alcor.repair import PHASE, RepairIncomplete, made_by_migration, repair
from wizard.core.engine import RunContext
from wizard.core.events import FindingRaised, Message
from wizard.core.run_state import need
from wizard.phases.translate import current_translation
from wizard.translate.model import Severity, raised_anew


class RepairPhase:
    name = PHASE

    def run(self, ctx: RunContext) -> dict[str, Any]:
        if not ctx.plan.repair.enabled:
            return {"enabled": False}
        run = need(ctx.run.translation, "translation")
        translation = current_translation(ctx)
        made = made_by_migration(run.requests, ctx.state)
        replication = ctx.run.replication  # replay raised the findings of the writes it carried
        known = [*run.findings, *(replication.replayer.findings if replication is not None else ())]
        with AlcorClient.from_plan(ctx.plan) as client:
            result = repair(translation.requests, client, ctx.state, made,
                            verify_after=False, concurrency=ctx.plan.alcor.concurrency, emit=ctx.emit,
                            checkpoint=ctx.checkpoint)
        ctx.run.repair = result
        findings = raised_anew(translation.findings, known)
        for finding in findings:
            if finding.severity is not Severity.INFO:
                ctx.emit(FindingRaised(**finding.to_json()))
        ctx.emit(Message(level="info", phase=self.name, text=result.describe()))
        if not result.complete and result.sent is not None:
            raise RepairIncomplete(result.sent.describe(phase=PHASE))
        return {**result.summary(), "findings": len(findings)}
