"""The dry-run timeline: every step of the cutover and every command per node, in order, changing nothing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from wizard.cutover.endpoint import target_url
from wizard.cutover.executors import Executor
from wizard.cutover.gate import postponement_for
from wizard.cutover.inventory import ComputeNode
from wizard.cutover.node import ROLLBACK, STEPS, render
from wizard.cutover.planner import Wave, WaveSplits, split_cost
from wizard.plan import Plan


def duration(seconds: float) -> str:
    """30s, 2m30s, 1h05m."""
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


def shown(path: Path) -> str:
    """A path as the operator typed it: relative to the current directory when under it."""
    try:
        return str(path.absolute().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def timeline(plan: Plan, nodes: Sequence[ComputeNode], waves: Sequence[Wave], splits: Sequence[WaveSplits],
             executor: Executor, network_names: Mapping[str, str] | None = None) -> list[str]:
    """The lines `alcor-migrate cutover --dry-run` prints."""
    names = network_names or {}
    by_name = {node.name: node for node in nodes}
    cutover = plan.cutover
    lines = [f"Cutover timeline: {count(len(by_name), 'node')} in {count(len(waves), 'wave')} "
             "(dry run: nothing is changed)", ""]
    lines += _before_the_nodes(plan)
    config = cutover.waves
    total = sum(wave.estimate(config) for wave in waves)
    lines += ["", f"waves   parallel {config.parallel}, on failure {config.on_failure}, order {config.order}, "
                  f"expected {duration(total)} at {duration(config.node_seconds)} a node; "
                  f"split windows {duration(split_cost(splits))} in all"]
    for wave, wave_splits in zip(waves, splits, strict=True):
        lines += [""] + _wave(wave, wave_splits, config, names)
        for name in wave.nodes:
            lines += _node(plan, by_name[name], executor)
    lines += ["", "rollback of a failed node (only what was attempted is undone):"]
    lines += [f"    {undo:<13}{duration(getattr(cutover.timeouts, undo)):>6}  {_rollback_action(plan, undo)}"
              for undo, _ in ROLLBACK]
    return lines


def _before_the_nodes(plan: Plan) -> list[str]:
    cutover = plan.cutover
    gate, drain, endpoint = cutover.gate, cutover.drain, cutover.endpoint
    flag = shown(postponement_for(gate, plan.state_dir).path)
    postponed = "postponed by the plan until" if cutover.postpone else "postponed while"
    url = target_url(plan) if (endpoint.alcor_url or plan.alcor.gateway_url) else "(no alcor.gateway_url)"
    scope = (f"regions {', '.join(endpoint.regions) or 'all'}, interfaces "
             f"{', '.join(endpoint.interfaces) or 'public, internal, admin'}")
    how = (f"keystone: '{endpoint.service_type}' endpoints ({scope}) -> {url}; old URLs kept for rollback"
           if endpoint.method == "keystone" else f"by hand (method none): the operator points "
           f"'{endpoint.service_type}' at {url} and confirms")
    return [
        f"gate    {postponed} {flag} exists",
        f"        replay within {gate.max_lag} writes, then {gate.writes} new writes for at most "
        f"{duration(gate.hold_timeout)} and replay to that point; {gate.retries} attempts, "
        f"{duration(gate.retry_delay)} apart",
        f"switch  {how}",
        f"drain   at least {duration(drain.min)}, at most {duration(drain.max)}, until no port in BUILD, "
        f"no binding pending, the write log replayed; then a final replay",
    ]


def _wave(wave: Wave, splits: WaveSplits, config, names: Mapping[str, str]) -> list[str]:
    lines = [f"wave {wave.number} {wave.name}: {count(len(wave.nodes), 'node')}, "
             f"expected {duration(wave.estimate(config))}"]
    if not splits.networks:
        return lines + ["  splits no network"]
    lines.append(f"  splits {count(len(splits.networks), 'network')}, {count(len(splits.vms), 'VM')} affected:")
    for network in splits.networks:
        label = names.get(network.network_id) or ""
        span = (f"wave {network.first_wave}" if network.within_one_wave
                else f"waves {network.first_wave}-{network.last_wave}")
        lines.append(f"    {network.network_id} {label}".rstrip()
                     + f": {count(len(network.vms), 'VM')}, {span}, ~{duration(network.window)}")
    return lines


def _node(plan: Plan, node: ComputeNode, executor: Executor) -> list[str]:
    timeouts = plan.cutover.timeouts
    lines = [f"  {node.name}  tunnel {node.local_ip}, reached at {node.address}, {count(len(node.ports), 'port')}"]
    for step in STEPS:
        lines.append(f"    {step:<13}{duration(getattr(timeouts, step)):>6}  {_action(plan, node, step, executor)}")
    return lines


def _action(plan: Plan, node: ComputeNode, step: str, executor: Executor) -> str:
    commands, poll = plan.cutover.commands, plan.cutover.timeouts.poll
    if step == "register":
        return f"Alcor node manager: node {node.node_id} named {node.name}, local_ip {node.local_ip}, " \
               f"server_port {node.server_port}"
    if step == "bind_ports":
        return f"Alcor: binding:host_id={node.name} on {count(len(node.ports), 'port')}"
    if step == "check":
        aca = (f"ACA lists them ({executor.describe(node, render(commands, 'aca_ports', node))})"
               if commands.aca_ports else "no aca_ports command: Alcor's side only")
        return f"poll every {poll:g}s: Alcor has the node's {count(len(node.ports), 'port')}; {aca}"
    command = getattr(commands, step)
    if not command:
        return "no command in the plan: skipped"
    shown = executor.describe(node, render(commands, step, node))
    return f"poll every {poll:g}s: {shown}" if step == "aca_health" else shown


def _rollback_action(plan: Plan, step: str) -> str:
    if step == "unbind_ports":
        return "Alcor: delete the node's ports and create them again without a host"
    return getattr(plan.cutover.commands, step) or "no command in the plan: skipped"
