"""The cut-over's brake on writes when the capture runs as its own process: a hold file in the
state directory, which that process watches.

`run`'s side (HoldRequest, a gate.WriteHold) writes `capture-hold` (JSON: an id, the mode, the
Retry-After, and when the hold expires) and returns once the capture process has acknowledged that
id in `capture-hold.ack`, which it does only after its proxy's `hold_writes` returned: from then
on every write it logs until the release is already in the log. Releasing removes the file and
returns once the ack says no hold (`{"id": null}`), written after the proxy let writes through. The
capture's side (HoldWatcher) looks at the file every POLL seconds and holds or releases its proxy's
writes to match; a hold past its expiry (a run that died holding writes) is released.
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from wizard.core.errors import MigrateError

HOLD_MODES = ("hold", "reject")  # new writes wait, or are answered 503 with Retry-After
HOLD_FILE = "capture-hold"
ACK_FILE = "capture-hold.ack"
POLL = 0.05  # seconds between two looks at the hold file (capture side) or the ack (run side)
ACK_TIMEOUT = 10.0  # seconds the run waits for the capture process to take a hold
EXPIRY_MARGIN = 60.0  # seconds a hold outlives its Retry-After, for the switch itself


class HoldRequest:
    """`run`'s side: asks the capture process to hold writes, and waits until it does."""

    def __init__(self, state_dir: str | os.PathLike, ack_timeout: float = ACK_TIMEOUT):
        self.path, self.ack_path = Path(state_dir) / HOLD_FILE, Path(state_dir) / ACK_FILE
        self.ack_timeout = ack_timeout
        self._asked: str | None = None  # the id of the last hold asked for

    def hold_writes(self, mode: str, retry_after: float, expires_in: float | None = None) -> None:
        """Hold until released, or `expires_in` seconds (default: Retry-After and EXPIRY_MARGIN)."""
        request = self._asked = uuid.uuid4().hex
        lasts = retry_after + EXPIRY_MARGIN if expires_in is None else expires_in
        write_record(self.path, {"id": request, "mode": mode, "retry_after": retry_after,
                                 "expires": time.time() + lasts})
        if self._acked(lambda held: held == request):
            return
        self.release_writes()
        raise MigrateError(f"{self.path}: no capture process took the write hold within {self.ack_timeout:g}s; "
                           "writes were not held. Is `alcor-migrate capture --plan` running on this state "
                           "directory? Start it, then run again")

    def release_writes(self) -> None:
        """Let writes through; returns once the capture process has, if it took the hold asked for."""
        held = (read_record(self.ack_path) or {}).get("id")
        self.path.unlink(missing_ok=True)
        if held is None or held != self._asked or self._acked(lambda now: now != held):
            return
        raise MigrateError(f"{self.path}: the capture process did not confirm within {self.ack_timeout:g}s that it "
                           "let writes through (its hold file is removed; a process that missed it lets writes "
                           "through when the hold expires)")

    def _acked(self, done: Callable[[str | None], bool]) -> bool:
        """Whether the ack's hold id satisfies `done` within ack_timeout."""
        deadline = time.monotonic() + self.ack_timeout
        while time.monotonic() < deadline:
            if done((read_record(self.ack_path) or {}).get("id")):
                return True
            time.sleep(POLL)
        return False


class HoldWatcher:
    """The capture process's side: holds and releases its proxy's writes as the hold file says."""

    def __init__(self, state_dir: str | os.PathLike, proxy, warn: Callable[[str], None], poll: float = POLL,
                 ack_dir: str | os.PathLike | None = None, tell: Callable[[str], None] = lambda text: None):
        """`ack_dir`: where the ack goes (default `state_dir`); a worker acks to its supervisor (workers.py).
        `tell`: where to say that writes are held and released."""
        self.path, self.ack_path = Path(state_dir) / HOLD_FILE, Path(ack_dir or state_dir) / ACK_FILE
        self.proxy, self.warn, self.tell, self.poll = proxy, warn, tell, poll
        self.held: str | None = None  # the id of the hold in effect
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="capture-hold", daemon=True)

    def start(self) -> None:
        write_record(self.ack_path, {"id": None})  # a new process holds nothing (a restarted worker's ack may)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(10)

    def look(self) -> None:
        """Hold or release the proxy's writes as the hold file says now."""
        request = read_record(self.path)
        if request is not None and request.get("expires", 0) <= time.time():
            if self.held:
                self.warn(f"{self.path}: the write hold expired; writes released")
            request = None
        if request is None:
            if self.held:
                self.proxy.release_writes()
                self.held = None
                write_record(self.ack_path, {"id": None})
                self.tell(f"{self.path}: writes released")
            return
        if request.get("id") != self.held:
            self.proxy.hold_writes(request["mode"], float(request["retry_after"]))
            self.held = request["id"]
            write_record(self.ack_path, {"id": self.held})
            self.tell(f"{self.path}: writes held ({request['mode']}, Retry-After {float(request['retry_after']):g}s)")

    def _watch(self) -> None:
        warned = ""
        while True:
            try:
                self.look()
            except (KeyError, TypeError, ValueError, OSError, MigrateError) as exc:
                problem = f"{self.path}: the write hold could not be applied ({exc}); looking again"
                if problem != warned:  # once, not every poll
                    self.warn(problem)
                warned = problem
            if self._stop.wait(self.poll):
                return


def write_record(path: Path, record: dict[str, Any]) -> None:
    """Replace the file at once (a reader sees the old record or the new one, never half)."""
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    partial.write_text(json.dumps(record))
    os.replace(partial, path)


def read_record(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return None
