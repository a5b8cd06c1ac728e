"""Cutover fixtures: a fleet of nodes whose agent and ACA are files in a temporary directory."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from wizard.core import children
from wizard.lab.neutron_server import free_port
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

    def __init__(self, nodes: FileNodes, fail: dict[str, int] | None = None, deliver: bool = True,
                 gone: frozenset[str] = frozenset()):
        self.nodes, self.fail, self.deliver = nodes, dict(fail or {}), deliver
        self.gone = gone  # ports deleted from Alcor: a bind answers False
        self.unbound: list[str] = []
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
        if binding.port_id in self.gone:
            return False
        with self.lock:
            self.bound[binding.port_id] = binding.host
        if self.deliver and self.nodes.aca_running(binding.host):
            with open(self.nodes.root / f"{binding.host}.ports", "a") as fh:
                fh.write(binding.port_id + "\n")
        return True

    def unbind_port(self, binding):
        with self.lock:
            self.unbound.append(binding.port_id)
            self.bound.pop(binding.port_id, None)
        path = self.nodes.root / f"{binding.host}.ports"
        if path.exists():
            kept = [p for p in path.read_text().split() if p != binding.port_id]
            path.write_text("".join(p + "\n" for p in kept))
        return True

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
    """FileControl(file_nodes, fail={method: nth call}, deliver=..., gone={port id})."""
    return lambda **kw: FileControl(file_nodes, **kw)


SSHD = Path("/usr/sbin/sshd")


@pytest.fixture
def sshd(tmp_path):
    """A real OpenSSH server on a free loopback port, with its own host key and one authorized client key.

    Yields (port, client_key, known_hosts). Needs Debian's openssh-server (and root, to run sshd).
    """
    import getpass
    import os
    import subprocess
    import time

    if not SSHD.exists():
        pytest.fail("sshd not found: apt-get install -y openssh-server openssh-client")
    root = tmp_path / "sshd"
    root.mkdir()
    host_key, client_key = root / "host_ed25519", root / "client_ed25519"
    for key in (host_key, client_key):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    (root / "authorized_keys").write_text(Path(f"{client_key}.pub").read_text())
    port = free_port()
    known_hosts = root / "known_hosts"
    known_hosts.write_text(f"[127.0.0.1]:{port} {Path(f'{host_key}.pub').read_text()}")
    config = root / "sshd_config"
    config.write_text(f"""ListenAddress 127.0.0.1
HostKey {host_key}
PidFile {root}/sshd.pid
AuthorizedKeysFile {root}/authorized_keys
AllowUsers {getpass.getuser()}
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
LogLevel ERROR
""")
    os.makedirs("/run/sshd", exist_ok=True)  # sshd's privilege separation directory
    log = open(root / "sshd.log", "w")  # noqa: SIM115 -- sshd writes it until the fixture's teardown
    process = children.spawn([str(SSHD), "-D", "-e", "-f", str(config), "-p", str(port)],
                             stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 10
        import socket

        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"sshd did not start: {(root / 'sshd.log').read_text()}")
                time.sleep(0.05)
        yield port, client_key, known_hosts
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


@pytest.fixture(scope="session")
def keystone_server(keystone):
    """The session's real Keystone (tests/conftest.py), by its auth URL."""
    return keystone.url


@pytest.fixture
def synthetic_nodes():
    """synthetic_nodes(hosts, ports=..., networks=...): the compute nodes of a synthetic cloud,
    with the ports its translation binds (the network node, which binds none, left out)."""
    from wizard.cutover.inventory import compute_nodes
    from wizard.lab.synth import CloudSize, SyntheticCloud
    from wizard.plan import Plan
    from wizard.translate.translation import translate

    def make(hosts, ports=None, networks=3):
        snapshot = SyntheticCloud(CloudSize(ports=ports or 10 * hosts + 10, hosts=hosts, networks=networks)).snapshot()
        nodes = compute_nodes(snapshot, Plan(), translate(snapshot).bindings)
        return [node for node in nodes if node.ports]

    return make
