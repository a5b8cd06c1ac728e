"""Benchmark: translating a synthetic cloud, full size and a tenth of it, side by side.

    .venv/bin/python bench/bench_translate.py [--ports 100000 --networks 10000 --rules 20000]

Each size runs in a fresh process (so peak memory is its own): the synthetic snapshot is
built in memory, then translated (and accounted, as `preview` does). Printed: wall time of
translate + account, peak RSS of the process, RSS before translating (the snapshot), and
the full/tenth ratios. Targets on a 2-core machine: full < 10 s and < 1.5 GB, time ratio <= 12.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * resource.getpagesize() / 2**20


def measure(ports: int, networks: int, rules: int) -> dict:
    """One size, in this process."""
    from wizard.lab.synth import CloudSize, SyntheticCloud
    from wizard.translate.accounting import account, unaccounted
    from wizard.translate.translation import translate

    snapshot = SyntheticCloud(CloudSize(ports=ports, networks=networks, rules=rules)).snapshot()
    before = rss_mb()
    start = time.perf_counter()
    translation = translate(snapshot)
    translated = time.perf_counter() - start
    tallies = account(snapshot, translation)
    seconds = time.perf_counter() - start
    return {"ports": ports, "networks": networks, "rules": rules, "translate_s": translated, "total_s": seconds,
            "requests": len(translation.requests), "findings": len(translation.findings),
            "unaccounted": len(unaccounted(tallies)), "snapshot_mb": before,
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def run_child(ports: int, networks: int, rules: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", "--ports", str(ports), "--networks", str(networks),
                          "--rules", str(rules)], cwd=ROOT, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ports", type=int, default=100_000)
    parser.add_argument("--networks", type=int, default=10_000)
    parser.add_argument("--rules", type=int, default=20_000)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        sys.path.insert(0, str(ROOT))
        print(json.dumps(measure(args.ports, args.networks, args.rules)))
        return
    tenth = run_child(args.ports // 10, args.networks // 10, args.rules // 10)
    full = run_child(args.ports, args.networks, args.rules)
    print(f"{'':24}{'tenth':>12}{'full':>12}{'full/tenth':>12}")
    for label, key, unit in (("translate + account", "total_s", "s"), ("  of which translate", "translate_s", "s"),
                             ("peak RSS", "peak_mb", "MB"), ("RSS with snapshot", "snapshot_mb", "MB"),
                             ("requests", "requests", ""), ("findings", "findings", ""),
                             ("unaccounted", "unaccounted", "")):
        ratio = f"{full[key] / tenth[key]:.1f}" if tenth[key] else "-"
        small, large = (f"{v:.2f} {unit}" if unit == "s" else f"{v:.0f} {unit}".strip()
                        for v in (tenth[key], full[key]))
        print(f"{label:24}{small:>12}{large:>12}{ratio:>12}")
    ok_time, ok_mem = full["total_s"] < 10, full["peak_mb"] < 1536
    ok_linear = full["total_s"] / tenth["total_s"] <= 12
    print(f"targets: full < 10 s {'ok' if ok_time else 'MISSED'}; peak < 1.5 GB {'ok' if ok_mem else 'MISSED'}; "
          f"full/tenth <= 12 {'ok' if ok_linear else 'MISSED'}")


if __name__ == "__main__":
    main()
