"""The capture proxy over real HTTP on loopback: pass-through, logging, failures, TLS."""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import re
import socket
import ssl
import threading
import time

import httpx
import pytest

from tests.capture.conftest import Upstream, captures_in, eventually, start_capture
from wizard.capture.config import ProxyConfig
from wizard.capture.proxy import CaptureError, CaptureProxy
from wizard.capture.writelog import WriteLog
from wizard.core.events import ProxyStats, WriteCaptured
from wizard.lab.neutron_server import free_port


def test_a_read_passes_through_unchanged(capture, upstream):
    answer = httpx.get(
        f"{capture.url}/v2.0/networks?fields=id&fields=name&name=a%20b",
        headers={"X-Auth-Token": "tok", "X-Custom": "kept", "Connection": "keep-alive, X-Custom"},
    )
    direct = httpx.get(f"{upstream.url}/v2.0/networks?fields=id&fields=name&name=a%20b")
    assert answer.status_code == 200
    assert answer.json() == direct.json()
    assert answer.headers["X-Upstream"] == "yes"
    seen = upstream.received[0]
    assert (seen.method, seen.path, seen.query) == ("GET", "/v2.0/networks", "fields=id&fields=name&name=a%20b")
    assert seen.headers["X-Auth-Token"] == "tok"
    assert "X-Custom" not in seen.headers  # named by Connection: hop-by-hop
    assert seen.headers["Host"] == capture.url.removeprefix("http://")
    assert seen.headers["X-Forwarded-For"] == "127.0.0.1"
    assert seen.headers["X-Forwarded-Proto"] == "http"
    assert "Accept-Encoding" in seen.headers and seen.headers["User-Agent"].startswith("python-httpx")
    assert len(capture.log) == 0  # reads are not logged


def test_headers_the_client_did_not_send_are_not_added(capture, upstream):
    with socket.create_connection(("127.0.0.1", capture.proxy._port)) as conn:
        conn.sendall(b"GET /v2.0/networks HTTP/1.1\r\nHost: neutron\r\nX-Forwarded-For: 10.0.0.9\r\n\r\n")
        assert conn.recv(65536).startswith(b"HTTP/1.1 200")
    seen = upstream.received[0].headers
    assert set(seen) == {"Host", "X-Forwarded-For", "X-Forwarded-Proto"}
    assert seen["X-Forwarded-For"] == "10.0.0.9, 127.0.0.1"


def test_bodies_and_lengths_pass_as_neutron_sent_them(capture, upstream):
    with httpx.Client(base_url=capture.url) as client:
        compressed = client.get("/gzip", headers={"Accept-Encoding": "gzip"})
        head = client.head("/v2.0/networks")
        direct_head = httpx.head(f"{upstream.url}/v2.0/networks")
    assert compressed.headers["Content-Encoding"] == "gzip"
    assert compressed.json() == {"networks": []}  # decompressed by the client, not by the proxy
    assert int(compressed.headers["Content-Length"]) == len(gzip.compress(b'{"networks": []}'))
    assert head.status_code == 200 and head.content == b""
    assert head.headers["Content-Length"] == direct_head.headers["Content-Length"] != "0"


def test_a_write_is_on_disk_before_neutron_sees_it_and_its_answer_is_logged(capture, upstream):
    body = {"network": {"name": "net1", "admin_state_up": True}}
    answer = httpx.post(f"{capture.url}/v2.0/networks", json=body, headers={"X-Auth-Token": "tok"})
    assert answer.status_code == 201
    assert upstream.received[0].logged_state == "pending"
    assert json.loads(upstream.received[0].body) == body
    [entry] = WriteLog(capture.log.path.parent, readonly=True).entries()
    assert entry["seq"] == 1 and entry["state"] == "committed" and entry["status"] == 201
    assert entry["method"] == "POST" and entry["path"] == "/v2.0/networks"
    assert entry["body"] == body
    assert entry["response"] == answer.json() and entry["response"]["network"]["id"]
    assert entry["request_id"] == answer.headers["X-Openstack-Request-Id"]
    assert entry["headers"]["X-Auth-Token"] == "***"
    captured = [event for event in capture.events if isinstance(event, WriteCaptured)]
    assert [(e.seq, e.status, e.state) for e in captured] == [(1, 201, "committed")]


def test_every_write_method_is_logged_with_its_outcome(capture):
    with httpx.Client(base_url=capture.url) as client:
        assert client.put("/v2.0/networks/n1", json={"network": {"name": "x"}}).status_code == 200
        assert client.patch("/v2.0/networks/n1", json={}).status_code == 200
        assert client.delete("/v2.0/networks/n1").status_code == 204
        conflict = client.delete("/v2.0/conflict/n1")
        assert conflict.status_code == 409 and conflict.json()["NeutronError"]["type"] == "NetworkInUse"
        assert client.post("/", json={}).status_code == 200  # not under /v2.0/: not a write
        assert client.post("/networking/v2.0/networks", json={"network": {}}).status_code == 200
    entries = capture.log.entries()
    assert [(e["seq"], e["method"], e["status"], e["state"]) for e in entries] == [
        (1, "PUT", 200, "committed"),
        (2, "PATCH", 200, "committed"),
        (3, "DELETE", 204, "committed"),
        (4, "DELETE", 409, "rejected"),
        (5, "POST", 200, "committed"),
    ]
    assert entries[3]["response"]["NeutronError"]["type"] == "NetworkInUse"


def test_neutron_down_is_a_502_and_the_write_is_logged_as_not_sent(state_dir):
    running = start_capture(state_dir, f"http://127.0.0.1:{free_port()}")  # nobody listens there
    try:
        read = httpx.get(f"{running.url}/v2.0/networks")
        write = httpx.post(f"{running.url}/v2.0/networks", json={"network": {}})
    finally:
        running.proxy.stop()
    for answer in (read, write):
        assert answer.status_code == 502
        assert answer.json()["NeutronError"]["type"] == "HTTPBadGateway"
    [entry] = running.log.entries()
    assert entry["state"] == "rejected" and entry["status"] == 502  # never reached Neutron
    assert "cannot connect to" in entry["error"]


def test_neutron_timing_out_on_a_write_cuts_the_connection_and_the_write_is_unknown(state_dir, upstream):
    """Directly, a client whose write Neutron never answers sees a connection error; so it does here,
    never a 504 it could take for Neutron's answer. A read gets the 504."""
    running = start_capture(state_dir, upstream.url, timeout=0.3)
    try:
        with pytest.raises(httpx.RemoteProtocolError):
            httpx.post(f"{running.url}/v2.0/hang", json={}, timeout=10)
        read = httpx.get(f"{running.url}/slow?seconds=2", timeout=10)
    finally:
        running.proxy.stop()
    assert read.status_code == 504
    assert read.json()["NeutronError"]["type"] == "HTTPGatewayTimeout"
    [entry] = running.log.entries()
    assert entry["state"] == "unknown" and entry["status"] == 0  # Neutron may have applied it; no answer given


def test_a_large_read_is_streamed(capture, upstream):
    size = 3 * 1024 * 1024
    with httpx.stream("GET", f"{capture.url}/big?size={size}") as answer:
        chunks = answer.iter_raw()
        first = next(chunks)  # arrives while the upstream is still holding back the rest
        assert first and not upstream.release.is_set()
        upstream.release.set()
        total = len(first) + sum(len(chunk) for chunk in chunks)
    assert total == size


def test_a_client_hanging_up_mid_stream_leaks_nothing(capture, upstream):
    fds = len(os.listdir("/proc/self/fd"))
    with socket.create_connection(("127.0.0.1", capture.proxy._port)) as conn:
        conn.sendall(b"GET /big?size=268435456 HTTP/1.1\r\nHost: x\r\n\r\n")  # more than socket buffers hold
        assert conn.recv(65536).startswith(b"HTTP/1.1 200")
    upstream.release.set()
    assert upstream.disconnected.wait(5)  # the proxy dropped its upstream connection too
    assert eventually(lambda: capture.proxy.counters.in_flight == 0)
    assert eventually(lambda: len(os.listdir("/proc/self/fd")) <= fds)


def test_a_client_hanging_up_mid_body_sends_and_logs_nothing(capture, upstream):
    with socket.create_connection(("127.0.0.1", capture.proxy._port)) as conn:
        conn.sendall(b"POST /v2.0/networks HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{\"network\":")
        time.sleep(0.1)
    assert eventually(lambda: capture.proxy.counters.in_flight == 0)
    assert upstream.received == [] and len(capture.log) == 0


def test_keep_alive_on_both_sides(capture, upstream):
    with httpx.Client(base_url=capture.url) as client:
        for _ in range(5):
            client.get("/v2.0/networks")
            client.post("/v2.0/networks", json={"network": {"name": "n"}})
    assert len({seen.peer for seen in upstream.received}) == 1


def test_tokens_and_passwords_never_reach_the_state_directory(capture, state_dir):
    token = "gAAAAABk-unique-token-5f1c2e"
    password = "unique-password-77d1"
    headers = {"X-Auth-Token": token, "Authorization": f"Bearer {token}", "X-Subject-Token": token}
    with httpx.Client(base_url=capture.url, headers=headers) as client:
        client.post("/v2.0/networks", json={"network": {"name": "n", "admin_password": password}})
        client.get(f"/v2.0/networks?name={token[:0]}")
        client.delete("/v2.0/conflict/1")
    capture.proxy.stop()
    capture.log.close()
    files = [path.read_bytes() for path in state_dir.rglob("*") if path.is_file()]
    found = [content for content in files if token.encode() in content or password.encode() in content]
    assert found == [] and len(WriteLog(state_dir, readonly=True).entries()) == 2


def test_the_state_directory_is_the_owners_only(capture, state_dir):
    httpx.post(f"{capture.url}/v2.0/networks", json={"network": {}})
    assert state_dir.stat().st_mode & 0o077 == 0
    assert all(path.stat().st_mode & 0o077 == 0 for path in state_dir.iterdir())


def test_fail_closed_when_the_log_cannot_be_synced(state_dir, upstream):
    state_dir.mkdir(mode=0o700)
    (state_dir / "writes.db").symlink_to("/dev/null")  # the kernel refuses fsync on it
    running = start_capture(state_dir, upstream.url)
    try:
        write = httpx.post(f"{running.url}/v2.0/networks", json={"network": {}})
        read = httpx.get(f"{running.url}/v2.0/networks")
        later = httpx.delete(f"{running.url}/v2.0/networks/n1")
    finally:
        running.proxy.stop()
        running.log.close()  # releases its lock on /dev/null
    assert write.status_code == 503 and later.status_code == 503
    assert write.json()["NeutronError"]["type"] == "HTTPServiceUnavailable"
    assert "not sent to Neutron" in write.json()["NeutronError"]["message"]
    assert read.status_code == 200
    assert [seen.method for seen in upstream.received] == ["GET"]
    assert running.proxy.counters.refused == 2


def test_stats_are_published_as_events(capture):
    with httpx.Client(base_url=capture.url) as client:
        client.get("/v2.0/networks")
        client.post("/v2.0/networks", json={"network": {}})
    assert eventually(lambda: any(isinstance(e, ProxyStats) and e.requests == 2 for e in capture.events))
    stats = capture.proxy.stats()
    assert (stats.requests, stats.writes, stats.errors, stats.refused) == (2, 1, 0, 0)
    assert stats.bytes > 0 and 0 < stats.latency_p50_ms <= stats.latency_p99_ms


def test_fifty_concurrent_writers_get_distinct_gap_free_sequence_numbers(state_dir, upstream):
    def writer(n: int) -> None:
        with httpx.Client(base_url=capture.url, timeout=30) as client:
            for i in range(4):
                assert client.post("/v2.0/networks", json={"network": {"name": f"w{n}-{i}"}}).status_code == 201

    # the default upstream timeout, not the fixture's 2 s: 200 fsync'd writes on a loaded machine
    with captures_in([state_dir], upstream.url) as (capture,):
        threads = [threading.Thread(target=writer, args=(n,)) for n in range(50)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        entries = capture.log.entries()
        assert [entry["seq"] for entry in entries] == list(range(1, 201))
        assert {entry["body"]["network"]["name"] for entry in entries} == \
            {f"w{n}-{i}" for n in range(50) for i in range(4)}
        assert all(entry["state"] == "committed" for entry in entries)
        assert capture.proxy._serving.commit.fsyncs < 400  # concurrent requests shared fsyncs


def test_stop_with_a_write_in_flight_is_clean(state_dir, upstream):
    running = start_capture(state_dir, upstream.url, timeout=30)
    client = threading.Thread(
        target=lambda: _ignore_errors(lambda: httpx.post(f"{running.url}/v2.0/hang", json={}, timeout=10))
    )
    client.start()
    assert eventually(lambda: running.proxy.counters.in_flight == 1)
    running.proxy.stop()
    assert running.proxy._thread is None and not any(t.name == "capture-proxy" for t in threading.enumerate())
    [entry] = running.log.entries()
    assert entry["state"] == "unknown" and "stopped" in entry["error"]
    with pytest.raises(ConnectionRefusedError):  # nothing listens any more
        socket.create_connection(("127.0.0.1", int(running.url.rsplit(":", 1)[1])))
    upstream.release.set()
    client.join(10)


def test_a_port_in_use_is_a_clear_error(state_dir, upstream):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proxy = CaptureProxy(ProxyConfig(upstream=upstream.url, listen=f"127.0.0.1:{port}"), WriteLog(state_dir))
        with pytest.raises(CaptureError, match=f"cannot listen on 127.0.0.1:{port}"):
            proxy.start()


def test_tls_on_both_sides_with_ca_verification(state_dir, make_tls):
    server_side, neutron_side = make_tls("proxy"), make_tls("neutron")
    neutron_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    neutron_tls.load_cert_chain(neutron_side.cert, neutron_side.key)
    neutron = Upstream(state_dir=state_dir, tls=neutron_tls)
    neutron.start()
    trusted = start_capture(
        state_dir,
        neutron.url,
        tls_cert=str(server_side.cert),
        tls_key=str(server_side.key),
        upstream_ca=str(neutron_side.ca),
    )
    try:
        assert trusted.url.startswith("https://")
        client_tls = ssl.create_default_context(cafile=str(server_side.ca))
        answer = httpx.post(f"{trusted.url}/v2.0/networks", json={"network": {}}, verify=client_tls)
        assert answer.status_code == 201
        assert neutron.received[0].headers["X-Forwarded-Proto"] == "https"
    finally:
        trusted.proxy.stop()
        trusted.log.close()
    untrusting = start_capture(state_dir, neutron.url, upstream_ca=str(server_side.ca))  # the wrong CA
    try:
        refused = httpx.post(f"{untrusting.url}/v2.0/networks", json={"network": {}})
    finally:
        untrusting.proxy.stop()
        neutron.stop()
    assert refused.status_code == 502 and "Certificate" in refused.json()["NeutronError"]["message"]
    assert untrusting.log.entries()[-1]["state"] == "rejected"
    assert len(neutron.received) == 1



def _ignore_errors(call) -> None:
    with contextlib.suppress(httpx.HTTPError):
        call()


def test_a_204_with_content_length_and_connection_close_passes_as_sent(state_dir):
    """As uWSGI or eventlet answer a DELETE: the length, and the close, reach the client unchanged."""
    answer = (b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nX-Openstack-Request-Id: req-1\r\n"
              b"Connection: close\r\n\r\n")
    with socket.create_server(("127.0.0.1", 0)) as server:
        def serve() -> None:
            conn, _ = server.accept()
            with conn:
                conn.recv(65536)
                conn.sendall(answer)
        threading.Thread(target=serve, daemon=True).start()
        running = start_capture(state_dir, f"http://127.0.0.1:{server.getsockname()[1]}")
        try:
            with socket.create_connection(("127.0.0.1", running.proxy._port), timeout=10) as conn:
                conn.sendall(b"DELETE /v2.0/networks/n1 HTTP/1.1\r\nHost: neutron\r\n\r\n")
                received = b""
                while chunk := conn.recv(65536):  # the proxy closes the connection, as Neutron did
                    received += chunk
        finally:
            running.proxy.stop()
    assert received == answer


@pytest.mark.parametrize("request_line", [
    b"POST http://neutron/v2.0/networks HTTP/1.1",  # curl -x PROXY: absolute form
    b"GET http://neutron/v2.0/networks HTTP/1.1",
    b"CONNECT neutron:443 HTTP/1.1",
    b"OPTIONS * HTTP/1.1",
])
def test_a_request_not_for_a_path_is_a_400_and_leaves_no_entry(capture, upstream, request_line):
    with socket.create_connection(("127.0.0.1", capture.proxy._port), timeout=10) as conn:
        conn.sendall(request_line + b"\r\nHost: neutron\r\nContent-Length: 2\r\n\r\n{}")
        answer = conn.recv(65536)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 ")
    length = int(re.search(rb"Content-Length: (\d+)", head).group(1))
    assert json.loads(body[:length])["NeutronError"]["type"] == "HTTPBadRequest"
    assert len(capture.log) == 0 and upstream.received == []


def test_the_client_gets_neutrons_answer_without_waiting_for_its_fsync(state_dir, upstream, monkeypatch):
    """One fsync on the client's path (the pending entry's); the answer's fsync follows."""
    real = os.fdatasync
    calls, release = [], threading.Event()

    def fsync(fd: int) -> None:
        calls.append(fd)
        if len(calls) > 1:  # the answer's fsync: held until the client has its answer
            release.wait(10)
        real(fd)

    monkeypatch.setattr("wizard.core.tinylog.os.fdatasync", fsync)
    running = start_capture(state_dir, upstream.url)
    try:
        answer = httpx.post(f"{running.url}/v2.0/networks", json={"network": {"name": "n1"}}, timeout=5)
        assert answer.status_code == 201 and not release.is_set()  # the answer's fsync is held, or not begun
        release.set()
    finally:
        release.set()
        running.proxy.stop()
    [entry] = WriteLog(state_dir, readonly=True).entries()
    assert entry["state"] == "committed" and entry["response"] == answer.json()
