"""The state store: checkpoints that survive a restart."""

import os

import pytest

from wizard.core.state import RecordedVerdicts, StateStore
from wizard.core.tinylog import LogUnavailable


def test_applied_failed_and_id_map_survive_reopen(tmp_path):
    store = StateStore(tmp_path / "state")
    store.mark_failed("port:a", status=500, answer="boom")
    store.mark_applied("vpc:1", status=201)
    store.mark_applied("port:a", status=201)
    store.map_id("security_groups", "n-default", "a-default")
    store.set_phase("convert", "running", started_at=1.0)
    store.set_phase("convert", "done", seconds=2.0)
    store.set_meta("snapshot_sha", "abc")
    store.close()

    again = StateStore(tmp_path / "state")
    assert again.is_applied("vpc:1") and again.is_applied("port:a")
    assert not again.is_applied("vpc:2")
    assert again.failures() == []
    assert again.applied("vpc:1")["status"] == 201
    assert again.mapped_id("security_groups", "n-default") == "a-default"
    assert again.phase("convert")["status"] == "done"
    assert again.phase("convert")["started_at"] == 1.0
    assert again.phase("verify")["status"] == "pending"
    assert again.get_meta("snapshot_sha") == "abc"


def test_state_dir_is_private(tmp_path):
    StateStore(tmp_path / "state")
    assert os.stat(tmp_path / "state").st_mode & 0o077 == 0


def test_replay_verdicts_survive_reopen_one_per_entry(tmp_path):
    store = StateStore(tmp_path / "state")
    store.set_verdict(2, {"logged_at": 1.5, "entry": {"state": "failed"}})
    store.set_verdict(2, {"logged_at": 1.5, "entry": {"state": "replayed"}})
    store.set_verdict(10, {"logged_at": 9.0, "entry": {"state": "skipped", "reason": "r"}})
    store.close()
    again = StateStore(tmp_path / "state")
    verdicts = again.verdicts()
    assert sorted(verdicts) == [2, 10] and verdicts[2]["entry"] == {"state": "replayed"}
    assert verdicts[10]["entry"]["reason"] == "r"
    again.close()


def test_recorded_verdicts_read_a_running_runs_verdicts_and_refuse_to_record_one(tmp_path):
    store = StateStore(tmp_path / "state")
    store.set_verdict(3, {"logged_at": 2.0, "entry": {"state": "replayed"}})
    recorded = RecordedVerdicts(tmp_path / "state")
    with pytest.raises(LogUnavailable, match="read-only"):
        recorded.set_verdict(4, {"logged_at": 3.0, "entry": {"state": "skipped"}})
    assert recorded.verdicts() == store.verdicts() and sorted(store.verdicts()) == [3]
    store.close()
