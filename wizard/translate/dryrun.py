"""The dry-run files of a translation: requests.jsonl, findings.json and summary.md.

Nothing is sent anywhere; these files show exactly what convert would send.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable
from json.encoder import encode_basestring_ascii
from pathlib import Path
from typing import IO, Any

import msgspec

from wizard.core.collector import collector_paused
from wizard.translate.accounting import Tally
from wizard.translate.model import Finding, Severity, Translation

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
    return [(sev.value, code, n)
            for (sev, code), n in sorted(counts.items(), key=lambda kv: (order[kv[0][0]], kv[0][1]))]


def paths(out_dir: str | os.PathLike) -> list[Path]:
    """The three dry-run files in `out_dir`."""
    out = Path(out_dir)
    return [out / "requests.jsonl", out / "findings.json", out / "summary.md"]


def write(out_dir: str | os.PathLike, translation: Translation, tallies: dict[str, Tally]) -> list[Path]:
    """Write the three dry-run files, readable by their owner only (a directory made here too),
    a line at a time; returns their paths."""
    Path(out_dir).mkdir(mode=0o700, parents=True, exist_ok=True)
    files = paths(out_dir)
    with collector_paused():  # a line's objects are freed with it; the collector would walk the cloud
        with _private(files[0], binary=True) as fh:
            line = bytearray()  # one buffer, reused for every line
            for seq, request in enumerate(translation.requests, start=1):
                fh.write(_line(request.to_json(seq), line))
        with _private(files[1]) as fh:
            write_findings(fh, translation.findings)
        with _private(files[2]) as fh:
            fh.write("\n".join(summary_lines(translation, tallies)) + "\n")
    return files


_ENCODE = json.JSONEncoder(separators=(",", ":"), check_circular=False).encode  # bodies are trees


_JSONL = msgspec.json.Encoder()


def _line(value: dict[str, Any], buffer: bytearray) -> bytearray | bytes:
    """One line of requests.jsonl: compact UTF-8 JSON by msgspec, into `buffer` (about twice json's
    speed on a large cloud's bodies); json's encoder (ASCII) for what msgspec refuses: a lone
    surrogate."""
    try:
        _JSONL.encode_into(value, buffer)
    except UnicodeEncodeError:
        return (_ENCODE(value) + "\n").encode()
    buffer.append(0x0A)
    return buffer


# One finding (Finding.to_json) as json.dump(indent=1) writes it inside findings.json's list.
_FINDING = ('\n  {{\n   "severity": {},\n   "code": {},\n   "kind": {},\n   "id": {},\n   "message": {},'
            '\n   "remedy": {}\n  }}')


def write_findings(fh: IO[str], findings: list[Finding]) -> None:
    """findings.json: `{"findings": [...], "counts": {severity: n}}`, the text json.dump(indent=1)
    writes, one finding at a time (json's indenting encoder is pure Python, and holds it all); what
    findings share (severity, code, kind, remedy) is encoded once."""
    counts = Counter(finding.severity for finding in findings)
    shared: dict[str, str] = {}

    def once(value: str) -> str:
        text = shared.get(value)
        if text is None:
            text = shared[value] = _scalar(value)
        return text

    fh.write('{\n "findings": [')
    fh.writelines(("," if index else "") + _FINDING.format(
        once(f.severity.value), once(f.code), once(f.neutron.kind), _scalar(f.neutron.id), _scalar(f.message),
        once(f.remedy)) for index, f in enumerate(findings))
    fh.write("\n ],\n" if findings else "],\n")
    fh.write(' "counts": ' + _indented({sev.value: counts[sev] for sev in SEVERITIES}, " ") + "\n}\n")


def _indented(flat: dict[str, Any], margin: str) -> str:
    """A dict of JSON scalars as json.dumps(indent=1) writes it when it starts at `margin`."""
    if not flat:
        return "{}"
    inner = ",\n".join(f"{margin} {_scalar(key)}: {_scalar(value)}" for key, value in flat.items())
    return "{\n" + inner + "\n" + margin + "}"


def _scalar(value: Any) -> str:
    return encode_basestring_ascii(value) if type(value) is str else json.dumps(value)


def _private(path: Path, binary: bool = False) -> IO[Any]:
    """`path` opened for writing (text, or bytes), mode 0600 (also a file an earlier run left readable)."""
    fh = open(  # noqa: SIM115 -- returned open; the caller closes it
        path, "wb" if binary else "w", encoding=None if binary else "utf-8",
        opener=lambda name, flags: os.open(name, flags, 0o600))
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
