"""Capture proxy benchmark: Neutron-like traffic sent direct to nginx (the upstream, answering
as Neutron would), through `alcor-migrate capture` with one worker and with two (`--workers 2`),
and through mitmdump in reverse mode with a write-logging addon (bench/mitm_writelog.py), side by
side in one run. Prints requests/s at 16 connections, latency added over direct at 1 connection,
and, for each capture, the targets it must meet: GET >= 12 % of nginx direct, p50 added at 1
connection <= 0.3 ms, POST (durably logged) >= 5x mitmdump with its write fsync'd.

    .venv/bin/python bench/bench_capture.py [--seconds 3] [--rounds 3]

The load generator is wrk and the upstream nginx (Debian's, installed with apt-get if
missing); mitmdump lives in its own venv under ~/.cache/alcor-migrate/mitmproxy (created with
pip if missing): none is a dependency of the project.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
MITM_VENV = Path.home() / ".cache" / "alcor-migrate" / "mitmproxy"
POST_BODY = '{"network": {"name": "bench", "admin_state_up": true, "description": "created through the proxy"}}'
POST_SCRIPT = f"""
wrk.method = "POST"
wrk.body = '{POST_BODY}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Auth-Token"] = "gAAAAABbench-token"
"""


NGINX_CONF = """daemon off;
worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {work}/nginx-body;
    keepalive_requests 1000000;
    server {{
        listen 127.0.0.1:{port};
        default_type application/json;
        add_header X-Openstack-Request-Id req-bench;
        location /v2.0/networks {{
            if ($request_method = POST) {{ return 201 '{created}'; }}
            return 200 '{listed}';
        }}
    }}
}}
"""
LISTED = '{"networks": [{"id": "5f2d6c2e-8d0a-4c1e-9a4b-0d3f2b6f1a11", "name": "net1", "status": "ACTIVE"}]}'
CREATED = '{"network": {"id": "0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9", "name": "bench", "status": "ACTIVE"}}'


def ensure_tool(name: str, package: str) -> str:
    """The path of `name`, installed with apt-get (Debian package `package`) if missing."""
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin")
    if found:
        print(f"{name}: {found} (found)")
        return found
    print(f"{name}: not found, installing it with apt-get (Debian package '{package}')")
    subprocess.run(["apt-get", "install", "-y", "-q", package], check=True, stdout=subprocess.DEVNULL)
    return shutil.which(name, path="/usr/sbin:/usr/bin") or sys.exit(f"{name} could not be installed")


def ensure_mitmdump() -> Path:
    mitmdump = MITM_VENV / "bin" / "mitmdump"
    if not mitmdump.exists():
        print(f"mitmdump: installing mitmproxy into {MITM_VENV} (a separate venv, not a project dependency)")
        subprocess.run([sys.executable, "-m", "venv", str(MITM_VENV)], check=True)
        subprocess.run([str(MITM_VENV / "bin" / "pip"), "install", "-q", "mitmproxy"], check=True)
    version = subprocess.run([str(mitmdump), "--version"], capture_output=True, text=True).stdout.split("\n")[0]
    print(f"mitmdump: {mitmdump} ({version.strip()})")
    return mitmdump


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_listening(port: int, process: subprocess.Popen, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"a benchmark process exited early: {process.args}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    sys.exit(f"nothing listens on port {port}: {process.args}")


@dataclass
class Run:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(binary: str, url: str, connections: int, seconds: float, script: Path | None) -> Run:
    command = [binary, "-t1", f"-c{connections}", f"-d{seconds:g}s", "--latency", url]
    if script:
        command[1:1] = ["-s", str(script)]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout

    def latency(percent: str) -> float:
        value, unit = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
        return float(value) * _UNITS[unit]

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return Run(
        rps=float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        p50_ms=latency("50"),
        p99_ms=latency("99"),
        requests=int(re.search(r"(\d+) requests in", out).group(1)),
        non_2xx=int(errors.group(1)) if errors else 0,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="length of each wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; each runs every target once")
    args = parser.parse_args()

    wrk_binary = ensure_tool("wrk", "wrk")
    nginx = ensure_tool("nginx", "nginx-light")
    mitmdump = ensure_mitmdump()
    work = Path(tempfile.mkdtemp(prefix="capture-bench-"))
    post_lua = work / "post.lua"
    post_lua.write_text(POST_SCRIPT)
    ports = {name: free_port() for name in ("upstream", "capture", "capture2", "mitmdump")}
    upstream_url = f"http://127.0.0.1:{ports['upstream']}"
    nginx_conf = work / "nginx.conf"
    nginx_conf.write_text(NGINX_CONF.format(work=work, port=ports["upstream"], listed=LISTED, created=CREATED))
    processes = {
        "upstream": subprocess.Popen([nginx, "-c", str(nginx_conf), "-e", str(work / "nginx-error.log")],
                                     stderr=subprocess.DEVNULL),
        **{name: subprocess.Popen(
            [sys.executable, "-m", "wizard", "capture", "--neutron-url", upstream_url,
             "--listen", f"127.0.0.1:{ports[name]}", "--state-dir", str(work / name),
             "--status-every", "3600", "--workers", str(workers)],
            stderr=subprocess.DEVNULL,
        ) for name, workers in (("capture", 1), ("capture2", 2))},
        "mitmdump": subprocess.Popen(
            [str(mitmdump), "--mode", f"reverse:{upstream_url}", "--listen-host", "127.0.0.1",
             "--listen-port", str(ports["mitmdump"]), "-q", "-s", str(HERE / "mitm_writelog.py")],
            env={**os.environ, "MITM_WRITELOG": str(work / "mitm-writes.jsonl")},
            stdout=subprocess.DEVNULL,
        ),
    }
    try:
        for name, process in processes.items():
            wait_listening(ports[name], process)
        targets = {"direct": "upstream", "capture": "capture", "capture x2": "capture2", "mitmdump": "mitmdump"}
        urls = {target: f"http://127.0.0.1:{ports[port]}/v2.0/networks" for target, port in targets.items()}
        for url in urls.values():  # warm up: connections, imports, caches
            wrk(wrk_binary, url, 16, 1, None)
        kinds = {"GET c16": (16, None), "POST c16": (16, post_lua), "GET c1": (1, None), "POST c1": (1, post_lua)}
        results: dict[tuple[str, str], list[Run]] = {}
        for round_no in range(args.rounds):
            for kind, (connections, script) in kinds.items():
                for target, url in urls.items():  # all side by side, for each kind
                    results.setdefault((target, kind), []).append(
                        wrk(wrk_binary, url, connections, args.seconds, script)
                    )
            print(f"round {round_no + 1}/{args.rounds} done", flush=True)
        report(results, list(urls), list(kinds), work)
    finally:
        for process in processes.values():
            process.terminate()
        for process in processes.values():
            process.wait(10)
        shutil.rmtree(work, ignore_errors=True)


def report(results: dict, targets: list[str], kinds: list[str], work: Path) -> None:
    def median(target: str, kind: str, field: str) -> float:
        return statistics.median(getattr(run, field) for run in results[(target, kind)])

    def ratio(kind: str) -> float:
        return median("capture x2", kind, "rps") / median("capture", kind, "rps")

    print(f"\nmedians over {len(results[(targets[0], kinds[0])])} rounds (2 shared cores; compare ratios)")
    print(f"{'target':<10} {'kind':<9} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8}")
    for kind in kinds:
        for target in targets:
            errors = sum(run.non_2xx for run in results[(target, kind)])
            print(
                f"{target:<10} {kind:<9} {median(target, kind, 'rps'):>9.0f} {median(target, kind, 'p50_ms'):>8.3f} "
                f"{median(target, kind, 'p99_ms'):>8.3f} {errors:>8}"
            )
    print("\nlatency added over direct, 1 connection (p50 / p99):")
    for target in ("capture", "capture x2", "mitmdump"):
        for kind in ("GET c1", "POST c1"):
            added50 = median(target, kind, "p50_ms") - median("direct", kind, "p50_ms")
            added99 = median(target, kind, "p99_ms") - median("direct", kind, "p99_ms")
            print(f"  {target:<10} {kind:<8} +{added50:.3f} ms / +{added99:.3f} ms")
    for target, state in (("capture", "capture"), ("capture x2", "capture2")):
        get_share = median(target, "GET c16", "rps") / median("direct", "GET c16", "rps")
        get_ratio = median(target, "GET c16", "rps") / median("mitmdump", "GET c16", "rps")
        post_ratio = median(target, "POST c16", "rps") / median("mitmdump", "POST c16", "rps")
        added_get = median(target, "GET c1", "p50_ms") - median("direct", "GET c1", "p50_ms")
        print(f"\ntargets, {target}:")
        print(f"  GET  {target}/nginx direct at 16 connections: {get_share:.1%}   (target >= 12 %)  "
              f"{_verdict(get_share >= 0.12)}   ({target}/mitmdump {get_ratio:.1f}x)")
        print(f"  GET  p50 added at 1 connection: {added_get:.3f} ms   (target <= 0.3 ms)  "
              f"{_verdict(added_get <= 0.3)}")
        print(f"  POST {target}/mitmdump at 16 connections: {post_ratio:.1f}x   (target >= 5x)  "
              f"{_verdict(post_ratio >= 5)}")
        logged = sum(sum(1 for _ in db.open("rb")) for db in (work / state).rglob("writes.db"))
        posts = sum(run.requests for (name, kind), runs in results.items() if name == target and "POST" in kind
                    for run in runs)
        print(f"  write log: {logged} records for {posts} POSTs (2 records per write: pending, answer)")
    print(f"\n  capture x2 / capture: GET c16 {ratio('GET c16'):.2f}x, POST c16 {ratio('POST c16'):.2f}x")


def _verdict(ok: bool) -> str:
    return "met" if ok else "NOT MET"


if __name__ == "__main__":
    main()
