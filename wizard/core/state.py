"""The state store: what each phase has done, so that `run` resumes where it stopped.

One append-only TinyDB file (`state.db`) in the plan's state directory, with tables:
`phases` (status and timings of each phase's last pass, and as `work` those of the last
pass that did its work: wizard.core.engine.idle_pass), `sent` (requests about to be sent: one that is sent
but not applied may have reached Alcor), `applied` (one document per Alcor request
applied, keyed by the request's key), `failed` (requests Alcor refused, with its
answer), `id_map` (Neutron id -> Alcor id where Alcor does not keep ours), `verdicts`
(replay's verdicts on a write log another process writes, see capture/reader.py) and `meta`.
The checkpoint is what was applied, never what was read.

Every change is on disk when its method returns. Writers in several threads share
fsyncs (group commit): each appends under the lock, then waits for one fsync that
covers its record, so concurrency does not cost one fsync per record.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tinydb import Query, TinyDB

from wizard.core.tinylog import LogUnavailable, open_db

STATE_FILE = "state.db"


def prepare_state_dir(path: str | os.PathLike[str]) -> Path:
    """Create the state directory, readable by its owner only."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path


class StateStore:
    """Checkpoints, applied items, failures and the id map, safe to share across threads."""

    def __init__(self, state_dir: str | os.PathLike[str]):
        self.dir = prepare_state_dir(state_dir)
        self._db = open_db(self.dir / STATE_FILE, durable=False)  # synced by _written
        self._lock = threading.RLock()
        self._sync_lock = threading.Lock()
        self._appended = self._synced = 0  # changes made, changes known on disk
        self._sent = self._index("sent")
        self._applied = self._index("applied")
        self._failed = self._index("failed")
        self._id_map = self._index("id_map")
        self._verdicts = self._index("verdicts")
        self._ids = {doc["key"]: doc["alcor_id"] for doc in self._db.table("id_map").all()}

    def _index(self, table: str) -> dict[str, int]:
        return {doc["key"]: doc.doc_id for doc in self._db.table(table).all()}

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- phases ----------------------------------------------------------------
    def phase(self, name: str) -> dict[str, Any]:
        with self._lock:
            found = self._db.table("phases").get(Query().phase == name)
            return dict(found) if found else {"phase": name, "status": "pending"}

    def set_phase(self, name: str, status: str, **info: Any) -> None:
        with self._written():
            record = {**self.phase(name), **info, "status": status, "updated_at": time.time()}
            self._db.table("phases").upsert(record, Query().phase == name)

    def phases(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(doc) for doc in self._db.table("phases").all()]

    # -- sent, applied and failed requests -----------------------------------------
    def mark_sent(self, key: str) -> None:
        """Record that a request is about to be sent (call before sending it)."""
        with self._written():
            self._put("sent", self._sent, key, {"key": key, "at": time.time()})

    def sent_keys(self) -> list[str]:
        """Every request recorded as sent (applied, failed or in doubt), in the order first sent."""
        with self._lock:
            return list(self._sent)

    def was_sent(self, key: str) -> bool:
        with self._lock:
            return key in self._sent

    def in_doubt(self) -> list[str]:
        """Requests sent but recorded neither applied nor failed: Alcor may or may not have them."""
        with self._lock:
            return [key for key in self._sent if key not in self._applied and key not in self._failed]

    def is_applied(self, key: str) -> bool:
        with self._lock:
            return key in self._applied

    def applied(self, key: str) -> dict[str, Any] | None:
        return self._get("applied", self._applied, key)

    def mark_applied(self, key: str, **result: Any) -> None:
        with self._written():
            self._put("applied", self._applied, key, {"key": key, "at": time.time(), **result})
            if key in self._failed:
                self._db.table("failed").remove(doc_ids=[self._failed.pop(key)])

    def mark_failed(self, key: str, **error: Any) -> None:
        with self._written():
            self._put("failed", self._failed, key, {"key": key, "at": time.time(), **error})

    def failures(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(doc) for doc in self._db.table("failed").all()]

    def applied_count(self) -> int:
        with self._lock:
            return len(self._applied)

    # -- id map --------------------------------------------------------------------
    def map_id(self, kind: str, neutron_id: str, alcor_id: str) -> None:
        key = f"{kind}:{neutron_id}"
        with self._written():
            self._put("id_map", self._id_map, key, {"key": key, "alcor_id": alcor_id})
            self._ids[key] = alcor_id

    def mapped_id(self, kind: str, neutron_id: str) -> str | None:
        with self._lock:
            return self._ids.get(f"{kind}:{neutron_id}")

    # -- replay's verdicts on a log another process writes ---------------------------
    def set_verdict(self, seq: int, verdict: dict[str, Any], log: str = "") -> None:
        """`log`: the name of the log (one of several replayed, see capture/merge.py), or "" for the one log."""
        key = f"{log}:{seq}" if log else str(seq)
        with self._written():
            self._put("verdicts", self._verdicts, key, {"key": key, **verdict})

    def verdicts(self, log: str = "") -> dict[int, dict[str, Any]]:
        """Each verdict on log `log` by the sequence number of its write log entry."""
        with self._lock:
            return _verdicts(self._db, log)

    # -- meta ----------------------------------------------------------------------
    def get_meta(self, key: str, default: Any = None) -> Any:
        with self._lock:
            found = self._db.table("meta").get(Query().key == key)
            return found["value"] if found else default

    def set_meta(self, key: str, value: Any) -> None:
        with self._written():
            self._db.table("meta").upsert({"key": key, "value": value}, Query().key == key)

    # -- helpers -------------------------------------------------------------------
    @contextmanager
    def _written(self) -> Iterator[None]:
        """Make a change under the lock, then return only once it is on disk."""
        with self._lock:
            yield
            self._appended += 1
            mine = self._appended
        with self._sync_lock:  # whoever syncs first syncs for everyone who appended before it
            if self._synced >= mine:
                return
            with self._lock:
                upto = self._appended
            self._db.storage.sync()
            self._synced = upto

    def _get(self, table: str, index: dict[str, int], key: str) -> dict[str, Any] | None:
        with self._lock:
            doc_id = index.get(key)
            if doc_id is None:
                return None
            found = self._db.table(table).get(doc_id=doc_id)
            return dict(found) if found else None

    def _put(self, table: str, index: dict[str, int], key: str, record: dict[str, Any]) -> None:
        docs = self._db.table(table)
        if key in index:
            docs.update(record, doc_ids=[index[key]])
        else:
            index[key] = docs.insert(record)


class RecordedVerdicts:
    """Replay's verdicts as runs recorded them, read without opening the store for writing (safe
    while a run writes it), for a look at the write log (`alcor-migrate log`): a capture.reader
    Verdicts that refuses to record one."""

    def __init__(self, state_dir: str | os.PathLike[str]):
        self.path = Path(state_dir) / STATE_FILE

    def verdicts(self) -> dict[int, dict[str, Any]]:
        db = open_db(self.path, readonly=True)
        try:
            return _verdicts(db)
        finally:
            db.close()

    def set_verdict(self, seq: int, verdict: dict[str, Any]) -> None:
        raise LogUnavailable(f"{self.path}: opened read-only: the run that replays records verdict {seq}")


def _verdicts(db: TinyDB, log: str = "") -> dict[int, dict[str, Any]]:
    seqs: dict[int, dict[str, Any]] = {}
    for doc in db.table("verdicts").all():
        owner, _, seq = doc["key"].rpartition(":")  # "LOG:SEQ", or "SEQ" for the one log
        if owner == log:
            seqs[int(seq)] = dict(doc)
    return seqs
