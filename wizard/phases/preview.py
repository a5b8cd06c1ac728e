"""The preview phase: the dry-run files, then the operator's go before anything is sent.

Writes `requests.jsonl`, `findings.json` and `summary.md` (wizard.translate.dryrun) into
`<state_dir>/preview/`. Blockers stop the run (`Blocked`, naming the first few). Else the
operator approves applying the requests; the approval is recorded (meta
`preview.approved`: a digest of the requests and the Alcor target), so a resumed run
does not ask again unless the requests or the target changed.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from wizard.alcor.services import SERVICES
from wizard.core.collector import collector_paused
from wizard.core.engine import RunContext
from wizard.core.errors import Blocked
from wizard.core.events import Message
from wizard.core.run_state import need
from wizard.plan import Plan
from wizard.translate import dryrun
from wizard.translate.model import Translation, describe

PREVIEW_DIR = "preview"
APPROVED_KEY = "preview.approved"


class PreviewPhase:
    """Writes the dry-run files and digests the requests once per translation: later runs of
    the same engine (the wizard's every Next) reuse them."""

    name = "preview"

    def __init__(self) -> None:
        self._previewed: Translation | None = None
        self._digests: dict[str, str] = {}  # Alcor target -> digest of the previewed translation

    def run(self, ctx: RunContext) -> dict[str, Any]:
        translation: Translation = need(ctx.run.translation, "translation")
        out = ctx.state.dir / PREVIEW_DIR
        if translation is not self._previewed or not all(p.is_file() for p in dryrun.paths(out)):
            dryrun.write(out, translation, need(ctx.run.accounting, "accounting"))
            self._previewed, self._digests = translation, {}
        ctx.emit(Message(level="info", phase=self.name, text=f"dry-run files in {out}"))
        if translation.blockers:
            raise Blocked(f"{describe(translation.blockers)} (all findings: {out / 'findings.json'})")
        target = alcor_target(ctx.plan)
        if target not in self._digests:
            self._digests[target] = approval_digest(translation, target)
        digest = self._digests[target]
        if ctx.state.get_meta(APPROVED_KEY) == digest:
            approved = "earlier"
        else:
            ctx.ask(self.name, f"Apply {len(translation.requests)} requests to Alcor at {target}?")
            ctx.state.set_meta(APPROVED_KEY, digest)
            approved = "now"
        return {"requests": len(translation.requests), "approved": approved, "files": str(out)}


def alcor_target(plan: Plan) -> str:
    """Where the requests go, as the operator is asked about it."""
    urls = {service: plan.alcor_url(service) for service in SERVICES}
    if len(set(urls.values())) > 1:
        return ", ".join(f"{service} {url}" for service, url in urls.items())
    return plan.alcor.url or next(iter(urls.values())) or "(no Alcor URL in the plan)"


def approval_digest(translation: Translation, target: str) -> str:
    """SHA-256 of the target and every request, in order: what the operator approved."""
    digest = hashlib.sha256(target.encode())
    encode = json.JSONEncoder(sort_keys=True, separators=(",", ":"), check_circular=False).encode  # trees
    with collector_paused():  # each request's line is freed with it; the collector would walk the cloud
        for seq, request in enumerate(translation.requests, start=1):
            digest.update(encode(request.to_json(seq)).encode())
    return digest.hexdigest()
