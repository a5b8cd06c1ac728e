"""The lab's cutover world: the Alcor emulator holding a cloud's ports (no host yet), a LabNode per host.

`seed_alcor` loads the emulator with what the cutover acts on — the nodes (at their
LabAca's address), networks, subnets, security groups and ports — as convert leaves
them: ports created without `binding:host_id`. Convert applies the whole translation;
this seeds the lab for the cutover alone (tests, benchmarks, `cutover` demos).
"""

from __future__ import annotations

import dataclasses
import tempfile
from dataclasses import dataclass
from typing import Any

from wizard.alcor.client import AlcorClient
from wizard.alcor.convert import Converter
from wizard.core.errors import MigrateError
from wizard.core.state import StateStore
from wizard.cutover.alcor_control import AlcorNodeControl
from wizard.cutover.inventory import compute_nodes
from wizard.lab.alcor import AlcorEmulator
from wizard.lab.nodes import LabFleet
from wizard.neutron.snapshot import Snapshot
from wizard.plan import Plan
from wizard.translate.model import Translation
from wizard.translate.translation import translate_for

# The request kinds the cutover needs in Alcor, in the order translation emits them.
SEEDED_KINDS = ("segment_table", "node", "security_group", "vpc", "subnet", "port")


def seed_alcor(client: AlcorClient, translation: Translation) -> int:
    """Apply the translation's segment table, node, security group, network, subnet and port creates
    through convert's applier (so the default groups' ids Alcor chose are learned and filled in); the count."""
    requests = [request for request in translation.requests if request.kind in SEEDED_KINDS]
    with tempfile.TemporaryDirectory(prefix="alcor-migrate-seed-") as scratch:
        state = StateStore(scratch)
        try:
            summary = Converter(client, state).run(requests)
        finally:
            state.close()
    if not summary.complete:
        raise MigrateError("seeding the lab's Alcor: " + summary.describe())
    return summary.applied


@dataclass
class LabCutover:
    """A running lab for the cutover; `seams()` is what the cutover phases take from a run state."""

    snapshot: Snapshot
    translation: Translation
    emulator: AlcorEmulator
    fleet: LabFleet
    client: AlcorClient

    def seams(self) -> dict[str, Any]:
        """The run state's fields this lab gives (`RunState.provide(**lab.seams())`)."""
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
    translation = translate_for(snapshot, lab_plan)
    emulator = AlcorEmulator().start()
    client = AlcorClient(emulator.endpoints, concurrency=max(8, plan.cutover.waves.parallel))
    lab = LabCutover(snapshot, translation, emulator, fleet, client)
    try:
        seed_alcor(client, translation)
    except BaseException:
        lab.close()
        raise
    return lab
