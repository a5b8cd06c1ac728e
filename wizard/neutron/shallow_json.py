"""Parsing JSON with msgspec while its parser proves the document nests no deeper than a bound.

msgspec counts each object or list it enters against Python's recursion limit. With the limit
set just so, a document nested deeper than the bound raises RecursionError inside the parse,
and a document that parses needs no walk over its millions of values to show that it is
shallow (0.3 s of a 100,000-port snapshot). "Just so" is found in the parsing frame itself:
the lowest limit at which a list and an object nested exactly that deep parse, if both are
refused one level deeper. Where no limit does it (Python 3.12 gave C code a recursion limit of
its own), or where another thread could run under the lowered limit, the parse is msgspec's
plain one and the caller walks the document.
"""

from __future__ import annotations

import sys
import threading
from types import FrameType
from typing import Any

import msgspec


def decode(data: bytes, max_depth: int) -> tuple[Any, bool]:
    """The document in `data` (msgspec.DecodeError as msgspec raises it), and whether the parse
    proved it nests at most `max_depth` objects and lists deep (False: unknown, or deeper: the
    caller walks it and names the place)."""
    if threading.active_count() == 1:  # the recursion limit is every thread's
        parsed = _bounded_parse(data, max_depth)
        if parsed is not None:
            return parsed[0], True
    return msgspec.json.decode(data), False


def _bounded_parse(data: bytes, max_depth: int) -> list[Any] | None:
    """[msgspec's parse of `data`] under the lowest recursion limit at which it parses a list and an
    object nested `max_depth` deep, if it refuses both one level deeper there; None if no limit
    does that, or if `data` is deeper.

    The limit counts the stack's Python frames and the calls from C code among them (pytest's
    hooks make dozens): it is found by bisection, from the frames up. Every parse, probe or
    document, is made by `_parsed` called from here, so that all start from the same depth."""
    frames = 0
    frame: FrameType | None = sys._getframe()
    while frame is not None:
        frames += 1
        frame = frame.f_back
    limit = sys.getrecursionlimit()
    fits, too_deep = _probes(max_depth), _probes(max_depth + 1)
    try:
        low, high = frames, limit + 2 * max_depth  # too low, and high enough: the stack runs under `limit`
        if _parsed(high, fits) is None:
            return None
        while high - low > 1:
            middle = (low + high) // 2
            low, high = (low, middle) if _parsed(middle, fits) is not None else (middle, high)
        for probe in too_deep:
            if _parsed(high, (probe,)) is not None:
                return None
        return _parsed(high, (data,))
    finally:
        sys.setrecursionlimit(limit)


def _parsed(limit: int, documents: tuple[bytes, ...]) -> list[Any] | None:
    """msgspec's parse of each document under the recursion limit `limit`; None if one is too deep
    for it (or the stack is). The parser is called by `map`, from C: called from Python code, it
    is entered through one recursion check or none, as the interpreter specializes the call."""
    try:
        sys.setrecursionlimit(limit)
        return list(map(msgspec.json.decode, documents))
    except RecursionError:
        return None


def _probes(levels: int) -> tuple[bytes, bytes]:
    """A list and an object nested `levels` deep."""
    return b"[" * levels + b"]" * levels, b'{"a":' * (levels - 1) + b"{}" + b"}" * (levels - 1)
