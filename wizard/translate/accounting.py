"""Nothing dropped silently: where every snapshot resource went.

Each resource ends up named by a request, an id-map entry or a finding; `account`
counts them per collection and lists any resource that is in none of the three.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from wizard.core.collector import collector_paused
from wizard.neutron.snapshot import COLLECTIONS, Snapshot
from wizard.translate.model import Translation


@dataclass
class Tally:
    """One collection's accounting."""

    total: int = 0
    requested: int = 0  # named by a request
    mapped: int = 0  # no request of its own, an id-map entry
    reported: int = 0  # neither, but a finding names it
    unaccounted: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"total": self.total, "requested": self.requested, "mapped": self.mapped,
                "reported": self.reported, "unaccounted": self.unaccounted}


def account(snapshot: Snapshot, translation: Translation) -> dict[str, Tally]:
    """Per collection: how many resources are requested, mapped, reported, and which are unaccounted."""
    with collector_paused():
        return _account(snapshot, translation)


def _account(snapshot: Snapshot, translation: Translation) -> dict[str, Tally]:
    requested = {(ref.kind, ref.id) for request in translation.requests for ref in request.neutron}
    mapped = set(translation.id_map)
    reported = {(f.neutron.kind, f.neutron.id) for f in translation.findings}
    tallies = {}
    for kind in COLLECTIONS:
        tally = Tally()
        for resource in snapshot[kind]:
            name = (kind, resource["id"])
            tally.total += 1
            if name in requested:
                tally.requested += 1
            elif name in mapped:
                tally.mapped += 1
            elif name in reported:
                tally.reported += 1
            else:
                tally.unaccounted.append(resource["id"])
        tallies[kind] = tally
    return tallies


def unaccounted(tallies: dict[str, Tally]) -> list[str]:
    """`kind id` of every unaccounted resource."""
    return [f"{kind} {rid}" for kind, tally in tallies.items() for rid in tally.unaccounted]
