"""Waves run in order, nodes of a wave in parallel up to the limit; a failure stops or continues as planned."""

import threading
import time

from wizard.core.events import NodeStep, WaveFinished, WaveStarted
from wizard.cutover.executors import LocalExecutor
from wizard.cutover.planner import plan_waves
from wizard.cutover.runner import WaveRunner
from wizard.plan import CutoverConfig, WaveConfig


def setup(synthetic_nodes, file_nodes, fast_timeouts, hosts=6, **waves):
    nodes = synthetic_nodes(hosts)
    file_nodes.start_agents(n.name for n in nodes)
    config = CutoverConfig(waves=WaveConfig(**waves), timeouts=fast_timeouts, commands=file_nodes.commands())
    return nodes, config


class Concurrency:
    """An executor wrapper that measures how many commands run at once."""

    def __init__(self, inner):
        self.inner, self.now, self.peak, self.lock = inner, 0, 0, threading.Lock()

    def run(self, node, command, timeout):
        with self.lock:
            self.now += 1
            self.peak = max(self.peak, self.now)
        try:
            time.sleep(0.02)
            return self.inner.run(node, command, timeout)
        finally:
            with self.lock:
                self.now -= 1

    def describe(self, node, command):
        return self.inner.describe(node, command)


def test_waves_in_order_parallel_up_to_the_limit(synthetic_nodes, file_nodes, make_control, fast_timeouts):
    nodes, config = setup(synthetic_nodes, file_nodes, fast_timeouts, canary=["compute-001"], batch_size=5, parallel=2)
    control, executor, events = make_control(), Concurrency(LocalExecutor()), []
    records = {}
    runner = WaveRunner(nodes, executor, control, config, events.append,
                        record=lambda o: records.__setitem__(o.node, o.status))
    result = runner.run(plan_waves(nodes, config.waves))
    assert result.count("done") == 6 and result.stopped_after is None
    assert executor.peak == 2
    assert records == {n.name: "done" for n in nodes}
    waves = [(e.wave, e.label) for e in events if isinstance(e, WaveStarted)]
    assert waves == [(1, "canary"), (2, "batch 1")]
    first_batch_step = next(i for i, e in enumerate(events) if isinstance(e, NodeStep) and e.node != "compute-001")
    canary_end = next(i for i, e in enumerate(events) if isinstance(e, WaveFinished))
    assert canary_end < first_batch_step  # the batch starts only after the canary wave finished
    for node in nodes:
        assert file_nodes.aca_ports(node.name) == {p.port_id for p in node.ports}


def test_stop_on_failure_leaves_later_waves_untouched(synthetic_nodes, file_nodes, make_control, fast_timeouts):
    nodes, config = setup(synthetic_nodes, file_nodes, fast_timeouts, batch_size=2, parallel=1, on_failure="stop")
    failing = "compute-001"
    control = make_control()
    config.commands = file_nodes.commands(
        start_aca=f"test {{host}} != {failing} && touch {file_nodes.root}/{{host}}.aca")
    result = WaveRunner(nodes, LocalExecutor(), control, config).run(plan_waves(nodes, config.waves))
    assert result.stopped_after == 1
    assert [(o.node, o.status) for o in result.outcomes] == [("compute-000", "done"), ("compute-001", "rolled_back")]
    assert all(file_nodes.agent_running(f"compute-00{i}") for i in range(1, 6))


def test_continue_on_failure_finishes_the_others(synthetic_nodes, file_nodes, make_control, fast_timeouts):
    nodes, config = setup(synthetic_nodes, file_nodes, fast_timeouts, all_at_once=True, parallel=6,
                          on_failure="continue")
    config.commands = file_nodes.commands(
        aca_health="test {host} != compute-003 && test -f " + f"{file_nodes.root}/{{host}}.aca")
    result = WaveRunner(nodes, LocalExecutor(), make_control(), config).run(plan_waves(nodes, config.waves))
    assert result.count("done") == 5 and [o.node for o in result.failed] == ["compute-003"]
    assert file_nodes.agent_running("compute-003") and not file_nodes.aca_running("compute-003")


def test_finished_nodes_are_skipped_on_resume(synthetic_nodes, file_nodes, make_control, fast_timeouts):
    nodes, config = setup(synthetic_nodes, file_nodes, fast_timeouts, hosts=3, all_at_once=True)
    result = WaveRunner(nodes, LocalExecutor(), make_control(), config,
                        finished=frozenset({"compute-000", "compute-002"})).run(plan_waves(nodes, config.waves))
    assert [o.node for o in result.outcomes] == ["compute-001"]


def test_records_from_parallel_nodes_are_all_kept(tmp_path):
    from wizard.core.state import StateStore
    from wizard.cutover.node import NodeOutcome
    from wizard.cutover.records import NodeRecords

    records = NodeRecords(StateStore(tmp_path))
    threads = [threading.Thread(target=records.record, args=(NodeOutcome(node=f"n{i}", status="done"),))
               for i in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert records.finished() == {f"n{i}" for i in range(40)}
