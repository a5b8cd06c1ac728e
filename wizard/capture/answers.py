"""The capture proxy's own answers, shaped like Neutron's errors for clients that parse them."""

from __future__ import annotations

import json
from http import HTTPStatus

from wizard.capture.connections import RETRY_AFTER_SECONDS
from wizard.capture.server import Response

JSON = [(b"Content-Type", b"application/json")]


def error_body(kind: str, message: str) -> bytes:
    """Neutron's error body: {"NeutronError": {"type", "message", "detail"}}."""
    return json.dumps({"NeutronError": {"type": kind, "message": message, "detail": ""}}).encode()


def neutron_error(status: int, message: str, *, retry_after: int | None = None, close: bool = False) -> Response:
    """Neutron's error answer; its type is webob's name for the status (HTTPServiceUnavailable...)."""
    kind = "HTTP" + HTTPStatus(status).phrase.replace(" ", "").replace("-", "")
    headers = JSON if retry_after is None else [*JSON, (b"Retry-After", b"%d" % retry_after)]
    return Response(status, headers, error_body(kind, message), close=close)


def too_large(limit: int) -> Response:
    """oslo.middleware's 413 (webob's JSON rendering; oslo leaves its `%s` unfilled, here the limit is given)."""
    body = {
        "message": f"Request is too large. Larger than max_request_body_size ({limit}).<br /><br />\n\n\n",
        "code": "413 Request Entity Too Large",
        "title": "Request Entity Too Large",
    }
    return Response(413, JSON, json.dumps(body).encode(), close=True)


class NeutronRefusals:
    """The answers the proxy's server gives by itself (server.Refusals), as Neutron's errors."""

    def malformed(self, error: str) -> Response:
        return neutron_error(400, f"Malformed request: {' '.join(error.split())}", close=True)

    def head_late(self, seconds: float) -> Response:
        return neutron_error(408, f"The request's head did not arrive within {seconds:g}s.", close=True)

    def body_late(self, seconds: float) -> Response:
        return neutron_error(408, f"The request's body did not arrive within {seconds:g}s; it was not sent to Neutron.",
                             close=True)

    def over_cap(self, max_connections: int) -> Response:
        return neutron_error(503, f"The migration's capture proxy has {max_connections} connections open, its "
                             "limit; this request was not sent to Neutron. Retry later.",
                             retry_after=RETRY_AFTER_SECONDS, close=True)

    def too_large(self, limit: int) -> Response:
        return too_large(limit)
