"""Capture proxy connections benchmark, side by side in one run:

1. An ordinary client's latency (one kept-alive connection, sequential GETs) through two
   `alcor-migrate capture` processes, one idle and one holding 1,000 idle and 500 slow
   connections (each sends a header line a second, never finishing its head), the two asked in
   turn. Prints p50 and p99 of each and the ratios; the target is loaded/idle <= 2x.
2. The issue's figure: 1,100 held connections under systemd's default soft open-file limit
   (1,024), then a new client: with the code before this change (`git archive` of main's merge
   base) and with this branch's.

    .venv/bin/python bench/bench_capture_connections.py [--requests 400]

Both captures start under a soft limit of 1,024 (the hard limit as it is); runs in ~25 s, well
inside the 30 s header timeout that would otherwise close the held connections.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_capture import free_port, wait_listening

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SYSTEMD_SOFT_LIMIT = 1024
IDLE, SLOW, HELD = 1000, 500, 1100


def systemd_limit() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (SYSTEMD_SOFT_LIMIT, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))


def start_capture(code: Path, upstream: str, work: Path, name: str) -> tuple[subprocess.Popen, int]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "wizard", "capture", "--neutron-url", upstream, "--listen", f"127.0.0.1:{port}",
         "--state-dir", str(work / name), "--status-every", "3600"],
        cwd=code, env={**os.environ, "PYTHONPATH": str(code)}, stderr=subprocess.DEVNULL, preexec_fn=systemd_limit)
    wait_listening(port, process)
    return process, port


def hold(port: int, idle: int, slow: int) -> subprocess.Popen:
    """A process holding `idle` silent and `slow` trickling connections to `port`, until its stdin closes."""
    process = subprocess.Popen([sys.executable, __file__, "--hold", str(port), str(idle), str(slow)],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    line = process.stdout.readline()
    if not line.startswith("held"):
        sys.exit(f"the connection holder failed: {line!r}")
    return process


async def _hold(port: int, idle: int, slow: int) -> None:
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    opened = [await asyncio.open_connection("127.0.0.1", port) for _ in range(idle + slow)]
    trickling = [writer for _, writer in opened[idle:]]
    for writer in trickling:
        writer.write(b"GET /v2.0/networks HTTP/1.1\r\nHost: neutron\r\n")
    print(f"held {len(opened)}", flush=True)
    stdin_closed = asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    while trickling and not stdin_closed.done():
        for writer in trickling:  # one header line a second each, spread over the second
            writer.write(b"X-Slow: 1\r\n")
            await asyncio.sleep(1 / len(trickling))
    await stdin_closed


def latencies(ports: dict[str, int], requests: int) -> dict[str, list[float]]:
    """Sequential GETs on one kept-alive connection per capture, the captures asked in turn (ms)."""
    clients = {name: http.client.HTTPConnection("127.0.0.1", port, timeout=10) for name, port in ports.items()}
    measured: dict[str, list[float]] = {name: [] for name in ports}
    for round_no in range(requests + 20):
        for name, client in clients.items():
            started = time.perf_counter()
            client.request("GET", "/v2.0/networks")
            answer = client.getresponse()
            answer.read()
            if answer.status != 200:
                sys.exit(f"{name}: HTTP {answer.status}")
            if round_no >= 20:  # warm-up left out
                measured[name].append((time.perf_counter() - started) * 1000)
    for client in clients.values():
        client.close()
    return measured


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def new_client(port: int, seconds: float = 5.0) -> str:
    """What a new client gets from a capture holding connections."""
    started = time.perf_counter()
    try:
        client = http.client.HTTPConnection("127.0.0.1", port, timeout=seconds)
        client.request("GET", "/v2.0/networks")
        status = client.getresponse().status
        client.close()
    except (OSError, http.client.HTTPException) as exc:
        return f"cut off ({type(exc).__name__} after {time.perf_counter() - started:.1f} s)"
    return f"HTTP {status} in {(time.perf_counter() - started) * 1000:.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=400, help="GETs measured per capture")
    parser.add_argument("--hold", nargs=3, type=int, metavar=("PORT", "IDLE", "SLOW"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.hold:
        asyncio.run(_hold(*args.hold))
        return

    work = Path(tempfile.mkdtemp(prefix="capture-connections-bench-"))
    before = work / "before"
    base = subprocess.run(["git", "merge-base", "HEAD", "main"], cwd=ROOT, capture_output=True, text=True,
                          check=True).stdout.strip()
    before.mkdir()
    archive = subprocess.run(["git", "archive", base, "wizard"], cwd=ROOT, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(before)], input=archive, check=True)
    upstream_port = free_port()
    upstream_url = f"http://127.0.0.1:{upstream_port}"
    processes = [subprocess.Popen([sys.executable, str(HERE / "fast_upstream.py"), str(upstream_port)])]
    try:
        wait_listening(upstream_port, processes[0])
        captures = {}
        for name, code in (("idle", ROOT), ("loaded", ROOT), ("before", before)):
            process, captures[name] = start_capture(code, upstream_url, work, name)
            processes.append(process)

        print(f"1. an ordinary client's latency, {args.requests} GETs each, the two captures asked in turn")
        holder = hold(captures["loaded"], IDLE, SLOW)
        measured = latencies({"idle": captures["idle"], "loaded": captures["loaded"]}, args.requests)
        holder.stdin.close()
        holder.wait(10)
        p = {name: (percentile(values, 0.5), percentile(values, 0.99)) for name, values in measured.items()}
        print(f"   {'capture':<40} {'p50 ms':>8} {'p99 ms':>8}")
        print(f"   {'idle':<40} {p['idle'][0]:>8.3f} {p['idle'][1]:>8.3f}")
        print(f"   {f'with {IDLE} idle + {SLOW} slow connections':<40} {p['loaded'][0]:>8.3f} {p['loaded'][1]:>8.3f}")
        ratios = (p["loaded"][0] / p["idle"][0], p["loaded"][1] / p["idle"][1])
        verdict = "met" if max(ratios) <= 2 else "NOT MET"
        print(f"   loaded/idle: p50 {ratios[0]:.2f}x, p99 {ratios[1]:.2f}x   (target <= 2x)  {verdict}")
        print(f"   (mean {statistics.mean(measured['idle']):.3f} ms idle, "
              f"{statistics.mean(measured['loaded']):.3f} ms loaded)")

        print(f"\n2. {HELD} held connections, soft open-file limit {SYSTEMD_SOFT_LIMIT}, then a new client")
        for name, label in (("before", f"before (main {base[:10]})"), ("idle", "after (this branch)")):
            holder = hold(captures[name], HELD, 0)
            print(f"   {label:<30} {new_client(captures[name])}")
            holder.stdin.close()
            holder.wait(10)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(10)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
