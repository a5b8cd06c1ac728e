"""Pausing Python's cyclic garbage collector while millions of acyclic objects are made."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Parsing a snapshot and translating it make no reference cycles but millions of objects:
    without this pause the cyclic garbage collector walks them all again and again. What was
    made meanwhile then joins the oldest generation (freeze, then unfreeze: two list splices),
    else the collector's next young pass would walk it all once more."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.freeze()
            gc.unfreeze()
            gc.enable()
