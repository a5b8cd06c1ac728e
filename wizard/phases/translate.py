"""The translate phase: the run's snapshot into Alcor requests, findings and the id map.

Sets `ctx.run.translation` (a Translation, with ids learned by an earlier run
restored) and `ctx.run.accounting` (per collection, where each resource went).
Warnings and blockers are published one by one (`FindingRaised`); info findings, which
can number thousands, are counted in one `Message`. The summary holds the counts the
report reads: `requests`, `blockers`, `warnings`, `info`, `kinds` ({kind: {requests,
resources}}) and `findings` ({severity: {code: count}}).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from wizard.core.engine import RunContext
from wizard.core.errors import MigrateError
from wizard.core.events import FindingRaised, Message
from wizard.core.run_state import need
from wizard.neutron.endpoint import pinned
from wizard.neutron.reader import NeutronReader
from wizard.translate import dryrun, idmap
from wizard.translate.accounting import account, unaccounted
from wizard.translate.context import Options
from wizard.translate.model import Severity, Translation
from wizard.translate.translation import translate, translate_for


class TranslatePhase:
    """Translates once per snapshot and options: later runs of the same engine reuse it."""

    name = "translate"

    def __init__(self) -> None:
        self._made: tuple[Any, Options, Translation, dict[str, Any]] | None = None

    def run(self, ctx: RunContext) -> dict[str, Any]:
        snapshot, options = need(ctx.run.snapshot, "snapshot"), Options.from_plan(ctx.plan)
        made = self._made
        if made is not None and made[0] is snapshot and made[1] == options:  # the wizard's next Next
            translation, tallies = made[2], made[3]
        else:
            translation = translate(snapshot, options)
            tallies = account(snapshot, translation)
            missing = unaccounted(tallies)
            if missing:  # a translation bug, never the operator's
                raise MigrateError(f"{len(missing)} resources unaccounted by the translation (a bug): "
                                   f"{', '.join(missing[:5])}")
            self._made = (snapshot, options, translation, tallies)
        restored = idmap.restore(ctx.state, translation)
        ctx.run.translation = translation
        ctx.run.accounting = tallies
        self._publish_findings(ctx, translation)
        return {**summary(translation), "learned ids": restored}

    def _publish_findings(self, ctx: RunContext, translation: Translation) -> None:
        infos: Counter = Counter()
        for finding in translation.findings:
            if finding.severity is Severity.INFO:
                infos[finding.code] += 1
            else:
                ctx.emit(FindingRaised(**finding.to_json()))
        if infos:
            codes = ", ".join(f"{code} {n}" for code, n in infos.most_common())
            ctx.emit(Message(level="info", phase=self.name, text=f"{sum(infos.values())} info findings: {codes}"))


def summary(translation: Translation) -> dict[str, Any]:
    by_severity: dict[str, dict[str, int]] = {severity.value: {} for severity in dryrun.SEVERITIES}
    for severity, code, n in dryrun.finding_counts(translation):
        by_severity[severity][code] = n
    kinds: dict[str, dict[str, int]] = {}
    for kind, _service, n, resources in dryrun.request_counts(translation):
        counts = kinds.setdefault(kind, {"requests": 0, "resources": 0})
        counts["requests"] += n
        counts["resources"] += resources
    count = {severity: sum(codes.values()) for severity, codes in by_severity.items()}
    return {"requests": len(translation.requests), "blockers": count["blocker"], "warnings": count["warning"],
            "info": count["info"], "kinds": kinds, "findings": by_severity}


def current_translation(ctx: RunContext) -> Translation:
    """What Alcor should hold now: the run's translation or, when writes since the snapshot were
    captured and replayed (by this process's capture, or from the log of a capture running on its
    own), a translation of Neutron as it is now, at its recorded endpoint, with the ids learned so
    far restored."""
    if ctx.run.capture is None and ctx.run.replication is None:
        return need(ctx.run.translation, "translation")
    with NeutronReader(pinned(ctx.plan.neutron, ctx.state)) as reader:
        translation = translate_for(reader.read(), ctx.plan)
    idmap.restore(ctx.state, translation)
    return translation
