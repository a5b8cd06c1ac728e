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


def too_large(limit: int) -> web.HTTPRequestEntityTooLarge:
    """oslo.middleware's 413 (webob's JSON rendering; oslo leaves its `%s` unfilled, here the limit is given)."""
    body = {
        "message": f"Request is too large. Larger than max_request_body_size ({limit}).<br /><br />\n\n\n",
        "code": "413 Request Entity Too Large",
        "title": "Request Entity Too Large",
    }
    refusal = web.HTTPRequestEntityTooLarge(limit, text=json.dumps(body), content_type="application/json")
    refusal.charset = None  # webob sends a bare application/json
    return refusal
