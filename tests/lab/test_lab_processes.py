"""The lab's processes end with whatever started them: a test run killed with SIGKILL leaves no
neutron-server or Keystone behind, a wizard whose terminal closes (SIGHUP) none either, and SIGHUP
stops a lab run like SIGTERM."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import textwrap
import time

import psutil
import pytest

from tests.lab.test_lab_run import ROOT, RUN_TIMEOUT, command
from tests.lab.test_world import lab_plan
from tests.test_children import gone_within


def descendants(pid: int) -> list[int]:
    return [child.pid for child in psutil.Process(pid).children(recursive=True)]


def kill_left(pids: list[int]) -> None:
    """Whatever a failed test left running."""
    for pid in pids:
        with contextlib.suppress(psutil.NoSuchProcess):
            psutil.Process(pid).kill()


@pytest.mark.neutron
def test_a_process_killed_with_sigkill_leaves_no_neutron_server_or_keystone_behind():
    parent = subprocess.Popen([sys.executable, "-c", textwrap.dedent("""
        import time
        from wizard.lab.keystone_server import KeystoneServer
        from wizard.lab.neutron_server import NeutronServer
        NeutronServer().start(), KeystoneServer().start()
        print("up", flush=True)
        time.sleep(600)
    """)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    started: list[int] = []
    try:
        assert parent.stdout.readline() == "up\n"
        started = descendants(parent.pid)
        names = {psutil.Process(pid).name() for pid in started}
        assert "uwsgi" in names and "python" in " ".join(names), names  # neutron-server, its workers; Keystone
        parent.kill()
        parent.wait(10)
        assert [pid for pid in started if not gone_within(pid, 20)] == []
    finally:
        kill_left(started)


@pytest.mark.neutron
def test_sighup_stops_a_lab_run_like_sigterm_and_its_neutron_server_with_it(tmp_path):
    process = subprocess.Popen(command(tmp_path / "state"), cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    started: list[int] = []
    try:
        deadline = time.monotonic() + RUN_TIMEOUT
        for line in process.stdout:  # the lab is up once the phases begin
            if "▶ preflight" in line or time.monotonic() > deadline:
                break
        started = descendants(process.pid)
        assert "uwsgi" in {psutil.Process(pid).name() for pid in started}
        process.send_signal(signal.SIGHUP)
        output = process.communicate(timeout=60)[0]
        assert process.returncode == 130, output[-3000:]
        assert "run the same command again to resume" in output
        assert [pid for pid in started if not gone_within(pid, 20)] == []
    finally:
        if process.poll() is None:
            process.kill()
        kill_left(started)


@pytest.mark.neutron
def test_a_wizard_that_opened_the_lab_from_a_worker_leaves_no_neutron_server_when_its_terminal_closes(tmp_path):
    wizard = subprocess.Popen([sys.executable, "-c", textwrap.dedent("""
        import sys, threading, time
        from wizard.tui.session import open_engine
        worker = threading.Thread(target=open_engine, args=(sys.argv[1],))  # as the wizard opens a plan
        worker.start()
        worker.join()
        print("up", flush=True)
        time.sleep(600)
    """), str(lab_plan(tmp_path))], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    started: list[int] = []
    try:
        assert wizard.stdout.readline() == "up\n"
        started = descendants(wizard.pid)
        assert "uwsgi" in {psutil.Process(pid).name() for pid in started}  # alive after its worker ended
        wizard.send_signal(signal.SIGHUP)  # no handler: SIGHUP's default action ends the process at once
        assert wizard.wait(10) == -signal.SIGHUP
        assert [pid for pid in started if not gone_within(pid, 20)] == []
    finally:
        if wizard.poll() is None:
            wizard.kill()
        kill_left(started)
