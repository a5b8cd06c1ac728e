"""Each node's cutover outcome in the state store: what a resumed run skips and what rollback undoes."""

from __future__ import annotations

import threading
import time
from typing import Any

from wizard.core.events import NodeStep
from wizard.core.state import StateStore
from wizard.cutover.node import NodeOutcome

PREFIX = "cutover.node."
NODES_KEY = "cutover.nodes"  # the names recorded so far, in the order they started
# Statuses that leave a node (possibly partly) on ACA: rollback must undo them.
ON_ACA = ("done", "running", "rollback_failed")


class NodeRecords:
    """Safe to share between the threads of a wave."""

    def __init__(self, state: StateStore):
        self.state = state
        self._lock = threading.Lock()

    def record(self, outcome: NodeOutcome) -> None:
        with self._lock:
            names = self.state.get_meta(NODES_KEY, [])
            if outcome.node not in names:
                self.state.set_meta(NODES_KEY, names + [outcome.node])
            self.state.set_meta(PREFIX + outcome.node, {**outcome.to_dict(), "at": time.time()})

    def get(self, name: str) -> dict[str, Any] | None:
        return self.state.get_meta(PREFIX + name)

    def all(self) -> list[dict[str, Any]]:
        return [record for name in self.state.get_meta(NODES_KEY, []) if (record := self.get(name))]

    def finished(self) -> frozenset[str]:
        return frozenset(r["node"] for r in self.all() if r["status"] == "done")

    def steps(self) -> list[NodeStep]:
        """Every recorded node's finished steps, then its rollback steps, as the events that told them."""
        return [NodeStep(node=r["node"], step=step["step"], status="ok" if step["ok"] else "failed",
                         seconds=step["seconds"], detail=step["detail"], rollback=rollback)
                for r in self.all() for rollback, part in ((False, "steps"), (True, "rollback"))
                for step in r[part]]

    def to_undo(self) -> list[str]:
        """Nodes on ACA (fully or partly), the last one moved first."""
        return [r["node"] for r in reversed(self.all()) if r["status"] in ON_ACA]
