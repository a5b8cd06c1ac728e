"""The order several write logs' entries are applied in (merge.order), on entries real WriteLogs
logged: each log's order kept, the oldest first, a write after the create of what it names."""

from __future__ import annotations

import json

from wizard.capture import writelog
from wizard.capture.merge import order, record
from wizard.capture.writelog import WriteLog


class Clock:
    now = 0.0

    @classmethod
    def time(cls) -> float:
        return cls.now


def logged(log: WriteLog, at: float, method: str, path: str, answer: dict | None) -> int:
    real, writelog.time = writelog.time, Clock
    Clock.now = at
    try:
        seq, _ = log.begin(method, path, "", b"", [])
        log.record_answer(seq, 201 if method == "POST" else 200, json.dumps(answer).encode() if answer else b"",
                          None)
    finally:
        writelog.time = real
    return seq


def records(log: WriteLog, name: str):
    return [record(name, entry) for entry in log.entries()]


def test_a_port_goes_after_its_network_whatever_the_clocks_and_waits_for_a_log_that_cannot_be_read(tmp_path):
    a, b = WriteLog(tmp_path / "a"), WriteLog(tmp_path / "b")
    logged(b, 100.0, "POST", "/v2.0/networks", {"network": {"id": "net", "revision_number": 1}})
    port = logged(a, 40.0, "POST", "/v2.0/ports", {"port": {"id": "p", "network_id": "net", "revision_number": 1}})
    other = logged(a, 41.0, "PUT", "/v2.0/networks/old", {"network": {"id": "old", "revision_number": 3}})
    early = logged(b, 10.0, "PUT", "/v2.0/networks/old", {"network": {"id": "old", "revision_number": 2}})
    logs = {"a": records(a, "a"), "b": records(b, "b")}

    def known(kind: str, resource_id: str) -> bool:
        return resource_id == "old"

    # a's port (clock 40) waits for b's network (clock 100); b's own order holds its update (clock 10)
    # behind that network, then it is the oldest
    assert [(r.log, r.seq) for r in order(logs, known, complete=True)] == [
        ("b", 1), ("b", early), ("a", port), ("a", other)]
    # b cannot be read: a's port names a network no log read holds, so a stops there
    assert order({"a": logs["a"]}, known, complete=False) == []
    # ... while a write naming only what Alcor holds goes on
    assert [r.seq for r in order({"a": logs["a"][1:]}, known, complete=False)] == [other]
    a.close()
    b.close()
