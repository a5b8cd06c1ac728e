"""The proxy's connections to Neutron (upstream.py), against a raw-socket Neutron that counts its
connections and frames its answers in each way HTTP/1.1 allows."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from tests.capture.conftest import start_capture

LISTED = b'{"networks": []}'
KEPT = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 16\r\n\r\n" + LISTED


class RawNeutron:
    """Answers each request with `answer(method)`; closes the connection after it if `close_after`."""

    def __init__(self, answer: Callable[[str], bytes], close_after: bool = False):
        self.answer = answer
        self.close_after = close_after
        self.connections = 0
        self.methods: list[str] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            pending = b""
            while True:
                while b"\r\n\r\n" not in pending:
                    data = conn.recv(65536)
                    if not data:
                        return
                    pending += data
                head, _, pending = pending.partition(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                length = next((int(line.split(":", 1)[1]) for line in lines[1:]
                               if line.lower().startswith("content-length:")), 0)
                while len(pending) < length:
                    pending += conn.recv(65536)
                pending = pending[length:]
                method = lines[0].split()[0]
                self.methods.append(method)
                conn.sendall(self.answer(method))
                if self.close_after:
                    return

    def close(self) -> None:
        self._listener.close()


@pytest.fixture
def through(state_dir) -> Iterator[Callable[..., tuple[RawNeutron, str]]]:
    started = []

    def start(answer: Callable[[str], bytes], close_after: bool = False) -> tuple[RawNeutron, str]:
        neutron = RawNeutron(answer, close_after)
        capture = start_capture(state_dir, neutron.url)
        started.append((neutron, capture))
        return neutron, capture.url

    yield start
    for neutron, capture in started:
        capture.proxy.stop()
        capture.log.close()
        neutron.close()


def test_reads_writes_and_heads_share_one_kept_alive_connection(through):
    def answer(method: str) -> bytes:
        if method == "HEAD":  # a HEAD's answer names the length of a body it does not carry
            return b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 16\r\n\r\n"
        if method == "POST":
            return b"HTTP/1.1 201 Created\r\nContent-Length: 21\r\n\r\n" + b'{"network": {"a": 1}}'
        return KEPT

    neutron, url = through(answer)
    with httpx.Client(base_url=url) as client:
        statuses = [client.get("/v2.0/networks").status_code, client.head("/v2.0/networks").status_code,
                    client.post("/v2.0/networks", json={"network": {}}).status_code,
                    client.get("/v2.0/networks").json()]
    assert statuses == [200, 200, 201, {"networks": []}]
    assert neutron.methods == ["GET", "HEAD", "POST", "GET"]
    assert neutron.connections == 1


def test_an_answer_ended_by_closing_the_connection_passes_whole(through):
    body = b'{"networks": [' + b", ".join([b'{"id": "x"}'] * 5000) + b"]}"  # over the size that is streamed
    neutron, url = through(lambda method: b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n" + body,
                           close_after=True)
    first = httpx.get(f"{url}/v2.0/networks")
    second = httpx.get(f"{url}/v2.0/networks")
    assert first.status_code == second.status_code == 200
    assert first.content == second.content == body
    assert neutron.connections == 2


def test_a_connection_neutron_closed_while_idle_is_not_reused(through):
    neutron, url = through(lambda method: KEPT, close_after=True)  # as Neutron's idle timeout would
    with httpx.Client(base_url=url) as client:
        answers = []
        for _ in range(3):
            answers.append(client.get("/v2.0/networks").status_code)
            time.sleep(0.2)
    assert answers == [200, 200, 200]
    assert neutron.connections == 3
