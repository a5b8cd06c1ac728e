"""The cut-over's write hold on every capture (a gate.WriteHold): all of them held, or none.

The plan's `capture.nodes` are the captures that take the cloud's writes, one per API node. The
hold reaches each: a capture with a feed through it (FeedHold: feed.py's `PUT /v1/hold`, answered
once that capture's proxy holds its writes), a standalone capture on this machine (`log`) through the
hold file of its state directory (hold_file.HoldRequest); the run's own capture, if any, joins
directly. All are asked at once. If one cannot be held (down, unreachable, its proxy did not take
the hold within the timeout), every one is released (the one that failed too, in case it took the
hold late) and the hold fails naming it: the cut-over fails before the switch, with nothing
irreversible done. Releasing tells every capture; one that cannot be told is reported, and its
writes go on by themselves when its hold expires.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from wizard.capture.feed_client import FeedClient
from wizard.capture.feed_token import read_token
from wizard.capture.hold_file import EXPIRY_MARGIN, HoldRequest
from wizard.capture.writelog import log_directory
from wizard.core.errors import MigrateError
from wizard.cutover.gate import WriteHold


class FeedHold:
    """One capture's writes, held through its feed (a gate.WriteHold); a connection per call."""

    def __init__(self, url: str, token: str):
        self.url, self._token = url, token

    def hold_writes(self, mode: str, retry_after: float) -> None:
        with FeedClient(self.url, self._token) as feed:
            feed.hold(mode, retry_after, retry_after + EXPIRY_MARGIN)

    def release_writes(self) -> None:
        with FeedClient(self.url, self._token) as feed:
            feed.release()


def node_holds(nodes: Mapping[str, Any]) -> dict[str, WriteHold]:
    """The write hold of each of the plan's `capture.nodes` (plan.CaptureNode by name), as `capture.nodes.NAME`."""
    return {f"capture.nodes.{name}": HoldRequest(log_directory(node.log)) if node.log
            else FeedHold(node.feed, read_token(node.token_file)) for name, node in nodes.items()}


class EveryCapture:
    """Holds the writes of every capture in `holds` (by the name errors give), or of none."""

    def __init__(self, holds: Mapping[str, WriteHold], warn: Callable[[str], None]):
        self.holds, self.warn = dict(holds), warn

    def hold_writes(self, mode: str, retry_after: float) -> None:
        failed = {name: problem for name, problem in self._each(lambda hold: hold.hold_writes(mode, retry_after))
                  if problem is not None}
        if not failed:
            return
        self._each(lambda hold: hold.release_writes())
        raise MigrateError(f"write hold: {', '.join(failed)} could not be held ("
                           + "; ".join(f"{name}: {problem}" for name, problem in failed.items())
                           + f"); writes were released on every capture ({', '.join(self.holds)}) and nothing "
                             "was switched. Bring the capture back (or take it out of capture.nodes and of the "
                             "clients' path), then run again")

    def release_writes(self) -> None:
        for name, problem in self._each(lambda hold: hold.release_writes()):
            if problem is not None:
                self.warn(f"write hold: {name}: the release is not confirmed ({problem}); its hold ends by "
                          "itself when it expires")

    def _each(self, call: Callable[[WriteHold], None]) -> list[tuple[str, str | None]]:
        """`call` on every hold at once: (name, the problem or None) for each."""
        def attempt(hold: WriteHold) -> str | None:
            try:
                call(hold)
            except (MigrateError, OSError, ValueError) as exc:
                return str(exc)
            return None

        with ThreadPoolExecutor(max_workers=max(1, len(self.holds)), thread_name_prefix="write-hold") as pool:
            return list(zip(self.holds, pool.map(attempt, self.holds.values()), strict=True))
