"""Ending a command-line process at once, without freeing what it holds."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from typing import NoReturn


def end_process(code: int) -> NoReturn:
    """Flush logging, stdout and stderr, then end the process without freeing its objects one by one
    (a 100,000-port preview holds about ten million: freeing them takes 0.6 s). Only for a command
    that has closed every file it wrote and left no thread or child behind; mypy ends the same way."""
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a reader gone (`| head`), a stream closed
            stream.flush()
    os._exit(code)
