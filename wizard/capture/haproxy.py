"""The HAProxy backend that sends the cloud's Neutron frontend to the captures.

A production Neutron runs several API nodes behind HAProxy. With one capture per API node
(each forwarding to its own neutron-server), the backend HAProxy already has for Neutron is
replaced by one that balances over the captures and health-checks each: a capture that stops
answering is taken out after `fall` failed checks, and a request that could not connect to it
is sent to another (`option redispatch`, `retry-on conn-failure`: it never reached a capture,
so it was neither logged nor applied).

`fail_open` decides what happens when every capture is down. Fail open: Neutron's own servers
stay in the backend as `backup`, so the network API stays up and writes bypass the captures
(verify finds them and repair carries them to Alcor). The backups are not health-checked: the
backend's check asks for the captures' health path, which Neutron answers 404. Fail closed: no backup; the network API
answers 503 until a capture is back, and no write escapes the log.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from wizard.capture.health import HEALTH_PATH
from wizard.core.errors import InputError

_NAME = re.compile(r"^[A-Za-z0-9_.:-]+$")  # what HAProxy takes as a proxy or server name


@dataclass(frozen=True)
class Server:
    """One server line: a name HAProxy shows, and where it listens (HOST:PORT)."""

    name: str
    address: str


@dataclass(frozen=True)
class Checks:
    """How HAProxy decides a capture is up: an HTTP request every `interval_ms`, `fall` failures
    in a row take it out, `rise` successes bring it back."""

    path: str = HEALTH_PATH
    interval_ms: int = 1000
    fall: int = 2
    rise: int = 2


def backend(name: str, captures: Sequence[Server], neutron: Sequence[Server], *, fail_open: bool,
            checks: Checks = Checks()) -> str:
    """The `backend` section: the captures in rotation, Neutron's servers as backups if `fail_open`."""
    if not captures:
        raise InputError(f"haproxy backend {name}: no capture to send Neutron's traffic to")
    if fail_open and not neutron:
        raise InputError(f"haproxy backend {name}: failing open needs Neutron's own servers as backups")
    for server in (*captures, *neutron):
        if not _NAME.match(server.name) or not re.match(r"^\S+:\d+$", server.address):
            raise InputError(f"haproxy backend {name}: server {server.name!r} at {server.address!r} is not "
                             "NAME HOST:PORT")
    lines = [
        f"backend {name}",
        "    balance roundrobin",
        f"    option httpchk GET {checks.path}",
        "    http-check expect status 200",
        "    option redispatch",
        "    retries 3",
        "    retry-on conn-failure",
        f"    default-server inter {checks.interval_ms}ms fall {checks.fall} rise {checks.rise}",
    ]
    lines += [f"    server {server.name} {server.address} check" for server in captures]
    if fail_open:
        lines += [f"    server {server.name} {server.address} backup" for server in neutron]
    return "\n".join(lines) + "\n"
