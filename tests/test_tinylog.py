"""The append-only TinyDB storage: durable appends, replay, torn tails."""

import os

import pytest
from tinydb import Query

from wizard.tinylog import LogCorrupt, open_db


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
