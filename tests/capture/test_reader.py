"""A write log another process writes, as replay reads it: no lock, verdicts in the state store."""

from __future__ import annotations

from wizard.capture.reader import LogReader
from wizard.capture.writelog import LOG_FILE, WriteLog
from wizard.core.state import StateStore


def _committed(log: WriteLog) -> int:
    seq, _ = log.begin("POST", "/v2.0/networks", "", b'{"network": {}}', [])
    log.record_answer(seq, 201, b'{"network": {"id": "n"}}', None)
    return seq


def test_verdicts_go_to_the_state_store_survive_a_restart_and_leave_the_writers_log_alone(tmp_path):
    writer = WriteLog(tmp_path)
    first, second = _committed(writer), _committed(writer)
    state = StateStore(tmp_path)
    reader = LogReader(tmp_path, state)
    reader.mark(first, "replayed", alcor=["k"])
    assert [(e["seq"], e["state"]) for e in reader.entries()] == [(first, "replayed"), (second, "committed")]
    assert [e["state"] for e in writer.entries()] == ["committed", "committed"]
    third = _committed(writer)  # logged after the reader opened
    reader.close()
    state.close()

    state = StateStore(tmp_path)  # run restarted
    reader = LogReader(tmp_path, state)
    assert [e["seq"] for e in reader.entries("committed")] == [second, third]
    assert reader.entries("replayed")[0]["alcor"] == ["k"]
    reader.close()
    state.close()
    writer.close()


def test_a_log_started_over_does_not_inherit_the_verdicts_of_the_one_before(tmp_path):
    writer = WriteLog(tmp_path)
    seq = _committed(writer)
    state = StateStore(tmp_path)
    reader = LogReader(tmp_path, state)
    reader.mark(seq, "replayed")
    reader.close()
    writer.close()
    (tmp_path / LOG_FILE).unlink()
    writer = WriteLog(tmp_path)
    assert _committed(writer) == seq
    reader = LogReader(tmp_path, state)
    assert [e["state"] for e in reader.entries()] == ["committed"]
    reader.close()
    writer.close()
    state.close()
