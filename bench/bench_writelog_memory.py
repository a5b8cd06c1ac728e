"""Write log memory and disk benchmark: RSS and `writes.db` size after 1,000 and 100,000 logged
writes of Neutron-sized bodies (a ~1.5 KB port create and a ~1.5 KB answer), and the proxy's RSS
through 12 writes of 60 MiB (issue 12: 70 -> 936 MiB before; now refused with 413 before logging).

Targets: RSS at 100,000 entries no more than 1.5x that at 1,000 (memory keeps an index, not the
bodies), and about one copy of each body on disk. Each count runs in a fresh child process that has
imported the capture proxy (so its RSS starts where a capture's does); `--baseline DIR` runs the
same children on another checkout (e.g. main) and prints both side by side.

    .venv/bin/python bench/bench_writelog_memory.py [--entries 100000] [--baseline /path/to/main]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent.parent

_CHILD = r"""
import gc, json, sys, tempfile
import wizard.capture.proxy  # noqa: F401  (a capture's imports, so RSS starts where a capture's does)
from wizard.capture.writelog import WriteLog

def rss():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmRSS:"))

entries, work = int(sys.argv[1]), sys.argv[2]
port = {"port": {"name": "web-%d", "network_id": "5f2d6c2e-8d0a-4c1e-9a4b-0d3f2b6f1a11", "admin_state_up": True,
        "fixed_ips": [{"subnet_id": "9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d", "ip_address": "10.0.%d.%d"}],
        "security_groups": ["0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"], "binding:host_id": "compute-017",
        "description": "x" * 1000, "device_owner": "compute:nova", "device_id": "8d7c6b5a-4f3e-4d2c-9b1a-%012d"}}
request = json.dumps(port).encode()
answer = json.dumps({"port": {**port["port"], "id": "0b1c2d3e-4f50-4617-8293-%012d", "status": "DOWN",
                              "mac_address": "fa:16:3e:00:00:01", "revision_number": 1}}).encode()
headers = [("Content-Type", "application/json"), ("X-Auth-Token", "gAAAAAB-bench"), ("User-Agent", "openstacksdk/4.0")]
log = WriteLog(work)
for n in range(entries):
    body = request.replace(b"%d", b"%d" % n).replace(b"%012d", b"%012d" % n)
    seq, _ = log.begin("POST", "/v2.0/ports", "", body, headers, "127.0.0.1")
    log.record_answer(seq, 201, answer.replace(b"%012d", b"%012d" % n), "req-%d" % n)
    if n % 1000 == 999:
        log.sync()
log.sync()
states = len(log)  # the index
gc.collect()
print(json.dumps({"rss": rss(), "entries": states, "request": len(request), "answer": len(answer)}))
"""


def logged(source: Path, entries: int) -> dict:
    """RSS and file size after `entries` logged writes, in a child process importing `source`."""
    with tempfile.TemporaryDirectory() as work:
        out = subprocess.run([sys.executable, "-c", _CHILD, str(entries), work], capture_output=True, text=True,
                             cwd=source, env={**os.environ, "PYTHONPATH": str(source)}, check=True)
        result = json.loads(out.stdout)
        result["disk"] = (Path(work) / "writes.db").stat().st_size
    return result


def rss_of(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) * 1024


def huge_writes(source: Path, count: int = 12, size: int = 60 * 1024 * 1024) -> tuple[int, int, list[int], int]:
    """`alcor-migrate capture` sent `count` writes of `size` bytes: its RSS before and after, the
    answers' statuses, and the size of its writes.db."""
    with socket.socket() as probe:  # nothing listens there: a refused write never goes upstream
        probe.bind(("127.0.0.1", 0))
        upstream = f"http://127.0.0.1:{probe.getsockname()[1]}"
    with tempfile.TemporaryDirectory() as work:
        capture = subprocess.Popen([sys.executable, "-m", "wizard", "capture", "--listen", "127.0.0.1:0",
                                    "--neutron-url", upstream, "--state-dir", work],
                                   stderr=subprocess.PIPE, text=True, cwd=source,
                                   env={**os.environ, "PYTHONPATH": str(source)})
        url = re.match(r"capture: (\S+) -> ", capture.stderr.readline()).group(1)
        before = rss_of(capture.pid)
        statuses, chunk = [], b"x" * (1024 * 1024)
        for _ in range(count):
            try:
                answer = httpx.post(f"{url}/v2.0/networks", content=iter([chunk] * (size // len(chunk))),
                                    headers={"Content-Type": "application/json"}, timeout=60)
                statuses.append(answer.status_code)
            except httpx.HTTPError:
                statuses.append(0)  # cut off mid-body
        time.sleep(0.5)
        after = rss_of(capture.pid)
        capture.terminate()
        capture.wait(10)
        disk = (Path(work) / "writes.db").stat().st_size if (Path(work) / "writes.db").exists() else 0
    return before, after, statuses, disk


def report(name: str, source: Path, entries: int) -> None:
    first, last = logged(source, 1000), logged(source, entries)
    ratio = last["rss"] / first["rss"]
    per_write = last["disk"] / last["entries"]
    bodies = last["request"] + last["answer"]
    print(f"{name}: RSS after 1,000 writes {first['rss'] / 2**20:.1f} MiB, after {entries:,} "
          f"{last['rss'] / 2**20:.1f} MiB: last/first {ratio:.2f}x "
          f"(target <= 1.5x: {'met' if ratio <= 1.5 else 'NOT MET'})")
    print(f"{name}: writes.db {last['disk'] / 2**20:.1f} MiB, {per_write:,.0f} bytes per write for a "
          f"{last['request']:,}-byte request and a {last['answer']:,}-byte answer ({per_write / bodies:.2f}x one copy "
          "of each, headers and states included)")
    before, after, statuses, disk = huge_writes(source)
    print(f"{name}: 12 writes of 60 MiB: answers {sorted(set(statuses))}, proxy RSS {before / 2**20:.0f} -> "
          f"{after / 2**20:.0f} MiB ({after / before:.2f}x), writes.db {disk:,} bytes")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--baseline", type=Path, help="another checkout to measure side by side (e.g. main)")
    args = parser.parse_args()
    report("this tree", HERE, args.entries)
    if args.baseline:
        report(f"baseline {args.baseline}", args.baseline.resolve(), args.entries)


if __name__ == "__main__":
    main()
