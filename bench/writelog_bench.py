"""Write log benchmark: durable appends from 0 to N entries (default 100,000), each
fsync'd before the next, as a proxy under light load would make them: an entry is
logged pending, Neutron's answer recorded, and both fsync'd. Prints the p50 of the
first and of the last 1,000 appends and their ratio (target: <= 1.5x: the cost of an
append does not grow with the log), with and without the fsync (the fsync is the
disk's, and noisy on a shared machine), then TinyDB's default storage over its first
inserts, for reference.

    .venv/bin/python bench/writelog_bench.py [--entries 100000]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from tinydb import TinyDB

from wizard.capture.writelog import WriteLog

BODY = b'{"port": {"name": "web-%d", "network_id": "5f2d6c2e-8d0a-4c1e-9a4b-0d3f2b6f1a11", "admin_state_up": true}}'
ANSWER = (
    b'{"port": {"id": "0b1c2d3e-4f50-4617-8293-%012d", "name": "web", "status": "DOWN", "mac_address": '
    b'"fa:16:3e:00:00:01", "fixed_ips": [{"subnet_id": "9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d", '
    b'"ip_address": "10.0.0.5"}]}}'
)
HEADERS = [("Content-Type", "application/json"), ("X-Auth-Token", "gAAAAAB-bench"), ("User-Agent", "openstacksdk/4.0")]
WINDOW = 1000


def write_log_appends(directory: Path, entries: int) -> tuple[list[float], list[float]]:
    """Seconds per durable append, and the part of it before the fsync."""
    log = WriteLog(directory)
    durable, written = [], []
    for n in range(entries):
        started = time.perf_counter()
        seq, _ = log.begin("POST", "/v2.0/ports", "", BODY % n, HEADERS, "127.0.0.1")
        log.record_answer(seq, 201, ANSWER % n, f"req-{n}")
        before_sync = time.perf_counter()
        log.sync()
        durable.append(time.perf_counter() - started)
        written.append(before_sync - started)
        if (n + 1) % 10000 == 0:
            print(f"  {n + 1} entries, last 1,000 p50 {statistics.median(durable[-WINDOW:]) * 1000:.3f} ms", flush=True)
    log.close()
    return durable, written


def tinydb_default_inserts(path: Path, entries: int) -> list[float]:
    """Seconds per insert with TinyDB's own JSON storage (rewrites the file each time)."""
    table = TinyDB(path).table("writes")
    took = []
    for n in range(entries):
        started = time.perf_counter()
        table.insert({"seq": n, "body": (BODY % n).decode(), "response": (ANSWER % n).decode()})
        took.append(time.perf_counter() - started)
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--tinydb-entries", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        print(f"WriteLog: {args.entries} durable appends (an entry and its answer, one fsync)")
        started = time.perf_counter()
        durable, written = write_log_appends(Path(work) / "state", args.entries)
        elapsed = time.perf_counter() - started
        size = (Path(work) / "state" / "writes.db").stat().st_size
        print(f"  total {elapsed:.1f} s, file {size / 1e6:.1f} MB")
        for label, took in (("durable", durable), ("before fsync", written)):
            first, last = statistics.median(took[:WINDOW]), statistics.median(took[-WINDOW:])
            verdict = "met" if last / first <= 1.5 else "NOT MET"
            print(f"  {label:<12} p50 first 1,000: {first * 1000:.3f} ms; p50 last 1,000: {last * 1000:.3f} ms; "
                  f"ratio {last / first:.2f}x (target <= 1.5x: {verdict})")
        reference = tinydb_default_inserts(Path(work) / "tinydb.json", args.tinydb_entries)
        window = max(1, args.tinydb_entries // 10)
        first, last = statistics.median(reference[:window]), statistics.median(reference[-window:])
        print(f"TinyDB default storage, {args.tinydb_entries} inserts (fsync each): p50 first {window}: "
              f"{first * 1000:.3f} ms; p50 last {window}: {last * 1000:.3f} ms; ratio {last / first:.1f}x")


if __name__ == "__main__":
    main()
