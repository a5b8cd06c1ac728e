"""Write log benchmark: durable appends from 0 to N entries (default 100,000), each
fsync'd before the next: an entry is logged pending, Neutron's answer recorded, and
both fsync'd together. The target: the p50 of the last 1,000 appends is no more than
1.5x that of the first 1,000 (an append does not cost more as the log grows).

An fsync's cost swings by 10x within minutes on a shared machine, so the log's last
1,000 appends are measured side by side with the first 1,000 of a fresh log,
alternating one for one; the big log's own first 1,000 (minutes earlier) and the
cost before the fsync are printed too. Then TinyDB's default storage, for reference.

    .venv/bin/python bench/bench_writelog.py [--entries 100000]
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


class Timed:
    """Durable appends to one log, with the time each took in all and before its fsync."""

    def __init__(self, directory: Path):
        self.log = WriteLog(directory)
        self.durable: list[float] = []
        self.written: list[float] = []

    def append(self) -> None:
        n = len(self.durable)
        started = time.perf_counter()
        seq, _ = self.log.begin("POST", "/v2.0/ports", "", BODY % n, HEADERS, "127.0.0.1")
        self.log.record_answer(seq, 201, ANSWER % n, f"req-{n}")
        before_sync = time.perf_counter()
        self.log.sync()
        self.durable.append(time.perf_counter() - started)
        self.written.append(before_sync - started)


def p50_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def tinydb_default_inserts(path: Path, entries: int) -> list[float]:
    """Seconds per insert with TinyDB's own JSON storage (rewrites and fsyncs the file each time)."""
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
        print(f"WriteLog: {args.entries} durable appends (an entry and its answer, one fsync each)")
        started = time.perf_counter()
        big = Timed(Path(work) / "big")
        while len(big.durable) < args.entries - WINDOW:
            big.append()
            if len(big.durable) % 10000 == 0:
                recent = p50_ms(big.durable[-WINDOW:])
                print(f"  {len(big.durable)} entries, last 1,000 p50 {recent:.3f} ms", flush=True)
        fresh = Timed(Path(work) / "fresh")
        for _ in range(WINDOW):  # side by side: the big log's last 1,000 and a fresh log's first 1,000
            fresh.append()
            big.append()
        size = (Path(work) / "big" / "writes.db").stat().st_size
        print(f"  total {time.perf_counter() - started:.1f} s, file {size / 1e6:.1f} MB, {len(big.durable)} entries")
        last, first = big.durable[-WINDOW:], fresh.durable
        ratio = p50_ms(last) / p50_ms(first)
        print(f"  durable, side by side: p50 last 1,000 {p50_ms(last):.3f} ms; p50 first 1,000 (fresh log) "
              f"{p50_ms(first):.3f} ms; ratio {ratio:.2f}x (target <= 1.5x: {'met' if ratio <= 1.5 else 'NOT MET'})")
        early = big.durable[:WINDOW]
        print(f"  durable, minutes apart: p50 first 1,000 of the big log {p50_ms(early):.3f} ms; "
              f"ratio {p50_ms(last) / p50_ms(early):.2f}x (the disk's noise as much as ours)")
        print(f"  before the fsync: p50 first 1,000 {p50_ms(big.written[:WINDOW]):.3f} ms; "
              f"p50 last 1,000 {p50_ms(big.written[-WINDOW:]):.3f} ms; "
              f"ratio {p50_ms(big.written[-WINDOW:]) / p50_ms(big.written[:WINDOW]):.2f}x")
        big.log.close()
        fresh.log.close()
        reference = tinydb_default_inserts(Path(work) / "tinydb.json", args.tinydb_entries)
        window = max(1, args.tinydb_entries // 10)
        first_ms, last_ms = p50_ms(reference[:window]), p50_ms(reference[-window:])
        print(f"TinyDB default storage, {args.tinydb_entries} inserts (fsync each): p50 first {window}: "
              f"{first_ms:.3f} ms; p50 last {window}: {last_ms:.3f} ms; ratio {last_ms / first_ms:.1f}x")


if __name__ == "__main__":
    main()
