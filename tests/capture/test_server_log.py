"""A malformed request costs the proxy's output one line, not a traceback."""

from __future__ import annotations

import logging
import socket

import httpx

MALFORMED = [b"GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n",
             b"POST /v2.0/networks HTTP/1.1\r\nContent-Length: x\r\n\r\n",
             b"GET /\x00 HTTP/1.1\r\n\r\n", b"GET / HTTP/9.9\r\nHost: x\r\n\r\n"]


def _send(url: str, raw: bytes) -> bytes:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as conn:
        conn.sendall(raw)
        return conn.recv(4096)


def test_each_malformed_request_is_one_line_without_a_traceback(capture, caplog):
    with caplog.at_level(logging.DEBUG, logger="wizard.capture.server"):
        answers = [_send(capture.url, raw) for raw in MALFORMED]
    assert all(answer.split(b"\r\n")[0].endswith(b" 400 Bad Request") for answer in answers), answers
    records = [record for record in caplog.records if record.name == "wizard.capture.server"]
    assert len(records) >= len(MALFORMED)
    for record in records:
        assert record.exc_info is None and "\n" not in record.getMessage(), record.getMessage()
        message = record.getMessage()
        assert message.startswith("Error handling request from 127.0.0.1: ") and "400" in message
    assert httpx.get(f"{capture.url}/v2.0/networks").status_code == 200  # and the proxy goes on
