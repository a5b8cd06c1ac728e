"""Plan check benchmark: checking a plan whose waves name 4,000 and 40,000 hosts (one of them
twice), side by side in one run. The target: ten times the hosts take at most 12 times as long
(linear; a check that compares every host with every other took 17 s at 40,000 hosts).

    .venv/bin/python bench/bench_plan_check.py [--hosts 40000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from wizard import plan
from wizard.core.errors import InputError

PLAN = """version: 1
neutron: {url: "http://127.0.0.1:9696", auth: none}
alcor: {url: "http://127.0.0.1:9009"}
cutover:
  waves:
    canary: [compute-7]
    lists: [WAVES]
"""


def check_seconds(directory: Path, hosts: int) -> float:
    """The time `plan.load` takes to find the one repeated host among `hosts`."""
    path = directory / f"plan-{hosts}.yaml"
    path.write_text(PLAN.replace("WAVES", ", ".join(f"[compute-{n}]" for n in range(hosts))))
    started = time.perf_counter()
    try:
        plan.load(path)
    except InputError as error:
        assert "hosts in more than one wave: compute-7" in str(error), error
    else:
        raise AssertionError("the repeated host was not found")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hosts", type=int, default=40_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    small, large = args.hosts // 10, args.hosts
    with tempfile.TemporaryDirectory() as directory:
        times: dict[int, list[float]] = {small: [], large: []}
        for _ in range(args.rounds):
            for hosts in (small, large):
                times[hosts].append(check_seconds(Path(directory), hosts))
    first, last = statistics.median(times[small]), statistics.median(times[large])
    print(f"{small:>7} hosts: {first:.2f} s   {large:>7} hosts: {last:.2f} s   (medians of {args.rounds})")
    ratio = last / first
    print(f"ratio {ratio:.1f} for 10x the hosts (target <= 12, linear)  {'met' if ratio <= 12 else 'NOT MET'}")


if __name__ == "__main__":
    main()
