"""Waves of nodes, and the networks each wave splits while it runs.

Alcor allocates its own VNIs (reference §0.3), so while a network has VMs on a
migrated node and on a node still under Neutron, the two halves cannot reach
each other. The planner puts canary nodes first, then explicit lists,
fixed-size batches or everything at once, and reports for every wave the
networks split during it, the VMs affected and the expected window. With
`order: networks` it groups nodes that share networks into the same batch,
which shortens those windows.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from wizard.core.errors import InputError
from wizard.cutover.inventory import ComputeNode
from wizard.plan import WaveConfig

ORDERS = ("name", "networks")


@dataclass(frozen=True)
class Wave:
    number: int  # 1-based
    name: str  # "canary", "list 2", "batch 3", "all"
    nodes: tuple[str, ...]

    def estimate(self, config: WaveConfig) -> float:
        """Expected seconds: rounds of `parallel` nodes, `node_seconds` each."""
        return math.ceil(len(self.nodes) / max(config.parallel, 1)) * config.node_seconds


@dataclass(frozen=True)
class SplitNetwork:
    """A network with VMs on both sides of the cutover for a while."""

    network_id: str
    vms: tuple[str, ...]  # every VM (device id) with a port on the network
    first_wave: int
    last_wave: int
    window: float  # expected seconds from the start of first_wave to the end of last_wave

    @property
    def within_one_wave(self) -> bool:
        return self.first_wave == self.last_wave


@dataclass(frozen=True)
class WaveSplits:
    wave: Wave
    networks: tuple[SplitNetwork, ...]

    @property
    def vms(self) -> tuple[str, ...]:
        return tuple(sorted({vm for network in self.networks for vm in network.vms}))


def plan_waves(nodes: Sequence[ComputeNode], config: WaveConfig) -> list[Wave]:
    """The waves, in order; InputError names unknown, repeated or forgotten nodes."""
    by_name = {node.name: node for node in nodes}
    problems = _check_names(config, by_name)
    if config.order not in ORDERS:
        problems.append(f"cutover.waves.order: {config.order!r} is not one of {', '.join(ORDERS)}")
    if config.batch_size < 1:
        problems.append(f"cutover.waves.batch_size: {config.batch_size} must be at least 1")
    if problems:
        raise InputError(problems)
    waves: list[list[str]] = []
    if config.canary:
        waves.append(list(config.canary))
    placed = {name for group in [config.canary, *config.lists] for name in group}
    rest = [node for node in nodes if node.name not in placed]
    if config.lists:
        if rest:
            raise InputError(f"cutover.waves.lists: nodes in no wave: {', '.join(n.name for n in rest)}")
        waves.extend(list(group) for group in config.lists)
    elif config.all_at_once:
        waves.append([node.name for node in rest])
    else:
        ordered = group_by_networks(rest, config.batch_size) if config.order == "networks" else rest
        names = [node.name for node in ordered]
        waves.extend(names[i:i + config.batch_size] for i in range(0, len(names), config.batch_size))
    return [Wave(number=i + 1, name=_wave_name(i, config), nodes=tuple(group))
            for i, group in enumerate(group for group in waves if group)]


def _wave_name(index: int, config: WaveConfig) -> str:
    if config.canary and index == 0:
        return "canary"
    position = index if config.canary else index + 1
    if config.lists:
        return f"list {position}"
    return "all" if config.all_at_once else f"batch {position}"


def _check_names(config: WaveConfig, known: dict[str, ComputeNode]) -> list[str]:
    problems: list[str] = []
    seen: dict[str, str] = {}
    groups = [("cutover.waves.canary", config.canary)] + [
        (f"cutover.waves.lists[{i}]", group) for i, group in enumerate(config.lists)]
    for where, group in groups:
        for name in group:
            if name not in known:
                problems.append(f"{where}: unknown node {name!r} (not in the snapshot or the plan's nodes)")
            elif name in seen:
                problems.append(f"{where}: node {name!r} is already in {seen[name]}")
            else:
                seen[name] = where
    return problems


def group_by_networks(nodes: Sequence[ComputeNode], batch_size: int) -> list[ComputeNode]:
    """Order nodes so that each batch gathers nodes sharing networks (greedy, deterministic).

    Each batch starts from the remaining node with the most networks, then takes
    the node sharing the most networks with the batch so far.
    """
    remaining = sorted(nodes, key=lambda n: (-len(n.networks), n.name))
    ordered: list[ComputeNode] = []
    while remaining:
        batch = [remaining.pop(0)]
        networks = set(batch[0].networks)
        while remaining and len(batch) < batch_size:
            best = max(range(len(remaining)),
                       key=lambda i: (len(networks & remaining[i].networks), -i))
            node = remaining.pop(best)
            batch.append(node)
            networks |= node.networks
        ordered.extend(batch)
    return ordered


def split_networks(waves: Sequence[Wave], nodes: Iterable[ComputeNode], config: WaveConfig) -> list[WaveSplits]:
    """For every wave, the networks with VMs on both sides of the cutover at some time during it."""
    wave_of = {name: wave.number for wave in waves for name in wave.nodes}
    hosts: dict[str, set[str]] = {}
    vms: dict[str, set[str]] = {}
    for node in nodes:
        for port in node.ports:
            hosts.setdefault(port.network_id, set()).add(node.name)
            vms.setdefault(port.network_id, set()).add(port.vm)
    ends, total = {}, 0.0
    for wave in waves:
        ends[wave.number] = (total, total + wave.estimate(config))
        total += wave.estimate(config)
    splits: list[SplitNetwork] = []
    for network_id, on in sorted(hosts.items()):
        if len(on) < 2:
            continue  # one host: moves in one step, never split
        numbers = [wave_of[host] for host in on if host in wave_of]
        if not numbers:
            continue
        first, last = min(numbers), max(numbers)
        splits.append(SplitNetwork(network_id=network_id, vms=tuple(sorted(vms[network_id])),
                                   first_wave=first, last_wave=last,
                                   window=ends[last][1] - ends[first][0]))
    return [WaveSplits(wave=wave, networks=tuple(s for s in splits if s.first_wave <= wave.number <= s.last_wave))
            for wave in waves]


def split_cost(splits: Sequence[WaveSplits]) -> float:
    """The sum of every split network's window: what `order: networks` tries to shrink."""
    unique = {network.network_id: network.window for wave in splits for network in wave.networks}
    return sum(unique.values())
