"""No entry stays `pending` while the capture runs: outcomes the write log could not take are logged
once it can (a real RLIMIT_FSIZE "disk full" in a capture process; an fsync made to fail in this one)."""

from __future__ import annotations

import errno
import os
import resource
import threading

import httpx

from tests.capture.conftest import eventually, start_capture
from wizard.capture.writelog import LOG_FILE, WriteLog


def _states(state_dir) -> dict[int, str]:
    return {entry.seq: entry.state for entry in WriteLog(state_dir, readonly=True).states()}


class FailingFsync:
    """os.fdatasync failing with EIO while `failing` is set, as a disk that lost a write does."""

    def __init__(self):
        self.failing = threading.Event()
        self.done = 0  # fsyncs that succeeded
        self._real = os.fdatasync

    def __call__(self, fd: int) -> None:
        if self.failing.is_set():
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        self._real(fd)
        self.done += 1


def test_a_write_refused_after_a_failed_fsync_ends_rejected_and_writes_resume(state_dir, upstream, monkeypatch):
    fsync = FailingFsync()
    monkeypatch.setattr("wizard.core.tinylog.os.fdatasync", fsync)
    running = start_capture(state_dir, upstream.url)
    try:
        with httpx.Client(base_url=running.url) as client:
            assert client.post("/v2.0/networks", json={"network": {"name": "before"}}).status_code == 201
            assert eventually(lambda: fsync.done == 2)  # its entry's fsync, then its answer's (after the 201)
            fsync.failing.set()
            refused = client.post("/v2.0/networks", json={"network": {"name": "refused"}})
            fsync.failing.clear()  # the disk is back
            assert eventually(lambda: _states(state_dir).get(2) == "rejected")
            after = client.post("/v2.0/networks", json={"network": {"name": "after"}})
    finally:
        running.proxy.stop()
        running.log.close()
    assert refused.status_code == 503 and after.status_code == 201
    assert [seen.method for seen in upstream.received] == ["POST", "POST"]  # the refused one never went
    entries = WriteLog(state_dir).entries()
    assert [(e["seq"], e["state"]) for e in entries] == [(1, "committed"), (2, "rejected"), (3, "committed")]
    assert "not sent to Neutron" in entries[1]["error"]


def test_an_answer_the_full_disk_could_not_take_is_logged_when_space_returns(capture_process, upstream, state_dir):
    running = capture_process("--neutron-url", upstream.url, "--state-dir", str(state_dir), file_size_limit=6000)
    name = "n" * 3000  # the pending entry fits under the limit; it and the answer do not
    answer = httpx.post(f"{running.url}/v2.0/networks", json={"network": {"name": name}}, timeout=10)
    assert answer.status_code == 201  # Neutron did it: the client is told so
    assert _states(state_dir) == {1: "pending"}
    resource.prlimit(running.process.pid, resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    assert eventually(lambda: _states(state_dir) == {1: "committed"})
    [entry] = WriteLog(state_dir, readonly=True).entries()
    assert entry["response"] == answer.json() and entry["body"]["network"]["name"] == name
    assert (state_dir / LOG_FILE).read_bytes().count(name.encode()) == 2  # the request once, the answer once
    code, _ = running.stop()
    assert code == 0


def test_an_answer_that_still_does_not_fit_is_let_go_and_the_entry_marked_unknown(tmp_path, monkeypatch):
    import asyncio
    import functools
    import signal

    from wizard.capture import unlogged
    from wizard.capture.commit import GroupCommit

    log = WriteLog(tmp_path)
    seq, _ = log.begin("POST", "/v2.0/networks", "", b'{"network": {}}', [])
    log.sync()
    reports: list[str] = []
    commit = GroupCommit(log)
    kept = unlogged.Unlogged(log, commit, lambda level, text: reports.append(text))
    answer = b'{"network": {"name": "%s"}}' % (b"n" * 4000)
    size = (tmp_path / LOG_FILE).stat().st_size
    limits = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (size + 400, limits[1]))  # a real "disk full" for this process
    try:
        kept.answered(seq, functools.partial(log.record_answer, seq, 201, answer, None), 201)
        asyncio.run(kept.settle())
        still = log.indexed(seq).state
        monkeypatch.setattr(unlogged, "KEEP_ANSWERS", 0.0)
        asyncio.run(kept.settle())
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, limits)
        signal.signal(signal.SIGXFSZ, previous)
        commit.close()
    assert still == "pending" and len(kept) == 0
    entry = WriteLog(tmp_path, readonly=True).get(seq)
    assert entry["state"] == "unknown" and entry["status"] == 201 and "could not be logged" in entry["error"]
    assert any("marked unknown" in text for text in reports)
