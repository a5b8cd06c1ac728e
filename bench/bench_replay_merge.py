"""Replay of 3 write logs x 10,000 interleaved writes on overlapping resources, beside one log of the
same 30,000 writes, side by side in one run: final drift 0 and the rate (writes/s) of each.

How the logs are made (30,000 real Neutron writes would take far longer than a benchmark may here):
the cloud is `wizard.lab.synth`'s synthetic cloud (resources shaped as neutron-server 29 returns them),
converted to the Alcor emulator (its own process, as `bench_convert.py` runs it). Then one sequence of
writes, in Neutron's order, is played against a model of Neutron that answers as neutron-server does
(the whole resource, `revision_number` + 1 on every update, a new security group with its two egress
rules at revision 1, 204 and no body for a delete): renames of ports and networks, creates, renames and
deletes of security groups, each on a resource picked at random, so the three logs touch the same
resources. Each write is logged with the WriteLog class the capture uses (`begin`, `record_answer`,
the entry's time from the node's clock) on one of three nodes in turn at random; the nodes' clocks are
0, -0.4 and +0.25 s off, and writes come 1 ms apart, so the logs' clocks disagree with Neutron's order
on many writes to one resource. The single log takes the same writes with one clock. Replay never
asks Neutron (no `unknown` entries; every group a port names is in the snapshot): the model raises if
it is asked. Drift: Alcor against the translation of the model's final state (what Neutron holds).

The two replays run at the same time, each in a process of its own against an emulator of its own,
so both see the same machine load.

    PYTHONPATH=. .venv/bin/python bench/bench_replay_merge.py [--writes 10000] [--ports 400]
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_convert import SERVICES, Emulator  # noqa: E402

from wizard.alcor.client import AlcorClient  # noqa: E402
from wizard.alcor.convert import Converter  # noqa: E402
from wizard.alcor.verify import verify  # noqa: E402
from wizard.capture import writelog  # noqa: E402
from wizard.capture.merge import MergedReplayer, Source  # noqa: E402
from wizard.capture.replay import Replayer  # noqa: E402
from wizard.capture.writelog import WriteLog  # noqa: E402
from wizard.core.state import StateStore  # noqa: E402
from wizard.lab.synth import CloudSize, SyntheticCloud  # noqa: E402
from wizard.neutron.snapshot import Snapshot  # noqa: E402
from wizard.translate.context import Context, Index, Options  # noqa: E402
from wizard.translate.translation import translate  # noqa: E402

SKEWS = (0.0, -0.4, 0.25)  # seconds each node's clock is off
STEP = 0.001  # seconds between two writes in Neutron's order


class Model:
    """Neutron's state as the writes change it, answering as neutron-server does."""

    def __init__(self, snapshot: Snapshot):
        self.source = snapshot.source
        self.collections = {name: {r["id"]: r for r in items} for name, items in snapshot.collections.items()}
        self.template = next(g for g in snapshot["security_groups"] if g["name"] == "default")

    def snapshot(self) -> Snapshot:
        return Snapshot(self.source, {name: list(items.values()) for name, items in self.collections.items()})

    def update(self, kind: str, resource_id: str, **fields: Any) -> dict[str, Any]:
        resource = self.collections[kind][resource_id]
        resource.update(fields, revision_number=resource.get("revision_number", 0) + 1)
        return copy.deepcopy(resource)

    def create_group(self, name: str) -> dict[str, Any]:
        group = copy.deepcopy(self.template)
        group.update(id=str(uuid.uuid4()), name=name, description="", revision_number=1)
        group["security_group_rules"] = [
            {**rule, "id": str(uuid.uuid4()), "security_group_id": group["id"], "belongs_to_default_sg": False}
            for rule in group["security_group_rules"] if rule["direction"] == "egress"]
        self.collections["security_groups"][group["id"]] = group
        for rule in group["security_group_rules"]:
            self.collections["security_group_rules"][rule["id"]] = rule
        return copy.deepcopy(group)

    def delete_group(self, group_id: str) -> None:
        del self.collections["security_groups"][group_id]
        rules = self.collections["security_group_rules"]
        for rule_id in [r for r, rule in rules.items() if rule["security_group_id"] == group_id]:
            del rules[rule_id]

    # replay's Neutron protocol: never used here, by construction
    def resource(self, name: str, resource_id: str) -> dict[str, Any] | None:
        raise AssertionError(f"replay asked Neutron for {name} {resource_id}")

    def search(self, collection: str, /, **filters: Any) -> list[dict[str, Any]]:
        raise AssertionError(f"replay searched Neutron's {collection}")


class Clock:
    """The write logs' clock (writelog.time), set to the logging node's time before each write."""

    now = 0.0

    @classmethod
    def time(cls) -> float:
        return cls.now


def writes(model: Model, count: int, rng: random.Random) -> list[tuple[str, str, dict | None, int, dict | None]]:
    """`count` writes in Neutron's order: (method, path, request, status, answer)."""
    ports = [p["id"] for p in model.collections["ports"].values() if p["device_owner"].startswith("compute")]
    networks = [n["id"] for n in model.collections["networks"].values() if not n.get("router:external")]
    groups: list[str] = []
    out: list[tuple[str, str, dict | None, int, dict | None]] = []
    for n in range(count):
        roll = rng.random()
        if roll < 0.1 or (roll < 0.25 and not groups):
            group = model.create_group(f"g{n}")
            groups.append(group["id"])
            out.append(("POST", "/v2.0/security-groups", {"security_group": {"name": group["name"]}}, 201,
                        {"security_group": group}))
        elif roll < 0.15 and len(groups) > 5:
            gone = groups.pop(rng.randrange(len(groups)))
            model.delete_group(gone)
            out.append(("DELETE", f"/v2.0/security-groups/{gone}", None, 204, None))
        elif roll < 0.25:
            group_id = rng.choice(groups)
            body = {"security_group": {"name": f"g-renamed-{n}"}}
            out.append(("PUT", f"/v2.0/security-groups/{group_id}", body, 200,
                        {"security_group": model.update("security_groups", group_id, name=f"g-renamed-{n}")}))
        elif roll < 0.4:
            net = rng.choice(networks)
            out.append(("PUT", f"/v2.0/networks/{net}", {"network": {"name": f"net-{n}"}}, 200,
                        {"network": model.update("networks", net, name=f"net-{n}")}))
        else:
            port = rng.choice(ports)
            out.append(("PUT", f"/v2.0/ports/{port}", {"port": {"name": f"port-{n}"}}, 200,
                        {"port": model.update("ports", port, name=f"port-{n}")}))
    return out


def log_writes(directory: Path, nodes: int, made: list, rng: random.Random) -> list[WriteLog]:
    """The writes logged as the capture logs them, each on a node picked at random, by that node's clock."""
    logs = [WriteLog(directory / f"node-{i}") for i in range(nodes)]
    real, writelog.time = writelog.time, Clock  # type: ignore[assignment]
    try:
        for n, (method, path, request, status, answer) in enumerate(made):
            node = rng.randrange(nodes)
            Clock.now = 1.8e9 + n * STEP + (SKEWS[node] if nodes > 1 else 0.0)
            log = logs[node]
            seq, _ = log.begin(method, path, "", json.dumps(request).encode() if request else b"",
                               [("Content-Type", "application/json")])
            log.record_answer(seq, status, json.dumps(answer).encode() if answer else b"", f"req-{n}")
    finally:
        writelog.time = real
    for log in logs:
        log.sync()
    return logs


def run(nodes: int, count: int, ports: int, seed: int) -> dict[str, Any]:
    """Convert the cloud, log the writes on `nodes` logs, replay them: time, rate, drift."""
    initial = SyntheticCloud(CloudSize(ports=ports, seed=seed)).snapshot()
    model = Model(copy.deepcopy(initial))
    made = writes(model, count, random.Random(seed))
    emulator = Emulator()
    try:
        with tempfile.TemporaryDirectory() as tmp, \
                AlcorClient({s: emulator.url for s in SERVICES}, timeout=30, concurrency=8, retries=8,
                            backoff=0.05) as client:
            state = StateStore(Path(tmp) / "state")
            translation = translate(initial, Options())
            assert Converter(client, state, concurrency=8).run(translation.requests).complete
            logs = log_writes(Path(tmp), nodes, made, random.Random(seed + 1))
            context = Context(Index(initial), Options())
            context.id_map = dict(translation.id_map)
            common = dict(concurrency=8, known=translation.findings)
            replayer: Replayer | MergedReplayer = (
                Replayer(logs[0], client, state, context, model, **common) if nodes == 1 else
                MergedReplayer([Source(f"node-{i}", log) for i, log in enumerate(logs)], client, state, context,
                               model, **common))
            start = time.perf_counter()
            result = replayer.replay()
            seconds = time.perf_counter() - start
            final = translate(model.snapshot(), Options())
            drift = verify(final.requests, client, state.mapped_id)
            for log in logs:
                log.close()
            state.close()
    finally:
        try:
            emulator.stop()
        except subprocess.TimeoutExpired:  # a loaded machine: SIGINT not handled within 30 s
            emulator.process.kill()
    return {"seconds": seconds, "rate": count / seconds, "replayed": result.replayed, "skipped": result.skipped,
            "failed": result.failed, "drift": drift.total, "per_log": [len(log) for log in logs]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writes", type=int, default=10_000, help="writes per log of the three")
    parser.add_argument("--ports", type=int, default=400, help="ports of the synthetic cloud")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    total = 3 * args.writes
    with ProcessPoolExecutor(2) as pool:  # at the same time, each against its own emulator: the same machine load
        both = [pool.submit(run, nodes, total, args.ports, args.seed) for nodes in (3, 1)]
        merged, single = (future.result() for future in both)
    print(f"replay of {total} writes on a synthetic cloud of {args.ports} ports, the Alcor emulator in its own "
          "process, concurrency 8")
    print(f"{'':24}{'3 logs merged':>16}{'1 log':>16}{'merged/one':>12}")
    print(f"{'writes per log':24}{'/'.join(map(str, merged['per_log'])):>16}{single['per_log'][0]:>16}")
    for label, key, fmt in (("replay time", "seconds", "{:.1f} s"), ("writes/s", "rate", "{:.0f}")):
        print(f"{label:24}{fmt.format(merged[key]):>16}{fmt.format(single[key]):>16}"
              f"{merged[key] / single[key]:>12.2f}")
    for label in ("replayed", "skipped", "failed", "drift"):
        print(f"{label:24}{merged[label]:>16}{single[label]:>16}")
    print(f"target: final drift 0 {'ok' if merged['drift'] == single['drift'] == 0 else 'MISSED'}")


if __name__ == "__main__":
    main()
