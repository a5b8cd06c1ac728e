"""Benchmark of repair: a 10,000-port cloud with 1 % of its ports changed behind the captures' back.

    .venv/bin/python bench/bench_repair.py [--ports 10000] [--changed 0.01]

The lab's synthetic cloud (`lab synth`, docs/lab.md) is converted into the Alcor emulator (in this
process, on loopback); then Neutron changes without any capture seeing it: of 1 % of the ports, a
third are renamed, a third deleted, and as many new ports made. Neutron is a snapshot file source
(the changed snapshot, as `alcor-migrate repair --snapshot` reads it): a real neutron-server holding
10,000 ports takes longer to fill than the whole benchmark here; tests/alcor/test_repair_lab.py does
the same on a real one. Printed: repair's time, the write requests it sent beside those the
difference needs (one PUT per renamed port, one DELETE per deleted one, the new ports in bulk creates
of translate.bulk_size per project), the drift before and after (target 0), and a second pass's
requests (target 0). Beside repair's time: convert's, and one verify's (repair reads Alcor as verify
does, before and after; in `run` the verify phase is the read after).
"""

from __future__ import annotations

import argparse
import copy
import math
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from wizard import idmap  # noqa: E402
from wizard.alcor.client import AlcorClient  # noqa: E402
from wizard.alcor.convert import Converter  # noqa: E402
from wizard.alcor.repair import made_by_migration, repair  # noqa: E402
from wizard.alcor.verify import verify  # noqa: E402
from wizard.core.state import StateStore  # noqa: E402
from wizard.lab.alcor import AlcorEmulator  # noqa: E402
from wizard.lab.synth import CloudSize, SyntheticCloud  # noqa: E402
from wizard.neutron.snapshot import Snapshot  # noqa: E402
from wizard.translate.context import Options  # noqa: E402
from wizard.translate.translation import translate  # noqa: E402

OPTIONS = Options()  # the plan's defaults: bulk creates of 500


def writes(emulator: AlcorEmulator) -> int:
    return sum(n for endpoint, n in emulator.ledger.summary()["requests"].items() if not endpoint.startswith("GET "))


def changed(before: Snapshot, share: float) -> tuple[Snapshot, int]:
    """Neutron after writes no capture saw; returns it and the write requests the difference needs."""
    after = Snapshot(copy.deepcopy(before.source), copy.deepcopy(before.collections))
    with_fip = {f.get("port_id") for f in after["floatingips"]}
    vms = [p for p in after["ports"] if p.get("device_owner") == "compute:nova" and p["id"] not in with_fip]
    third = max(1, round(len(after["ports"]) * share / 3))
    renamed, gone, models = vms[:third], vms[third:2 * third], vms[2 * third:3 * third]
    for port in renamed:
        port["name"] += "-renamed"
    ids = {p["id"] for p in gone}
    after.collections["ports"] = [p for p in after["ports"] if p["id"] not in ids]
    new = []
    for n, model in enumerate(models):  # a second port on the same VM, on the same network
        subnet = model["fixed_ips"][0]["subnet_id"]  # an address Alcor allocates
        new.append({**copy.deepcopy(model), "id": str(uuid.uuid4()), "name": f"bypass-{n}",
                    "mac_address": f"fa:16:3e:ee:{n // 256:02x}:{n % 256:02x}",
                    "fixed_ips": [{"subnet_id": subnet}]})
    after["ports"].extend(new)
    per_project = Counter(p["project_id"] for p in new)
    creates = sum(math.ceil(n / OPTIONS.bulk_size) for n in per_project.values())
    return after, len(renamed) + len(gone) + creates


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ports", type=int, default=10_000)
    parser.add_argument("--changed", type=float, default=0.01, help="share of ports changed behind the back")
    args = parser.parse_args()
    before = SyntheticCloud(CloudSize(ports=args.ports)).snapshot()
    with tempfile.TemporaryDirectory() as tmp, AlcorEmulator(seed=1) as emulator, \
            AlcorClient(emulator.endpoints, timeout=30, concurrency=8) as client:
        state = StateStore(Path(tmp) / "state")
        run = translate(before, OPTIONS)
        started = time.monotonic()
        converted = Converter(client, state, concurrency=8).run(run.requests)
        convert_seconds = time.monotonic() - started
        assert converted.complete, converted.describe()
        after, needed = changed(before, args.changed)
        now = translate(after, OPTIONS)
        idmap.restore(state, now)
        started = time.monotonic()
        drift = verify(now.requests, client, state.mapped_id)  # what repair reads, once
        verify_seconds = time.monotonic() - started
        sent_before = writes(emulator)
        started = time.monotonic()
        result = repair(now.requests, client, state, made_by_migration(run.requests, state))
        seconds = time.monotonic() - started
        sent = writes(emulator) - sent_before
        again = repair(now.requests, client, state, made_by_migration(run.requests, state))
        state.close()
    resources = sum(len(after[name]) for name in ("networks", "subnets", "ports", "security_groups",
                                                   "security_group_rules", "routers", "floatingips"))
    print(f"cloud: {len(before['ports'])} ports, {resources} resources; convert {convert_seconds:.1f} s "
          f"({len(run.requests)} requests)")
    print(f"changed behind the captures' back: {args.changed:.0%} of ports -> {result.patch.counts()}")
    print(f"repair: {seconds:.2f} s ({seconds / convert_seconds:.2f}x convert's time; one verify alone "
          f"{verify_seconds:.2f} s, and repair reads Alcor twice: before, and to verify after); write requests "
          f"sent {sent}, expected {needed}; drift before {drift.total}, after "
          f"{result.drift.total if result.drift is not None else '-'}")
    print(f"second pass: {len(again.patch.requests)} request(s) (target 0); drift {again.drift.total}")
    if result.sent is not None and not result.sent.complete:
        print(result.sent.describe(phase="repair"))
    ok = sent == needed and result.drift is not None and result.drift.total == 0 and not again.patch.requests
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
