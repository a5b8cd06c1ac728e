"""Cutover fixtures: a fleet of nodes whose agent and ACA are files in a temporary directory."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from wizard.plan import NodeCommands, StepTimeouts


class FileNodes:
    """Node state as files: `<host>.agent` while the Neutron agent runs, `<host>.aca` while ACA runs,
    `<host>.ports` the ports ACA was given (written by FileControl when Alcor binds a port)."""

    def __init__(self, root: Path):
        self.root = root

    def commands(self, **overrides) -> NodeCommands:
        r = self.root
        values = dict(
            stop_agents=f"rm -f {r}/{{host}}.agent",
            start_agents=f"touch {r}/{{host}}.agent",
            start_aca=f"touch {r}/{{host}}.aca",
            stop_aca=f"rm -f {r}/{{host}}.aca {r}/{{host}}.ports",
            aca_health=f"test -f {r}/{{host}}.aca",
            aca_ports=f"cat {r}/{{host}}.ports 2>/dev/null || true",
        )
        values.update(overrides)
        return NodeCommands(**values)

    def start_agents(self, hosts):
        for host in hosts:
            (self.root / f"{host}.agent").touch()

    def agent_running(self, host):
        return (self.root / f"{host}.agent").exists()

    def aca_running(self, host):
        return (self.root / f"{host}.aca").exists()

    def aca_ports(self, host):
        path = self.root / f"{host}.ports"
        return set(path.read_text().split()) if path.exists() else set()


class FileControl:
    """Alcor's side for step tests before the emulator: bindings in a dict; a bound port is
    'delivered' to the node's ACA file only while that ACA runs (ACA has no passive mode)."""

    def __init__(self, nodes: FileNodes, fail: dict[str, int] | None = None, deliver: bool = True):
        self.nodes, self.fail, self.deliver = nodes, dict(fail or {}), deliver
        self.registered: dict[str, dict] = {}
        self.bound: dict[str, str] = {}
        self.calls = 0
        self.lock = threading.Lock()

    def _maybe_fail(self, what):
        with self.lock:
            if what in self.fail:
                self.fail[what] -= 1
                if self.fail[what] <= 0:
                    raise RuntimeError(f"Alcor refused {what} (test)")

    def register_node(self, info):
        self._maybe_fail("register_node")
        self.registered[info["node_name"]] = info

    def bind_port(self, binding):
        self._maybe_fail("bind_port")
        with self.lock:
            self.bound[binding.port_id] = binding.host
        if self.deliver and self.nodes.aca_running(binding.host):
            with open(self.nodes.root / f"{binding.host}.ports", "a") as fh:
                fh.write(binding.port_id + "\n")

    def unbind_port(self, binding):
        with self.lock:
            self.bound.pop(binding.port_id, None)
        path = self.nodes.root / f"{binding.host}.ports"
        if path.exists():
            kept = [p for p in path.read_text().split() if p != binding.port_id]
            path.write_text("".join(p + "\n" for p in kept))

    def ports_on(self, host):
        with self.lock:
            return {port for port, bound_host in self.bound.items() if bound_host == host}


@pytest.fixture
def file_nodes(tmp_path):
    root = tmp_path / "nodes"
    root.mkdir()
    return FileNodes(root)


@pytest.fixture
def fast_timeouts():
    return StepTimeouts(register=2, stop_agents=2, start_aca=2, aca_health=0.6, bind_ports=2, check=0.6,
                        unbind_ports=2, stop_aca=2, start_agents=2, poll=0.05)


@pytest.fixture
def make_control(file_nodes):
    """FileControl(file_nodes, fail={method: nth call}, deliver=...)."""
    return lambda **kw: FileControl(file_nodes, **kw)
