"""Several capture processes on one port (`capture --workers N`), so one API node uses every core.

The supervising process reserves the listen address (a socket bound with SO_REUSEPORT, never
listening) and starts N workers: each is `alcor-migrate capture` itself, listening on the same
address with SO_REUSEPORT (the kernel spreads new connections over them) and writing its own log
in `<state-dir>/worker-K/`. A worker that dies is started again within a second (its log settles
what it left `pending` as `unknown`); the kernel sends new connections to the others meanwhile.
Workers die with the supervisor (PR_SET_PDEATHSIG). The cut-over's write hold (hold_file.py) is
watched by every worker; each acks in its own directory, and the supervisor acks the run's request
(and its release) once every worker has (`relay_holds`), so writes are held on every worker when
the run goes on, and pass on every worker when the release returns.
Each worker's first line of output says it listens (kept in `first_line`, for the supervisor to
show after its own); every later line it prints is passed on, prefixed with its name.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from wizard.capture.hold_file import ACK_FILE, HOLD_FILE, POLL, read_record, write_record
from wizard.core.errors import MigrateError

START_TIMEOUT = 30.0
RESTART_AFTER = 1.0  # seconds between two starts of one worker
STOP_TIMEOUT = 15.0
WORKER_DIR = "worker-{}"
_PR_SET_PDEATHSIG = 1


def worker_dir(state_dir: str | os.PathLike, number: int) -> Path:
    return Path(state_dir) / WORKER_DIR.format(number)


def reserve_port(host: str, port: int) -> socket.socket:
    """A socket bound to (host, port) with SO_REUSEPORT, not listening: it holds the port (the
    real one if `port` is 0) for the workers, which bind it too."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    holder = socket.socket(family, socket.SOCK_STREAM)
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        holder.bind((host, port))
    except OSError as exc:
        holder.close()
        raise MigrateError(f"capture.listen: cannot listen on {host}:{port}: {exc.strerror}") from None
    return holder


class Worker:
    """One worker process and the thread passing its output on."""

    def __init__(self, number: int, command: list[str]):
        self.number, self.command = number, command
        self.name = WORKER_DIR.format(number)
        self.ready = threading.Event()
        self.started = time.monotonic()
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                        preexec_fn=_die_with_parent)
        self.first_line = ""
        threading.Thread(target=self._relay, name=f"capture-{self.name}-output", daemon=True).start()

    def _relay(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            if not self.ready.is_set():
                self.first_line = line
                self.ready.set()
            else:
                print(f"{self.name}: {line}", end="", file=sys.stderr, flush=True)
        self.ready.set()  # it exited before (or after) saying it listens


class Supervisor:
    """N workers, each started by `command(K)`, kept running until `stop()`."""

    def __init__(self, count: int, command: Callable[[int], list[str]], say: Callable[[str], None]):
        self.count, self.command, self.say = count, command, say
        self.workers: dict[int, Worker] = {}
        self.restarts = 0

    def start(self) -> None:
        """Start every worker; returns once each listens. MigrateError (and none left running) if one cannot."""
        try:
            for number in range(1, self.count + 1):
                self._start(number)
        except BaseException:
            self.stop()
            raise

    def _start(self, number: int) -> None:
        worker = self.workers[number] = Worker(number, self.command(number))
        if not worker.ready.wait(START_TIMEOUT) or worker.process.poll() is not None:
            raise MigrateError(f"capture {worker.name} did not start: {worker.first_line.strip() or 'no output'}")

    def watch(self, stop: threading.Event, every: float = 0.2) -> None:
        """Until `stop` is set: start again each worker that exited. Run it in the thread that
        started the workers (a worker dies with the thread that started it)."""
        while not stop.wait(every):
            for number, worker in list(self.workers.items()):
                code = worker.process.poll()
                if code is None or time.monotonic() - worker.started < RESTART_AFTER:
                    continue
                self.say(f"warning: capture {worker.name} exited ({_exit(code)}); starting it again")
                self.restarts += 1
                try:
                    self._start(number)
                except MigrateError as exc:
                    self.say(f"warning: {exc}")
                else:
                    self.say(f"{worker.name}: {self.workers[number].first_line.rstrip()}")

    def relay_holds(self, state_dir: str | os.PathLike, stop: threading.Event) -> threading.Thread:
        """Until `stop` is set (in a background thread): ack the hold asked for in `state_dir` (or its
        release) once every worker has acked it in its own directory."""

        def relay() -> None:
            ack = Path(state_dir) / ACK_FILE
            while not stop.wait(POLL):
                with contextlib.suppress(OSError, ValueError):
                    asked = (read_record(Path(state_dir) / HOLD_FILE) or {}).get("id")
                    acked = {(read_record(worker_dir(state_dir, n) / ACK_FILE) or {}).get("id") for n in self.workers}
                    if acked == {asked} and (read_record(ack) or {}).get("id") != asked:
                        write_record(ack, {"id": asked})

        thread = threading.Thread(target=relay, name="capture-hold-relay", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        """SIGTERM every worker and wait for it (SIGKILL past STOP_TIMEOUT)."""
        for worker in self.workers.values():
            if worker.process.poll() is None:
                worker.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        for worker in self.workers.values():
            try:
                worker.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                worker.process.kill()
                worker.process.wait()


def _exit(code: int) -> str:
    return f"signal {signal.Signals(-code).name}" if code < 0 else f"status {code}"


def _die_with_parent() -> None:
    """In the child: SIGTERM when the process (thread) that started it goes away."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
