"""TinyDB on an append-only file: each change is one JSON line, so a write costs
the same at entry 10 as at entry 100,000.

TinyDB's own JSON storage rewrites the whole file on every insert, and its
`Table` rebuilds the whole table dict per change; both grow with the data.
Here `AppendTable` hands the storage only the documents a change touched, and
the storage appends (and fsyncs, when durable) one record per document:

    {"t": TABLE, "i": ID, "d": DOC}                  a new (or replaced) document
    {"t": TABLE, "i": ID, "u": FIELDS, "p": OFFSET}  the fields an update changed ("x": [names] it removed);
                                                     OFFSET: the document's previous record
    {"t": TABLE, "i": ID}                            a removed document
    {"t": TABLE, "drop": 1}                          a dropped table

so an updated document's unchanged fields are never written again (files of
whole-document records only, as earlier versions wrote them, read the same).
On open the file is replayed; a torn last line (a crash mid-write) is moved to
a side file and reported in `storage.torn_tail`, never silently dropped.

By default the storage keeps every document in memory (TinyDB reads them there).
Opened with an `index` (a `DocumentIndex`: one table, kept as its owner chooses,
e.g. a few fields and the offset of each document's last record), it keeps no
document: each record read or written is handed to the index, and a whole
document is read from the file when asked (`documents`), following its records
back, so memory stays flat however large the documents are. Such a storage is
used directly (`put`, `patch`, `documents`), not through TinyDB.

A change reaches memory only once its lines are written: a failed write (disk
full, I/O error) cuts the file back to where it was and raises, leaving the
database as it was. A failed fsync leaves the file's contents on disk unknown,
so the storage then refuses every further write (`LogUnavailable`) until it is
opened again.

One writer at a time: callers that share a database across threads lock it;
`exclusive=True` also keeps other processes out (an flock on the file).
`readonly=True` opens a file another process may be writing: nothing is
created, repaired or written, and `refresh()` reads the records appended since.
"""

from __future__ import annotations

import copy
import fcntl
import json
import os
from collections.abc import Callable, Iterable, Iterator, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol

from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Table


class LogCorrupt(Exception):
    """A line before the end of the file is not a valid record."""


class LogUnavailable(OSError):
    """The file cannot take writes: a write or an fsync failed, or it is opened read-only."""


class LogBusy(OSError):
    """Another process holds the file open for writing (`exclusive=True`)."""


@dataclass(frozen=True)
class TornTail:
    """The unfinished last record found on open, and where its bytes were kept
    (`saved_to` is None when the file was opened read-only and left as it is)."""

    offset: int
    length: int
    saved_to: Path | None


def _dumps(record: dict[str, Any]) -> str:
    return json.dumps(record, separators=(",", ":"), ensure_ascii=False)


_ABSENT = object()
READ_CHUNK = 256 * 1024  # the file is read this much at a time (it may be larger than memory)


class DocumentIndex(Protocol):
    """What memory keeps of a table's documents, for a storage that keeps none (`index=`)."""

    def put(self, doc_id: str, offset: int, doc: dict[str, Any]) -> None:
        """Document `doc_id`, whole, in the record at `offset`."""

    def update(self, doc_id: str, offset: int, record: dict[str, Any]) -> None:
        """An update record of document `doc_id` at `offset` (`u`: changed fields, `x`: removed ones)."""

    def remove(self, doc_id: str) -> None: ...

    def clear(self) -> None: ...

    def offset(self, doc_id: str) -> int | None:
        """Where document `doc_id`'s last record is; None if there is no such document."""


class AppendOnlyStorage(Storage):
    """A TinyDB storage that appends changed documents, or their changed fields, as JSON lines."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        durable: bool = True,
        readonly: bool = False,
        exclusive: bool = False,
        index: DocumentIndex | None = None,
    ):
        self.path = Path(path)
        self.durable = durable
        self.readonly = readonly
        self.index = index
        self.torn_tail: TornTail | None = None
        self.failure: OSError | None = None  # set when an fsync failed: no more writes
        self.size = 0  # bytes written so far, every one of them a whole record
        self.lines = 0  # records read on open and by refresh (a read-only storage's line count)
        self.synced = 0  # bytes known to be on disk
        self._tables: dict[str, dict[str, Any]] = {}  # table -> id -> document (no index)
        self._last: dict[str, dict[str, int]] = {}  # table -> id -> offset of the document's last record
        self._hashes: dict[str, dict[str, int]] = {}  # table -> id -> hash of the document's record
        self._fd: int | None = None
        if readonly:
            self._replay()
            return
        created = not self.path.exists()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            if exclusive:
                _lock(self._fd, self.path)
            self._replay()
            if created:
                _fsync_dir(self.path.parent)
        except BaseException:
            os.close(self._fd)
            raise
        self.synced = self.size

    # -- TinyDB's Storage interface ------------------------------------------
    def read(self) -> dict[str, dict[str, Any]]:
        if self.index is not None:
            raise TypeError(f"{self.path}: a storage with an index keeps no document: read them with documents()")
        return self._tables

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        """Whole-database writes (drop_table, drop_tables): log the dropped tables."""
        dropped = [name for name in self._last if name not in data]
        self._append([_dumps({"t": name, "drop": 1}) for name in dropped])
        for name in dropped:
            del self._last[name]
            self._hashes.pop(name, None)
        self._tables = data

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def fileno(self) -> int | None:
        return self._fd

    # -- the append path -------------------------------------------------------
    def commit(self, table: str, changes: dict[str, Any]) -> None:
        """Append what changed of the documents of `table` in `changes` (None: removed),
        then apply them in memory."""
        docs, hashes = self._tables.get(table, {}), self._hashes.setdefault(table, {})
        ids, lines, digests = [], [], {}
        for doc_id in sorted(changes, key=_id_order):
            doc = changes[doc_id]
            if doc is None:
                line = _dumps({"t": table, "i": doc_id}) if doc_id in docs else None
            else:
                whole = _dumps({"t": table, "i": doc_id, "d": doc})
                digests[doc_id] = hash(whole)
                if doc_id in docs and doc_id not in hashes:
                    hashes[doc_id] = hash(_dumps({"t": table, "i": doc_id, "d": docs[doc_id]}))
                if hashes.get(doc_id) == digests[doc_id]:
                    continue
                line = self._update_line(table, doc_id, docs[doc_id], doc) if doc_id in docs else None
                line = whole if line is None or len(line) >= len(whole) else line
            if line is not None:
                ids.append(doc_id)
                lines.append(line)
        offsets = self._append(lines)
        docs, last = self._tables.setdefault(table, {}), self._last.setdefault(table, {})
        for doc_id, offset in zip(ids, offsets, strict=True):
            if changes[doc_id] is None:
                del docs[doc_id], last[doc_id]
                hashes.pop(doc_id, None)
            else:
                docs[doc_id], last[doc_id], hashes[doc_id] = changes[doc_id], offset, digests[doc_id]

    def put(self, table: str, doc_id: str, doc: dict[str, Any]) -> None:
        """A storage with an index: append a whole document (new, or replacing the one under `doc_id`)."""
        record = {"t": table, "i": doc_id, "d": doc}
        [offset] = self._append([_dumps(record)])
        self._apply(record, offset)

    def patch(self, table: str, doc_id: str, fields: dict[str, Any]) -> None:
        """A storage with an index: append `fields` of an existing document (they replace its fields
        of those names)."""
        previous = self._indexed().offset(doc_id)
        if previous is None:
            raise KeyError(f"{self.path}: no document {doc_id} in {table}")
        record = {"t": table, "i": doc_id, "u": fields, "p": previous}
        [offset] = self._append([_dumps(record)])
        self._apply(record, offset)

    def _update_line(self, table: str, doc_id: str, old: dict[str, Any], new: dict[str, Any]) -> str | None:
        """The record of an update: the fields that differ from the document in memory, and those
        removed; None if none do (a nested value the caller changed in place: the whole is written)."""
        changed = {name: value for name, value in new.items() if old.get(name, _ABSENT) != value}
        removed = [name for name in old if name not in new]
        if not changed and not removed:
            return None
        record = {"t": table, "i": doc_id, "u": changed, "p": self._last[table][doc_id]}
        if removed:
            record["x"] = removed
        return _dumps(record)

    def sync(self) -> int:
        """Fsync what was appended (for callers that batch with durable=False).
        Returns how many bytes of the file are now known to be on disk."""
        fd = self._writable_fd()
        size = self.size
        try:
            os.fdatasync(fd)  # data and the file's size; skips timestamps
        except OSError as exc:
            self.failure = exc
            raise LogUnavailable(exc.errno, f"fsync failed: {exc.strerror}", str(self.path)) from exc
        self.synced = max(self.synced, size)
        return size

    def _append(self, lines: list[str]) -> list[int]:
        """Write `lines` at the end of the file; the offset of each."""
        if not lines:
            return []
        fd = self._writable_fd()
        encoded = [(line + "\n").encode("utf-8") for line in lines]
        data = b"".join(encoded)
        try:
            written = 0
            while written < len(data):
                written += os.write(fd, data[written:])
        except OSError as exc:
            self._cut_back(fd, exc)
            raise LogUnavailable(exc.errno, f"write failed: {exc.strerror}", str(self.path)) from exc
        offsets, offset = [], self.size
        for line in encoded:
            offsets.append(offset)
            offset += len(line)
        self.size += len(data)
        if self.durable:
            self.sync()
        return offsets

    def _cut_back(self, fd: int, error: OSError) -> None:
        """Remove the part of a record a failed write left, so the file ends on a whole one."""
        try:
            os.ftruncate(fd, self.size)
        except OSError:
            self.failure = error

    def _writable_fd(self) -> int:
        """The file's descriptor, if it can take writes."""
        if self._fd is None:
            raise LogUnavailable(f"{self.path}: opened read-only or closed")
        if self.failure is not None:
            raise LogUnavailable(
                self.failure.errno, f"an earlier fsync failed ({self.failure.strerror}); reopen to continue",
                str(self.path),
            )
        return self._fd

    def _indexed(self) -> DocumentIndex:
        """The index of a storage opened with one (`patch` asks it where a document's last record is)."""
        if self.index is None:
            raise TypeError(f"{self.path}: a storage without an index: change its documents through TinyDB")
        return self.index

    # -- a storage with an index: documents read from the file ----------------------
    def documents(self, offsets: Iterable[int]) -> Iterator[dict[str, Any]]:
        """The documents whose last records are at `offsets` (from the index), read from the file one by one."""
        with open(self.path, "rb") as file:
            for offset in offsets:
                yield self._document(file, offset)

    def _document(self, file: IO[bytes], offset: int) -> dict[str, Any]:
        updates: list[dict[str, Any]] = []
        while True:
            file.seek(offset)
            line = file.readline()
            try:
                record = json.loads(line)
            except (json.JSONDecodeError, UnicodeDecodeError):
                raise LogCorrupt(f"{self.path}: offset {offset}: not a valid record") from None
            if "u" not in record:
                break
            updates.append(record)
            offset = record["p"]
        if "d" not in record:
            raise LogCorrupt(f"{self.path}: offset {offset}: a removed document's record")
        doc: dict[str, Any] = record["d"]
        for update in reversed(updates):
            _merge(doc, update)
        return doc

    # -- opening and reading on -----------------------------------------------
    def refresh(self) -> bool:
        """A read-only storage: apply the whole records another process appended since
        the last read (an unfinished last one waits for the next call). Whether any were."""
        if not self.readonly:
            return False
        before = self.size
        try:
            with open(self.path, "rb") as file:
                length = os.fstat(file.fileno()).st_size
                if length < self.size:
                    raise LogCorrupt(f"{self.path}: now {length} bytes, {self.size} were read before: the "
                                     "file was replaced or cut")
                file.seek(self.size)
                self.torn_tail = None
                self._read_on(file)
        except FileNotFoundError:
            return False
        return self.size > before

    def _replay(self) -> None:
        try:
            with open(self.path, "rb") as file:
                self._read_on(file)
        except FileNotFoundError:
            return

    def _read_on(self, file: IO[bytes]) -> None:
        """Apply the records from the file's position (`self.size`) to its end, a chunk at a time."""
        carried = b""
        while True:
            chunk = file.read(READ_CHUNK)
            data = carried + chunk
            taken = self._read(data, self.size, final=not chunk)
            if not chunk:
                return
            carried = data[taken:]

    def _read(self, data: bytes, base: int, final: bool) -> int:
        """Apply the whole records in `data`, the file's bytes from offset `base` on; how many bytes
        they took. With `final` (the end of the file), an unfinished last record is a torn tail."""
        offset = 0
        while offset < len(data):
            end = data.find(b"\n", offset)
            if end < 0:
                break
            try:
                record = json.loads(data[offset:end])
            except (json.JSONDecodeError, UnicodeDecodeError):
                if data[end + 1:].strip():
                    raise LogCorrupt(f"{self.path}:{self.lines + 1}: not a valid record") from None
                break  # the last record so far: torn if nothing follows it
            try:
                self._apply(record, base + offset, data[offset:end])
            except KeyError as exc:
                raise LogCorrupt(f"{self.path}:{self.lines + 1}: not a record this file can hold ({exc})") from None
            offset = end + 1
            self.size = base + offset
            self.lines += 1
        if final and offset < len(data):
            self._keep_torn_tail(data[offset:])
        return offset

    def _apply(self, record: dict[str, Any], offset: int, line: bytes = b"") -> None:
        """One record, at `offset` in the file, into memory (or the index). `line`: the record as read."""
        if self.index is not None:
            _index_record(self.index, record, offset)
            return
        table = record["t"]
        if "drop" in record:
            for held in (self._tables, self._last, self._hashes):
                held.pop(table, None)
            return
        doc_id, docs = record["i"], self._tables.setdefault(table, {})
        if "d" in record:
            docs[doc_id] = record["d"]
        elif "u" in record:
            docs[doc_id] = dict(docs[doc_id])
            _merge(docs[doc_id], record)
        else:
            docs.pop(doc_id, None)
            self._last.get(table, {}).pop(doc_id, None)
            self._hashes.get(table, {}).pop(doc_id, None)
            return
        self._last.setdefault(table, {})[doc_id] = offset
        hashes = self._hashes.setdefault(table, {})
        if "d" in record and line:
            hashes[doc_id] = hash(line.decode("utf-8"))  # as _dumps writes it
        else:
            hashes.pop(doc_id, None)  # worked out when next needed

    def _keep_torn_tail(self, tail: bytes) -> None:
        """The bytes after the last whole record (at `self.size`): kept aside and cut off, or, read-only,
        left for the next refresh."""
        if self.readonly:  # perhaps a record being written: read again from here next time
            self.torn_tail = TornTail(offset=self.size, length=len(tail), saved_to=None)
            return
        saved = self.path.with_name(f"{self.path.name}.torn-{self.size}")
        saved.write_bytes(tail)
        os.chmod(saved, 0o600)
        fd = self._writable_fd()
        os.ftruncate(fd, self.size)
        os.fsync(fd)
        self.torn_tail = TornTail(offset=self.size, length=len(tail), saved_to=saved)


def _lock(fd: int, path: Path) -> None:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise LogBusy(f"{path} is already open for writing (by another process?)") from None


def held_for_writing(path: str | os.PathLike[str]) -> bool:
    """Someone holds the file open for writing (`exclusive=True`) right now; changes nothing."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    """Make a new file's directory entry durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _index_record(index: DocumentIndex, record: dict[str, Any], offset: int) -> None:
    """One record, at `offset` in the file, into a storage's index."""
    if "drop" in record:
        index.clear()
    elif "d" in record:
        index.put(record["i"], offset, record["d"])
    elif "u" in record:
        if index.offset(record["i"]) is None:
            raise KeyError(record["i"])
        index.update(record["i"], offset, record)
    else:
        index.remove(record["i"])


def _merge(doc: dict[str, Any], update: dict[str, Any]) -> None:
    """Apply an update record's changed and removed fields to `doc`."""
    doc.update(update["u"])
    for name in update.get("x", ()):
        doc.pop(name, None)


def _id_order(doc_id: str) -> tuple[int, str]:
    return (int(doc_id), "") if doc_id.isdigit() else (0, doc_id)


class _ChangeSet(MutableMapping[int, Any]):
    """The int-keyed table view TinyDB's updaters expect. Changes land here (a
    removed document as None), over copies of the documents they touch, until
    the storage has written them."""

    def __init__(self, raw: dict[str, Any]):
        self._raw = raw
        self.changes: dict[str, Any] = {}

    def __getitem__(self, doc_id: int) -> Any:
        key = str(doc_id)
        if key in self.changes:
            value = self.changes[key]
            if value is None:
                raise KeyError(doc_id)
            return value
        value = copy.deepcopy(self._raw[key])  # updaters mutate documents in place
        self.changes[key] = value
        return value

    def __setitem__(self, doc_id: int, value: Any) -> None:
        self.changes[str(doc_id)] = value

    def __delitem__(self, doc_id: int) -> None:
        if doc_id not in self:
            raise KeyError(doc_id)
        self.changes[str(doc_id)] = None

    def __contains__(self, doc_id: object) -> bool:
        key = str(doc_id)
        if key in self.changes:
            return self.changes[key] is not None
        return key in self._raw

    def __iter__(self) -> Iterator[int]:
        keys = [key for key in self._raw if self.changes.get(key, True) is not None]
        keys += [key for key, value in self.changes.items() if value is not None and key not in self._raw]
        return (int(key) for key in keys)

    def __len__(self) -> int:
        return sum(1 for _ in self)


class AppendTable(Table):
    """A TinyDB table whose changes cost O(documents changed), not O(table);
    a change the storage could not write leaves the table as it was."""

    def _update_table(self, updater: Callable[[dict[int, Any]], None]) -> None:
        storage = _append_only(self._storage)
        view = _ChangeSet(storage.read().get(self.name, {}))
        try:
            # TinyDB types the view as a dict; its updaters use only MutableMapping's methods
            updater(view)  # type: ignore[arg-type]
            storage.commit(self.name, view.changes)
        except BaseException:
            self._next_id = None  # an id handed out for a change that did not happen is free again
            raise
        finally:
            self.clear_cache()


class AppendDB(TinyDB):
    table_class = AppendTable

    @property
    def storage(self) -> AppendOnlyStorage:
        """The append-only storage the database was opened with (TinyDB's type says any Storage)."""
        return _append_only(self._storage)


def _append_only(storage: Storage) -> AppendOnlyStorage:
    """`storage`, which TinyDB types as any Storage, as the append-only one AppendDB opens."""
    if not isinstance(storage, AppendOnlyStorage):
        raise TypeError(f"an append-only table or database on a {type(storage).__name__}: open it with open_db()")
    return storage


def open_db(
    path: str | os.PathLike[str], durable: bool = True, readonly: bool = False, exclusive: bool = False
) -> AppendDB:
    """Open (or create) an append-only TinyDB database at `path`, readable by the owner only."""
    return AppendDB(path, storage=AppendOnlyStorage, durable=durable, readonly=readonly, exclusive=exclusive)
