"""Long-lived child processes (the lab's neutron-server and Keystone, a test's sshd) that die with
this process, however it dies: SIGKILL, or SIGHUP from a closed terminal, leaves none behind.

On Linux each child asks the kernel for a signal when its parent dies (`PR_SET_PDEATHSIG`). The
kernel's "parent" is the *thread* that forked the child, and the wizard starts its lab from a worker
thread that soon ends; so every child is forked by one daemon thread that lives as long as the
process. Elsewhere children are started as usual (no such signal).
"""

from __future__ import annotations

import concurrent.futures
import ctypes
import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import Any

_PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None


def spawn(argv: list[str], death_signal: int = signal.SIGTERM, **popen: Any) -> subprocess.Popen[Any]:
    """`subprocess.Popen(argv, **popen)`, the child sent `death_signal` when this process dies."""
    if _libc is None:
        return subprocess.Popen(argv, **popen)
    started: concurrent.futures.Future[subprocess.Popen[Any]] = concurrent.futures.Future()
    _forker().put((argv, popen, _die_with(os.getpid(), death_signal), started))
    return started.result()


def _die_with(parent: int, death_signal: int) -> Callable[[], None]:
    libc = _libc
    assert libc is not None  # spawn() comes here only where libc is loaded

    def preexec() -> None:  # in the child, between fork and exec
        if libc.prctl(_PR_SET_PDEATHSIG, death_signal, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG)")
        if os.getppid() != parent:  # the parent died before the prctl took effect
            os.kill(os.getpid(), death_signal)
    return preexec


_Request = tuple[list[str], dict[str, Any], Callable[[], None], "concurrent.futures.Future[subprocess.Popen[Any]]"]
_requests: queue.SimpleQueue[_Request] | None = None
_lock = threading.Lock()


def _forker() -> queue.SimpleQueue[_Request]:
    """The queue of the thread that forks every child, started on first use."""
    global _requests
    with _lock:
        if _requests is None:
            _requests = queue.SimpleQueue()
            threading.Thread(target=_fork_forever, args=(_requests,), name="children", daemon=True).start()
        return _requests


def _forget() -> None:  # a forked copy of this process has no forking thread until it starts its own
    global _requests
    _requests = None


os.register_at_fork(after_in_child=_forget)


def _fork_forever(requests: queue.SimpleQueue[_Request]) -> None:
    while True:
        argv, popen, preexec, started = requests.get()
        try:
            started.set_result(subprocess.Popen(argv, preexec_fn=preexec, **popen))
        except BaseException as exc:
            started.set_exception(exc)
