"""Benchmark: the node cutover on the lab, measured side by side in one run.

    .venv/bin/python bench/bench_cutover.py [--nodes 200 --parallel 50 --delay 0.1 --wave 50]

1. Window: `--nodes` lab nodes in one wave (all at once), `--parallel` at a time, each
   simulated command taking `--delay` seconds. Printed: the whole window, the slowest
   node's time, the ideal (slowest node x rounds, rounds = nodes / parallel) and their
   ratio. Target: window <= 1.5 x ideal.
2. Failure: a wave of `--wave` nodes, all started at once, with `on_failure: stop`; one
   node's ACA never lists its ports, so its check fails and it is rolled back. Printed:
   its rollback time beside the others' cutover time, and the proof that every other node
   finished with its ACA holding exactly its ports.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from wizard.core.engine import Engine  # noqa: E402
from wizard.core.state import StateStore  # noqa: E402
from wizard.cutover.records import NodeRecords  # noqa: E402
from wizard.lab.cutover import lab_cutover  # noqa: E402
from wizard.lab.nodes import LAB_COMMANDS  # noqa: E402
from wizard.lab.synth import CloudSize, SyntheticCloud  # noqa: E402
from wizard.phases.cutover import CutoverPhase  # noqa: E402
from wizard.plan import Plan  # noqa: E402


def plan_for(state_dir: str, parallel: int, on_failure: str) -> Plan:
    plan = Plan(state_dir=state_dir)
    plan.cutover.executor.kind = "lab"
    plan.cutover.commands = LAB_COMMANDS
    plan.cutover.waves.all_at_once = True
    plan.cutover.waves.parallel = parallel
    plan.cutover.waves.on_failure = on_failure
    plan.cutover.timeouts.poll = 0.2
    plan.cutover.timeouts.check = 3
    return plan


def cutover(nodes: int, parallel: int, delay: float, on_failure: str = "continue", failing: str | None = None):
    """Run one lab cutover of `nodes` nodes (compute hosts and the network node);
    (engine result, node records, lab ACAs' ports, expected ports, window)."""
    hosts = nodes - 1
    snapshot = SyntheticCloud(CloudSize(ports=hosts * 4 + 40, hosts=hosts, networks=max(1, hosts // 5))).snapshot()
    with tempfile.TemporaryDirectory() as state_dir:
        plan = plan_for(state_dir, parallel, on_failure)
        with lab_cutover(snapshot, plan, delay=delay) as lab:
            if failing:
                lab.fleet[failing].failing = {"aca ports"}
            engine = Engine(plan, [CutoverPhase()], StateStore(state_dir), approve=lambda p, q: True)
            engine.ctx.run.provide(**lab.seams())
            started = time.monotonic()
            result = engine.run()
            window = time.monotonic() - started
            records = {r["node"]: r for r in NodeRecords(engine.state).all()}
            held = {host: set(node.aca.ports) for host, node in lab.fleet.nodes.items()}
            expected = {host: set() for host in lab.fleet.nodes}
            for port_id, host in lab.translation.bindings.items():
                expected[host].add(port_id)
            engine.state.close()
    return result, records, held, expected, window


def seconds(record: dict, part: str = "steps") -> float:
    return sum(step["seconds"] for step in record[part])


def window_bench(nodes: int, parallel: int, delay: float) -> float:
    _, alone, _, _, _ = cutover(2, 1, delay)
    result, records, held, expected, window = cutover(nodes, parallel, delay)
    assert result.ok, result.error
    assert held == expected, "an ACA does not hold exactly its node's ports"
    slowest = max(seconds(r) for r in records.values())
    rounds = math.ceil(len(records) / parallel)
    ideal = slowest * rounds
    ratio = window / ideal
    print(f"window: {len(records)} nodes, parallel {parallel}, {delay:g}s a command")
    print(f"  whole window          {window:7.2f} s")
    median = sorted(seconds(r) for r in records.values())[len(records) // 2]
    print(f"  slowest node          {slowest:7.2f} s   (median {median:.2f} s; "
          f"a compute node alone {seconds(alone['compute-000']):.2f} s)")
    steps = {}
    for record in records.values():
        for step in record["steps"]:
            steps.setdefault(step["step"], []).append(step["seconds"])
    print("  median per step       " + ", ".join(f"{name} {sorted(t)[len(t) // 2]:.2f}s" for name, t in steps.items()))
    print(f"  ideal (slowest x {rounds})  {ideal:7.2f} s")
    print(f"  window / ideal        {ratio:7.2f}     target <= 1.5: {'met' if ratio <= 1.5 else 'MISSED'}")
    return ratio


def failure_bench(wave: int, delay: float) -> None:
    failing = "compute-007"
    result, records, held, expected, window = cutover(wave, wave, delay, on_failure="stop", failing=failing)
    failed = records[failing]
    others = {name: r for name, r in records.items() if name != failing}
    finished = [name for name, r in others.items() if r["status"] == "done" and held[name] == expected[name]]
    print(f"failure: a wave of {len(records)} nodes started together, on_failure stop; {failing}'s ACA lists no port")
    undo = ", ".join(f"{step['step']} {step['seconds']:.2f}s" for step in failed["rollback"])
    print(f"  {failing}: {failed['status']} at {failed['failed_step']}; cutover steps {seconds(failed):.2f} s, "
          f"rollback {seconds(failed, 'rollback'):.2f} s ({undo})")
    print(f"  the others: {len(finished)} of {len(others)} finished, each ACA holding exactly its ports; "
          f"median cutover {sorted(seconds(r) for r in others.values())[len(others) // 2]:.2f} s")
    print(f"  {failing} after rollback: ACA holds {len(held[failing])} ports; phase {result.failed or 'ok'}: "
          f"{(result.error or '')[:100]}")
    print(f"  wave window {window:.2f} s")
    assert len(finished) == len(others) and failed["status"] == "rolled_back" and not held[failing]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=200)
    parser.add_argument("--parallel", type=int, default=50)
    parser.add_argument("--delay", type=float, default=0.1, help="seconds each simulated node command takes")
    parser.add_argument("--wave", type=int, default=50, help="nodes of the failure wave")
    args = parser.parse_args()
    ratio = window_bench(args.nodes, args.parallel, args.delay)
    print()
    failure_bench(args.wave, args.delay)
    return 0 if ratio <= 1.5 else 1


if __name__ == "__main__":
    sys.exit(main())
