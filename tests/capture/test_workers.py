"""`capture --workers N`: N capture processes on one port (SO_REUSEPORT), a write log each, one feed
serving them all; a worker killed with SIGKILL is started again while the others keep serving."""

from __future__ import annotations

import http.client
import json
import os
import signal
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from tests.capture.conftest import eventually
from wizard.capture.feed_client import FeedClient
from wizard.capture.feed_token import read_token
from wizard.capture.health import HEALTH_PATH
from wizard.capture.hold_file import ACK_FILE, HoldRequest, read_record
from wizard.capture.workers import worker_dir
from wizard.core.state import StateStore


def worker_pids(supervisor: int) -> dict[str, int]:
    """The supervisor's worker processes by their --name, from /proc."""
    found = {}
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except (OSError, ValueError):
            continue
        if entry.name.isdigit() and int(stat.rsplit(")", 1)[1].split()[1]) == supervisor and b"--name" in command:
            found[command[command.index(b"--name") + 1].decode()] = int(entry.name)
    return found


def test_two_workers_share_the_port_and_a_sigkilled_one_loses_no_logged_write(capture_process, upstream, tmp_path):
    state_dir = tmp_path / "state"
    running = capture_process("--neutron-url", upstream.url, "--state-dir", str(state_dir), "--name", "api",
                              "--workers", "2", "--feed-listen", "127.0.0.1:0")
    workers = worker_pids(running.process.pid)
    assert sorted(workers) == ["api-worker-1", "api-worker-2"]
    assert eventually(lambda: {httpx.get(f"{running.url}{HEALTH_PATH}").json()["capture"]
                               for _ in range(20)} == {"api-worker-1", "api-worker-2"})  # the kernel spreads them

    created: list[tuple[float, str]] = []  # (when the request began, the id Neutron gave)
    failed: list[float] = []
    stop = threading.Event()
    address = urlsplit(running.url)

    def write() -> None:
        while not stop.is_set():
            began = time.monotonic()
            connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
            try:  # a new connection each time: the kernel picks a worker per connection
                connection.request("POST", "/v2.0/networks", body=b'{"network": {"name": "w"}}',
                                   headers={"Content-Type": "application/json"})
                answer = connection.getresponse()
                status, body = answer.status, answer.read()
            except (OSError, http.client.HTTPException):
                failed.append(began)  # in flight at the worker that died: its outcome is unknown
                continue
            finally:
                connection.close()
            assert status == 201, body
            created.append((began, json.loads(body)["network"]["id"]))

    writers = [threading.Thread(target=write) for _ in range(4)]
    for writer in writers:
        writer.start()
    time.sleep(1.0)
    killed_at = time.monotonic()
    os.kill(workers["api-worker-1"], signal.SIGKILL)
    time.sleep(1.5)
    stop.set()
    for writer in writers:
        writer.join()
    after = [began for began, _ in created if began > killed_at]
    assert len(after) > 10  # the other worker kept serving
    assert not [began for began in failed if began > killed_at + 0.5]  # only requests the dead worker held failed

    assert eventually(lambda: set(worker_pids(running.process.pid)) == {"api-worker-1", "api-worker-2"}
                      and worker_pids(running.process.pid)["api-worker-1"] != workers["api-worker-1"])
    with FeedClient(running.feed_url, read_token(state_dir / "feed.token")) as feed:
        assert eventually(lambda: feed.status()["logs"][1]["writes"] == feed.status()["logs"][1]["head"])
        restarted = feed.log("api-worker-1", StateStore(tmp_path / "look"))
        assert eventually(lambda: "pending" not in {e.state for e in restarted.states()})  # settled on its reopen
        status = feed.status()  # the counts the killed worker had not written out yet (0.1 s) are lost
        assert [log["log"] for log in status["logs"]] == ["api-worker-1", "api-worker-2"]
        assert all(log["writes"] > 0 for log in status["logs"])
        logged = {}
        for name in ("api-worker-1", "api-worker-2"):
            for entry in feed.log(name, StateStore(tmp_path / f"run-{name}")).iter_entries():
                assert entry["log"] == name
                if entry["state"] == "committed":
                    logged[entry["response"]["network"]["id"]] = name
                else:  # in flight when its worker died: settled unknown by the worker started again
                    assert name == "api-worker-1" and entry["state"] == "unknown", entry
    assert {network for _, network in created} <= set(logged)  # every write a client saw made is logged
    assert len(created) <= sum(log["head"] for log in status["logs"]) <= len(created) + len(failed)
    for n in range(6):  # marked reads, on new connections: whichever worker took one, the feed shows its mark
        assert httpx.get(f"{running.url}/v2.0/networks", headers={"X-Alcor-Migrate-Mark": f"m{n}"}).status_code == 200
    with FeedClient(running.feed_url, read_token(state_dir / "feed.token")) as feed:
        assert eventually(lambda: feed.status()["marks"] == [f"m{n}" for n in range(6)])
    code, output = running.stop()
    assert code == 0 and "capture worker-1 exited (signal SIGKILL); starting it again" in output
    assert worker_pids(running.process.pid) == {}


def test_the_cutovers_write_hold_returns_only_once_every_worker_holds(capture_process, upstream, tmp_path):
    state_dir = tmp_path / "state"
    running = capture_process("--neutron-url", upstream.url, "--state-dir", str(state_dir), "--workers", "2")
    address = urlsplit(running.url)

    def post() -> int:  # a new connection each time, so both workers are asked
        connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
        try:
            connection.request("POST", "/v2.0/networks", body=b'{"network": {}}')
            answer = connection.getresponse()
            answer.read()
            return answer.status
        finally:
            connection.close()

    hold = HoldRequest(state_dir)
    hold.hold_writes("reject", 5)
    assert {post() for _ in range(30)} == {503}  # no worker let one through
    assert {read_record(worker_dir(state_dir, n) / ACK_FILE)["id"] for n in (1, 2)} == {
        read_record(state_dir / ACK_FILE)["id"]}
    hold.release_writes()  # returns once every worker lets writes through
    assert {post() for _ in range(10)} == {201}
    assert running.stop()[0] == 0
