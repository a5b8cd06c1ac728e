"""The drain: after the switch, a timed wait until Neutron's pipeline is quiet.

Quiet means no port in BUILD, no port binding pending, and the captured write
stream replayed to its end. The drain lasts at least the plan's minimum and at
most its maximum; every tick reports the countdown and what it still waits for.
A final replay then picks up the writes that still reached Neutron.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from wizard.core.events import DrainTick, Event
from wizard.cutover.gate import Replication
from wizard.plan import DrainConfig

DRAINED = "drain.done"  # state meta: the drain finished


class NeutronActivity(Protocol):
    def pending(self) -> dict[str, int]:
        """What Neutron is still doing, by description: {"ports in BUILD": 2, ...}."""


class PortActivity:
    """Neutron's unfinished port work, read from its port list."""

    def __init__(self, list_ports: Callable[[], Iterable[dict[str, Any]]]):
        self.list_ports = list_ports

    def pending(self) -> dict[str, int]:
        building = binding = 0
        for port in self.list_ports():
            building += port.get("status") == "BUILD"
            # a host is set but no mechanism driver has bound it yet
            binding += bool(port.get("binding:host_id")) and port.get("binding:vif_type") == "unbound"
        return {"ports in BUILD": building, "port bindings pending": binding}


@dataclass(frozen=True)
class DrainResult:
    seconds: float
    quiet: bool  # False: the maximum was reached with work pending
    waiting_for: tuple[str, ...]  # what was still pending at the end
    replayed_to: int  # the log position of the final replay
    unreachable: str | None = None  # why Neutron did not answer at the end (None: it did)


class Drain:
    def __init__(self, config: DrainConfig, activity: NeutronActivity, replication: Replication | None,
                 emit: Callable[[Event], None] = lambda e: None, checkpoint: Callable[[], None] = lambda: None,
                 sleep: Callable[[float], None] = time.sleep):
        self.config, self.activity, self.replication = config, activity, replication
        self.emit, self.checkpoint, self.sleep = emit, checkpoint, sleep
        self.unreachable: str | None = None

    def run(self) -> DrainResult:
        started = time.monotonic()
        while True:
            self.checkpoint()
            waiting = self.waiting_for()
            elapsed = time.monotonic() - started
            self.emit(DrainTick(elapsed=elapsed, min_left=max(0.0, self.config.min - elapsed),
                                max_left=max(0.0, self.config.max - elapsed), waiting_for=waiting))
            if (elapsed >= self.config.min and not waiting) or elapsed >= self.config.max:
                break
            next_mark = self.config.min if elapsed < self.config.min else self.config.max
            self.sleep(max(0.0, min(self.config.poll, next_mark - elapsed)))
        replayed_to = self._replay(time.monotonic() + max(self.config.poll, 1.0) * 10)
        return DrainResult(seconds=time.monotonic() - started, quiet=not waiting, waiting_for=waiting,
                           replayed_to=replayed_to, unreachable=self.unreachable)

    def waiting_for(self) -> tuple[str, ...]:
        """What keeps the drain waiting now (empty: quiet)."""
        self._replay(time.monotonic() + self.config.poll)
        self.unreachable = None
        try:
            pending = [f"{count} {what}" for what, count in self.activity.pending().items() if count]
        except Exception as exc:  # an unreachable Neutron is something to wait for, not a crash
            self.unreachable = f"{type(exc).__name__}: {exc}"
            pending = [f"Neutron unreachable ({self.unreachable})"]
        lag = self.replication.lag() if self.replication else 0
        return tuple(pending + ([f"{lag} captured writes to replay"] if lag else []))

    def _replay(self, deadline: float) -> int:
        if self.replication is None:
            return 0
        return self.replication.replay(self.replication.head(), deadline)
