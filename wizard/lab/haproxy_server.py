"""A real HAProxy (Debian's `haproxy`) on a free loopback port, in front of a backend section
(capture/haproxy.py writes the one that sends Neutron's traffic to the captures):

    with HaproxyServer(backend("neutron_server", captures, neutron, fail_open=True)) as haproxy:
        httpx.get(haproxy.url + "/v2.0/networks")

It runs in the foreground as a child process in master-worker mode, its configuration in
`directory` (a temporary one by default): `config` is the file, and `reload_command` the shell
command that makes HAProxy read it again (SIGUSR2 to the master, as `systemctl reload haproxy`
does), which is what capture.haproxy.reload runs in a lab. `server_states()` reads HAProxy's
view of each server (UP, DOWN...) from its stats socket.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from wizard.core import children
from wizard.core.errors import MigrateError
from wizard.lab.neutron_server import free_port

BINARIES = ("/usr/sbin/haproxy", "haproxy")
CONFIG = """global
    maxconn 4096
    stats socket {socket} mode 600 level admin

defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    timeout check 2s

frontend neutron
    bind 127.0.0.1:{port}
    default_backend {backend}

{backend_section}"""


def neutron_backend(name: str, servers: dict[str, str]) -> str:
    """A backend as a cloud's HAProxy has it before the migration: Neutron's servers (name: HOST:PORT)."""
    lines = [f"backend {name}", "    balance roundrobin"]
    lines += [f"    server {server} {address} check" for server, address in servers.items()]
    return "\n".join(lines) + "\n"


def haproxy_binary() -> str:
    """Where Debian's haproxy is."""
    binary = next((found for name in BINARIES if (found := shutil.which(name))), None)
    if binary is None:
        raise MigrateError("haproxy is not installed (Debian: apt-get install haproxy)")
    return binary


class HaproxyServer:
    """HAProxy serving one frontend on 127.0.0.1 that sends everything to `backend_section`."""

    def __init__(self, backend_section: str, directory: Path | None = None):
        self.backend_section = backend_section
        self.backend = backend_section.split()[1]
        self.port = 0
        self._given = directory
        self._dir: Path | None = None
        self._process: subprocess.Popen | None = None

    @property
    def config(self) -> Path:
        assert self._dir is not None, "haproxy is not started"
        return self._dir / "haproxy.cfg"

    @property
    def reload_command(self) -> str:
        assert self._process is not None, "haproxy is not running"
        return f"kill -USR2 {self._process.pid}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> HaproxyServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def start(self, timeout: float = 10.0) -> HaproxyServer:
        binary = haproxy_binary()
        if self._given is not None:
            self._given.mkdir(parents=True, exist_ok=True)
        self._dir = self._given or Path(tempfile.mkdtemp(prefix="lab-haproxy-"))
        self.port = free_port()
        config = self.config
        config.write_text(CONFIG.format(socket=self._dir / "admin.sock", port=self.port, backend=self.backend,
                                        backend_section=self.backend_section))
        checked = subprocess.run([binary, "-c", "-f", str(config)], capture_output=True, text=True)
        if checked.returncode != 0:
            raise MigrateError(f"haproxy refuses its configuration {config}:\n{checked.stdout}{checked.stderr}")
        self._process = children.spawn([binary, "-W", "-db", "-f", str(config)], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + timeout
        while not _listening(self.port):
            if self._process.poll() is not None or time.monotonic() > deadline:
                error = self._stop_process()
                raise MigrateError(f"haproxy did not start on port {self.port}: {error}")
            time.sleep(0.05)
        return self

    def server_states(self) -> dict[str, str]:
        """Each server of the backend and its state as HAProxy sees it: UP, DOWN, MAINT..."""
        if self._dir is None:
            return {}
        try:
            with socket.socket(socket.AF_UNIX) as admin:
                admin.connect(str(self._dir / "admin.sock"))
                admin.sendall(b"show stat\n")
                data = b""
                while chunk := admin.recv(65536):
                    data += chunk
        except OSError:  # a reload: the new worker has not opened its socket yet
            return {}
        lines = data.decode().splitlines()
        if not lines:
            return {}
        header = lines[0].lstrip("# ").split(",")
        rows = [dict(zip(header, line.split(","), strict=False)) for line in lines[1:] if line]
        return {row["svname"]: row["status"] for row in rows
                if row["pxname"] == self.backend and row["svname"] not in ("FRONTEND", "BACKEND")}

    def wait_for(self, server: str, state: str, timeout: float = 10.0) -> None:
        """Until HAProxy sees `server` in `state` (its health checks run every interval)."""
        deadline = time.monotonic() + timeout
        while self.server_states().get(server, "").split(" ")[0] != state:
            if time.monotonic() > deadline:
                raise MigrateError(f"haproxy: {server} is {self.server_states().get(server)}, not {state}")
            time.sleep(0.05)

    def stop(self) -> None:
        self._stop_process()
        if self._dir is not None and self._given is None:
            shutil.rmtree(self._dir, ignore_errors=True)
        self._dir = None

    def _stop_process(self) -> str:
        process, self._process = self._process, None
        if process is None:
            return ""
        if process.poll() is None:
            process.terminate()
        try:
            _, error = process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            _, error = process.communicate()
        return (error or "").strip()


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        return True
    except OSError:
        return False
