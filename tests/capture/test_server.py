"""The capture's own HTTP server (server.py), spoken to byte by byte: pipelining, Expect: 100-continue,
HTTP/1.0, and an answer streamed to a client that reads slowly."""

from __future__ import annotations

import contextlib
import json
import re
import socket
import time

GIVE_UP = 10.0


def connect(capture) -> socket.socket:
    conn = socket.create_connection(("127.0.0.1", capture.proxy._port))
    conn.settimeout(GIVE_UP)
    return conn


def read_answers(conn: socket.socket, count: int) -> list[tuple[bytes, bytes]]:
    """`count` answers framed by Content-Length (none: no body), in the order they come: [(head, body)]."""
    received = b""
    answers = []
    while len(answers) < count:
        while b"\r\n\r\n" not in received:
            chunk = conn.recv(65536)
            assert chunk, f"closed after {len(answers)} answers"
            received += chunk
        head, _, rest = received.partition(b"\r\n\r\n")
        found = re.search(rb"(?i)content-length: (\d+)", head)
        length = int(found.group(1)) if found else 0
        while len(rest) < length:
            rest += conn.recv(65536)
        answers.append((head, rest[:length]))
        received = rest[length:]
    return answers


def test_pipelined_requests_are_answered_in_order_and_writes_logged_in_order(capture, upstream):
    body = b'{"network": {"name": "piped"}}'
    requests = [b"GET /v2.0/networks?n=1 HTTP/1.1\r\nHost: neutron\r\n\r\n",
                b"POST /v2.0/networks HTTP/1.1\r\nHost: neutron\r\nContent-Type: application/json\r\n"
                b"Content-Length: %d\r\n\r\n%s" % (len(body), body),
                b"GET /v2.0/networks?n=3 HTTP/1.1\r\nHost: neutron\r\n\r\n",
                b"DELETE /v2.0/networks/n4 HTTP/1.1\r\nHost: neutron\r\n\r\n",
                b"GET /v2.0/networks?n=5 HTTP/1.1\r\nHost: neutron\r\n\r\n"]
    with connect(capture) as conn:
        conn.sendall(b"".join(requests))  # all at once, before any answer
        answers = read_answers(conn, 5)
    statuses = [head.split(b" ")[1] for head, _ in answers]
    assert statuses == [b"200", b"201", b"200", b"204", b"200"]
    assert [json.loads(answers[n][1])["query"] for n in (0, 2, 4)] == ["n=1", "n=3", "n=5"]
    assert json.loads(answers[1][1])["network"]["name"] == "piped"
    assert [(seen.method, seen.query) for seen in upstream.received] == [
        ("GET", "n=1"), ("POST", ""), ("GET", "n=3"), ("DELETE", ""), ("GET", "n=5")]
    assert [entry["method"] for entry in capture.log.entries()] == ["POST", "DELETE"]


def test_expect_100_continue_gets_its_100_before_the_body_is_sent(capture, upstream):
    body = b'{"network": {"name": "expected"}}'
    with connect(capture) as conn:
        conn.sendall(b"POST /v2.0/networks HTTP/1.1\r\nHost: neutron\r\nContent-Type: application/json\r\n"
                     b"Expect: 100-continue\r\nContent-Length: %d\r\n\r\n" % len(body))
        assert conn.recv(65536) == b"HTTP/1.1 100 Continue\r\n\r\n"  # the body is not sent yet
        conn.sendall(body)
        [(head, answer)] = read_answers(conn, 1)
    assert head.startswith(b"HTTP/1.1 201") and json.loads(answer)["network"]["name"] == "expected"
    assert b"expect" not in b"".join(name.lower().encode() for name in upstream.received[0].headers)


def test_expect_100_continue_over_the_limit_gets_the_413_at_once_and_nothing_is_logged(capture, upstream):
    with connect(capture) as conn:
        conn.sendall(b"POST /v2.0/networks HTTP/1.1\r\nHost: neutron\r\nExpect: 100-continue\r\n"
                     b"Content-Length: 10000000\r\n\r\n")
        [(head, answer)] = read_answers(conn, 1)
    assert head.startswith(b"HTTP/1.1 413 ") and b"Connection: close" in head
    assert json.loads(answer)["title"] == "Request Entity Too Large"
    assert upstream.received == [] and len(capture.log) == 0


def test_an_http_1_0_client_gets_its_answer_and_the_connection_closes(capture):
    with connect(capture) as conn:
        conn.sendall(b"GET /v2.0/networks HTTP/1.0\r\n\r\n")
        received = b""
        while chunk := conn.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.split(b"\r\n")[0].endswith(b" 200 OK")  # and then the close, which ended the loop
    assert json.loads(body)["networks"] == []


def test_a_streamed_answer_waits_for_a_slow_reader_and_arrives_whole(capture, upstream):
    """Back-pressure: the proxy holds no more of a big answer than the socket buffers and its
    read-ahead take while the client does not read; the answer then arrives whole, chunked."""
    size = 32 * 1024 * 1024
    upstream.release.set()
    with connect(capture) as conn:
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        conn.sendall(b"GET /big?size=%d HTTP/1.1\r\nHost: neutron\r\n\r\n" % size)
        time.sleep(1.0)  # not reading: the proxy must stop reading from the upstream meanwhile
        held = capture.proxy.counters.bytes  # what the proxy took from the upstream without the client reading
        received = bytearray()
        while not received.endswith(b"\r\n0\r\n\r\n"):
            received += conn.recv(1 << 20)
    assert held < size // 4, held
    head, _, chunked = bytes(received).partition(b"\r\n\r\n")
    assert b"Transfer-Encoding: chunked" in head
    total, at = 0, 0
    while length := int(chunked[at:chunked.index(b"\r\n", at)], 16):
        at = chunked.index(b"\r\n", at) + 2 + length + 2
        total += length
    assert total == size


def test_a_head_larger_than_64_kib_is_a_400_and_the_connection_closes(capture, upstream):
    with connect(capture) as conn:
        conn.sendall(b"GET /v2.0/networks HTTP/1.1\r\nHost: neutron\r\n")
        with contextlib.suppress(ConnectionError):  # the proxy may close before all of it is sent
            for n in range(100):
                conn.sendall(b"X-Filler-%d: %s\r\n" % (n, b"f" * 1000))
        received = b""
        with contextlib.suppress(ConnectionError):
            while chunk := conn.recv(65536):
                received += chunk
    assert received.startswith(b"HTTP/1.1 400 Bad Request\r\n"), received[:200]
    assert "larger than 65536 bytes" in json.loads(received.partition(b"\r\n\r\n")[2])["NeutronError"]["message"]
    assert upstream.received == []


def test_a_client_that_stops_sending_after_its_request_still_gets_the_answer(capture):
    with connect(capture) as conn:
        conn.sendall(b"GET /slow?seconds=0.3 HTTP/1.1\r\nHost: neutron\r\n\r\n")
        conn.shutdown(socket.SHUT_WR)  # as `nc -N` does
        received = b""
        while chunk := conn.recv(65536):
            received += chunk
    assert received.startswith(b"HTTP/1.1 200 OK\r\n") and b"Connection: close" in received
