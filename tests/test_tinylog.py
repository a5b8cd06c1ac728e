"""The append-only TinyDB storage: durable appends, replay, torn tails."""

import os

import pytest
from tinydb import Query

from wizard.core.tinylog import AppendOnlyStorage, LogCorrupt, open_db


def test_documents_survive_reopen(tmp_path):
    path = tmp_path / "log.db"
    db = open_db(path)
    table = db.table("entries")
    first = table.insert({"seq": 1, "state": "pending"})
    table.insert({"seq": 2, "state": "pending"})
    table.update({"state": "committed"}, doc_ids=[first])
    table.remove(Query().seq == 2)
    db.close()

    reopened = open_db(path).table("entries")
    assert [dict(doc) for doc in reopened.all()] == [{"seq": 1, "state": "committed"}]


def test_an_insert_appends_one_line_and_rewrites_nothing(tmp_path):
    path = tmp_path / "log.db"
    table = open_db(path).table("entries")
    for seq in range(50):
        table.insert({"seq": seq})
    before = path.read_bytes()
    table.insert({"seq": 50})
    after = path.read_bytes()
    assert after.startswith(before)
    assert after[len(before):].count(b"\n") == 1


def test_unchanged_documents_are_not_rewritten(tmp_path):
    path = tmp_path / "log.db"
    table = open_db(path).table("entries")
    table.insert({"seq": 1})
    size = path.stat().st_size
    table.update({"seq": 1}, doc_ids=[1])
    assert path.stat().st_size == size


def test_torn_last_record_is_kept_aside_and_reported(tmp_path):
    path = tmp_path / "log.db"
    table = open_db(path).table("entries")
    table.insert({"seq": 1})
    with open(path, "ab") as fh:
        fh.write(b'{"t":"entries","i":"2","d":{"se')
    db = open_db(path)
    torn = db.storage.torn_tail
    assert torn is not None and torn.saved_to.read_bytes() == b'{"t":"entries","i":"2","d":{"se'
    assert [doc["seq"] for doc in db.table("entries").all()] == [1]
    db.table("entries").insert({"seq": 2})
    assert [doc["seq"] for doc in open_db(path).table("entries").all()] == [1, 2]


def test_corruption_before_the_end_names_the_line(tmp_path):
    path = tmp_path / "log.db"
    table = open_db(path).table("entries")
    table.insert({"seq": 1})
    table.insert({"seq": 2})
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(lines[0] + b"garbage\n" + lines[1])
    with pytest.raises(LogCorrupt, match=r"log.db:2:"):
        open_db(path)


def test_file_is_readable_by_owner_only(tmp_path):
    path = tmp_path / "log.db"
    open_db(path).table("t").insert({"a": 1})
    assert os.stat(path).st_mode & 0o077 == 0


def test_drop_table_is_logged(tmp_path):
    path = tmp_path / "log.db"
    db = open_db(path)
    db.table("a").insert({"x": 1})
    db.table("b").insert({"x": 2})
    db.drop_table("a")
    assert open_db(path).tables() == {"b"}


def _fill_until_the_file_limit(path, limit: int) -> dict:
    """In a child process whose files may not grow past `limit` bytes (RLIMIT_FSIZE,
    a real write error from the kernel): insert until a write fails."""
    import json
    import subprocess
    import sys

    script = f"""
import json, resource, signal
from wizard.core.tinylog import LogUnavailable, open_db
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, resource.RLIM_INFINITY))
db = open_db({str(path)!r})
table = db.table("entries")
for seq in range(1, 1000):
    try:
        table.insert({{"seq": seq, "pad": "x" * 40}})
    except LogUnavailable as exc:
        print(json.dumps({{"failed_at": seq, "errno": exc.errno,
                          "in_memory": [d["seq"] for d in table.all()],
                          "next_id": table._get_next_id()}}))
        break
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_a_failed_write_cuts_the_file_back_and_changes_nothing(tmp_path):
    import errno

    path = tmp_path / "log.db"
    result = _fill_until_the_file_limit(path, limit=1000)
    assert result["errno"] == errno.EFBIG
    stored = [doc["seq"] for doc in open_db(path, readonly=True).table("entries").all()]
    assert stored == list(range(1, result["failed_at"]))  # whole records only, no partial line
    assert result["in_memory"] == stored  # memory matches the file
    assert result["next_id"] == result["failed_at"]  # the failed insert's id was not used up
    assert path.read_bytes().endswith(b"\n")


def test_after_a_failed_fsync_every_write_is_refused(tmp_path):
    from wizard.core.tinylog import LogUnavailable

    path = tmp_path / "log.db"
    path.symlink_to("/dev/null")  # the kernel refuses fsync on it (EINVAL)
    db = open_db(path, durable=False)
    table = db.table("entries")
    table.insert({"seq": 1})
    with pytest.raises(LogUnavailable, match="fsync failed"):
        db.storage.sync()
    with pytest.raises(LogUnavailable, match="earlier fsync failed"):
        table.insert({"seq": 2})
    assert [doc["seq"] for doc in table.all()] == [1]


def test_readonly_reports_a_torn_tail_and_leaves_the_file_alone(tmp_path):
    from wizard.core.tinylog import LogUnavailable

    path = tmp_path / "log.db"
    open_db(path).table("entries").insert({"seq": 1})
    with open(path, "ab") as fh:
        fh.write(b'{"t":"entries"')
    before = path.read_bytes()
    db = open_db(path, readonly=True)
    assert db.storage.torn_tail.saved_to is None and db.storage.torn_tail.length == len(b'{"t":"entries"')
    assert path.read_bytes() == before
    with pytest.raises(LogUnavailable):
        db.table("entries").insert({"seq": 2})
    assert not open_db(tmp_path / "absent.db", readonly=True).tables()
    assert not (tmp_path / "absent.db").exists()


def test_exclusive_keeps_a_second_writer_out(tmp_path):
    from wizard.core.tinylog import LogBusy

    path = tmp_path / "log.db"
    first = open_db(path, exclusive=True)
    with pytest.raises(LogBusy, match="already open for writing"):
        open_db(path, exclusive=True)
    first.close()
    open_db(path, exclusive=True).close()


def test_sync_reports_how_much_is_on_disk(tmp_path):
    path = tmp_path / "log.db"
    db = open_db(path, durable=False)
    db.table("entries").insert({"seq": 1})
    assert db.storage.sync() == path.stat().st_size == db.storage.size
    reopened = open_db(path, durable=False)
    assert reopened.storage.size == reopened.storage.synced == path.stat().st_size


def test_a_readonly_refresh_reads_what_the_writer_appended_since_and_waits_for_an_unfinished_record(tmp_path):
    path = tmp_path / "log.db"
    writer = open_db(path, exclusive=True)
    writer.table("entries").insert({"seq": 1})
    reader = open_db(path, readonly=True)
    writer.table("entries").insert({"seq": 2})
    writer.table("entries").update({"state": "done"}, doc_ids=[1])
    with open(path, "ab") as file:  # a record the writer is halfway through
        file.write(b'{"t":"entries","i":"3","d":{"se')
    assert reader.storage.refresh()
    assert reader.storage.torn_tail is not None and reader.storage.torn_tail.saved_to is None
    assert [dict(doc) for doc in reader.table("entries").all()] == [{"seq": 1, "state": "done"}, {"seq": 2}]
    with open(path, "ab") as file:
        file.write(b'q":3}}\n')
    assert reader.storage.refresh() and reader.storage.torn_tail is None
    assert [doc["seq"] for doc in reader.table("entries").all()] == [1, 2, 3]
    assert not reader.storage.refresh()
    writer.close()


def test_a_readonly_refresh_of_a_file_cut_shorter_than_read_is_corrupt(tmp_path):
    path = tmp_path / "log.db"
    open_db(path).table("entries").insert({"seq": 1})
    reader = open_db(path, readonly=True)
    path.write_bytes(b"")
    with pytest.raises(LogCorrupt, match="replaced or cut"):
        reader.storage.refresh()


def test_an_update_appends_only_the_fields_it_changed(tmp_path):
    from tinydb.operations import delete

    path = tmp_path / "log.db"
    table = open_db(path).table("entries")
    table.insert({"seq": 1, "body": "b" * 5000, "state": "pending", "note": "x"})
    before = path.stat().st_size
    table.update({"state": "committed", "status": 201}, doc_ids=[1])
    table.update(delete("note"), doc_ids=[1])
    assert path.stat().st_size - before < 300  # the body is on disk once
    assert path.read_bytes().count(b"b" * 5000) == 1
    reopened = open_db(path).table("entries")
    assert dict(reopened.get(doc_id=1)) == {"seq": 1, "body": "b" * 5000, "state": "committed", "status": 201}
    reopened.remove(doc_ids=[1])  # a document read from an update record
    assert open_db(path).table("entries").all() == []


def test_a_nested_value_changed_in_place_is_still_written(tmp_path):
    path = tmp_path / "log.db"
    db = open_db(path)
    db.table("meta").insert({"key": "k", "value": [1]})
    held = db.table("meta").get(doc_id=1)["value"]  # shared with what the storage holds
    held.append(2)
    db.table("meta").update({"value": held}, doc_ids=[1])
    assert open_db(path).table("meta").get(doc_id=1)["value"] == [1, 2]


def test_a_file_of_whole_document_records_reads_as_before(tmp_path):
    path = tmp_path / "log.db"
    path.write_text('{"t":"entries","i":"1","d":{"seq":1,"state":"pending"}}\n'
                    '{"t":"entries","i":"1","d":{"seq":1,"state":"committed"}}\n'
                    '{"t":"entries","i":"2","d":{"seq":2}}\n{"t":"entries","i":"2"}\n')
    assert [dict(doc) for doc in open_db(path).table("entries").all()] == [{"seq": 1, "state": "committed"}]
    lean = AppendOnlyStorage(path, readonly=True, index=Offsets())
    assert lean.index.last == {"1": lean.index.offset("1")} and lean.index.offset("2") is None
    assert list(lean.documents([lean.index.offset("1")])) == [{"seq": 1, "state": "committed"}]


class Offsets:
    """A DocumentIndex keeping each document's last offset and the records it was given."""

    def __init__(self):
        self.last, self.given = {}, []

    def put(self, doc_id, offset, doc):
        self.last[doc_id] = offset
        self.given.append(("put", doc_id))

    def update(self, doc_id, offset, record):
        self.last[doc_id] = offset
        self.given.append(("update", doc_id, record["u"]))

    def remove(self, doc_id):
        self.last.pop(doc_id, None)
        self.given.append(("remove", doc_id))

    def clear(self):
        self.last.clear()

    def offset(self, doc_id):
        return self.last.get(doc_id)


def test_a_storage_with_an_index_keeps_no_document_and_reads_them_from_the_file(tmp_path):
    path = tmp_path / "log.db"
    storage = AppendOnlyStorage(path, index=Offsets())
    storage.put("writes", "1", {"seq": 1, "state": "pending", "body": "b" * 1000})
    storage.put("writes", "2", {"seq": 2, "state": "pending", "body": "c" * 1000})
    reader = AppendOnlyStorage(path, readonly=True, index=Offsets())
    storage.patch("writes", "1", {"state": "committed", "response": "r" * 1000})
    storage.patch("writes", "1", {"state": "replayed"})
    with pytest.raises(KeyError, match="no document 3"):
        storage.patch("writes", "3", {"state": "replayed"})
    assert storage.index.given == [("put", "1"), ("put", "2"),
                                   ("update", "1", {"state": "committed", "response": "r" * 1000}),
                                   ("update", "1", {"state": "replayed"})]
    first, second = storage.documents([storage.index.offset("1"), storage.index.offset("2")])
    assert first == {"seq": 1, "state": "replayed", "body": "b" * 1000, "response": "r" * 1000}
    assert second == {"seq": 2, "state": "pending", "body": "c" * 1000}
    assert path.read_bytes().count(b"b" * 1000) == 1
    assert reader.refresh() and reader.index.last == storage.index.last
    with pytest.raises(TypeError, match="keeps no document"):
        storage.read()
    storage.close()


@pytest.mark.parametrize("chunk", [7, 64, 1 << 20])
def test_the_file_is_read_a_chunk_at_a_time(tmp_path, monkeypatch, chunk):
    monkeypatch.setattr("wizard.core.tinylog.READ_CHUNK", chunk)
    path = tmp_path / "log.db"
    table = open_db(path).table("entries")
    for seq in range(1, 40):
        table.insert({"seq": seq, "pad": "x" * seq})
    table.update({"state": "done"}, doc_ids=[3])
    whole = path.read_bytes()
    with open(path, "ab") as fh:
        fh.write(b'{"t":"entries","i":"40","d":{"se')
    reader = open_db(path, readonly=True)
    assert [doc["seq"] for doc in reader.table("entries").all()] == list(range(1, 40))
    assert reader.storage.torn_tail.offset == len(whole)
    db = open_db(path)
    assert db.storage.torn_tail.saved_to.read_bytes() == b'{"t":"entries","i":"40","d":{"se'
    assert path.read_bytes() == whole and db.table("entries").get(doc_id=3)["state"] == "done"
    lines = whole.splitlines(keepends=True)
    path.write_bytes(b"".join(lines[:20]) + b"garbage\n" + b"".join(lines[20:]))
    with pytest.raises(LogCorrupt, match=r"log.db:21:"):
        open_db(path)
