"""The lab as production looks (lab.haproxy): a real HAProxy in front of two `alcor-migrate capture`
processes in front of the lab's neutron-server.

Before the run, HAProxy's Neutron backend is Neutron itself, as on a cloud before the migration;
the run's `capture.insertion: haproxy` sends it to the captures (capture/haproxy_insertion.py,
reloading this HAProxy with `reload_command`). Each capture is its own process with its own state
directory and write log under the lab's directory, as on its own API node, and serves them on a log
feed of its own (`--feed-listen`, its token file made by the capture, mode 0600); the plan lists both
feeds in `capture.nodes`, so the run reads them as it reads a production cloud's: replay merges the
logs over the feeds, and the cut-over's write hold reaches both captures through them. `kill(name)`
kills a capture with SIGKILL, as a crashed API node would, and starts it again `RESTART_AFTER`
seconds later on the same addresses and log, as systemd's `Restart=always` would.
A watcher keeps HAProxy's view of every server as it changes (the failover); `record()` writes, in
`<lab dir>/captures.json`, each capture's log counts, the kills and HAProxy's transitions.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from wizard.capture.feed_token import TOKEN_FILE
from wizard.capture.writelog import WriteLog
from wizard.core import children
from wizard.core.errors import MigrateError
from wizard.lab.haproxy_server import HaproxyServer, haproxy_binary, neutron_backend
from wizard.lab.neutron_server import free_port
from wizard.plan import CaptureNode, HaproxyConfig

BACKEND = "neutron_server_back"
NEUTRON = "neutron-1"
NAMES = ("capture-1", "capture-2")
RESTART_AFTER = 2.0  # seconds, systemd's RestartSec in a capture's unit
RECORD_FILE = "captures.json"
START_TIMEOUT = 30.0
WATCH_EVERY = 0.1


@dataclass
class LabCapture:
    """One `alcor-migrate capture` process: its name in HAProxy, its ports (clients', feed's) and state directory."""

    name: str
    port: int
    feed_port: int
    state_dir: Path
    process: subprocess.Popen | None = None
    kills: list[float] = field(default_factory=list)  # time.time() of each SIGKILL
    starts: list[float] = field(default_factory=list)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def feed(self) -> str:
        return f"127.0.0.1:{self.feed_port}"


class LabCaptures:
    """HAProxy and the two captures; start() before the run, stop() after."""

    def __init__(self, neutron_url: str, lab_dir: Path, progress=lambda text: None):
        self.neutron = urlsplit(neutron_url).netloc
        self.neutron_url = neutron_url
        self.lab_dir = lab_dir
        self.progress = progress
        self.captures = [LabCapture(name, free_port(), free_port(), lab_dir / name) for name in NAMES]
        self.haproxy = HaproxyServer(neutron_backend(BACKEND, {NEUTRON: self.neutron}), directory=lab_dir / "haproxy")
        self.transitions: list[dict[str, Any]] = []  # HAProxy's view of a server changed
        self._stopping = threading.Event()
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        """HAProxy's frontend: the cloud's public network endpoint."""
        return self.haproxy.url

    def start(self) -> None:
        self.haproxy.start()
        for capture in self.captures:
            self._start(capture)
        threading.Thread(target=self._watch, name="lab-haproxy-watch", daemon=True).start()
        self.progress(f"lab: HAProxy at {self.url} in front of Neutron; captures "
                      f"{', '.join(f'{c.name} at {c.address} (feed {c.feed})' for c in self.captures)}")

    def settings(self) -> HaproxyConfig:
        """capture.haproxy for this lab: the run sends HAProxy's Neutron backend to the captures, failing open."""
        return HaproxyConfig(config=str(self.haproxy.config), backend=BACKEND,
                             captures={c.name: c.address for c in self.captures}, neutron={NEUTRON: self.neutron},
                             fail_open=True, reload=self.haproxy.reload_command,
                             binary=haproxy_binary())

    def nodes(self) -> dict[str, CaptureNode]:
        """capture.nodes for this lab: each capture's feed and its token file, which replay merges and
        the cut-over holds through."""
        return {c.name: CaptureNode(feed=f"http://{c.feed}", token_file=str(c.state_dir / TOKEN_FILE))
                for c in self.captures}

    def kill(self, name: str) -> None:
        """SIGKILL the capture `name`; it is started again RESTART_AFTER seconds later."""
        capture = next(c for c in self.captures if c.name == name)
        with self._lock:
            if capture.process is None:
                return
            capture.process.send_signal(signal.SIGKILL)
            capture.process.wait()
            capture.process = None
            capture.kills.append(time.time())
        self.progress(f"lab: {name} killed (SIGKILL); restarting in {RESTART_AFTER:g}s")
        threading.Timer(RESTART_AFTER, self._restart, (capture,)).start()

    def counts(self) -> list[dict[str, Any]]:
        """Each capture's write log: entries by state, read from its file."""
        rows = []
        for capture in self.captures:
            log = WriteLog(capture.state_dir, readonly=True)
            try:
                states = Counter(entry.state for entry in log.states())
            finally:
                log.close()
            rows.append({"capture": capture.name, "address": capture.address, "writes": sum(states.values()),
                         **dict(sorted(states.items())), "killed": len(capture.kills),
                         "started": len(capture.starts)})
        return rows

    def record(self) -> dict[str, Any]:
        """`<lab dir>/captures.json`: each capture's counts, the kills, HAProxy's transitions."""
        with self._lock:
            kills = sorted((at, c.name) for c in self.captures for at in c.kills)
            document = {"captures": self.counts(), "kills": [{"capture": name, "at": at} for at, name in kills],
                        "haproxy": list(self.transitions)}
        (self.lab_dir / RECORD_FILE).write_text(json.dumps(document, indent=1) + "\n")
        return document

    def stop(self) -> None:
        self._stopping.set()
        with self._lock:
            for capture in self.captures:
                process, capture.process = capture.process, None
                if process is not None:
                    process.terminate()
                    try:
                        process.wait(timeout=10)
                    except subprocess.TimeoutExpired:
                        process.kill()
                        process.wait()
        self.haproxy.stop()

    # -- inside ---------------------------------------------------------------------------------
    def _start(self, capture: LabCapture) -> None:
        capture.state_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.lab_dir / f"{capture.name}.log", "a")  # noqa: SIM115 - the child's stderr, kept open
        with log:
            capture.process = children.spawn(
                [sys.executable, "-m", "wizard", "capture", "--neutron-url", self.neutron_url, "--listen",
                 capture.address, "--state-dir", str(capture.state_dir), "--name", capture.name, "--feed-listen",
                 capture.feed, "--status-every", "5"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        capture.starts.append(time.time())
        deadline = time.monotonic() + START_TIMEOUT
        while not (_listening(capture.port) and _listening(capture.feed_port)):
            if capture.process.poll() is not None or time.monotonic() > deadline:
                raise MigrateError(f"lab: {capture.name} did not start on {capture.address} (see "
                                   f"{self.lab_dir / f'{capture.name}.log'})")
            time.sleep(0.05)

    def _restart(self, capture: LabCapture) -> None:
        with self._lock:
            if self._stopping.is_set() or capture.process is not None:
                return
            self._start(capture)
        self.progress(f"lab: {capture.name} started again on {capture.address}")

    def _watch(self) -> None:
        seen: dict[str, str] = {}
        while not self._stopping.wait(WATCH_EVERY):
            states = {name: re.sub(r" \d+/\d+$", "", state)  # "UP 1/2": still UP, one check failed
                      for name, state in self.haproxy.server_states().items()}
            for name, state in states.items():
                if seen.get(name) != state:
                    self.transitions.append({"server": name, "state": state, "at": time.time()})
                    seen[name] = state


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        return True
    except OSError:
        return False

