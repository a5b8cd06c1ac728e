"""The kinds of values a plan key can hold (URL, duration, path, choice...) and their checks.

A schema field is declared with `setting(...)`, naming its kind; the same check runs on a
value read from a plan file and on a command-line override. A check returns the value
to store (a duration becomes seconds) or raises ValueError saying what is wrong.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from collections.abc import Callable
from dataclasses import MISSING, dataclass, field
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Kind:
    """What a key holds beyond its Python type: its name in the docs and its check."""

    name: str
    check: Callable[[Any], Any] = lambda value: value
    accepts: tuple[type, ...] | None = None  # raw YAML types taken instead of the field's type


def setting(doc: str, default: Any = MISSING, kind: Kind | None = None, *, factory: Any = MISSING,
        example: Any = None, keys: tuple[str, ...] | None = None) -> Any:
    """A plan key: its default, one-line doc, kind, example for the template, allowed map keys."""
    return field(default=default, default_factory=factory,
                 metadata={"doc": doc, "kind": kind, "example": example, "keys": keys})


def did_you_mean(word: str, known) -> str:
    close = difflib.get_close_matches(word, list(known), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _url(value: str) -> str:
    parts = urlsplit(value)
    try:
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise ValueError(f"not a URL: {value!r} has a bad port") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not a URL: {value!r} (expected http:// or https:// and a host)")
    return value


_DURATION = re.compile(r"(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?")


def parse_duration(value: Any) -> float:
    """Seconds from a number of seconds or a string such as `30s`, `10m`, `1h30m`, `1.5h`."""
    if isinstance(value, bool):
        raise ValueError(f"not a duration: {value!r}")
    if isinstance(value, (int, float)) or re.fullmatch(r"\d+(\.\d+)?", str(value).strip()):
        seconds = float(value)
    else:
        match = _DURATION.fullmatch(str(value).strip())
        if not match or not any(match.groups()):
            raise ValueError(f"not a duration: {value!r} (seconds, or e.g. 30s, 10m, 1h30m)")
        hours, minutes, secs = (float(group or 0) for group in match.groups())
        seconds = hours * 3600 + minutes * 60 + secs
    if seconds < 0:
        raise ValueError(f"not a duration: {value!r} is negative")
    return seconds


def one_of(*choices: str) -> Kind:
    def check(value: str) -> str:
        if value not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}; got {value!r}"
                             + did_you_mean(value, choices))
        return value

    return Kind(" | ".join(choices), check)


def at_least(low: int, high: int | None = None) -> Kind:
    def check(value: int) -> int:
        if value < low or (high is not None and value > high):
            bounds = f"from {low} to {high}" if high is not None else f"at least {low}"
            raise ValueError(f"must be {bounds}; got {value}")
        return value

    return Kind(f"≥ {low}" if high is None else f"{low}–{high}", check)


def _ip(value: str) -> str:
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise ValueError(f"not an IP address: {value!r}") from None


_MAC = re.compile(r"[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}")


def _mac(value: str) -> str:
    if not _MAC.fullmatch(value):
        raise ValueError(f"not a MAC address: {value!r} (e.g. fa:16:3e:00:00:01)")
    return value.lower()


def _listen(value: str) -> str:
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"not HOST:PORT: {value!r} (e.g. 127.0.0.1:9797 or [::]:9797)")
    return value


URL = Kind("URL", _url)
DURATION = Kind("duration", parse_duration, accepts=(int, float, str))
PATH = Kind("path")
PORT = at_least(1, 65535)
IP = Kind("IP address", _ip)
MAC = Kind("MAC address", _mac)
LISTEN = Kind("HOST:PORT", _listen)
