"""The run's report, `report.json` and `report.md` in the state directory, made from the state store alone.

What it reads (so any phase can add to it by what it records):
- the `phases` table: status, `started_at`, `updated_at`, `seconds`, `error` and `summary` of each phase;
  when its last pass was idle (wizard.core.engine.idle_pass: an earlier run had done the work), those of
  the pass that did the work (`work`), and when the idle pass was (`idle_pass_at`);
- meta `preflight.checks`: each check's status, time, detail and findings;
- the snapshot phase's summary: `source`, `counts` ({collection: resources});
- the translate phase's summary: `requests`, `kinds` ({kind: {requests, resources}}),
  `findings` ({severity: {code: count}});
- the applied and failed requests (`applied` and `failed` tables): how many, and each
  failure's key with the scalar fields convert recorded (`status`, `error`...);
- replay statistics: every scalar of the `replay` and `final_replay` summaries (by convention
  `replayed`, `skipped`, `failed`, `lag`);
- the repair phase's summary: `repaired` ({kind: {created, updated, deleted}}), the first
  `changes` (action, kind, id, fields) and its scalars (`requests`, `sent`, `kept`, `drift`...);
- the cutover timeline: start, end, status and scalar summary of `switch`, `drain`, `cutover`
  and `final_replay`; and per node (wizard/cutover/records.py) its status, end, steps' seconds
  and the last step's detail (for `check`: how many ports ACA holds).
- meta `report.captures` (a run with several captures, such as the HAProxy lab's): each capture's
  write-log counts, the captures killed, and HAProxy's view of each server as it changed (the failover).
Secrets never appear: keys naming passwords, tokens or secrets are masked, and so are URL
credentials and `token=...`-like text in any string.
"""

from __future__ import annotations

import datetime
import json
import os
import re
from pathlib import Path
from typing import Any

from wizard.core.engine import PHASE_ORDER, RunContext, idle_pass
from wizard.core.state import StateStore
from wizard.cutover.records import NodeRecords
from wizard.preflight import CHECKS_KEY

FORMAT = "alcor-migrate-report/1"
REPORT_JSON, REPORT_MD = "report.json", "report.md"
TIMELINE_PHASES = ("switch", "drain", "cutover", "final_replay")
REPLAY_PHASES = ("replay", "final_replay")
CAPTURES_KEY = "report.captures"  # meta: {"captures": [{capture, writes, ...}], "kills": [...], "haproxy": [...]}
FAILURES_SHOWN = 20
MASK = "***"


class ReportPhase:
    name = "report"

    def run(self, ctx: RunContext) -> dict[str, Any]:
        paths = write(ctx.state, ctx.plan.name)
        return {"files": ", ".join(str(path) for path in paths)}


def write(state: StateStore, name: str) -> list[Path]:
    """Write report.json and report.md into the state directory (atomically); returns their paths."""
    document = build(state, name)
    out = []
    for filename, text in ((REPORT_JSON, json.dumps(document, indent=1) + "\n"), (REPORT_MD, markdown(document))):
        path = state.dir / filename
        partial = path.with_name(filename + ".partial")
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, path)
        out.append(path)
    return out


def build(state: StateStore, name: str) -> dict[str, Any]:
    """The report as a JSON document, secrets masked."""
    records = {record["phase"]: _worked(record) for record in state.phases() if record["phase"] != "report"}
    phases = [_phase(records[phase]) for phase in PHASE_ORDER if phase in records]
    snapshot = records.get("snapshot", {}).get("summary") or {}
    translate = records.get("translate", {}).get("summary") or {}
    failures = state.failures()
    document = {
        "format": FORMAT,
        "name": name,
        "generated_at": _iso(datetime.datetime.now(datetime.UTC).timestamp()),
        "state_dir": str(state.dir),
        "phases": phases,
        "preflight": state.get_meta(CHECKS_KEY, []),
        "source": snapshot.get("source", ""),
        "resources": snapshot.get("counts", {}),
        "requests": {"total": translate.get("requests", 0), "kinds": translate.get("kinds", {})},
        "findings": translate.get("findings", {}),
        "applied": state.applied_count(),
        "failed": len(failures),
        "failures": [_scalars(failure) for failure in failures[:FAILURES_SHOWN]],
        "replay": {phase: _scalars(records[phase].get("summary") or {}) for phase in REPLAY_PHASES
                   if phase in records},
        "repair": _repair(records.get("repair", {}).get("summary") or {}),
        "timeline": [_phase(records[phase]) for phase in TIMELINE_PHASES if phase in records],
        "nodes": [_node(record) for record in NodeRecords(state).all()],
        "captures": state.get_meta(CAPTURES_KEY) or {},
    }
    return redact(document)


def _repair(summary: dict[str, Any]) -> dict[str, Any]:
    """What repair carried: counts per kind, the resources it changed, and its statistics."""
    return {"statistics": _scalars(summary), "repaired": summary.get("repaired", {}),
            "changes": summary.get("changes", [])}


def _worked(record: dict[str, Any]) -> dict[str, Any]:
    """A phase's record as the pass that did its work left it, when its last pass was an idle one."""
    work = record.get("work")
    if record.get("status") != "done" or not work or not idle_pass(record.get("summary") or {}):
        return record
    return {**record, **work, "updated_at": work["finished_at"], "idle_pass_at": record.get("started_at")}


def _phase(record: dict[str, Any]) -> dict[str, Any]:
    done = record.get("status") == "done"
    return {"phase": record["phase"], "status": record.get("status", "pending"),
            "started_at": _iso(record.get("started_at")),
            "finished_at": _iso(record.get("updated_at")) if done else None,
            "seconds": round(record["seconds"], 3) if done and "seconds" in record else None,
            "error": record.get("error") if record.get("status") == "failed" else None,
            "summary": _scalars(record.get("summary") or {}),
            "idle_pass_at": _iso(record.get("idle_pass_at"))}


def _node(record: dict[str, Any]) -> dict[str, Any]:
    """One node's cutover: status, when it ended, its steps' seconds, and the last step's detail."""
    steps = record.get("steps", [])
    return {"node": record["node"], "status": record["status"], "finished_at": _iso(record.get("at")),
            "seconds": round(sum(step["seconds"] for step in steps + record.get("rollback", [])), 3),
            "steps": {step["step"]: round(step["seconds"], 3) for step in steps},
            "failed_step": record.get("failed_step"), "error": record.get("error") or None,
            "detail": steps[-1]["detail"] if steps else ""}


def _scalars(record: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in record.items() if not isinstance(value, (dict, list))}


def _iso(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    moment = datetime.datetime.fromtimestamp(timestamp, datetime.UTC)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


_SECRET_KEY = re.compile(r"(^|_)pass(word|wd)?$|secret|token|credential|api_?key|private_?key", re.I)
_SECRET_TEXT = [
    (re.compile(r"(\b[a-z][a-z0-9+.-]*://)[^\s/@]+@", re.I), r"\1" + MASK + "@"),  # URL credentials
    (re.compile(r"(?i)\b(x-auth-token|x-subject-token|authorization)(\s*[:=]\s*)(bearer\s+)?[^\s,;]+"),
     r"\1\2" + MASK),
    (re.compile(r"(?i)\b(password|passwd|token|secret|api_?key)(\s*[:=]\s*)[^\s,;&]+"), r"\1\2" + MASK),
]


def redact(value: Any) -> Any:
    """`value` with secrets masked: values of secret-named keys, URL credentials, `token=...` text."""
    if isinstance(value, dict):
        return {key: MASK if isinstance(key, str) and _SECRET_KEY.search(key) else redact(item)
                for key, item in value.items()}
    if isinstance(value, list):
        return [redact(item) for item in value]
    if isinstance(value, str):
        for pattern, replacement in _SECRET_TEXT:
            value = pattern.sub(replacement, value)
    return value


def markdown(report: dict[str, Any]) -> str:
    """The report for people: the same facts as report.json, as Markdown tables."""
    lines = [f"# Migration report: {report['name']}", "",
             f"Generated {report['generated_at']} from the state in `{report['state_dir']}`.", ""]
    lines += _table("Phases", ("phase", "status", "started", "seconds", "result"),
                    [(p["phase"], p["status"], p["started_at"] or "", _seconds(p["seconds"]), _result(p))
                     for p in report["phases"]])
    lines += _table("Preflight", ("check", "status", "seconds", "detail"),
                    [(c["check"], c["status"], _seconds(c["seconds"]), c["detail"]) for c in report["preflight"]])
    preflight_findings = [f for c in report["preflight"] for f in c["findings"]]
    lines += _table("Preflight findings", ("severity", "code", "about", "message", "remedy"),
                    [(f["severity"], f["code"], f"{f['kind']} {f['id']}", f["message"], f["remedy"])
                     for f in preflight_findings])
    if report["source"]:
        lines += [f"Snapshot from {report['source']}.", ""]
    lines += _table("Neutron resources", ("collection", "resources"), list(report["resources"].items()))
    requests = report["requests"]
    lines += _table(f"Alcor requests: {requests['total']}", ("kind", "requests", "resources"),
                    [(kind, n["requests"], n["resources"]) for kind, n in requests["kinds"].items()])
    lines += _table("Findings", ("severity", "code", "count"),
                    [(severity, code, n) for severity, codes in report["findings"].items()
                     for code, n in codes.items()])
    lines += [f"Applied requests: {report['applied']}; failed: {report['failed']}.", ""]
    lines += _table("Failed requests", ("key", "detail"),
                    [(f.get("key", ""), _inline({k: v for k, v in f.items() if k not in ("key", "at")}))
                     for f in report["failures"]])
    lines += _table("Replay", ("phase", "statistics"), [(p, _inline(s)) for p, s in report["replay"].items()])
    repair = report["repair"]
    lines += _table("Repaired in Alcor", ("kind", "created", "updated", "deleted"),
                    [(kind, n["created"], n["updated"], n["deleted"]) for kind, n in repair["repaired"].items()])
    lines += _table("Repaired resources", ("action", "kind", "id", "fields"),
                    [(c["action"], c["kind"], c["id"], ", ".join(c["fields"])) for c in repair["changes"]])
    captures = report.get("captures") or {}
    lines += _table("Captures", ("capture", "write log"),
                    [(c["capture"], _inline({k: v for k, v in c.items() if k != "capture"}))
                     for c in captures.get("captures", [])])
    lines += _table("Captures killed, and HAProxy's view of each server", ("at", "event"),
                    sorted([(_iso(k["at"]), f"{k['capture']} killed") for k in captures.get("kills", [])]
                           + [(_iso(t["at"]), f"{t['server']} {t['state']}") for t in captures.get("haproxy", [])]))
    lines += _table("Cutover timeline", ("phase", "status", "started", "finished", "result"),
                    [(p["phase"], p["status"], p["started_at"] or "", p["finished_at"] or "", _result(p))
                     for p in report["timeline"]])
    lines += _table("Cutover per node", ("node", "status", "finished", "seconds", "result"),
                    [(n["node"], n["status"], n["finished_at"] or "", _seconds(n["seconds"]),
                      n["error"] or n["detail"]) for n in report["nodes"]])
    return "\n".join(lines)


def _table(title: str, columns: tuple[str, ...], rows: list[tuple]) -> list[str]:
    """A titled Markdown table, or nothing when there are no rows."""
    if not rows:
        return []
    out = [f"## {title}", "", "| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    out += ["| " + " | ".join(_cell(value) for value in row) + " |" for row in rows]
    return out + [""]


def _cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _result(phase: dict[str, Any]) -> str:
    """What a phase did (its error, or its summary), and whether a later pass found it done."""
    result = phase["error"] or _inline(phase["summary"])
    if phase.get("idle_pass_at"):
        result += f" (a later run, at {phase['idle_pass_at']}, found it done)"
    return result


def _inline(summary: dict[str, Any]) -> str:
    return ", ".join(f"{key} {value}" for key, value in summary.items())


def _seconds(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"
