"""The verify phase: Alcor read back and compared with the translation."""

from __future__ import annotations

from typing import Any

from wizard.alcor.client import AlcorClient
from wizard.alcor.verify import DriftFound, describe, verify
from wizard.core.engine import RunContext
from wizard.phases.translate import current_translation


class VerifyPhase:
    """The engine's verify phase: puts the Drift in ctx.run.drift; raises DriftFound
    when Alcor differs from the translation (of Neutron now when writes were captured and
    replayed since the snapshot: `current_translation`)."""

    name = "verify"

    def run(self, ctx: RunContext) -> dict[str, Any]:
        translation = current_translation(ctx)
        with AlcorClient.from_plan(ctx.plan) as client:
            drift = verify(translation.requests, client, ctx.state.mapped_id)
        ctx.run.drift = drift
        if drift.total:
            raise DriftFound(describe(drift))
        return drift.summary()
