"""Loading synthetic snapshots of 10,000 and 100,000 ports: time and peak memory, side by side.

Each snapshot is written by `wizard.lab.synth`, then loaded with
`wizard.neutron.snapshot.load` in a fresh child process that reports its wall time and
peak RSS (and its RSS before loading, the interpreter and imports). Target: the
100,000-port snapshot loads in under 1.5 GB.

    .venv/bin/python bench/bench_load_snapshot.py [--sizes 10000,100000] [--seed 0] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_BYTES = 1.5 * 2**30


def child(path: str) -> None:
    """Runs in the child: load the snapshot once and print what it cost, as JSON."""
    from wizard.neutron import snapshot

    before = _peak_rss()
    started = time.perf_counter()
    loaded = snapshot.load(path)
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "peak": _peak_rss(), "base": before,
                      "ports": len(loaded["ports"]), "resources": sum(loaded.counts().values())}))


def _peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB


def measure(ports: int, seed: int, folder: Path) -> dict:
    from wizard.lab.synth import CloudSize, SyntheticCloud, write

    path = folder / f"synthetic-{ports}.json"
    started = time.perf_counter()
    write(SyntheticCloud(CloudSize(ports=ports, seed=seed)), path)
    generated = time.perf_counter() - started
    out = subprocess.run([sys.executable, __file__, "--child", str(path)], check=True,
                         capture_output=True, text=True)
    return {**json.loads(out.stdout), "generate": generated, "file": path.stat().st_size}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="port counts (comma-separated)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", metavar="DIR", help="keep the snapshots in DIR")
    parser.add_argument("--child", metavar="FILE", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return 0
    sizes = [int(size) for size in args.sizes.split(",")]
    with tempfile.TemporaryDirectory(prefix="bench-snapshot-") as scratch:
        folder = Path(args.keep or scratch)
        folder.mkdir(parents=True, exist_ok=True)
        results = [measure(size, args.seed, folder) for size in sizes]
    print_table(sizes, results)
    largest = results[-1]
    verdict = "meets" if largest["peak"] < TARGET_BYTES else "MISSES"
    print(f"\n{sizes[-1]:,} ports: peak RSS {_mb(largest['peak'])} {verdict} the target of "
          f"{_mb(TARGET_BYTES)}")
    return 0 if largest["peak"] < TARGET_BYTES else 1


def print_table(sizes: list[int], results: list[dict]) -> None:
    """One column per size and, for two sizes or more, the ratio of the last to the first."""
    rows = [  # label, the measured value, how to show it
        ("resources", lambda r: r["resources"], "{:,}"),
        ("file size", lambda r: r["file"] / 2**20, "{:,.0f} MiB"),
        ("generate + write", lambda r: r["generate"], "{:.2f} s"),
        ("load time", lambda r: r["seconds"], "{:.2f} s"),
        ("peak RSS", lambda r: r["peak"] / 2**20, "{:,.0f} MiB"),
        ("RSS before load", lambda r: r["base"] / 2**20, "{:,.0f} MiB"),
        ("RSS for the data", lambda r: (r["peak"] - r["base"]) / 2**20, "{:,.0f} MiB"),
        ("load time / port", lambda r: r["seconds"] / r["ports"] * 1e6, "{:.1f} µs"),
        ("data RSS / port", lambda r: (r["peak"] - r["base"]) / r["ports"] / 1024, "{:.2f} KiB"),
    ]
    ratio = len(sizes) > 1
    table = [["", *(f"{size:,} ports" for size in sizes), *([f"ratio {sizes[-1]:,}/{sizes[0]:,}"] * ratio)]]
    for label, value, shown in rows:
        values = [value(r) for r in results]
        table.append([label, *(shown.format(v) for v in values),
                      *([f"{values[-1] / values[0]:.2f}"] * ratio)])
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    for row in table:
        print("  ".join(cell.ljust(widths[0]) if i == 0 else cell.rjust(widths[i])
                        for i, cell in enumerate(row)))


def _mb(n: float) -> str:
    return f"{n / 2**20:,.0f} MiB"


if __name__ == "__main__":
    sys.exit(main())
