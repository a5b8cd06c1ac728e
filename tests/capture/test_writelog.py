"""The write log: numbering, states, redaction, crash safety, one writer."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import pytest

from wizard.capture.redact import redact_body, redact_headers
from wizard.capture.writelog import LOG_FILE, WriteLog, is_write
from wizard.core.errors import MigrateError


def _begin(log: WriteLog, path: str = "/v2.0/networks", body: bytes = b'{"network": {}}') -> int:
    seq, _ = log.begin("POST", path, "", body, [("Content-Type", "application/json")])
    return seq


def test_sequence_numbers_are_gap_free_and_continue_after_reopen(tmp_path):
    log = WriteLog(tmp_path)
    assert [_begin(log) for _ in range(3)] == [1, 2, 3]
    log.close()
    log = WriteLog(tmp_path)
    assert _begin(log) == 4
    assert [entry["seq"] for entry in log.entries()] == [1, 2, 3, 4]


def test_states_follow_neutrons_answer(tmp_path):
    log = WriteLog(tmp_path)
    ok, refused, lost, unreachable = (_begin(log) for _ in range(4))
    log.record_answer(ok, 201, b'{"network": {"id": "n1"}}', "req-1")
    log.record_answer(refused, 409, b'{"NeutronError": {"type": "NetworkInUse"}}', "req-2")
    log.record_failure(lost, 504, "SocketTimeoutError", reached=True)
    log.record_failure(unreachable, 502, "ClientConnectorError", reached=False)
    log.sync()
    by_seq = {entry["seq"]: entry for entry in WriteLog(tmp_path, readonly=True).entries()}
    assert by_seq[ok]["state"] == "committed" and by_seq[ok]["response"] == {"network": {"id": "n1"}}
    assert by_seq[ok]["request_id"] == "req-1"
    assert by_seq[refused]["state"] == "rejected" and by_seq[refused]["status"] == 409
    assert by_seq[lost]["state"] == "unknown" and by_seq[lost]["error"] == "SocketTimeoutError"
    assert by_seq[unreachable]["state"] == "rejected"
    assert [entry["seq"] for entry in log.entries("rejected")] == [refused, unreachable]


def test_replay_verdicts_are_durable_and_limited_to_replay_states(tmp_path):
    log = WriteLog(tmp_path)
    seqs = [_begin(log) for _ in range(3)]
    for seq in seqs:
        log.record_answer(seq, 201, b"{}", None)
    log.mark(seqs[0], "replayed", alcor={"status": 201})
    log.mark(seqs[1], "skipped", reason="IPv6 subnets are not migrated")
    log.mark(seqs[2], "failed", alcor={"status": 400, "body": "bad"})
    with pytest.raises(ValueError, match="cannot set state 'committed'"):
        log.mark(seqs[0], "committed")
    with pytest.raises(KeyError, match="no entry 99"):
        log.mark(99, "replayed")
    reopened = {entry["seq"]: entry for entry in WriteLog(tmp_path, readonly=True).entries()}
    assert [reopened[seq]["state"] for seq in seqs] == ["replayed", "skipped", "failed"]
    assert reopened[seqs[1]]["reason"] == "IPv6 subnets are not migrated"
    assert reopened[seqs[2]]["alcor"]["status"] == 400


def test_tokens_and_password_fields_are_redacted():
    headers = redact_headers(
        [("X-Auth-Token", "t1"), ("x-subject-token", "t2"), ("Authorization", "Basic eDp5"), ("Accept", "*/*")]
    )
    assert headers == {"X-Auth-Token": "***", "x-subject-token": "***", "Authorization": "***", "Accept": "*/*"}
    body = {"user": {"name": "u", "password": "p", "nested": [{"admin_password": "q", "psk": "k"}]}}
    assert redact_body(body) == {
        "user": {"name": "u", "password": "***", "nested": [{"admin_password": "***", "psk": "***"}]}
    }


def test_a_body_that_is_not_json_is_kept_as_text(tmp_path):
    log = WriteLog(tmp_path)
    seq = _begin(log, body=b"name=x&\xff")
    assert log.get(seq)["body_text"] == "name=x&\ufffd"


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("POST", "/v2.0/ports", True),
        ("PUT", "/v2.0/routers/r1/add_router_interface", True),
        ("PATCH", "/v2.0/networks/n1", True),
        ("DELETE", "/v2.0/floatingips/f1", True),
        ("POST", "/networking/v2.0/ports", True),
        ("GET", "/v2.0/ports", False),
        ("HEAD", "/v2.0/ports", False),
        ("POST", "/", False),
        ("POST", "/v2.0", False),
        ("POST", "/v2.01/ports", False),
    ],
)
def test_what_counts_as_a_write(method, path, expected):
    assert is_write(method, path) is expected


def test_entries_left_pending_by_a_stopped_capture_become_unknown(tmp_path):
    log = WriteLog(tmp_path)
    done, stale = _begin(log), _begin(log)
    log.record_answer(done, 201, b"{}", None)
    log.close()
    assert WriteLog(tmp_path, readonly=True).get(stale)["state"] == "pending"  # reading changes nothing
    reopened = WriteLog(tmp_path)
    assert reopened.recovered == [stale]
    assert reopened.get(stale)["state"] == "unknown" and "stopped" in reopened.get(stale)["error"]
    assert reopened.get(done)["state"] == "committed"


def test_only_one_writer_at_a_time(tmp_path):
    WriteLog(tmp_path)
    with pytest.raises(MigrateError, match="another capture is writing this log"):
        WriteLog(tmp_path)
    WriteLog(tmp_path, readonly=True)  # readers are welcome


_WRITER = """
import sys
from wizard.capture.writelog import WriteLog
log = WriteLog(sys.argv[1])
for n in range(100000):
    seq, _ = log.begin("POST", "/v2.0/ports", "", b'{"port": {"name": "p%d"}}' % n, [])
    log.sync()
    print(seq, flush=True)
"""


def test_every_fsynced_entry_survives_a_kill(tmp_path):
    writer = subprocess.Popen([sys.executable, "-c", _WRITER, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    acknowledged = [int(writer.stdout.readline()) for _ in range(300)]
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    acknowledged += [int(line) for line in writer.stdout.read().split()]
    log = WriteLog(tmp_path)
    stored = [entry["seq"] for entry in log.entries()]
    assert stored[: len(acknowledged)] == acknowledged == list(range(1, len(acknowledged) + 1))
    assert stored == list(range(1, len(stored) + 1))


def test_a_torn_last_record_is_reported_and_its_number_reused(tmp_path):
    log = WriteLog(tmp_path)
    _begin(log)
    _begin(log)
    log.close()
    with open(tmp_path / LOG_FILE, "ab") as fh:
        fh.write(b'{"t":"writes","i":"3","d":{"seq":3,"time":17')
    assert WriteLog(tmp_path, readonly=True).torn_tail is not None
    log = WriteLog(tmp_path)
    torn = log.torn_tail
    assert torn is not None and torn.saved_to.read_bytes().startswith(b'{"t":"writes","i":"3"')
    assert [entry["seq"] for entry in log.entries()] == [1, 2]
    assert _begin(log) == 3  # the torn entry was never acknowledged, so never forwarded
    log.close()
    assert json.loads((tmp_path / LOG_FILE).read_bytes().splitlines()[-1])["d"]["seq"] == 3


def test_a_reader_takes_no_lock_and_sees_entries_and_answers_logged_after_it_opened(tmp_path):
    writer = WriteLog(tmp_path)
    first = _begin(writer)
    reader = WriteLog(tmp_path, readonly=True)  # the writer holds the lock: a reader opens all the same
    writer.record_answer(first, 201, b'{"network": {"id": "n1"}}', "req-1")
    second = _begin(writer)
    writer.sync()
    assert [(e["seq"], e["state"]) for e in reader.entries()] == [(first, "committed"), (second, "pending")]
    assert len(reader) == 2 and reader.get(second)["state"] == "pending"
    assert [e["seq"] for e in reader.entries("committed")] == [first]
    with pytest.raises(MigrateError, match="another capture is writing"):
        WriteLog(tmp_path)  # the reader left the writer's lock alone
    reader.close()
    writer.close()


def test_each_body_is_written_once_and_memory_keeps_none(tmp_path):
    import tracemalloc

    log = WriteLog(tmp_path)
    request, answer = b'{"port": {"name": "%s"}}' % (b"q" * 5000), b'{"port": {"id": "%s"}}' % (b"a" * 5000)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(1000):
            seq, _ = log.begin("POST", "/v2.0/ports", "", request, [])
            log.record_answer(seq, 201, answer, "req")
        log.mark(seq, "replayed", alcor=["port"])
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown / 1000 < 200  # bytes an entry: its state, time and offset, not its 10 KB of bodies
    data = (tmp_path / LOG_FILE).read_bytes()
    assert data.count(b"q" * 5000) == data.count(b"a" * 5000) == 1000
    assert log.get(1000)["response"] == {"port": {"id": "a" * 5000}} and log.get(1000)["state"] == "replayed"
    assert [entry.state for entry in log.states()] == ["committed"] * 999 + ["replayed"]
