"""The cut-over gate: the endpoint switches only when replay has caught up, with writes held meanwhile.

Like gh-ost's cut-over: while the operator postpones (a flag file; the plan's
`cutover.postpone` creates it, the TUI's key creates or removes it), replay keeps
the log caught up. Then, once replay is within the plan's lag, the capture proxy
holds new writes (or answers 503 with Retry-After), the log is replayed to the
position reached at that moment, the switch happens and writes go on. If the
replay takes longer than the plan's hold timeout, writes are released and the
gate tries again later; it either completes or leaves things as they were.
The brake is the capture proxy itself when it runs in this process, or, with
`capture.mode: separate`, the hold file the capture process watches
(capture/hold_file.py): a hold that process does not take within seconds fails
the switch with writes released (run again once the capture runs). With a capture
per API node (`capture.nodes`) it is every node's capture, held through its feed,
all or none (capture/hold_every.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from wizard.core.errors import MigrateError
from wizard.core.events import Event, GateChanged, Message, TokenTick
from wizard.plan import GateConfig

POSTPONE_FILE = "postpone-cutover"


class Replication(Protocol):
    """The write log and its replayer, as the gate and the drain need them."""

    def head(self) -> int:
        """The sequence number of the newest logged write (0: none yet)."""

    def lag(self) -> int:
        """Logged writes not yet replayed into Alcor."""

    def replay(self, until: int, deadline: float) -> int:
        """Replay logged writes up to `until` or until `deadline` (time.monotonic()); the position reached."""

    def unreadable(self) -> tuple[str, ...]:
        """The logs that cannot be read now (several captures' logs merged: a capture is down)."""


class WriteHold(Protocol):
    """The capture proxy's brake on user writes (capture/proxy.py, capture/hold_file.py, or every node's:
    capture/hold_every.py)."""

    def hold_writes(self, mode: str, retry_after: float) -> None:
        """From now on, hold new writes ("hold") or answer them 503 with Retry-After ("reject")."""

    def release_writes(self) -> None:
        """Let held writes through and accept new ones again; returns once they pass (MigrateError if the
        capture does not confirm it)."""


class Postponement:
    """The cut-over waits while this flag file exists (create it to postpone, remove it to go on)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    @property
    def active(self) -> bool:
        return self.path.exists()

    def postpone(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.touch()

    def confirm(self) -> None:
        self.path.unlink(missing_ok=True)


def postponement_for(config: GateConfig, state_dir: str | Path) -> Postponement:
    return Postponement(config.postpone_file or Path(state_dir) / POSTPONE_FILE)


@dataclass(frozen=True)
class GateOutcome:
    attempts: int
    position: int  # the log position replayed before the switch
    held_seconds: float  # how long user writes were held


class CutoverGate:
    def __init__(self, config: GateConfig, postponement: Postponement, replication: Replication | None,
                 hold: WriteHold | None, emit: Callable[[Event], None] = lambda e: None,
                 checkpoint: Callable[[], None] = lambda: None, poll: float = 1.0,
                 sleep: Callable[[float], None] = time.sleep, tokens_expire_at: float = 0.0,
                 token_lifetime: float = 0.0):
        self.config, self.postponement, self.replication, self.hold = config, postponement, replication, hold
        # time.time() when the last token issued before the capture's insertion expires (0: none)
        self.tokens_expire_at, self.token_lifetime = tokens_expire_at, token_lifetime
        self.emit, self.checkpoint, self.poll, self.sleep = emit, checkpoint, poll, sleep

    def pass_through(self, switch: Callable[[], None]) -> GateOutcome:
        """Wait out a postponement, then switch with writes held and the log drained; retry as planned."""
        self._wait_while_postponed()
        self._wait_for_old_tokens()
        replication = self.replication
        if replication is None:
            self.emit(GateChanged(state="unguarded", detail="capture is off: writes are neither held nor replayed"))
            switch()
            return GateOutcome(attempts=1, position=0, held_seconds=0.0)
        problem = ""
        for attempt in range(1, max(1, self.config.retries) + 1):
            if attempt > 1:
                self.emit(GateChanged(state="retrying", detail=f"{problem}; attempt {attempt} in "
                                      f"{self.config.retry_delay:g}s", lag=replication.lag()))
                self._pause(self.config.retry_delay)
            problem = self._catch_up(replication)
            if problem:
                continue
            outcome = self._switch_with_writes_held(replication, switch, attempt)
            if outcome:
                return outcome
            problem = f"the log did not drain within {self.config.hold_timeout:g}s; writes released"
        raise MigrateError(f"cut-over gate: gave up after {self.config.retries} attempts: {problem}")

    def _catch_up(self, replication: Replication) -> str:
        """Replay until within the plan's lag, for at most the hold timeout; the problem if not."""
        deadline = time.monotonic() + self.config.hold_timeout
        self.emit(GateChanged(state="catching_up", lag=replication.lag()))
        replication.replay(replication.head(), deadline)
        if unreadable := replication.unreadable():
            return f"waiting for the write logs that cannot be read: {', '.join(unreadable)}"
        lag = replication.lag()
        if lag > self.config.max_lag:
            return f"replay is {lag} writes behind (cutover.gate.max_lag: {self.config.max_lag})"
        return ""

    def _switch_with_writes_held(self, replication: Replication, switch: Callable[[], None],
                                 attempt: int) -> GateOutcome | None:
        held_at = time.monotonic()
        if self.hold:
            self.hold.hold_writes(self.config.writes, self.config.hold_timeout)
        try:
            target = replication.head()
            self.emit(GateChanged(state="holding", detail=f"writes {self.config.writes}; replaying to {target}",
                                  lag=replication.lag()))
            reached = replication.replay(target, held_at + self.config.hold_timeout)
            if reached < target:
                return None
            switch()
            held = time.monotonic() - held_at
            self.emit(GateChanged(state="switched", detail=f"writes held {held:.1f}s", lag=replication.lag()))
            return GateOutcome(attempts=attempt, position=target, held_seconds=held)
        finally:
            if self.hold:
                self._release(self.hold)

    def _release(self, hold: WriteHold) -> None:
        """Let writes through; a release the capture does not confirm is a warning (the switch stands,
        and the hold ends by itself when it expires)."""
        try:
            hold.release_writes()
        except MigrateError as exc:
            self.emit(Message(level="warning", text=f"cut-over gate: {exc}"))

    def _wait_while_postponed(self) -> None:
        announced = 0.0
        while self.postponement.active:
            self.checkpoint()
            if self.replication:
                self.replication.replay(self.replication.head(), time.monotonic() + self.poll)
            if time.monotonic() - announced >= 10 * self.poll:
                announced = time.monotonic()
                self.emit(GateChanged(state="postponed", detail=f"remove {self.postponement.path} to cut over",
                                      lag=self.replication.lag() if self.replication else 0))
            self.sleep(self.poll)

    def _wait_for_old_tokens(self) -> None:
        """Until tokens issued before the insertion expire, clients holding them may write to Neutron
        directly: the capture is not complete yet. Replay meanwhile; count down."""
        if time.time() >= self.tokens_expire_at:
            return
        while (left := self.tokens_expire_at - time.time()) > 0:
            self.checkpoint()
            self.emit(TokenTick(left=left, lifetime=self.token_lifetime))
            if self.replication:
                self.replication.replay(self.replication.head(), time.monotonic() + min(self.poll, left))
            self.sleep(max(0.0, min(self.poll, self.tokens_expire_at - time.time())))
        self.emit(TokenTick(left=0.0, lifetime=self.token_lifetime))

    def _pause(self, seconds: float) -> None:
        until = time.monotonic() + seconds
        while (left := until - time.monotonic()) > 0:
            self.checkpoint()
            self.sleep(min(self.poll, left))
