"""The lab's simulated compute nodes: a Neutron agent and an ACA each, driven by a tiny shell.

The lab plan's node commands are written in this shell, so the cutover runs the
same steps as on a real cloud:

    neutron-agent start|stop|status     the simulated neutron-openvswitch-agent
    aca start|stop|health|ports         the node's LabAca (health and ports over its HTTP API)

A node can be told to fail a command (`failing`) or to take `delay` seconds per
command, for tests and benchmarks.
"""

from __future__ import annotations

import random
import socket
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import httpx

from wizard.lab.aca import LabAca
from wizard.plan import NodeCommands, NodeOverride

LAB_COMMANDS = NodeCommands(
    stop_agents="neutron-agent stop",
    start_agents="neutron-agent start",
    start_aca="aca start",
    stop_aca="aca stop",
    aca_health="aca health",
    aca_ports="aca ports",
)


def reserve_port(taken: Iterable[int] = (), host: str = "127.0.0.1") -> int:
    """A free port below the ephemeral range (so no outgoing connection takes it before ACA starts),
    other than the `taken` ones reserved already."""
    try:
        ephemeral = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        ephemeral = 32768
    taken = set(taken)
    for port in random.sample(range(10000, ephemeral), 200):
        if port in taken:
            continue
        with socket.socket() as sock:
            try:
                sock.bind((host, port))
            except OSError:
                continue
            return port
    raise OSError("no free port below the ephemeral range for a lab ACA")


class LabNode:
    """One simulated compute host. `shell` returns (exit code, output); exit code None on timeout."""

    def __init__(self, name: str, delay: float = 0.0, failing: Iterable[str] = (), port: int | None = None):
        self.name = name
        self.aca = LabAca(node=name, port=port or reserve_port())
        self.agent_running = True
        self.delay = delay
        self.failing = set(failing)
        self._lock = threading.Lock()

    def shell(self, command: str, timeout: float) -> tuple[int | None, str]:
        if self.delay > timeout:
            time.sleep(timeout)
            return None, f"{command}: timed out"
        time.sleep(self.delay)
        if command in self.failing:
            return 1, f"{command}: simulated failure on {self.name}"
        words = command.split()
        handlers: dict[tuple[str, ...], Callable[..., Any]] = {("neutron-agent",): self._agent, ("aca",): self._aca}
        handler = handlers.get(tuple(words[:1]))
        if handler is None or len(words) != 2:
            return 127, f"{command}: command not found (lab nodes know: neutron-agent, aca)"
        with self._lock:
            return handler(words[1], timeout)

    def _agent(self, verb: str, timeout: float) -> tuple[int, str]:
        if verb in ("start", "stop"):
            self.agent_running = verb == "start"
            return 0, ""
        if verb == "status":
            return (0, "active") if self.agent_running else (3, "inactive")
        return 2, f"neutron-agent {verb}: unknown verb"

    def _aca(self, verb: str, timeout: float) -> tuple[int, str]:
        if verb == "start":
            self.aca.start()
            return 0, ""
        if verb == "stop":
            self.aca.stop()
            return 0, ""
        if verb in ("health", "ports"):
            path = "/health" if verb == "health" else "/v1/ports"
            try:
                answer = httpx.get(self.aca.url + path, timeout=timeout)
            except httpx.TransportError as exc:
                return 1, f"ACA unreachable: {exc}"
            if verb == "health":
                return 0, answer.text
            return 0, "".join(port["id"] + "\n" for port in answer.json()["ports"])
        return 2, f"aca {verb}: unknown verb"


class LabFleet:
    """The simulated nodes of a lab cloud, by host name."""

    def __init__(self, hosts: Iterable[str], delay: float = 0.0, ports: dict[str, int] | None = None):
        """`ports` keeps hosts' ACAs on the ports an earlier run gave them (Alcor has them registered)."""
        self.nodes: dict[str, LabNode] = {}
        given = ports or {}
        taken: set[int] = set(given.values())
        for host in hosts:
            port = given.get(host) or reserve_port(taken)
            taken.add(port)
            self.nodes[host] = LabNode(host, delay, port=port)

    @property
    def ports(self) -> dict[str, int]:
        """Each host's ACA port."""
        return {host: node.aca.server_port for host, node in self.nodes.items()}

    def __getitem__(self, host: str) -> LabNode:
        return self.nodes[host]

    def node_overrides(self) -> dict[str, NodeOverride]:
        """Where Alcor reaches each node's ACA: loopback, the LabAca's port."""
        return {host: NodeOverride(local_ip="127.0.0.1", address="127.0.0.1", server_port=node.aca.server_port)
                for host, node in self.nodes.items()}

    def stop(self) -> None:
        for node in self.nodes.values():
            node.aca.stop()
