"""The convert phase: the translation's requests applied to the plan's Alcor."""

from __future__ import annotations

from typing import Any

from wizard.alcor.client import AlcorClient
from wizard.alcor.convert import PHASE, Converter, ConvertIncomplete
from wizard.core.engine import RunContext
from wizard.core.run_state import need


class ConvertPhase:
    """The engine's convert phase: applies ctx.run.translation to the plan's Alcor.

    Puts the ConvertSummary in ctx.run.convert; raises ConvertIncomplete (after
    recording everything) when a request failed or was held back.
    """

    name = PHASE

    def run(self, ctx: RunContext) -> dict[str, Any]:
        translation = need(ctx.run.translation, "translation")
        with AlcorClient.from_plan(ctx.plan) as client:
            converter = Converter(client, ctx.state, concurrency=ctx.plan.alcor.concurrency, emit=ctx.emit,
                                  checkpoint=ctx.checkpoint)
            summary = converter.run(translation.requests)
        ctx.run.convert = summary
        if not summary.complete:
            raise ConvertIncomplete(summary.describe())
        return summary.to_json()
