"""The proxy's HTTP server log: each error on one line, so a stream of malformed requests
cannot flood the output with tracebacks."""

from __future__ import annotations

import logging
import sys
from typing import Any

# aiohttp's own logger for the server side
SERVER_LOGGER = logging.getLogger("aiohttp.server")


class OneLineLog(logging.LoggerAdapter):
    """aiohttp.server's logger with the exception's type and message instead of its traceback."""

    def __init__(self, logger: logging.Logger = SERVER_LOGGER):
        super().__init__(logger, {})

    def log(self, level: int, msg: Any, *args: Any, exc_info: Any = None, **kwargs: Any) -> None:
        error = exc_info if isinstance(exc_info, BaseException) else sys.exc_info()[1] if exc_info else None
        if error is not None:
            msg = f"{msg}: {type(error).__name__}: {error}"
        super().log(level, " ".join(str(msg).split()), *args, **kwargs)
