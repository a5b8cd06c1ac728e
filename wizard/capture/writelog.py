"""The write log: every user write to Neutron, numbered in order, on disk before it is forwarded.

One append-only TinyDB file (`writes.db`, see wizard/core/tinylog.py) in the state
directory, table `writes`, one document per write keyed by its sequence number:

    pending ─► committed (2xx) ─► replayed | skipped (reason) | failed (Alcor's answer)
            ├► rejected (Neutron answered with another status, or was never reached)
            └► unknown  (the upstream failed mid-request: Neutron may have applied it)

An entry is `pending` only while its write is in flight: an outcome the log
cannot take at once is kept by the proxy and logged when it can (unlogged.py),
and the entries a stopped capture left `pending` become `unknown` when the log
is next opened for writing.

Memory keeps only each entry's state and time (`states()`): an entry's body and
answer are read from the file when the entry is read (`get`, `iter_entries`),
and an update appends only the fields it changes, so each body is on disk once
and memory stays flat as the log grows.

Sequence numbers are strictly increasing and gap-free: a number is used only
once its entry is written. Writes are not fsync'd one by one: `begin` and
`record_*` return a ticket (a file offset) and the caller waits until `sync`
has covered it, so concurrent requests can share one fsync (see commit.py).
A write the file refuses (disk full, I/O error) raises `LogUnavailable` and
changes nothing; after a failed fsync the log refuses every write until it is
reopened. Opening the log for writing takes an exclusive lock on the file and
settles the entries a stopped process left `pending` as `unknown`. Opened
read-only, the log takes no lock and each read picks up what the writer logged
since: one writer, any number of readers (a reader keeps replay's verdicts
elsewhere, see capture/reader.py).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import threading
import time
from collections.abc import Collection, Iterable, Iterator
from pathlib import Path
from typing import Any

from wizard.capture.log_index import EntryIndex, Indexed
from wizard.capture.redact import redact_body, redact_headers, redact_query, redact_text
from wizard.core.errors import MigrateError
from wizard.core.state import prepare_state_dir
from wizard.core.tinylog import AppendOnlyStorage, LogBusy, LogCorrupt, LogUnavailable, TornTail

LOG_FILE = "writes.db"
TABLE = "writes"

PENDING = "pending"
COMMITTED = "committed"
REJECTED = "rejected"
UNKNOWN = "unknown"
REPLAYED = "replayed"
SKIPPED = "skipped"
FAILED = "failed"
STATES = (PENDING, COMMITTED, REJECTED, UNKNOWN, REPLAYED, SKIPPED, FAILED)

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_API_PATH = re.compile(r"(^|/)v2\.0/")  # /v2.0/... , or /<prefix>/v2.0/... behind a path-routed endpoint
REQUEST_ID_HEADER = "X-Openstack-Request-Id"

__all__ = ["WriteLog", "LogUnavailable", "Indexed", "is_write", "STATES"]


def log_directory(path: str | os.PathLike) -> Path:
    """The state directory of a capture's log, named by its `writes.db` or by the directory itself."""
    path = Path(path)
    return path.parent if path.name == LOG_FILE else path


def is_write(method: str, path: str) -> bool:
    """A request the log keeps: POST, PUT, PATCH or DELETE on Neutron's v2.0 API."""
    return method in WRITE_METHODS and _API_PATH.search(path) is not None


def decode_body(raw: bytes, key: str = "body") -> dict[str, Any]:
    """A body as the log keeps it, secrets redacted (redact.py): JSON under `key`, anything
    else as text under `key`_text."""
    if not raw:
        return {key: None}
    try:
        return {key: redact_body(json.loads(raw))}
    except (ValueError, UnicodeDecodeError, RecursionError):
        return {f"{key}_text": redact_text(raw.decode("utf-8", errors="replace"))}


class WriteLog:
    """The durable, ordered log of captured writes; safe to share across threads."""

    def __init__(self, state_dir: str | os.PathLike, *, readonly: bool = False):
        directory = Path(state_dir) if readonly else prepare_state_dir(state_dir)
        self.path = directory / LOG_FILE
        self._readonly = readonly
        self._lock = threading.Lock()
        self._storage = self._open()
        self._next_seq = self._index.head() + 1
        self.recovered: list[int] = [] if readonly else self._settle_stale_pending()

    def _open(self) -> AppendOnlyStorage:
        """The file opened, its entries in a new index (`self._index`)."""
        index = EntryIndex(STATES)
        try:
            storage = AppendOnlyStorage(self.path, durable=False, readonly=self._readonly,
                                        exclusive=not self._readonly, index=index)
        except LogBusy:
            raise MigrateError(f"{self.path}: another capture is writing this log; stop it first") from None
        except LogCorrupt as exc:
            raise MigrateError(f"write log {exc}") from None
        self._index = index
        return storage

    @property
    def torn_tail(self) -> TornTail | None:
        """The unfinished last record found on open (a crash mid-write), if any."""
        return self._storage.torn_tail

    @property
    def synced(self) -> int:
        """How far the file is known to be on disk (compare with a ticket)."""
        return self._storage.synced

    @property
    def written(self) -> int:
        """A ticket covering everything written so far."""
        return self._storage.size

    @property
    def failed(self) -> bool:
        """An fsync failed: the log takes no write until `reopen`."""
        return self._storage.failure is not None

    def reopen(self) -> None:
        """After a failed fsync: read the file again, as the disk now gives it, and take writes again.
        Entries left `pending` stay so (their writes may still be in flight in this process)."""
        with self._lock:
            self._storage.close()
            self._storage = self._open()
            self._next_seq = max(self._next_seq, self._index.head() + 1)

    def close(self) -> None:
        """Sync what was written (if the log is writable) and close the file."""
        with self._lock:
            if not self._readonly:
                with contextlib.suppress(LogUnavailable):
                    self._storage.sync()
            self._storage.close()

    def __len__(self) -> int:
        with self._lock:
            self._read_on()
            return len(self._index)

    @property
    def head(self) -> int:
        """The last sequence number logged (0: none)."""
        with self._lock:
            self._read_on()
            return self._index.head()

    # -- writing -----------------------------------------------------------------
    def begin(
        self, method: str, path: str, query: str, body: bytes, headers: Iterable[tuple[str, str]], client: str = ""
    ) -> tuple[int, int]:
        """Log a write as `pending` before it is forwarded: (its sequence number, its ticket)."""
        entry = {
            "seq": 0,
            "time": time.time(),
            "method": method,
            "path": path,
            "query": redact_query(query),
            "client": client,
            "headers": redact_headers(headers),
            **decode_body(body),
            "state": PENDING,
        }
        with self._lock:
            seq = entry["seq"] = self._next_seq
            self._storage.put(TABLE, str(seq), entry)
            self._next_seq += 1
            return seq, self._storage.size

    def record_answer(self, seq: int, status: int, body: bytes, request_id: str | None) -> int:
        """Neutron answered: `committed` (2xx) or `rejected`, with its answer. Returns a ticket."""
        return self._update(
            seq,
            state=COMMITTED if 200 <= status < 300 else REJECTED,
            status=status,
            **decode_body(body, "response"),
            request_id=request_id,
            answered_at=time.time(),
        )

    def record_failure(self, seq: int, status: int, error: str, *, reached: bool) -> int:
        """The upstream failed: `unknown` if Neutron may have applied the write, else
        `rejected`. `status` is what the client was answered. Returns a ticket."""
        return self._update(
            seq, state=UNKNOWN if reached else REJECTED, status=status, error=error, answered_at=time.time()
        )

    def mark(self, seq: int, state: str, **info: Any) -> None:
        """Replay's verdict on an entry (`replayed`, `skipped` with `reason`, `failed` with
        Alcor's answer), durable on return."""
        if state not in (REPLAYED, SKIPPED, FAILED):
            raise ValueError(f"write log entry {seq}: replay cannot set state {state!r}")
        self._update(seq, state=state, **info)
        self.sync()

    def sync(self) -> int:
        """Fsync everything written so far; returns the offset now on disk."""
        return self._storage.sync()

    def _update(self, seq: int, **fields: Any) -> int:
        """Append the changed fields of entry `seq` (its body is never written again)."""
        with self._lock:
            try:
                self._storage.patch(TABLE, str(seq), fields)
            except KeyError:
                raise KeyError(f"write log {self.path}: no entry {seq}") from None
            return self._storage.size

    def _settle_stale_pending(self) -> list[int]:
        stale = [seq for seq, state, _ in self.states() if state == PENDING]
        for seq in stale:
            self.record_failure(seq, 0, "the capture stopped before Neutron's answer was logged", reached=True)
        if stale:
            self.sync()
        return stale

    # -- reading -----------------------------------------------------------------
    def states(self) -> list[Indexed]:
        """Every entry's (seq, state, time), in sequence order, from memory (no body is read)."""
        with self._lock:
            self._read_on()
            return [entry for entry, _ in self._index.entries()]

    def iter_entries(
        self, state: str | None = None, after: int = 0, seqs: Collection[int] | None = None
    ) -> Iterator[dict[str, Any]]:
        """Entries past `after` (all, those in one state, or those numbered in `seqs`), in sequence
        order, each read from the file when its turn comes (as logged when the iteration began)."""
        with self._lock:
            self._read_on()
            storage = self._storage
            chosen = [offset for entry, offset in self._index.entries(after)
                      if state in (None, entry.state) and (seqs is None or entry.seq in seqs)]
        return storage.documents(chosen)

    def entries(self, state: str | None = None) -> list[dict[str, Any]]:
        """Entries in sequence order, all or those in one state (each read from the file)."""
        return list(self.iter_entries(state))

    def indexed(self, seq: int) -> Indexed | None:
        """Entry `seq`'s state and time, from memory."""
        with self._lock:
            self._read_on()
            return self._index.get(seq)

    def get(self, seq: int) -> dict[str, Any] | None:
        with self._lock:
            self._read_on()
            offset = self._index.offset(str(seq))
            storage = self._storage
        return next(storage.documents([offset])) if offset is not None else None

    def _read_on(self) -> None:
        """Opened read-only: take in the entries and answers the writer logged since."""
        try:
            self._storage.refresh()
        except LogCorrupt as exc:
            raise MigrateError(f"write log {exc}") from None
