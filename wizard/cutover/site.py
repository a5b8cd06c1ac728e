"""What the cutover acts on, from the plan and what earlier phases left in the run state.

What the cutover reads from the run state when present (else it builds it from the plan):
    snapshot      wizard.neutron.snapshot.Snapshot (else neutron.snapshot, <state_dir>/snapshot.json
                  or the lab's cloud)
    translation   wizard.translate.model.Translation of that snapshot (else translated here)
    lab_fleet     wizard.lab.nodes.LabFleet: the lab's simulated nodes (executor kind `lab`)
    executor      an Executor (tests)
    node_control  a NodeControl: Alcor's node manager and port bindings
    replication   a gate.Replication: the capture write log and its replayer
    write_hold    a gate.WriteHold: the capture proxy's brake on writes
    neutron_activity  a drain.NeutronActivity
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from wizard.core.errors import InputError
from wizard.core.events import Event
from wizard.core.run_state import RunState
from wizard.cutover.executors import Executor, executor_for
from wizard.cutover.inventory import ComputeNode, compute_nodes, port_bodies
from wizard.cutover.node import NodeControl, NodeCutover, NodeOutcome
from wizard.cutover.planner import Wave, WaveSplits, plan_waves, split_networks
from wizard.neutron import snapshot as snapshot_file
from wizard.plan import Plan
from wizard.translate.translation import translate_for


@dataclass
class Site:
    plan: Plan  # with the lab's node addresses merged in
    nodes: list[ComputeNode]
    waves: list[Wave]
    splits: list[WaveSplits]
    executor: Executor
    network_names: dict[str, str]

    def node(self, name: str) -> ComputeNode:
        for node in self.nodes:
            if node.name == name:
                return node
        raise InputError(f"node {name}: in the state store but not in the snapshot or the plan's nodes")

    def undo(self, name: str, control: NodeControl, emit: Callable[[Event], None]) -> NodeOutcome:
        """Roll the node back to the Neutron agents with the plan's commands and timeouts."""
        cutover = self.plan.cutover
        return NodeCutover(self.node(name), self.executor, control, cutover.commands, cutover.timeouts, emit).undo()


def load_snapshot(plan: Plan, run: RunState) -> snapshot_file.Snapshot:
    """The run's snapshot, else the plan's snapshot file, the state directory's, or the lab's cloud."""
    if run.snapshot is not None:
        return run.snapshot
    path = Path(plan.neutron.snapshot) if plan.neutron.snapshot else Path(plan.state_dir) / snapshot_file.STATE_FILE
    if not path.exists() and plan.lab is not None and not plan.neutron.snapshot:
        path = Path(plan.lab.cloud)
    if not path.exists():
        raise InputError(f"{path}: no snapshot; run the snapshot phase first, or give neutron.snapshot "
                         "(--snapshot)")
    return snapshot_file.load(path)


def site_for(plan: Plan, run: RunState) -> Site:
    snapshot = load_snapshot(plan, run)
    fleet = run.lab_fleet
    if fleet is not None:
        plan = dataclasses.replace(plan, nodes={**fleet.node_overrides(), **plan.nodes})
    translation = run.translation or translate_for(snapshot, plan)
    nodes = compute_nodes(snapshot, plan, translation.bindings, port_bodies(translation.requests))
    waves = plan_waves(nodes, plan.cutover.waves)
    executor = run.executor or executor_for(plan.cutover.executor, fleet)
    return Site(plan=plan, nodes=nodes, waves=waves, splits=split_networks(waves, nodes, plan.cutover.waves),
                executor=executor,
                network_names={n["id"]: n.get("name") or "" for n in snapshot["networks"]})
