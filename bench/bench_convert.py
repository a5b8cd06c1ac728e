"""Benchmarks of convert against the Alcor emulator, which runs in a process of its own as Alcor would.

    .venv/bin/python bench/bench_convert.py throughput [--ports 100000]
    .venv/bin/python bench/bench_convert.py faults [--ports 10000]
    .venv/bin/python bench/bench_convert.py kill [--ports 10000 --kills 5]

throughput: the same synthetic cloud converted with Alcor's bulk creates and with one request
per resource, side by side (each in a fresh process against a fresh emulator): wall time,
resources/s, requests, peak RSS of the converting process. Targets on a 2-core machine:
bulk >= 5x single in resources/s; the bulk run of 100,000 ports in under 5 minutes.
faults: 10 % of requests answered 500 and 1 % held past the client's timeout (half of the
faults strike after the request took effect): convert completes, verify finds zero drift,
the emulator saw zero duplicate creates.
kill: kill -9 of the converting process at random moments, the same run started again each
time: zero drift, zero duplicates, and how many requests were sent again.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ("vpc", "subnet", "route", "port", "node", "security_group", "elastic_ip")


# -- the emulator, in its own process ------------------------------------------------------------
class Emulator:
    """`alcor-migrate lab alcor` on a free port; stopped with SIGINT."""

    def __init__(self, *options: str):
        self.process = subprocess.Popen([sys.executable, "-m", "wizard", "lab", "alcor", "--port", "0", "--seed", "1",
                                         *options], cwd=ROOT, stdout=subprocess.PIPE, text=True)
        for line in self.process.stdout:
            if line.startswith("Alcor emulator running"):
                break
            self.url = line.split()[1]

    def stats(self) -> dict:
        return httpx.get(self.url + "/_emulator/stats", timeout=60).json()

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        self.process.wait(30)


# -- one convert, in a child process ---------------------------------------------------------------
def child(args: argparse.Namespace) -> None:
    """Convert (and verify) one cloud; print one JSON line."""
    sys.path.insert(0, str(ROOT))
    from wizard.alcor.client import AlcorClient
    from wizard.alcor.convert import Converter, resources_in
    from wizard.alcor.verify import verify
    from wizard.core.state import StateStore
    from wizard.lab.synth import CloudSize, SyntheticCloud
    from wizard.translate.context import Options
    from wizard.translate.translation import translate

    translation = translate(SyntheticCloud(CloudSize(ports=args.ports)).snapshot(), Options(bulk=not args.single))
    state = StateStore(args.state)
    with AlcorClient({s: args.url for s in SERVICES}, timeout=args.timeout, concurrency=args.concurrency,
                     retries=8, backoff=0.05) as client:
        start = time.perf_counter()
        summary = Converter(client, state, concurrency=args.concurrency).run(translation.requests)
        seconds = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        drift = verify(translation.requests, client, state.mapped_id).total if args.verify else None
    print(json.dumps({"seconds": seconds, "requests": len(translation.requests),
                      "resources": sum(map(resources_in, translation.requests)), "peak_mb": peak, "drift": drift,
                      "summary": summary.to_json(most=3)}))


def convert_in_child(url: str, state: str, ports: int, *, single: bool = False, verify: bool = False,
                     timeout: float = 30.0, concurrency: int = 8) -> subprocess.Popen:
    command = [sys.executable, __file__, "child", "--url", url, "--state", state, "--ports", str(ports),
               "--timeout", str(timeout), "--concurrency", str(concurrency)]
    command += ["--single"] if single else []
    command += ["--verify"] if verify else []
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)


def result_of(process: subprocess.Popen) -> dict:
    out, _ = process.communicate()
    if process.returncode:
        raise SystemExit(f"convert child failed with exit {process.returncode}")
    return json.loads(out.strip().splitlines()[-1])


# -- the three benchmarks ------------------------------------------------------------------------------
def throughput(args: argparse.Namespace) -> None:
    runs = {}
    for mode in ("bulk", "single"):
        emulator = Emulator()
        try:
            with tempfile.TemporaryDirectory() as state:
                runs[mode] = result_of(convert_in_child(emulator.url, state, args.ports, single=mode == "single"))
        finally:
            emulator.stop()
        run = runs[mode]
        run["rate"] = run["resources"] / run["seconds"]
        assert run["summary"]["failed"] == run["summary"]["held_back"] == 0, run["summary"]
    bulk, single = runs["bulk"], runs["single"]
    print(f"convert of a synthetic cloud with {args.ports} ports ({bulk['resources']} resources), "
          f"concurrency 8, emulator in its own process")
    print(f"{'':22}{'bulk':>14}{'single':>14}{'bulk/single':>14}")
    for label, key, fmt in (("wall time", "seconds", "{:.1f} s"), ("resources/s", "rate", "{:.0f}"),
                            ("requests", "requests", "{:.0f}"), ("peak RSS (convert)", "peak_mb", "{:.0f} MB")):
        print(f"{label:22}{fmt.format(bulk[key]):>14}{fmt.format(single[key]):>14}"
              f"{bulk[key] / single[key]:>14.2f}")
    ratio = bulk["rate"] / single["rate"]
    print(f"targets: bulk >= 5x single {'ok' if ratio >= 5 else 'MISSED'} ({ratio:.1f}x); "
          f"whole cloud < 5 min {'ok' if bulk['seconds'] < 300 else 'MISSED'} ({bulk['seconds']:.0f} s)")


def faults(args: argparse.Namespace) -> None:
    emulator = Emulator("--fault-500", "0.10", "--fault-timeout", "0.01", "--hold-seconds", "3")
    try:
        with tempfile.TemporaryDirectory() as state:
            run = result_of(convert_in_child(emulator.url, state, args.ports, verify=True, timeout=2.0))
        stats = emulator.stats()
    finally:
        emulator.stop()
    api = sum(stats["requests"].values())
    print(f"convert of {args.ports} ports ({run['resources']} resources, {run['requests']} requests) "
          f"with 10 % 500s and 1 % timeouts injected")
    print(f"  wall time {run['seconds']:.1f} s; Alcor API requests {api}; faults injected {stats['faults']}")
    print(f"  convert: {run['summary']['applied']} applied, {run['summary']['failed']} failed, "
          f"{run['summary']['held_back']} held back")
    print(f"  verify drift {run['drift']}; duplicate creates {stats['duplicate_creates']}; "
          f"repeated create requests {stats['repeated_create_requests']}")
    ok = (run["drift"] == 0 and stats["duplicate_creates"] == 0 and run["summary"]["failed"] == 0)
    print(f"target: completes, zero drift, zero duplicates {'ok' if ok else 'MISSED'}")


def kill(args: argparse.Namespace) -> None:
    """Kill each run once a random number of further requests is applied, then run to the end."""
    sys.path.insert(0, str(ROOT))
    from wizard.core.state import StateStore
    from wizard.lab.synth import CloudSize, SyntheticCloud
    from wizard.translate.translation import translate

    total = len(translate(SyntheticCloud(CloudSize(ports=args.ports)).snapshot()).requests)
    rng = random.Random(args.seed)
    emulator = Emulator()
    state_dir = Path(tempfile.mkdtemp(prefix="bench-kill-"))
    in_doubt = 0
    try:
        for attempt in range(args.kills):
            done = applied_records(state_dir)
            target = rng.randint(done + 1, done + max(1, (total - done) // 3))
            process = convert_in_child(emulator.url, str(state_dir), args.ports)
            while applied_records(state_dir) < target and process.poll() is None:
                time.sleep(0.005)
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
            state = StateStore(state_dir)
            doubtful, applied = len(state.in_doubt()), state.applied_count()
            state.close()
            in_doubt += doubtful
            print(f"  run {attempt + 1}: kill -9 at {applied}/{total} applied; {doubtful} sent, not recorded")
        final = result_of(convert_in_child(emulator.url, str(state_dir), args.ports, verify=True))
        stats = emulator.stats()
    finally:
        emulator.stop()
    summary = final["summary"]
    print(f"convert of {args.ports} ports ({final['requests']} requests): {args.kills} kill -9, then a last run")
    print(f"  requests sent but not recorded at a kill, looked up in Alcor by the next run: {in_doubt}")
    print(f"  last run: {summary['skipped']} skipped as done, {summary['applied']} applied, "
          f"{summary['resent']} re-sent after a kill, {summary['found_applied']} found applied (not re-sent)")
    print(f"  verify drift {final['drift']}; duplicate creates {stats['duplicate_creates']}; "
          f"repeated create requests {stats['repeated_create_requests']}")
    ok = final["drift"] == 0 and stats["duplicate_creates"] == 0 and summary["failed"] == 0
    print(f"target: zero drift, zero duplicates {'ok' if ok else 'MISSED'}")


def applied_records(state_dir: Path) -> int:
    """Requests recorded applied so far (read from the state file while a run writes it)."""
    path = state_dir / "state.db"
    return path.read_bytes().count(b'"t":"applied"') if path.exists() else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="bench", required=True)
    for name, ports in (("throughput", 100_000), ("faults", 10_000), ("kill", 10_000)):
        one = sub.add_parser(name)
        one.add_argument("--ports", type=int, default=ports)
    sub.choices["kill"].add_argument("--kills", type=int, default=5)
    sub.choices["kill"].add_argument("--seed", type=int, default=1)
    inner = sub.add_parser("child")
    for option in ("--url", "--state"):
        inner.add_argument(option, required=True)
    inner.add_argument("--ports", type=int, required=True)
    inner.add_argument("--timeout", type=float, default=30.0)
    inner.add_argument("--concurrency", type=int, default=8)
    inner.add_argument("--single", action="store_true")
    inner.add_argument("--verify", action="store_true")
    args = parser.parse_args()
    {"throughput": throughput, "faults": faults, "kill": kill, "child": child}[args.bench](args)


if __name__ == "__main__":
    main()
