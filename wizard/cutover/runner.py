"""Runs the waves: the nodes of a wave in parallel up to the plan's limit, waves one after another.

A failed node is rolled back by its own NodeCutover; then, as the plan says,
the cutover stops (nodes not yet started are left as they are, later waves do
not start) or continues. Each node's outcome is handed to `record` (the state
store) so a restart skips finished nodes and `rollback` knows what to undo.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from wizard.core.events import Event, WaveFinished, WaveStarted
from wizard.cutover.executors import Executor
from wizard.cutover.inventory import ComputeNode
from wizard.cutover.node import NodeControl, NodeCutover, NodeOutcome
from wizard.cutover.planner import Wave
from wizard.plan import CutoverConfig


@dataclass
class CutoverResult:
    outcomes: list[NodeOutcome] = field(default_factory=list)
    stopped_after: int | None = None  # the wave after which the cutover stopped on a failure
    seconds: float = 0.0

    def count(self, status: str) -> int:
        return sum(1 for outcome in self.outcomes if outcome.status == status)

    @property
    def failed(self) -> list[NodeOutcome]:
        return [outcome for outcome in self.outcomes if outcome.status in ("rolled_back", "rollback_failed")]


class WaveRunner:
    def __init__(self, nodes: Sequence[ComputeNode], executor: Executor, control: NodeControl,
                 config: CutoverConfig, emit: Callable[[Event], None] = lambda e: None,
                 record: Callable[[NodeOutcome], None] = lambda o: None,
                 finished: frozenset[str] = frozenset(),
                 before_wave: Callable[[Wave], None] = lambda w: None):
        self.nodes = {node.name: node for node in nodes}
        self.executor, self.control, self.config = executor, control, config
        self.emit, self.record, self.finished, self.before_wave = emit, record, finished, before_wave

    def run(self, waves: Sequence[Wave]) -> CutoverResult:
        result = CutoverResult()
        started = time.monotonic()
        for wave in waves:
            todo = [name for name in wave.nodes if name not in self.finished]
            if not todo:
                continue
            self.before_wave(wave)
            outcomes = self.run_wave(wave, todo, len(waves))
            result.outcomes.extend(outcomes)
            if self.config.waves.on_failure == "stop" and any(o.status != "done" for o in outcomes):
                result.stopped_after = wave.number
                break
        result.seconds = time.monotonic() - started
        return result

    def run_wave(self, wave: Wave, names: Sequence[str], waves: int) -> list[NodeOutcome]:
        self.emit(WaveStarted(wave=wave.number, label=wave.name, nodes=len(names), waves=waves))
        started = time.monotonic()
        failure = threading.Event()
        stop_on_failure = self.config.waves.on_failure == "stop"

        def one(name: str) -> NodeOutcome | None:
            if stop_on_failure and failure.is_set():
                return None  # not started: the wave stops at its first failure
            self.record(NodeOutcome(node=name, status="running"))
            outcome = NodeCutover(self.nodes[name], self.executor, self.control, self.config.commands,
                                  self.config.timeouts, self.emit).run()
            if outcome.status != "done":
                failure.set()
            self.record(outcome)
            return outcome

        with ThreadPoolExecutor(max_workers=max(1, self.config.waves.parallel),
                                thread_name_prefix=f"wave-{wave.number}") as pool:
            outcomes = [o for o in pool.map(one, names) if o is not None]
        self.emit(WaveFinished(wave=wave.number, label=wave.name,
                               done=sum(1 for o in outcomes if o.status == "done"),
                               rolled_back=sum(1 for o in outcomes if o.status != "done"),
                               seconds=time.monotonic() - started))
        return outcomes
