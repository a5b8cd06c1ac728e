"""The lab's cutover world: the Alcor emulator holding a cloud's ports (no host yet), a LabNode per host.

`seed_alcor` loads the emulator with what the cutover acts on — the nodes (at their
LabAca's address), networks, subnets, security groups and ports — as convert leaves
them: ports created without `binding:host_id`. Convert applies the whole translation;
this seeds the lab for the cutover alone (tests, benchmarks, `cutover` demos).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from wizard.alcor.client import AlcorClient
from wizard.cutover.alcor_control import AlcorNodeControl
from wizard.cutover.inventory import compute_nodes
from wizard.errors import MigrateError
from wizard.lab.alcor import AlcorEmulator
from wizard.lab.nodes import LabFleet
from wizard.neutron.snapshot import Snapshot
from wizard.plan import Plan
from wizard.translate.context import Options
from wizard.translate.model import Translation, is_deferred
from wizard.translate.translation import translate

# The request kinds the cutover needs in Alcor, in the order translation emits them.
SEEDED_KINDS = ("segment_table", "node", "vpc", "subnet", "security_group", "port")


def _without_deferred_ids(body: Any) -> Any:
    """The body without ids Alcor assigns (the default security group's): Alcor fills those in."""
    if isinstance(body, dict):
        return {key: _without_deferred_ids(value) for key, value in body.items()}
    if isinstance(body, list):
        return [_without_deferred_ids(value) for value in body if not is_deferred(value)]
    return body


def seed_alcor(client: AlcorClient, translation: Translation) -> int:
    """Apply the translation's node, network, subnet, security group and port creates; the count."""
    applied = 0
    for request in translation.requests:
        if request.kind not in SEEDED_KINDS:
            continue
        outcome = client.send(dataclasses.replace(request, body=_without_deferred_ids(request.body)))
        if not outcome.ok:
            raise MigrateError(f"seeding the lab's Alcor: {request.method} {request.path}: {outcome.error}")
        applied += 1
    return applied


@dataclass
class LabCutover:
    """A running lab for the cutover; `artifacts()` is what the cutover phases take from a run."""

    snapshot: Snapshot
    translation: Translation
    emulator: AlcorEmulator
    fleet: LabFleet
    client: AlcorClient

    def artifacts(self) -> dict[str, Any]:
        return {"snapshot": self.snapshot, "translation": self.translation, "lab_fleet": self.fleet,
                "node_control": AlcorNodeControl(self.client)}

    def close(self) -> None:
        self.client.close()
        self.emulator.stop()
        self.fleet.stop()

    def __enter__(self) -> LabCutover:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def lab_cutover(snapshot: Snapshot, plan: Plan, delay: float = 0.0) -> LabCutover:
    """Start the emulator and a LabNode per host, and seed Alcor as convert leaves it."""
    fleet = LabFleet([node.name for node in compute_nodes(snapshot, plan, {})], delay)
    lab_plan = dataclasses.replace(plan, nodes={**fleet.node_overrides(), **plan.nodes})
    translation = translate(snapshot, Options.from_plan(lab_plan))
    emulator = AlcorEmulator().start()
    client = AlcorClient(emulator.endpoints, concurrency=max(8, plan.cutover.waves.parallel))
    lab = LabCutover(snapshot, translation, emulator, fleet, client)
    try:
        seed_alcor(client, translation)
    except BaseException:
        lab.close()
        raise
    return lab
