"""Replay of several write logs (one per capture: per API node, or per worker on one node) as one.

Each log is a plain `replay.Log` (a LocalLog, or a capture's feed). Their entries are applied to
Alcor in one order that leaves it as Neutron is:
- each log's own order is kept (on one node, a write that uses another's answer is logged after it);
- across logs, the oldest first by the captures' clocks, except that a write naming a resource
  another log creates waits for that create, whatever the clocks say (parents before children;
  an update or delete after the create of what it changes);
- per resource, Neutron's `revision_number` decides: an answered create or update older than one
  replay carried is skipped as superseded, and a resource a write deleted never comes back
  (replay.EntryReplayer._outdated), so the order of two logs' writes on one resource does not matter.

A log that cannot be read now (`LogUnreachable`: its capture is down, its file is gone) holds its
entries: the others go on, except that a write naming a resource no log read holds (it may be in
the held log) stops its own log there until the held one is back. Lag counts a held log as behind
by at least one write, and the cut-over gate waits for every log. Each log keeps its checkpoint
(state meta `replay.position.NAME`), its verdicts (in the state store under its name) and its
request keys (`replay:NAME:SEQ:...`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from wizard.capture import writes
from wizard.capture.feed_client import feed_sources, node_client
from wizard.capture.reader import LogReader, LogUnreachable, NamedVerdicts, OpenedOnUse, Verdicts
from wizard.capture.replay import (
    FAILED,
    POSITION,
    SETTLED,
    EntryReplayer,
    Lag,
    Log,
    PassSummary,
    Verdict,
    lag_of,
)
from wizard.capture.writelog import COMMITTED, LOG_FILE, PENDING, UNKNOWN, log_directory
from wizard.capture.writes import Unsupported

# The resources a resource of each kind names, as (field, kind); "a.b" looks into a list or mapping.
REFERS: dict[str, tuple[tuple[str, str], ...]] = {
    "subnets": (("network_id", "networks"),),
    "ports": (("network_id", "networks"), ("fixed_ips.subnet_id", "subnets"), ("security_groups", "security_groups")),
    "security_group_rules": (("security_group_id", "security_groups"), ("remote_group_id", "security_groups")),
    "floatingips": (("floating_network_id", "networks"), ("port_id", "ports")),
    "routers": (("external_gateway_info.network_id", "networks"),),
}
INTERFACE_REFERS = (("subnet_id", "subnets"), ("port_id", "ports"))


@dataclass(frozen=True)
class Source:
    """One log to replay, by its name in the plan (`capture.nodes`)."""

    name: str
    log: Log


class LocalLog(OpenedOnUse):
    """A standalone capture's write log on this machine, read as LogReader reads it, its verdicts kept
    in the state store under its name; unreachable while its file is missing or cannot be read."""

    def __init__(self, path: str | os.PathLike, state: Any, name: str):
        self.directory = log_directory(path)
        self.verdicts: Verdicts = NamedVerdicts(state, name)
        self._reader: LogReader | None = None

    def _open(self) -> LogReader:
        file = self.directory / LOG_FILE
        if not os.access(file, os.R_OK):
            self.close()  # read again from the file when it is back
            raise LogUnreachable(f"{file}: no write log can be read there")
        if self._reader is None:
            try:
                self._reader = LogReader(self.directory, self.verdicts)
            except OSError as exc:
                raise LogUnreachable(f"{file}: {exc.strerror}") from None
        return self._reader

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None


EMBEDDED = "embedded"  # the name of the log of a capture the run itself started, merged with capture.nodes


def node_sources(nodes: Mapping[str, Any], state: Any) -> list[Source]:
    """The logs of the plan's `capture.nodes` (plan.CaptureNode by name), verdicts kept in `state`: a
    standalone capture's log file, or every log a capture's feed serves (feed_client.feed_sources)."""
    sources: list[Source] = []
    for name, node in nodes.items():
        if node.log:
            sources.append(Source(name, LocalLog(node.log, state, name)))
        else:
            sources += [Source(log_name, log) for log_name, log in feed_sources(name, node_client(node), state)]
    return sources


# -- the order ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Record:
    """What the order needs of one entry (its body is read again when it is applied)."""

    log: str
    seq: int
    time: float
    makes: tuple[str, ...] = ()  # ids of the resources its answer shows it created
    needs: tuple[tuple[str, str], ...] = ()  # (kind, id) of the resources it names


def record(log: str, entry: dict[str, Any]) -> Record:
    write = writes.parse(entry)
    if isinstance(write, Unsupported):
        return Record(log, entry["seq"], entry["time"])
    made = writes.resources(entry, write.kind)
    shown = made or writes.requested(entry, write.kind)  # an answer not logged: what the client asked
    needs = [need for resource in shown for need in _named(write.kind, resource)]
    if write.id:
        needs.append((write.kind, write.id))
    if write.action == "interface" and isinstance(entry.get("body"), dict):
        needs += [(kind, entry["body"][name]) for name, kind in INTERFACE_REFERS
                  if isinstance(entry["body"].get(name), str)]
    makes = tuple(r["id"] for r in made if isinstance(r.get("id"), str)) if write.action == "create" else ()
    return Record(log, entry["seq"], entry["time"], makes, tuple(dict.fromkeys(needs)))


def _named(kind: str, resource: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for path, named in REFERS.get(kind, ()):
        values: list[Any] = [resource]
        for part in path.split("."):
            values = [v for value in values for v in _field(value, part)]
        yield from ((named, value) for value in values if isinstance(value, str) and value)


def _field(value: Any, name: str) -> list[Any]:
    found = value.get(name) if isinstance(value, dict) else None
    return found if isinstance(found, list) else [found]


def order(logs: dict[str, list[Record]], known: Callable[[str, str], bool], complete: bool) -> list[Record]:
    """The records of every log in one order (see the module's docstring). `known(kind, id)`: Alcor's
    index holds it. `complete`: every log could be read; if not, a record naming a resource that
    neither `known` nor any record here makes stops its log (the resource may be in the held log)."""
    makers: dict[str, str] = {}  # resource id -> the log whose record not yet ordered creates it
    for name, records in logs.items():
        for rec in records:
            for made in rec.makes:
                makers.setdefault(made, name)
    made_here: set[str] = set()
    heads = {name: 0 for name in logs}
    out: list[Record] = []
    while True:
        ready: list[tuple[float, str, int]] = []
        waiting: list[tuple[float, str, int]] = []
        for name, records in logs.items():
            if heads[name] >= len(records):
                continue
            rec = records[heads[name]]
            readiness = _readiness(rec, makers, made_here, known, complete)
            if readiness == "stuck":
                heads[name] = len(records)  # this log waits for the held one
            elif readiness:
                ready.append((rec.time, name, rec.seq))
            else:
                waiting.append((rec.time, name, rec.seq))
        # none ready while some wait: a chain no order satisfies (a clock cannot make one); oldest first
        chosen = ready or (waiting if complete else [])
        if not chosen:
            return out
        _, name, _ = min(chosen)
        rec = logs[name][heads[name]]
        heads[name] += 1
        out.append(rec)
        for made in rec.makes:
            made_here.add(made)
            if makers.get(made) == name:
                del makers[made]


def _readiness(rec: Record, makers: dict[str, str], made: set[str], known: Callable[[str, str], bool],
               complete: bool) -> bool | str:
    """True: it can go now; False: another log creates what it names first; "stuck": see order()."""
    for kind, resource_id in rec.needs:
        maker = makers.get(resource_id)
        if maker is not None and maker != rec.log:
            return False
        if not complete and maker is None and resource_id not in made and not known(kind, resource_id):
            return "stuck"
    return True


# -- the passes -----------------------------------------------------------------------------------
class MergedReplayer(EntryReplayer):
    """Applies several logs to Alcor as one (see the module's docstring); thread-safe (one pass at a time).
    Its lag and pass summaries sum the logs' heads and positions."""

    def __init__(self, sources: Sequence[Source], *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        names = [s.name for s in sources]
        if len(set(names)) != len(names) or not all(names):
            raise ValueError(f"the logs to merge need distinct names, not {names}")
        self.sources = list(sources)
        self._unreachable: dict[str, str] = {}  # log name -> why it cannot be read now
        self._folded: set[str] = set()  # logs whose settled entries are in the index
        self._last: dict[str, Lag] = {}  # each log's lag when last read

    def position_of(self, name: str) -> int:
        return self.state.get_meta(f"{POSITION}.{name}", 0)

    @property
    def position(self) -> int:
        return sum(self.position_of(s.name) for s in self.sources)

    @property
    def held(self) -> dict[str, str]:
        """The logs that could not be read at the last look, with why."""
        return dict(self._unreachable)

    def lag(self) -> Lag:
        """The logs' lags summed; a held log counts as its last known lag, and at least one write behind."""
        waiting = head = 0
        oldest = 0.0
        for source in self.sources:
            try:
                lag = self._last[source.name] = lag_of(source.log.states())
                self._unreachable.pop(source.name, None)
            except LogUnreachable as exc:
                self._unreachable[source.name] = str(exc)
                last = self._last.get(source.name, Lag(0, 0.0, 0))
                lag = Lag(max(1, last.waiting), last.oldest_age, last.head + 1)
            waiting, head, oldest = waiting + lag.waiting, head + lag.head, max(oldest, lag.oldest_age)
        return Lag(waiting, oldest, head, tuple(name for name in self._unreachable))

    def replay(self, until: int | None = None, retry_failed: bool = False) -> PassSummary:
        """One pass over every log that can be read, to its head. `until` (the sum of heads a caller saw)
        needs nothing more: a pass goes at least that far in each log it reads."""
        with self._lock:
            logs, todo, stopped = self._read(retry_failed)
            self._fold([s for s in self.sources if s.name in logs and s.name not in self._folded])
            ordered = order(logs, self._known, complete=not self._unreachable)
            return self._pass(ordered, todo, stopped, retry_failed)

    def _known(self, kind: str, resource_id: str) -> bool:
        return self.context.index.get(kind, resource_id) is not None

    def _read(self, retry_failed: bool) -> tuple[dict[str, list[Record]], int, int | None]:
        """Each readable log's records past its checkpoint, up to its first `pending` entry; how many of
        them are to be applied; the sequence number of a `pending` entry that ended a log, if any."""
        logs: dict[str, list[Record]] = {}
        todo, stopped = 0, None
        for source in self.sources:
            records = []
            try:
                for entry in source.log.iter_entries(after=self.position_of(source.name)):
                    if entry["state"] == PENDING:
                        stopped = entry["seq"]
                        break
                    records.append(record(source.name, entry))
                    todo += entry["state"] in (COMMITTED, UNKNOWN) or (entry["state"] == FAILED and retry_failed)
            except LogUnreachable as exc:
                self._unreachable[source.name] = str(exc)
                continue
            self._unreachable.pop(source.name, None)
            logs[source.name] = records
        return logs, todo, stopped

    def _fold(self, sources: list[Source]) -> None:
        """A resumed run: fold the entries an earlier run settled into the index (nothing is sent)."""
        folded = (*SETTLED, FAILED)
        records = {s.name: [record(s.name, e) for e in s.log.iter_entries() if e["state"] in folded] for s in sources}
        reading = {s.name: (e for e in s.log.iter_entries() if e["state"] in folded) for s in sources}
        self._folding = True
        try:
            for rec in order(records, self._known, complete=True):
                self._translate(next(reading[rec.log]))
        finally:
            self._folding = False
        self.context.findings.clear()
        self._folded.update(s.name for s in sources)

    def _pass(self, ordered: list[Record], todo: int, stopped: int | None, retry_failed: bool) -> PassSummary:
        summary = PassSummary(stopped_at_pending=stopped)
        logs = {s.name: s.log for s in self.sources}
        reading: dict[str, Iterator[dict[str, Any]]] = {}
        blocked: set[str] = set()
        next_lag = 0.0
        for rec in ordered:
            name = rec.log
            try:
                if name not in reading:
                    reading[name] = logs[name].iter_entries(after=self.position_of(name))
                state = self._settle(next(e for e in reading[name] if e["seq"] == rec.seq), logs[name], name,
                                     summary, todo, retry_failed)
            except LogUnreachable as exc:  # gone since it was read: the rest waits for the next pass
                self._unreachable[name] = str(exc)
                break
            if state not in SETTLED:
                blocked.add(name)
            if name not in blocked:
                self.state.set_meta(f"{POSITION}.{name}", rec.seq)
            if time.monotonic() >= next_lag:
                next_lag = self._lag_during_pass()
        if todo or self.phase not in self._reported:
            self._reported.add(self.phase)
            self._progress(summary, todo, f"position #{self.position}")
        summary.position = self.position
        summary.held = self.publish_lag().held
        return summary

    def _settle(self, entry: dict[str, Any], log: Log, name: str, summary: PassSummary, todo: int,
                retry_failed: bool) -> str:
        """Apply one entry of log `name` if it waits (or failed, when retrying) and mark it; its state now."""
        state = entry["state"]
        if state in (COMMITTED, UNKNOWN) or (state == FAILED and retry_failed):
            self.checkpoint()
            verdict: Verdict = self._replay(entry, key=f"replay:{name}")
            log.mark(entry["seq"], verdict.state, **verdict.info)
            setattr(summary, verdict.state, getattr(summary, verdict.state) + 1)
            self._progress(summary, todo, f"{name} #{entry['seq']}")
            return verdict.state
        if state == FAILED:
            summary.failed += 1
        return state
