"""Children started with wizard.core.children.spawn die with their parent, even one killed with SIGKILL,
and even when the thread that asked for them has ended."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def alive(pid: int) -> bool:
    """Running (not gone, not a zombie waiting for a parent that is no more)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rpartition(")")[2].split()[0] not in ("Z", "X")


def gone_within(pid: int, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def parent(script: str) -> tuple[subprocess.Popen, int]:
    """A python process running `script` (which prints its child's pid), and that pid."""
    process = subprocess.Popen([sys.executable, "-c", textwrap.dedent(script)], cwd=ROOT, stdout=subprocess.PIPE,
                               text=True)
    return process, int(process.stdout.readline())


def test_a_child_dies_when_its_parent_is_killed_with_sigkill():
    process, child = parent("""
        import time
        from wizard.core import children
        print(children.spawn(["sleep", "300"]).pid, flush=True)
        time.sleep(300)
    """)
    try:
        assert alive(child)
        process.kill()
        process.wait(5)
        assert gone_within(child)
    finally:
        if alive(child):
            os.kill(child, signal.SIGKILL)


def test_a_child_spawned_for_a_thread_that_ended_lives_until_its_process_dies():
    process, child = parent("""
        import threading, time
        from wizard.core import children
        started = []
        worker = threading.Thread(target=lambda: started.append(children.spawn(["sleep", "300"])))
        worker.start()
        worker.join()
        time.sleep(0.5)  # the kernel would signal the child now if the worker had forked it
        print(started[0].pid if started[0].poll() is None else -1, flush=True)
        time.sleep(300)
    """)
    try:
        assert child > 0 and alive(child)
        process.kill()
        process.wait(5)
        assert gone_within(child)
    finally:
        if child > 0 and alive(child):
            os.kill(child, signal.SIGKILL)
