"""Pausing Python's cyclic garbage collector while millions of acyclic objects are made."""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def collector_paused() -> Iterator[None]:
    """Parsing a snapshot and translating it make no reference cycles but millions of objects:
    without this pause the cyclic garbage collector walks them all again and again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
