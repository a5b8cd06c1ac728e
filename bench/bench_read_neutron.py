"""Benchmark: reading a 2,000-port real Neutron with page size 1,000 against 100, side by side.

Usage: .venv/bin/python bench/bench_read_neutron.py [--rounds 3]

The cloud (the `bench` fleet: 2 projects, 8 networks, 2,000 VM ports bound on
20 hosts) is built once through Neutron's API and its database cached next to
the neutron venv; later runs start from the cached database. Each read runs
in a fresh child process, so its peak RSS (ru_maxrss) is its own; a second
child per mode measures the peak of Python allocations with tracemalloc
(which slows it, so its time is not used). Modes:

  stream/1000   NeutronReader.write: pages streamed to the file, page size 1,000
  stream/100    the same, page size 100
  memory/1000   NeutronReader.read: the whole cloud held in memory, page size 1,000
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

MODES = {"stream/1000": ("stream", 1000), "stream/100": ("stream", 100), "memory/1000": ("memory", 1000)}
FLEET = dict(projects=2, networks_per_project=4, ports_per_network=250, hosts=20)


def child(how: str, url: str, page_size: int, trace: bool) -> None:
    """One read, in this process; prints its figures as JSON."""
    from wizard.neutron.reader import NeutronReader
    from wizard.plan import NeutronSource

    with NeutronReader(NeutronSource(url=url, auth="none", page_size=page_size)) as reader:
        _ = reader.extensions  # connect and discover before measuring
        if trace:
            tracemalloc.start()
        started = time.perf_counter()
        with tempfile.TemporaryDirectory() as tmp:
            if how == "stream":
                ports = reader.write(Path(tmp) / "snapshot.json")["ports"]
            else:
                ports = len(reader.read()["ports"])
        seconds = time.perf_counter() - started
        heap = tracemalloc.get_traced_memory()[1] if trace else 0
        print(json.dumps({"seconds": seconds, "requests": reader.requests, "ports": ports, "heap": heap,
                          "maxrss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))


def run_child(mode: str, url: str, trace: bool) -> dict:
    how, page_size = MODES[mode]
    output = subprocess.run([sys.executable, __file__, "--child", how, url, str(page_size)]
                            + (["--trace"] if trace else []),
                            capture_output=True, text=True, check=True).stdout
    return json.loads(output.splitlines()[-1])


def bench_cloud():
    """A running server holding the bench fleet, from the cached database when there is one."""
    from wizard.lab import samples
    from wizard.lab.neutron_server import REQUIREMENTS, NeutronServer, cache_dir
    from wizard.lab.topology import build

    key = hashlib.sha256(json.dumps([REQUIREMENTS, FLEET, samples.SERVICE_PLUGINS]).encode()).hexdigest()[:12]
    cached = cache_dir() / "bench" / f"read-neutron-{key}.sqlite"
    if cached.is_file():
        print(f"reusing the cloud cached in {cached}")
        return NeutronServer(service_plugins=samples.SERVICE_PLUGINS, database=cached).start()
    server = NeutronServer(service_plugins=samples.SERVICE_PLUGINS).start()
    started = time.monotonic()
    print(f"building {FLEET} through Neutron's API (bulk POSTs; a few minutes, once)")
    try:
        build(samples.fleet("bench", **FLEET), server.url, server.add_agent,
              progress=lambda kind, done, total: print(f"  {kind}: {done}/{total}", flush=True))
        print(f"built in {time.monotonic() - started:.0f} s; caching the database in {cached}")
        server.save_database(cached)
    except BaseException:
        server.stop()
        raise
    return server


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", nargs=3, metavar=("HOW", "URL", "PAGE_SIZE"), help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        how, url, page_size = args.child
        child(how, url, int(page_size), args.trace)
        return 0

    server = bench_cloud()
    try:
        runs = {mode: [] for mode in MODES}
        for round_ in range(args.rounds):  # interleaved, so load on the machine hits every mode alike
            for mode in MODES:
                runs[mode].append(run_child(mode, server.url, trace=False))
            print(f"round {round_ + 1}/{args.rounds} done", flush=True)
        heaps = {mode: run_child(mode, server.url, trace=True)["heap"] for mode in MODES}
    finally:
        server.stop()

    base = "stream/1000"
    rows = {mode: {"seconds": statistics.median(r["seconds"] for r in results),
                   "requests": results[0]["requests"], "ports": results[0]["ports"],
                   "maxrss": statistics.median(r["maxrss"] for r in results), "heap": heaps[mode]}
            for mode, results in runs.items()}
    print(f"\nread of {rows[base]['ports']:,} ports (+ every other collection), "
          f"median of {args.rounds} rounds; ratios against {base}\n")
    print(f"{'mode':<12} {'wall s':>7} {'ratio':>6} {'requests':>8} {'ratio':>6} "
          f"{'peak RSS MB':>11} {'ratio':>6} {'peak heap MB':>12} {'ratio':>6}")
    for mode, row in rows.items():
        print(f"{mode:<12} {row['seconds']:7.2f} {row['seconds'] / rows[base]['seconds']:6.2f} "
              f"{row['requests']:8d} {row['requests'] / rows[base]['requests']:6.2f} "
              f"{row['maxrss'] / 2**20:11.1f} {row['maxrss'] / rows[base]['maxrss']:6.2f} "
              f"{row['heap'] / 2**20:12.1f} {row['heap'] / rows[base]['heap']:6.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
