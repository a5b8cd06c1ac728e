"""The capture's health check, served on its main listen address for HAProxy's `option httpchk`.

`GET /.alcor-migrate/health` (or HEAD) is answered by the capture itself: never forwarded to
Neutron, never logged, and not counted in the capture's requests. It is 200 only while the write
log can take writes, so a load balancer sends writes only to a capture that can log them:

    200 {"capture": NAME, "requests": N, "writes": N, "last_seq": SEQ}
    503 {"capture": NAME, "requests": N, "writes": N, "last_seq": SEQ, "error": REASON}

Unhealthy while an fsync of the log failed (it refuses every write until it is reopened, which
the capture tries once a second) or while outcomes wait to be logged (unlogged.py: the disk is
full or failing), and while the capture is stopping.
"""

from __future__ import annotations

import json

from wizard.capture.server import Response
from wizard.capture.stats import ProxyCounters
from wizard.capture.writelog import WriteLog

HEALTH_PATH = "/.alcor-migrate/health"


def unhealthy_reason(log: WriteLog, unlogged: int, stopping: bool) -> str | None:
    """Why the capture cannot take writes now, or None if it can."""
    if stopping:
        return "the capture is stopping"
    if log.failed:
        return f"write log {log.path}: an fsync failed; writes are refused until it is reopened"
    if unlogged:
        return f"write log {log.path}: {unlogged} outcome(s) wait to be logged (disk full or failing?)"
    return None


def health_answer(name: str, counters: ProxyCounters, log: WriteLog, unlogged: int, stopping: bool) -> Response:
    body: dict[str, object] = {"capture": name, "requests": counters.requests, "writes": counters.writes,
                               "last_seq": log.head}
    reason = unhealthy_reason(log, unlogged, stopping)
    if reason is not None:
        body["error"] = reason
    return Response(503 if reason else 200, [(b"Content-Type", b"application/json"), (b"Cache-Control", b"no-store")],
                    json.dumps(body).encode())
