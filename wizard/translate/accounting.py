"""Nothing dropped silently: where every snapshot resource went.

Each resource ends up named by a request, an id-map entry or a finding; `account`
counts them per collection and lists any resource that is in none of the three.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from itertools import filterfalse
from operator import itemgetter

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
    requested: defaultdict[str, set[str]] = defaultdict(set)  # kind -> ids
    mapped: defaultdict[str, set[str]] = defaultdict(set)
    reported: defaultdict[str, set[str]] = defaultdict(set)
    for request in translation.requests:
        for ref in request.neutron:
            requested[ref.kind].add(ref.id)
    for kind, rid in translation.id_map:
        mapped[kind].add(rid)
    for finding in translation.findings:
        reported[finding.neutron.kind].add(finding.neutron.id)
    tallies = {}
    for kind in COLLECTIONS:  # each resource counts once: requested, else mapped, else reported
        ids = list(map(itemgetter("id"), snapshot[kind]))
        rest = list(filterfalse(requested[kind].__contains__, ids))
        unmapped = list(filterfalse(mapped[kind].__contains__, rest))
        lost = list(filterfalse(reported[kind].__contains__, unmapped))
        tallies[kind] = Tally(total=len(ids), requested=len(ids) - len(rest), mapped=len(rest) - len(unmapped),
                              reported=len(unmapped) - len(lost), unaccounted=lost)
    return tallies


def unaccounted(tallies: dict[str, Tally]) -> list[str]:
    """`kind id` of every unaccounted resource."""
    return [f"{kind} {rid}" for kind, tally in tallies.items() for rid in tally.unaccounted]
