"""The capture proxy's connections over real sockets on loopback: a head or a body that does not
arrive in time gets 408 and is closed, past the cap a connection gets 503, and the open-file limit
is raised so that more connections than systemd's default 1,024 fit."""

from __future__ import annotations

import contextlib
import json
import re
import resource
import socket
import ssl
import subprocess
import sys
import time

import httpx
import pytest

from tests.capture.conftest import start_capture
from wizard import plan as plan_module
from wizard.capture.config import ProxyConfig
from wizard.capture.connections import ConnectionLimits
from wizard.core.errors import InputError

LIMIT = 0.5  # seconds, both timeouts
GIVE_UP = 10.0  # how long a test waits for an answer it expects long before


@pytest.fixture
def guarded(state_dir, upstream):
    running = start_capture(state_dir, upstream.url,
                            connections=ConnectionLimits(header_timeout=LIMIT, body_timeout=LIMIT, max_connections=3))
    yield running
    running.proxy.stop()
    running.log.close()


def connect(capture) -> socket.socket:
    conn = socket.create_connection(("127.0.0.1", capture.proxy._port))
    conn.settimeout(GIVE_UP)
    return conn


def read_answer(conn: socket.socket) -> tuple[bytes, bool]:
    """All the connection gives until it closes or stays silent for GIVE_UP: (bytes, closed)."""
    received = b""
    while True:
        try:
            chunk = conn.recv(65536)
        except TimeoutError:
            return received, False
        if not chunk:
            return received, True
        received += chunk


def get(conn: socket.socket, path: str = "/v2.0/networks") -> bytes:
    """One keep-alive GET on a raw connection; the answer's head and body."""
    conn.sendall(f"GET {path} HTTP/1.1\r\nHost: neutron\r\n\r\n".encode())
    received = b""
    while b"\r\n\r\n" not in received:
        received += conn.recv(65536)
    head, _, body = received.partition(b"\r\n\r\n")
    length = int(re.search(rb"(?i)content-length: (\d+)", head).group(1))
    while len(body) < length:
        body += conn.recv(65536)
    return head + b"\r\n\r\n" + body


def neutron_error(answer: bytes) -> dict:
    return json.loads(answer.partition(b"\r\n\r\n")[2])["NeutronError"]


def test_a_head_that_trickles_in_gets_408_at_the_header_timeout_while_others_are_served(guarded):
    with httpx.Client(base_url=guarded.url) as client:
        assert client.get("/v2.0/networks").status_code == 200  # connected before the slow one
        slow = connect(guarded)
        slow.sendall(b"GET /v2.0/networks HTTP/1.1\r\nHost: neutron\r\n")
        started = time.monotonic()
        slow.settimeout(0.1)
        answer = b""
        served = 0
        while not answer and time.monotonic() - started < GIVE_UP:
            slow.sendall(b"X-Slow: 1\r\n")  # a header line at a time, never the blank line
            served += client.get("/v2.0/networks").status_code == 200
            with contextlib.suppress(TimeoutError):
                answer = slow.recv(65536)
    slow.settimeout(GIVE_UP)
    rest, closed = read_answer(slow)
    assert answer.startswith(b"HTTP/1.1 408 Request Timeout\r\n"), answer
    assert b"\r\nConnection: close\r\n" in answer and closed
    assert neutron_error(answer + rest)["type"] == "HTTPRequestTimeout"
    assert time.monotonic() - started < LIMIT + 3
    assert served >= 1  # another client was served while this one trickled


def test_over_tls_a_stalled_body_gets_408_too(state_dir, upstream, make_tls):
    proxy_tls = make_tls("proxy")
    capture = start_capture(state_dir, upstream.url, tls_cert=str(proxy_tls.cert), tls_key=str(proxy_tls.key),
                            connections=ConnectionLimits(body_timeout=LIMIT))
    try:
        client_tls = ssl.create_default_context(cafile=str(proxy_tls.ca))
        stalled = client_tls.wrap_socket(connect(capture), server_hostname="127.0.0.1")
        stalled.sendall(b"PUT /v2.0/networks/n1 HTTP/1.1\r\nHost: neutron\r\nContent-Length: 50\r\n\r\n{")
        answer, closed = read_answer(stalled)
        assert answer.startswith(b"HTTP/1.1 408 Request Timeout\r\n") and closed, answer
        assert len(capture.log) == 0 and upstream.received == []
    finally:
        capture.proxy.stop()
        capture.log.close()


def test_a_connection_that_sends_nothing_is_closed_at_the_header_timeout_without_an_answer(guarded):
    silent = connect(guarded)
    started = time.monotonic()
    assert read_answer(silent) == (b"", True)
    assert time.monotonic() - started < LIMIT + 3


def test_a_stalled_body_gets_408_at_the_body_timeout_and_is_neither_logged_nor_sent(guarded, upstream):
    stalled = connect(guarded)
    stalled.sendall(b"POST /v2.0/networks HTTP/1.1\r\nHost: neutron\r\nContent-Type: application/json\r\n"
                    b"Content-Length: 100\r\n\r\n{\"network\": {")
    started = time.monotonic()
    with httpx.Client(base_url=guarded.url) as client:
        created = client.post("/v2.0/networks", json={"network": {"name": "meanwhile"}})
    answer, closed = read_answer(stalled)
    assert created.status_code == 201
    assert answer.startswith(b"HTTP/1.1 408 Request Timeout\r\n") and closed, answer
    assert "not sent to Neutron" in neutron_error(answer)["message"]
    assert time.monotonic() - started < LIMIT + 3
    assert [entry["body"] for entry in guarded.log.entries()] == [{"network": {"name": "meanwhile"}}]
    assert [seen.path for seen in upstream.received] == ["/v2.0/networks"]  # the one that came whole


def test_a_body_that_arrives_in_time_on_a_kept_alive_connection_is_not_cut(guarded):
    conn = connect(guarded)
    for _ in range(3):
        body = b'{"network": {"name": "slowly"}}'
        conn.sendall(b"POST /v2.0/networks HTTP/1.1\r\nHost: neutron\r\nContent-Type: application/json\r\n"
                     b"Content-Length: %d\r\n\r\n" % len(body))
        time.sleep(LIMIT * 0.6)
        conn.sendall(body)
        answer = conn.recv(65536)
        assert answer.startswith(b"HTTP/1.1 201"), answer
        time.sleep(LIMIT * 0.6)  # idle between requests: the keep-alive timeout's, not the head's
    assert len(guarded.log.entries()) == 3


def test_past_the_cap_a_connection_gets_503_with_retry_after_while_the_open_ones_keep_working(guarded):
    held = [connect(guarded) for _ in range(3)]
    for conn in held:
        assert get(conn).startswith(b"HTTP/1.1 200")
    extra = connect(guarded)
    extra.sendall(b"GET /v2.0/networks HTTP/1.1\r\nHost: neutron\r\n\r\n")
    answer, closed = read_answer(extra)
    head = answer.partition(b"\r\n\r\n")[0].decode()
    assert head.startswith("HTTP/1.1 503 Service Unavailable") and closed, answer
    assert "Retry-After: 1" in head and "Connection: close" in head
    assert neutron_error(answer)["type"] == "HTTPServiceUnavailable"
    for conn in held:
        assert get(conn).startswith(b"HTTP/1.1 200")
    held.pop().close()
    time.sleep(0.2)  # the proxy sees the close
    assert get(connect(guarded)).startswith(b"HTTP/1.1 200")
    assert guarded.proxy.connections.refused == 1


def test_the_plan_sets_the_limits_and_refuses_bad_ones(tmp_path):
    plan = tmp_path / "plan.yaml"
    where = "version: 1\nneutron: {url: 'http://neutron:9696', auth: none}\nalcor: {url: 'http://alcor:9009'}\n"
    plan.write_text(where + "capture:\n  header_timeout: 10s\n  body_timeout: 2m\n  max_connections: 500\n")
    config = ProxyConfig.from_plan(plan_module.load(plan), "http://neutron:9696")
    assert config.connections == ConnectionLimits(header_timeout=10, body_timeout=120, max_connections=500)
    plan.write_text(where + "capture:\n  max_connections: 0\n")
    with pytest.raises(InputError, match=r"plan.yaml:5:20: capture.max_connections: must be at least 1"):
        plan_module.load(plan)


# -- the open-file limit: `alcor-migrate capture` under systemd's default soft limit ------------------
SOFT = 1024
HELD = 1100


def lowered_soft_limit() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (SOFT, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))


def test_the_capture_raises_its_open_file_limit_so_1100_held_connections_cut_no_one_off(upstream, tmp_path):
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    assert hard >= 2 * HELD + 100, "this test needs a hard open-file limit above its connections"
    process = subprocess.Popen(
        [sys.executable, "-m", "wizard", "capture", "--listen", "127.0.0.1:0", "--neutron-url", upstream.url,
         "--state-dir", str(tmp_path / "state")],
        stderr=subprocess.PIPE, text=True, preexec_fn=lowered_soft_limit)
    held: list[socket.socket] = []
    try:
        first = process.stderr.readline()
        found = re.match(r"capture: http://127\.0\.0\.1:(\d+) -> ", first)
        assert found, first
        port = int(found.group(1))
        for _ in range(HELD):
            held.append(socket.create_connection(("127.0.0.1", port)))
        answer = httpx.get(f"http://127.0.0.1:{port}/v2.0/networks", timeout=GIVE_UP)
        assert answer.status_code == 200
        assert f"open-file limit {hard}, raised from {SOFT}" in first
        with open(f"/proc/{process.pid}/limits") as limits:
            assert re.search(rf"Max open files\s+{hard}\s+{hard}\s", limits.read())
    finally:
        for conn in held:
            conn.close()
        process.terminate()
        process.communicate(timeout=GIVE_UP)
