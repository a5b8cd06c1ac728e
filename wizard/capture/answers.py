"""The capture proxy's own answers, shaped like Neutron's errors for clients that parse them."""

from __future__ import annotations

import json
from http import HTTPStatus

from aiohttp import web


def error_body(kind: str, message: str) -> bytes:
    """Neutron's error body: {"NeutronError": {"type", "message", "detail"}}."""
    return json.dumps({"NeutronError": {"type": kind, "message": message, "detail": ""}}).encode()


def neutron_error(status: int, kind: str, message: str) -> web.Response:
    return web.Response(status=status, body=error_body(kind, message), content_type="application/json")


def closing_answer(status: int, kind: str, message: str) -> bytes:
    """A whole HTTP/1.1 answer that closes the connection, for writing straight to a transport
    where no request object exists (a request head that never completed)."""
    body = error_body(kind, message)
    head = (f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n")
    return head.encode() + body
