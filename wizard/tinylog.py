"""TinyDB on an append-only file: each change is one JSON line, so a write costs
the same at entry 10 as at entry 100,000.

TinyDB's own JSON storage rewrites the whole file on every insert, and its
`Table` rebuilds the whole table dict per change; both grow with the data.
Here the storage keeps the data in memory, and `AppendTable` hands it only the
documents a change touched, which it appends (and fsyncs, when durable).
On open the file is replayed; a torn last line (a crash mid-write) is moved to
a side file and reported in `storage.torn_tail`, never silently dropped.

One writer at a time: callers that share a database across threads lock it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Table


class LogCorrupt(Exception):
    """A line before the end of the file is not a valid record."""


@dataclass(frozen=True)
class TornTail:
    """The unfinished last record found on open, and where its bytes were kept."""

    offset: int
    length: int
    saved_to: Path


def _dumps(record: dict) -> str:
    return json.dumps(record, separators=(",", ":"), ensure_ascii=False)


class AppendOnlyStorage(Storage):
    """A TinyDB storage that appends changed documents as JSON lines."""

    def __init__(self, path: str | os.PathLike, durable: bool = True):
        self.path = Path(path)
        self.durable = durable
        self.torn_tail: TornTail | None = None
        self._tables: dict[str, dict[str, Any]] = {}
        self._hashes: dict[str, dict[str, int]] = {}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._replay()
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        self._file = os.fdopen(fd, "ab")

    # -- TinyDB's Storage interface ------------------------------------------
    def read(self) -> dict[str, dict[str, Any]]:
        return self._tables

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        """Whole-database writes (drop_table, drop_tables): log the dropped tables."""
        lines = [_dumps({"t": name, "drop": 1}) for name in list(self._hashes) if name not in data]
        for name in list(self._hashes):
            if name not in data:
                del self._hashes[name]
        self._tables = data
        self._append(lines)

    def close(self) -> None:
        if not self._file.closed:
            self._file.close()

    # -- the append path -------------------------------------------------------
    def commit(self, table: str, ids: set[str]) -> None:
        """Append the current state of the documents `ids` of `table` that changed."""
        docs = self._tables.get(table, {})
        hashes = self._hashes.setdefault(table, {})
        lines = []
        for doc_id in sorted(ids, key=_id_order):
            if doc_id in docs:
                line = _dumps({"t": table, "i": doc_id, "d": docs[doc_id]})
                digest = hash(line)
                if hashes.get(doc_id) != digest:
                    hashes[doc_id] = digest
                    lines.append(line)
            elif hashes.pop(doc_id, None) is not None:
                lines.append(_dumps({"t": table, "i": doc_id}))
        self._append(lines)

    def sync(self) -> None:
        """Flush and fsync what was appended (for callers that batch with durable=False)."""
        self._file.flush()
        os.fsync(self._file.fileno())

    def _append(self, lines: list[str]) -> None:
        if not lines:
            return
        self._file.write(("\n".join(lines) + "\n").encode("utf-8"))
        if self.durable:
            self.sync()
        else:
            self._file.flush()

    # -- opening ---------------------------------------------------------------
    def _replay(self) -> None:
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return
        offset = 0
        lineno = 0
        while offset < len(data):
            end = data.find(b"\n", offset)
            lineno += 1
            if end < 0:
                self._keep_torn_tail(data, offset)
                return
            try:
                record = json.loads(data[offset:end])
            except (json.JSONDecodeError, UnicodeDecodeError):
                if data[end + 1:].strip():
                    raise LogCorrupt(f"{self.path}:{lineno}: not a valid record") from None
                self._keep_torn_tail(data, offset)
                return
            self._apply(record, data[offset:end].decode("utf-8"))
            offset = end + 1

    def _apply(self, record: dict, line: str) -> None:
        table = record["t"]
        if "drop" in record:
            self._tables.pop(table, None)
            self._hashes.pop(table, None)
        elif "d" in record:
            self._tables.setdefault(table, {})[record["i"]] = record["d"]
            self._hashes.setdefault(table, {})[record["i"]] = hash(line)
        else:
            self._tables.get(table, {}).pop(record["i"], None)
            self._hashes.get(table, {}).pop(record["i"], None)

    def _keep_torn_tail(self, data: bytes, offset: int) -> None:
        saved = self.path.with_name(f"{self.path.name}.torn-{offset}")
        saved.write_bytes(data[offset:])
        os.chmod(saved, 0o600)
        with open(self.path, "r+b") as fh:
            fh.truncate(offset)
            fh.flush()
            os.fsync(fh.fileno())
        self.torn_tail = TornTail(offset=offset, length=len(data) - offset, saved_to=saved)


def _id_order(doc_id: str) -> tuple[int, str]:
    return (int(doc_id), "") if doc_id.isdigit() else (0, doc_id)


class _TrackedTable(MutableMapping):
    """The int-keyed table view TinyDB's updaters expect, recording what they touch."""

    def __init__(self, raw: dict[str, Any]):
        self._raw = raw
        self.touched: set[str] = set()

    def __getitem__(self, doc_id: int) -> Any:
        key = str(doc_id)
        value = self._raw[key]
        self.touched.add(key)  # updaters mutate documents in place
        return value

    def __setitem__(self, doc_id: int, value: Any) -> None:
        self._raw[str(doc_id)] = value
        self.touched.add(str(doc_id))

    def __delitem__(self, doc_id: int) -> None:
        del self._raw[str(doc_id)]
        self.touched.add(str(doc_id))

    def __contains__(self, doc_id: object) -> bool:
        return str(doc_id) in self._raw

    def __iter__(self) -> Iterator[int]:
        return (int(key) for key in list(self._raw))

    def __len__(self) -> int:
        return len(self._raw)


class AppendTable(Table):
    """A TinyDB table whose changes cost O(documents changed), not O(table)."""

    def _update_table(self, updater: Callable[[dict[int, Any]], None]) -> None:
        storage: AppendOnlyStorage = self._storage  # type: ignore[assignment]
        raw = storage.read().setdefault(self.name, {})
        view = _TrackedTable(raw)
        try:
            updater(view)  # type: ignore[arg-type]
        finally:
            storage.commit(self.name, view.touched)
            self.clear_cache()


class AppendDB(TinyDB):
    table_class = AppendTable


def open_db(path: str | os.PathLike, durable: bool = True) -> AppendDB:
    """Open (or create) an append-only TinyDB database at `path`, readable by the owner only."""
    return AppendDB(path, storage=AppendOnlyStorage, durable=durable)
