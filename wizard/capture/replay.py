"""Replay: the write log's committed entries, in sequence order, applied to Alcor.

Each entry is translated by the same code as the snapshot (translate/single.py), with
an Index kept current (Context.put/remove) so later entries see earlier ones, and the
id map convert learned. Its requests go through convert's Converter with `look_first`.

Idempotent, because capture starts before the snapshot and an entry may be in it:
- a create of a resource Alcor holds is an update; an update of a resource Alcor lacks
  creates it from Neutron's state (the logged answer, else a GET);
- a delete of a resource Alcor lacks is done (the client looks first);
- an `unknown` entry (Neutron may or may not have applied it) is settled by reading Neutron;
- a write replay cannot carry (another kind or action) is skipped with a finding naming it;
- an answered create or update older (by Neutron's `revision_number`) than one replay carried, or of
  a resource a write deleted, is skipped: with several logs merged (merge.py) the order across them
  of writes on one resource does not matter, and deletes are final.

Verdicts are marked on the log's entries: in the log itself when this process writes it,
in the state store when a capture running as its own process does (capture/reader.py).
The checkpoint (state meta `replay.position`) is the last sequence number up to which
every entry is settled: replayed, skipped or rejected. A failed entry stops it there
(later ones are still applied); the next run retries it. A `pending` entry (Neutron has
not answered yet) ends a pass, since what follows may depend on it.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from wizard.alcor import paths
from wizard.alcor.client import AlcorClient
from wizard.alcor.convert import Converter
from wizard.alcor.request import AlcorRequest, NeutronRef, resolve_ids
from wizard.capture import writes
from wizard.capture.writelog import COMMITTED, FAILED, PENDING, REJECTED, REPLAYED, SKIPPED, UNKNOWN, Indexed
from wizard.capture.writes import Unsupported, Write
from wizard.core.events import FindingRaised, LagChanged, Progress
from wizard.core.state import StateStore
from wizard.translate import security_groups, single
from wizard.translate.context import ROUTER_INTERFACE_OWNERS, Context
from wizard.translate.findings import CATALOGUE
from wizard.translate.model import Finding, Severity

POSITION = "replay.position"
SETTLED = frozenset({REPLAYED, SKIPPED, REJECTED})
WAITING = frozenset({PENDING, COMMITTED, UNKNOWN})
# Fields an `unknown` create is looked up by in Neutron (its id was never answered).
LOOKUP_FIELDS = ("project_id", "tenant_id", "name", "network_id", "cidr", "device_id", "mac_address",
                 "security_group_id", "floating_network_id", "floating_ip_address", "remote_ip_prefix",
                 "port_range_min", "direction")
LAG_EVERY = 0.25  # seconds between two LagChanged events within a pass (at least)
LAG_SHARE = 0.1  # the most of a pass's time spent reading the lag (it reads every entry's state)


class Log(Protocol):
    """The write log as replay reads it: a WriteLog this process writes, or a LogReader."""

    def states(self) -> list[Indexed]: ...

    def iter_entries(self, state: str | None = None, after: int = 0) -> Iterator[dict[str, Any]]: ...

    def mark(self, seq: int, state: str, **info: Any) -> None: ...


class Neutron(Protocol):
    """What replay reads from Neutron (wizard.neutron.reader.NeutronReader has it)."""

    def resource(self, name: str, resource_id: str) -> dict[str, Any] | None: ...

    def search(self, collection: str, /, **filters: Any) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class Lag:
    waiting: int  # entries not replayed yet (pending, committed, unknown)
    oldest_age: float  # seconds since the oldest of them was logged
    head: int  # the last sequence number in the log (several logs: the sum of their heads)
    held: tuple[str, ...] = ()  # logs that cannot be read now (merge.py): behind by an unknown count


def lag_of(entries: list[Indexed]) -> Lag:
    """A log's lag, from its entries' states (`Log.states()`)."""
    waiting = [e for e in entries if e.state in WAITING]
    age = time.time() - waiting[0].time if waiting else 0.0
    return Lag(len(waiting), max(0.0, age), entries[-1].seq if entries else 0)


@dataclass
class Verdict:
    """What became of one entry: the state it is marked with, and why."""

    state: str
    info: dict[str, Any] = field(default_factory=dict)


@dataclass
class PassSummary:
    replayed: int = 0
    skipped: int = 0
    failed: int = 0
    position: int = 0
    stopped_at_pending: int | None = None
    held: tuple[str, ...] = ()  # logs that could not be read (merge.py): their entries wait


class EntryReplayer:
    """Applies logged writes to Alcor one entry at a time (the passes over the logs are Replayer's and
    merge.MergedReplayer's)."""

    def __init__(self, client: AlcorClient, state: StateStore, context: Context, neutron: Neutron, *,
                 concurrency: int = 4, emit: Callable[[Any], None] = lambda event: None,
                 checkpoint: Callable[[], None] = lambda: None, phase: str = "replay",
                 known: Iterable[Finding] = ()):
        self.client, self.state, self.context, self.neutron = client, state, context, neutron
        self.concurrency, self.emit, self.checkpoint, self.phase = concurrency, emit, checkpoint, phase
        self.findings: list[Finding] = []  # raised by replay, each once (those in `known` were raised before)
        self._raised = {(f.code, f.neutron) for f in known}
        self._lock = threading.Lock()
        self._folding = False  # translating only to rebuild the index
        self._reported: set[str] = set()  # phases whose progress bar was shown
        self._revisions: dict[tuple[str, str], int] = {}  # the newest revision a logged answer carried
        self._gone: set[tuple[str, str]] = set()  # resources a write deleted

    def publish_lag(self) -> Lag:
        lag = self.lag()
        self.emit(LagChanged(waiting=lag.waiting, oldest_age=lag.oldest_age))
        return lag

    def lag(self) -> Lag:
        raise NotImplementedError

    def _lag_during_pass(self) -> float:
        """Publish the lag; when (time.monotonic()) to publish it next, so that reading it takes at most
        LAG_SHARE of a pass, however long the log (a pass read 30,000 entries' states after each entry)."""
        start = time.monotonic()
        self.publish_lag()
        took = time.monotonic() - start
        return start + max(LAG_EVERY, took / LAG_SHARE)

    def _progress(self, summary: PassSummary, todo: int, current: str) -> None:
        self.emit(Progress(phase=self.phase, kind="writes", done=summary.replayed + summary.skipped + summary.failed,
                           total=todo, failed=summary.failed, current=current))

    # -- one entry --------------------------------------------------------------------------
    def _replay(self, entry: dict[str, Any], key: str = "replay") -> Verdict:
        """Apply one entry; its requests are keyed `KEY:SEQ:...` in the state store (once each)."""
        found = len(self.context.findings)
        try:
            requests = self._translate(entry)
        finally:
            new = self.context.findings[found:]
            self._raise(new)
        if isinstance(requests, Verdict):
            return requests
        if not requests:
            reason = "; ".join(f.message for f in new) or "nothing for Alcor to do"
            return Verdict(SKIPPED, {"reason": reason})
        return self._apply(f"{key}:{entry['seq']}:", requests)

    def _translate(self, entry: dict[str, Any]) -> list[AlcorRequest] | Verdict:
        write = writes.parse(entry)
        if isinstance(write, Unsupported):
            return self._unsupported(entry, write)
        unknown = entry["state"] == UNKNOWN or (entry["state"] == FAILED and "response" not in entry)
        outdated = None if unknown else self._outdated(write, entry)
        if outdated:
            return Verdict(SKIPPED, {"reason": outdated})
        if write.action == "create":
            found, carried = (self._looked_up(write.kind, entry) if unknown
                              else (writes.resources(entry, write.kind), []))
            if carried and not found:
                ids = ", ".join(resource["id"] for resource in carried)
                return Verdict(SKIPPED, {"reason": f"already carried: the {write.kind} Neutron made ({ids}) are in "
                                                   "the snapshot or an earlier write"})
            if not found:
                return Verdict(SKIPPED, {"reason": "Neutron holds no resource this create made"})
            return [r for resource in found for r in self._upsert(write.kind, resource)]
        if write.action == "interface":
            return self._interface(write, entry, unknown)
        if write.action == "tags":
            return self._tags(write, entry, unknown)
        if write.action == "delete" and not unknown:
            return self._delete(write.kind, write.target)
        current = None if unknown else next(iter(writes.resources(entry, write.kind)), None)
        if current is None:  # an answer not logged, or a delete Neutron may not have done
            current = self.neutron.resource(write.kind, write.target)
        return self._upsert(write.kind, current) if current else self._delete(write.kind, write.target)

    def _outdated(self, write: Write, entry: dict[str, Any]) -> str | None:
        """Why an answered create or update is older than what replay carried (several logs merged:
        another capture logged a later revision, or the delete, first), else None; notes its revision."""
        if write.action not in ("create", "update"):
            return None
        for resource in writes.resources(entry, write.kind):
            key = (write.kind, str(resource.get("id")))
            if key in self._gone:
                return f"{write.kind} {key[1]} was deleted by another logged write: deletes are final"
            revision, carried = resource.get("revision_number"), self._revisions.get(key)
            if isinstance(revision, int) and carried is not None and carried > revision:
                return f"superseded: revision {carried} of {write.kind} {key[1]} is already carried"
        for resource in writes.resources(entry, write.kind):
            if isinstance(resource.get("revision_number"), int):
                self._revisions[(write.kind, resource["id"])] = resource["revision_number"]
        return None

    def _unsupported(self, entry: dict[str, Any], write: Unsupported) -> Verdict:
        message = f"write log entry {entry['seq']}: {entry['method']} {entry['path']}: {write.why}"
        finding = Finding(Severity.WARNING, "write-not-replayed", NeutronRef("writes", str(entry["seq"])), message,
                          CATALOGUE["write-not-replayed"].remedy)
        self._raise([finding])
        return Verdict(SKIPPED, {"reason": f"not replayed: {write.why}"})

    def _raise(self, findings: list[Finding]) -> None:
        if self._folding:  # raised by the run that replayed them
            return
        for finding in findings:
            if (finding.code, finding.neutron) in self._raised:
                continue
            self._raised.add((finding.code, finding.neutron))
            self.findings.append(finding)
            self.emit(FindingRaised(severity=finding.severity.value, code=finding.code, kind=finding.neutron.kind,
                                    id=finding.neutron.id, message=finding.message, remedy=finding.remedy))

    def _looked_up(self, kind: str, entry: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The resources an `unknown` create made, found in Neutron by the fields it asked for: those
        new to the index, and those it already holds (from the snapshot or an earlier write)."""
        found: list[dict[str, Any]] = []
        carried: list[dict[str, Any]] = []
        for asked in writes.requested(entry, kind):
            filters = {name: asked[name] for name in LOOKUP_FIELDS if isinstance(asked.get(name), (str, int))}
            for resource in self.neutron.search(kind, **filters):
                (found if self.context.index.get(kind, resource["id"]) is None else carried).append(resource)
        return found, carried

    def _upsert(self, kind: str, resource: dict[str, Any]) -> list[AlcorRequest]:
        """Make Alcor hold `resource` as Neutron does: update it if Alcor has it, else create it."""
        before = self.context.index.get(kind, resource["id"]) or {}
        out = self._made_with(kind, resource) if not before else []
        self.context.put(kind, resource)
        held = self._held(kind, resource)
        if held and kind == "security_group_rules":  # rules never change: one Alcor holds is right
            return out
        out += single.update(kind, resource, self.context) if held else single.create(kind, resource, self.context)
        if kind == "routers":
            out += single.router_routes(resource, (before.get("routes") or []) if held else [], self.context)
        if kind == "security_groups" and not (before and held):  # the rules Neutron made with the group
            rules = resource.get("security_group_rules") or []
            for rule in rules:
                self.context.put("security_group_rules", rule)
            out += security_groups.created_rules(resource, rules, self.context)
        return out

    def _made_with(self, kind: str, resource: dict[str, Any]) -> list[AlcorRequest]:
        """What Neutron made by itself along with a new resource, which no write logged: a project's
        default group and the groups a port uses (Alcor needs them first), and the ports of a
        router or floating IP (the index needs them)."""
        out = []
        if kind in ("networks", "ports") and self.context.index.default_group(self.context.project(resource)) is None:
            for group in self.neutron.search("security_groups", name="default",
                                             project_id=self.context.project(resource)):
                out += self._upsert("security_groups", group)
        for group_id in resource.get("security_groups") or () if kind == "ports" else ():
            missing = None if self.context.index.get("security_groups", group_id) else self.neutron.resource(
                "security_groups", group_id)
            out += self._upsert("security_groups", missing) if missing else []
        if kind in ("routers", "floatingips"):
            for port in self.neutron.search("ports", device_id=resource["id"]):
                self.context.put("ports", port)
        return out

    def _held(self, kind: str, resource: dict[str, Any]) -> bool:
        """Whether Alcor holds this resource now (found where its delete would go)."""
        gone = single.delete(kind, resource, self.context)
        if not gone or self._folding:
            return False
        try:
            path = resolve_ids(gone[0].path, self.state.mapped_id)
        except KeyError:  # an id Alcor would choose, not learned: never created
            return False
        op = paths.match("DELETE", path)
        return op is not None and self.client.exists(op.kind.name, op.params["id"], op.project_id)

    def _delete(self, kind: str, resource_id: str) -> list[AlcorRequest] | Verdict:
        resource = self.context.index.get(kind, resource_id)
        if resource is None:
            return Verdict(SKIPPED, {"reason": f"{kind} {resource_id} was never migrated: nothing to delete"})
        return self._delete_held(kind, resource)

    def _delete_held(self, kind: str, resource: dict[str, Any]) -> list[AlcorRequest]:
        """Delete a resource the index holds, and the children Neutron removes with it."""
        out: list[AlcorRequest] = []
        for child_kind, parent_field in CASCADE.get(kind, ()):
            for child in [c for c in self.context.index.all(child_kind) if c.get(parent_field) == resource["id"]]:
                out += self._delete_held(child_kind, child)
        out += single.delete(kind, resource, self.context)
        self.context.remove(kind, resource["id"])
        self._gone.add((kind, resource["id"]))
        return out

    def _interface(self, write: Write, entry: dict[str, Any], unknown: bool) -> list[AlcorRequest] | Verdict:
        router = self.context.index.get("routers", write.target) or self.neutron.resource("routers", write.target)
        if router is None:
            return Verdict(SKIPPED, {"reason": f"router {write.target} is gone from Neutron"})
        if unknown:
            return self._resync_interfaces(router)
        answer = entry.get("response") or {}
        port_id, subnet_id = answer.get("port_id"), answer.get("subnet_id")
        if not (isinstance(port_id, str) and isinstance(subnet_id, str)):
            return self._unsupported(entry, Unsupported("Neutron's logged answer names no port_id and subnet_id"))
        by_port = port_id if isinstance(entry.get("body"), dict) and entry["body"].get("port_id") else None
        if write.add:
            port = self.neutron.resource("ports", port_id) or {
                "id": port_id, "device_id": write.target, "device_owner": "network:router_interface",
                "network_id": answer.get("network_id"), "project_id": answer.get("project_id"),
                "fixed_ips": [{"subnet_id": subnet_id}]}
            self.context.put("ports", port)
        else:
            self.context.remove("ports", port_id)
        return single.router_interface(router, subnet_id, self.context, add=write.add, port_id=by_port)

    def _resync_interfaces(self, router: dict[str, Any]) -> list[AlcorRequest]:
        """An interface change of unknown outcome: compare Neutron's interfaces of the router with the index's."""
        rid = router["id"]
        now = {p["id"]: p for p in self.neutron.search("ports", device_id=rid)
               if p.get("device_owner") in ROUTER_INTERFACE_OWNERS}
        known = {p["id"]: p for p in self.context.index.router_interfaces(rid)}
        out = []
        for port_id in known.keys() - now.keys():
            self.context.remove("ports", port_id)
            out += [r for f in known[port_id].get("fixed_ips") or ()
                    for r in single.router_interface(router, f["subnet_id"], self.context, add=False)]
        for port_id in now.keys() - known.keys():
            self.context.put("ports", now[port_id])
            out += [r for f in now[port_id].get("fixed_ips") or ()
                    for r in single.router_interface(router, f["subnet_id"], self.context)]
        return out

    def _tags(self, write: Write, entry: dict[str, Any], unknown: bool) -> list[AlcorRequest] | Verdict:
        resource = None if unknown else self.context.index.get(write.kind, write.target)
        if resource is None:
            current = self.neutron.resource(write.kind, write.target)
            return self._upsert(write.kind, current) if current else self._delete(write.kind, write.target)
        tags = list(resource.get("tags") or [])
        if write.tag is not None:
            tags = tags + [write.tag] if write.add and write.tag not in tags else [t for t in tags if write.add
                                                                                    or t != write.tag]
        else:
            tags = list((entry.get("body") or {}).get("tags") or []) if write.add else []
        return self._upsert(write.kind, {**resource, "tags": tags})

    # -- applying -----------------------------------------------------------------------------
    def _apply(self, prefix: str, requests: list[AlcorRequest]) -> Verdict:
        """Send an entry's requests with convert's machinery, keyed by the entry (`prefix`) so each is sent once."""
        keys = {r.key for r in requests}
        keyed = [dataclasses.replace(r, key=prefix + r.key,
                                     depends_on=tuple(prefix + d if d in keys else d for d in r.depends_on))
                 for r in requests]
        converter = Converter(self.client, self.state, concurrency=self.concurrency, look_first=True,
                              checkpoint=self.checkpoint)
        result = converter.run(keyed)
        if result.complete:
            return Verdict(REPLAYED, {"alcor": [r.key for r in keyed]})
        return Verdict(FAILED, {"alcor": [f.to_json() for f in result.failures + result.held_back]})


class Replayer(EntryReplayer):
    """Applies the write log to Alcor, entry by entry; thread-safe (one pass at a time)."""

    def __init__(self, log: Log, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.log = log
        self._caught_up = False

    @property
    def position(self) -> int:
        return self.state.get_meta(POSITION, 0)

    def lag(self) -> Lag:
        return lag_of(self.log.states())

    # -- passes ---------------------------------------------------------------------------
    def replay(self, until: int | None = None, retry_failed: bool = False) -> PassSummary:
        """One pass over the log up to `until` (all of it by default)."""
        with self._lock:
            self._catch_up_index()
            return self._pass(until, retry_failed)

    def _catch_up_index(self) -> None:
        """A resumed run: fold the entries an earlier run settled into the index (nothing is sent)."""
        if self._caught_up:
            return
        self._caught_up = self._folding = True
        try:
            for entry in self.log.iter_entries():
                if entry["state"] in (REPLAYED, SKIPPED, FAILED):
                    self._translate(entry)
        finally:
            self._folding = False
        self.context.findings.clear()

    def _pass(self, until: int | None, retry_failed: bool) -> PassSummary:
        summary = PassSummary(position=self.position)
        blocked = False
        next_lag = 0.0
        todo = sum(1 for e in self.log.states() if e.seq > summary.position and (until is None or e.seq <= until)
                   and e.state in (COMMITTED, UNKNOWN))
        for entry in self.log.iter_entries(after=summary.position):  # read one at a time
            seq, state = entry["seq"], entry["state"]
            if until is not None and seq > until:
                break
            if state == PENDING:
                summary.stopped_at_pending = seq
                break
            if state in (COMMITTED, UNKNOWN) or (state == FAILED and retry_failed):
                self.checkpoint()
                verdict = self._replay(entry)
                self.log.mark(seq, verdict.state, **verdict.info)
                state = verdict.state
                setattr(summary, verdict.state, getattr(summary, verdict.state) + 1)
                self._progress(summary, todo, f"#{seq}")
            elif state == FAILED:
                summary.failed += 1
            blocked = blocked or state not in SETTLED
            if not blocked:
                summary.position = seq
                self.state.set_meta(POSITION, seq)
            if time.monotonic() >= next_lag:
                next_lag = self._lag_during_pass()
        if todo or self.phase not in self._reported:  # a pass with nothing to do keeps the last bar
            self._reported.add(self.phase)
            self._progress(summary, todo, f"position #{summary.position}")
        self.publish_lag()
        return summary


# Neutron removes these with their parent: (child kind, field naming the parent).
CASCADE: dict[str, tuple[tuple[str, str], ...]] = {
    "networks": (("ports", "network_id"), ("subnets", "network_id")),
    "security_groups": (("security_group_rules", "security_group_id"),),
}
