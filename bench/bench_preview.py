"""`alcor-migrate preview` against a bare `json.load` of the same snapshot, side by side.

For each size a synthetic cloud is written by `wizard.lab.synth` (cached in a temp
folder: the same size, seed and generator make the same file), then two kinds of child process run
in turns, `--repeat` times each: `alcor-migrate preview --snapshot FILE --out DIR` (the
whole command: imports, loading and checking, translating, accounting, the tables and
the dry-run files) and `python -c "json.load(open(FILE))"`. Each child's wall time, CPU
time and peak RSS come from os.wait4; the best of the repeats is shown (CPU time is the
steadier figure on a shared machine). Targets (issue 15):
preview at most 2.5x the time and 1.3x the peak memory of json.load on the largest size,
and linear (time and memory per port no higher on the largest size than on the smallest).

    .venv/bin/python bench/bench_preview.py [--sizes 10000,100000] [--repeat 2] [--cache DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TIME_RATIO, MEMORY_RATIO = 2.5, 1.3
JSON_LOAD = "import json, sys\nwith open(sys.argv[1], encoding='utf-8') as fh:\n    json.load(fh)"


def snapshot_file(ports: int, seed: int, cache: Path) -> Path:
    """The synthetic cloud of `ports` ports (networks ports/10, rules ports/5, as in the issue), written
    once for each version of the generator."""
    from wizard.lab import synth

    generator = hashlib.sha256(Path(synth.__file__).read_bytes()).hexdigest()[:12]
    path = cache / f"synthetic-{ports}-seed{seed}-{generator}.json"
    if not path.exists():
        partial = path.with_name(path.name + ".partial")
        synth.write(synth.SyntheticCloud(synth.CloudSize(ports=ports, networks=ports // 10, rules=ports // 5,
                                                         seed=seed)), partial)
        partial.replace(path)
    return path


def timed(argv: list[str]) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds and peak RSS (bytes) of one child process; it must exit 0, or 3
    (blockers)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    child = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode not in (0, 3):
        raise SystemExit(f"{' '.join(argv)}: exit {child.returncode}: {child.stderr.read().decode()[-2000:]}")
    child.stderr.close()
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024  # Linux reports KiB


def measure(path: Path, out: Path, repeat: int) -> dict[str, float]:
    """The best of `repeat` turns of preview and json.load on one file."""
    preview = [sys.executable, "-m", "wizard", "preview", "--snapshot", str(path), "--out", str(out)]
    load = [sys.executable, "-c", JSON_LOAD, str(path)]
    runs: dict[str, list[tuple[float, float, int]]] = {"preview": [], "json": []}
    for _ in range(repeat):
        runs["preview"].append(timed(preview))
        runs["json"].append(timed(load))
    best = {}
    for name, turns in runs.items():
        best.update({f"{name}_s": min(t[0] for t in turns), f"{name}_cpu": min(t[1] for t in turns),
                     f"{name}_rss": min(t[2] for t in turns)})
    return {"ports": int(path.stem.split("-")[1]), "file": path.stat().st_size, **best}


def print_table(results: list[dict[str, float]]) -> None:
    rows = [  # label, value, format
        ("file size", lambda r: r["file"] / 2**20, "{:,.0f} MiB"),
        ("preview time", lambda r: r["preview_s"], "{:.2f} s"),
        ("json.load time", lambda r: r["json_s"], "{:.2f} s"),
        ("time ratio", lambda r: r["preview_s"] / r["json_s"], "{:.2f}x"),
        ("preview CPU time", lambda r: r["preview_cpu"], "{:.2f} s"),
        ("json.load CPU time", lambda r: r["json_cpu"], "{:.2f} s"),
        ("CPU time ratio", lambda r: r["preview_cpu"] / r["json_cpu"], "{:.2f}x"),
        ("preview peak RSS", lambda r: r["preview_rss"] / 2**20, "{:,.0f} MiB"),
        ("json.load peak RSS", lambda r: r["json_rss"] / 2**20, "{:,.0f} MiB"),
        ("memory ratio", lambda r: r["preview_rss"] / r["json_rss"], "{:.2f}x"),
        ("preview time / port", lambda r: r["preview_s"] / r["ports"] * 1e6, "{:.1f} µs"),
        ("preview RSS / port", lambda r: r["preview_rss"] / r["ports"] / 1024, "{:.2f} KiB"),
    ]
    scaled = len(results) > 1
    table = [["", *(f"{r['ports']:,} ports" for r in results),
              *([f"{results[-1]['ports']:,}/{results[0]['ports']:,}"] * scaled)]]
    for label, value, shown in rows:
        values = [value(r) for r in results]
        table.append([label, *(shown.format(v) for v in values), *([f"{values[-1] / values[0]:.2f}"] * scaled)])
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    for row in table:
        print("  ".join(cell.ljust(widths[0]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row)))


def verdicts(results: list[dict[str, float]]) -> list[tuple[str, bool]]:
    """Each target and whether it is met."""
    first, last = results[0], results[-1]
    time_ratio, memory_ratio = last["preview_s"] / last["json_s"], last["preview_rss"] / last["json_rss"]
    out = [(f"time {time_ratio:.2f}x json.load (target <= {TIME_RATIO}x)", time_ratio <= TIME_RATIO),
           (f"memory {memory_ratio:.2f}x json.load (target <= {MEMORY_RATIO}x)", memory_ratio <= MEMORY_RATIO)]
    if len(results) > 1:
        per_port = [r["preview_s"] / r["ports"] for r in (first, last)]
        out.append((f"linear: time per port {per_port[1] / per_port[0]:.2f} of the smallest size's (target <= 1)",
                    per_port[1] <= per_port[0]))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="port counts, comma-separated (default 10000,100000)")
    parser.add_argument("--repeat", type=int, default=2, help="turns of each child per size; the best is shown")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache", metavar="DIR", default=Path(tempfile.gettempdir()) / "alcor-bench-preview",
                        type=Path, help="where the synthetic snapshots are kept between runs")
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    sizes = sorted(int(size) for size in args.sizes.split(","))
    files = [snapshot_file(ports, args.seed, args.cache) for ports in sizes]
    with tempfile.TemporaryDirectory(prefix="bench-preview-") as out:
        results = [measure(path, Path(out) / path.stem, args.repeat) for path in files]
    print_table(results)
    print()
    met = verdicts(results)
    for text, ok in met:
        print(f"{'ok' if ok else 'MISSED'}: {text}")
    return 0 if all(ok for _, ok in met) else 1


if __name__ == "__main__":
    sys.exit(main())
