"""The capture's read-only log feed (`capture --feed-listen`), read with feed_client.py: a real capture
process on loopback, its token file, its pages, and replay reading through it."""

from __future__ import annotations

import json
import os
import socket
import ssl
import subprocess

import httpx
import pytest

from tests.capture.conftest import ALCOR_MIGRATE
from tests.capture.test_service import free_port
from wizard.capture.feed_client import CaptureUnreachable, FeedClient, FeedError
from wizard.capture.feed_token import read_token
from wizard.capture.merge import node_sources
from wizard.capture.reader import LogUnreachable
from wizard.capture.writelog import LOG_FILE
from wizard.core.errors import InputError
from wizard.core.state import StateStore
from wizard.plan import CaptureNode


@pytest.fixture
def feeding(capture_process, upstream, state_dir):
    """A capture process named api-1 with a feed, its token file made by itself."""
    return capture_process("--neutron-url", upstream.url, "--state-dir", str(state_dir), "--name", "api-1",
                           "--feed-listen", "127.0.0.1:0")


def test_the_feed_needs_the_token_the_capture_wrote_0600_and_never_shows_it(feeding, state_dir):
    token_file = state_dir / "feed.token"
    assert oct(token_file.stat().st_mode & 0o777) == "0o600"
    token = read_token(token_file)
    assert len(token) >= 40
    url = f"{feeding.feed_url}/v1/status"
    assert httpx.get(url).status_code == 401
    assert httpx.get(url, headers={"Authorization": f"Bearer {token[:-1]}x"}).status_code == 401
    assert httpx.get(url, headers={"Authorization": f"Basic {token}"}).status_code == 401
    assert httpx.get(url, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert httpx.post(f"{feeding.url}/v2.0/networks", json={"network": {"name": "n"}},
                      headers={"X-Auth-Token": token}).status_code == 201  # even sent as a client's token
    code, output = feeding.stop()
    assert code == 0 and token not in output
    assert token.encode() not in (state_dir / LOG_FILE).read_bytes()


def test_a_token_file_others_may_read_is_refused_naming_the_file(upstream, tmp_path):
    token_file = tmp_path / "feed.token"
    token_file.write_text("s3cret-token-value\n")
    os.chmod(token_file, 0o644)
    done = subprocess.run([*ALCOR_MIGRATE, "capture", "--neutron-url", upstream.url, "--listen", "127.0.0.1:0",
                           "--state-dir", str(tmp_path / "state"), "--feed-listen", "127.0.0.1:0",
                           "--feed-token-file", str(token_file)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert f"{token_file}: the feed token file has mode 0644" in done.stderr and "chmod 600" in done.stderr
    assert "Traceback" not in done.stderr and "s3cret" not in done.stderr
    with pytest.raises(InputError, match="mode 0644"):
        read_token(token_file)


def test_the_feed_pages_the_log_as_log_json_prints_it_with_the_counters(feeding, state_dir):
    with httpx.Client(base_url=feeding.url) as client:
        for n in range(5):
            assert client.post("/v2.0/networks", json={"network": {"name": f"n{n}", "admin_pass": "hunter2"}},
                               headers={"X-Auth-Token": "gAAAA-user-token"}).status_code == 201
        assert client.delete("/v2.0/networks/gone").status_code == 204
        assert client.get("/v2.0/networks", headers={"X-Alcor-Migrate-Mark": "preflight-1"}).status_code == 200
    printed = subprocess.run([*ALCOR_MIGRATE, "log", "--json", "--state-dir", str(state_dir)], capture_output=True,
                             text=True, check=True).stdout
    with FeedClient(feeding.feed_url, read_token(state_dir / "feed.token")) as feed:
        status = feed.status()
        assert status == {"capture": "api-1", "requests": 7, "writes": 6, "marks": ["preflight-1"],
                          "logs": [{"log": "api-1", "head": 6, "entries": 6, "requests": 7, "writes": 6,
                                    "marks": ["preflight-1"]}]}
        log = feed.log("api-1", StateStore(state_dir.parent / "run"), page=2)  # three pages of two
        entries = list(log.iter_entries())
        assert entries == [{**entry, "log": "api-1"} for entry in json.loads(printed)]
        assert [entry["seq"] for entry in log.iter_entries(after=4)] == [5, 6]
        assert [(e.seq, e.state) for e in log.states()] == [(n, "committed") for n in range(1, 7)]
        assert "hunter2" not in printed and "gAAAA-user-token" not in printed
        page = feed.get("/v1/entries", log="api-1", after=1, limit=2)
        assert [e["seq"] for e in page["entries"]] == [2, 3] and page["next"] == 3
        with pytest.raises(FeedError, match="no such log here"):
            feed.get("/v1/entries", log="api-2")
        with pytest.raises(FeedError, match="limit=0"):
            feed.get("/v1/states", log="api-1", limit=0)


def test_an_unreachable_capture_is_its_own_error_and_a_refused_token_another(feeding, state_dir):
    token = read_token(state_dir / "feed.token")
    with FeedClient(feeding.feed_url, "wrong") as feed, pytest.raises(FeedError, match="token was refused") as refused:
        feed.status()
    assert not isinstance(refused.value, CaptureUnreachable)
    assert feeding.stop()[0] == 0
    with FeedClient(feeding.feed_url, token, timeout=2) as feed, pytest.raises(CaptureUnreachable) as down:
        list(feed.log("api-1", StateStore(state_dir.parent / "run")).iter_entries())
    assert down.value.url == feeding.feed_url and "ConnectError" in down.value.reason


def test_a_plans_capture_feed_and_workers_serve_every_workers_log_over_tls(capture_process, upstream, tmp_path,
                                                                           make_tls):
    tls = make_tls("capture")
    token_file = tmp_path / "secrets" / "feed.token"
    token_file.parent.mkdir()
    token_file.write_text("a-token-of-the-operators-choosing\n")
    token_file.chmod(0o600)
    plan = tmp_path / "plan.yaml"
    plan.write_text(f"version: 1\nneutron: {{url: '{upstream.url}', auth: none}}\nalcor: {{url: 'http://127.0.0.1:9'}}\n"
                    f"state_dir: {tmp_path / 'state'}\n"
                    f"capture:\n  workers: 2\n  tls: {{cert: {tls.cert}, key: {tls.key}}}\n"
                    f"  feed: {{listen: '127.0.0.1:{free_port()}', token_file: {token_file}}}\n")
    running = capture_process("--plan", str(plan), "--name", "api-2")
    assert running.url.startswith("https://") and running.feed_url.startswith("https://")
    with httpx.Client(base_url=running.url, verify=ssl.create_default_context(cafile=tls.ca)) as client:
        for _ in range(6):  # new connections, spread over the workers
            answer = client.post("/v2.0/networks", json={"network": {}}, headers={"Connection": "close"})
            assert answer.status_code == 201
    with FeedClient(running.feed_url, read_token(token_file), ca_file=str(tls.ca)) as feed:
        status = feed.status()
        assert [log["log"] for log in status["logs"]] == ["api-2-worker-1", "api-2-worker-2"]
        assert sum(log["head"] for log in status["logs"]) == 6
        assert sorted(e["log"] for log in status["logs"] for e in feed.log(log["log"], StateStore(tmp_path / "run"))
                      .iter_entries()) == sorted(log["log"] for log in status["logs"] for _ in range(log["head"]))
    assert running.stop()[0] == 0


def test_a_feed_address_in_use_stops_the_capture_with_a_clear_error(upstream, tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([*ALCOR_MIGRATE, "capture", "--neutron-url", upstream.url, "--listen", "127.0.0.1:0",
                               "--state-dir", str(tmp_path / "state"), "--feed-listen", f"127.0.0.1:{port}"],
                              capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert f"capture.feed.listen: cannot listen on 127.0.0.1:{port}" in done.stderr


def test_replay_reads_the_feeds_capture_nodes_name_and_holds_a_capture_down_until_it_answers(
        capture_process, upstream, tmp_path):
    """merge.node_sources: a capture of two workers gives a source per worker log; one that does not
    answer when the run opens its logs holds its entries (LogUnreachable) and is read once it answers."""
    token_file = tmp_path / "feed.token"
    token_file.write_text("one-token-for-both\n")
    token_file.chmod(0o600)
    two = capture_process("--neutron-url", upstream.url, "--state-dir", str(tmp_path / "api-2"), "--name", "api-2",
                          "--workers", "2", "--feed-listen", "127.0.0.1:0", "--feed-token-file", str(token_file))
    later = f"127.0.0.1:{free_port()}"
    nodes = {"api-1": CaptureNode(feed=f"http://{later}", token_file=str(token_file)),
             "api-2": CaptureNode(feed=two.feed_url, token_file=str(token_file))}
    state = StateStore(tmp_path / "run")
    sources = node_sources(nodes, state)
    try:
        assert [source.name for source in sources] == ["api-1", "api-2.api-2-worker-1", "api-2.api-2-worker-2"]
        with pytest.raises(LogUnreachable, match=f"capture feed http://{later}: unreachable"):
            sources[0].log.states()
        one = capture_process("--neutron-url", upstream.url, "--state-dir", str(tmp_path / "api-1"),
                              "--name", "api-1", "--feed-listen", later, "--feed-token-file", str(token_file))
        assert httpx.post(f"{one.url}/v2.0/networks", json={"network": {}}).status_code == 201
        assert [entry["log"] for entry in sources[0].log.iter_entries()] == ["api-1"]
        sources[0].log.mark(1, "replayed")
        assert state.verdicts("api-1")[1]["entry"]["state"] == "replayed"  # kept here, under the node's name
    finally:
        for source in sources:
            source.log.close()
        state.close()
