"""The capture proxy's connections: their read timeouts, a cap on how many are open, and the
open-file limit raised to make room for them.

- Header timeout: from the connection's start, or from the first byte of a later request on a
  kept-alive connection, to a complete request head. A head that trickles in past it gets 408
  Request Timeout and the connection is closed; a connection that sent nothing is just closed
  (an idle kept-alive connection is the keep-alive timeout's).
- Body timeout: from a complete head to the whole body. A stalled body gets 408 and the
  connection is closed; the request never reaches the proxy's handler whole, so it is never
  logged and never sent to Neutron.
- Cap: past `max_connections` open at once (or half the open-file limit, if lower: the other
  half is for Neutron's connections, the write log and these answers), a new connection's
  request gets 503 with Retry-After and `Connection: close` instead of a reset.

A timeout of 0 is none. server.py applies them; this module holds them and counts connections.
"""

from __future__ import annotations

import contextlib
import resource
from dataclasses import dataclass

RETRY_AFTER_SECONDS = 1  # past the cap: connections come and go fast, so try again soon


@dataclass(frozen=True)
class ConnectionLimits:
    header_timeout: float = 30.0
    body_timeout: float = 60.0
    max_connections: int = 10_000


def raise_open_files() -> tuple[int, int]:
    """Raise this process's soft open-file limit to its hard limit: (before, after)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft != hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return soft, resource.getrlimit(resource.RLIMIT_NOFILE)[0]


class ConnectionCap:
    """How many connections may be open at once, and how many are (`admit`, `leave`)."""

    def __init__(self, limits: ConnectionLimits, open_files: tuple[int, int]):
        self.limits = limits
        self.open_files = open_files  # the soft limit (before, after raising it)
        room = limits.max_connections if open_files[1] == resource.RLIM_INFINITY else open_files[1] // 2
        self.max_connections = max(1, min(limits.max_connections, room))
        self.admitted = 0  # connections open and served
        self.refused = 0  # connections answered 503 for being past the cap

    def describe(self) -> str:
        """The limits in force, for the operator."""
        before, after = self.open_files
        raised = f", raised from {before}" if after != before else ""
        limits = self.limits
        return (f"at most {self.max_connections} connections (open-file limit {after}{raised}); "
                f"header timeout {limits.header_timeout:g}s, body timeout {limits.body_timeout:g}s")

    def admit(self) -> bool:
        """Count a new connection in, if the cap allows."""
        if self.admitted >= self.max_connections:
            self.refused += 1
            return False
        self.admitted += 1
        return True

    def leave(self) -> None:
        """An admitted connection closed."""
        self.admitted -= 1
