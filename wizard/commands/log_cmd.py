"""`alcor-migrate log`: list the capture write log."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterable
from pathlib import Path

from wizard.capture.reader import LogReader
from wizard.capture.redact import redact_entry
from wizard.capture.writelog import LOG_FILE, STATES
from wizard.core.errors import InputError
from wizard.core.state import RecordedVerdicts


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "log",
        help="list the capture write log",
        description="List the writes the capture proxy logged, in sequence order. Safe while a capture runs.",
    )
    parser.add_argument("--state-dir", metavar="DIR", default="state", help="the state directory (default: ./state)")
    parser.add_argument("--state", choices=STATES, help="only entries in this state")
    parser.add_argument("--json", action="store_true", help="print the entries as a JSON array")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if not (Path(args.state_dir) / LOG_FILE).exists():
        raise InputError(f"{Path(args.state_dir) / LOG_FILE}: no write log here (has a capture run?)")
    log = LogReader(args.state_dir, RecordedVerdicts(args.state_dir))  # replay's verdicts, wherever kept
    if log.torn_tail is not None:
        print(
            f"warning: {log.path}: the last record is unfinished ({log.torn_tail.length} bytes at offset "
            f"{log.torn_tail.offset}): a write in progress, or a crash mid-write",
            file=sys.stderr,
        )
    entries = (redact_entry(entry) for entry in log.iter_entries(args.state))  # also entries logged before a rule
    if args.json:
        _print_json(entries)
    else:
        print(f"{'seq':>6}  {'time':<19}  {'method':<6}  {'status':>6}  {'state':<9}  path")
        for entry in entries:
            print(_line(entry))
    return 0


def _print_json(entries: Iterable[dict]) -> None:
    """One JSON array, written an entry at a time (the log may be larger than memory)."""
    out = sys.stdout
    out.write("[")
    for n, entry in enumerate(entries):
        out.write(", " if n else "")
        json.dump(entry, out, ensure_ascii=False)
    out.write("]\n")


def _line(entry: dict) -> str:
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(entry["time"]))
    path = entry["path"] + (f"?{entry['query']}" if entry.get("query") else "")
    note = entry.get("error") or entry.get("reason") or ""
    status = entry.get("status") or "-"
    line = f"{entry['seq']:>6}  {when:<19}  {entry['method']:<6}  {status:>6}  {entry['state']:<9}  {path}"
    return f"{line}  ({note})" if note else line
