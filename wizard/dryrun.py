"""The dry-run files of a translation: requests.jsonl, findings.json and summary.md.

Nothing is sent anywhere; these files show exactly what convert would send.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path
from typing import Iterable

from wizard.translate.accounting import Tally
from wizard.translate.model import Severity, Translation

SEVERITIES = (Severity.BLOCKER, Severity.WARNING, Severity.INFO)


def request_counts(translation: Translation) -> list[tuple[str, str, int, int]]:
    """(kind, service, requests, resources) in execution order of first appearance."""
    requests: Counter = Counter()
    resources: Counter = Counter()
    for request in translation.requests:
        requests[(request.kind, request.service)] += 1
        resources[(request.kind, request.service)] += _items(request)
    return [(kind, service, n, resources[(kind, service)]) for (kind, service), n in requests.items()]


def _items(request) -> int:
    """How many Alcor resources one request creates or changes (a bulk body holds many)."""
    body = request.body
    if request.path.endswith("/bulk") and isinstance(body, dict) and len(body) == 1:
        return len(next(iter(body.values())))
    return 1


def finding_counts(translation: Translation) -> list[tuple[str, str, int]]:
    """(severity, code, count), blockers first."""
    counts = Counter((f.severity, f.code) for f in translation.findings)
    order = {s: i for i, s in enumerate(SEVERITIES)}
    return [(sev.value, code, n) for (sev, code), n in sorted(counts.items(), key=lambda kv: (order[kv[0][0]], kv[0][1]))]


def paths(out_dir: str | os.PathLike) -> list[Path]:
    """The three dry-run files in `out_dir`."""
    out = Path(out_dir)
    return [out / "requests.jsonl", out / "findings.json", out / "summary.md"]


def write(out_dir: str | os.PathLike, translation: Translation, tallies: dict[str, Tally]) -> list[Path]:
    """Write the three dry-run files, readable by their owner only (a directory made here too);
    returns their paths."""
    Path(out_dir).mkdir(mode=0o700, parents=True, exist_ok=True)
    files = paths(out_dir)
    with _private(files[0]) as fh:
        for seq, request in enumerate(translation.requests, start=1):
            fh.write(json.dumps(request.to_json(seq), separators=(",", ":")) + "\n")
    document = {"findings": [f.to_json() for f in translation.findings],
                "counts": {sev.value: sum(1 for f in translation.findings if f.severity is sev) for sev in SEVERITIES}}
    with _private(files[1]) as fh:
        fh.write(json.dumps(document, indent=1) + "\n")
    with _private(files[2]) as fh:
        fh.write("\n".join(summary_lines(translation, tallies)) + "\n")
    return files


def _private(path: Path):
    """`path` opened for writing, mode 0600 (also a file an earlier run left readable)."""
    fh = open(path, "w", encoding="utf-8", opener=lambda name, flags: os.open(name, flags, 0o600))
    os.fchmod(fh.fileno(), 0o600)
    return fh


def summary_lines(translation: Translation, tallies: dict[str, Tally]) -> Iterable[str]:
    yield "# Dry run: what convert would send to Alcor"
    yield ""
    yield f"{len(translation.requests)} requests, {len(translation.findings)} findings " \
          f"({len(translation.blockers)} blocker(s)). Nothing was sent."
    yield ""
    yield "## Requests, in execution order"
    yield ""
    yield "| kind | service | requests | resources |"
    yield "|---|---|---:|---:|"
    for kind, service, n, resources in request_counts(translation):
        yield f"| {kind} | {service} | {n} | {resources} |"
    yield ""
    yield "## Findings"
    yield ""
    yield "| severity | code | count |"
    yield "|---|---|---:|"
    for severity, code, n in finding_counts(translation):
        yield f"| {severity} | {code} | {n} |"
    yield ""
    yield "## Accounting: where every Neutron resource went"
    yield ""
    yield "| collection | total | requested | id map | finding only | unaccounted |"
    yield "|---|---:|---:|---:|---:|---:|"
    for kind, t in tallies.items():
        yield f"| {kind} | {t.total} | {t.requested} | {t.mapped} | {t.reported} | {len(t.unaccounted)} |"
