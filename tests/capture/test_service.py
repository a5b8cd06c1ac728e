"""`capture --systemd-unit`: the unit that runs a capture as a service on an API node, checked by
systemd-analyze, and its ExecStart run as systemd would run it."""

from __future__ import annotations

import configparser
import os
import shlex
import signal
import subprocess
import sys

import httpx

from tests.capture.conftest import ALCOR_MIGRATE, eventually
from wizard.capture.health import HEALTH_PATH
from wizard.capture.writelog import WriteLog
from wizard.lab.neutron_server import free_port


def unit_for(*args: str) -> str:
    return subprocess.run([*ALCOR_MIGRATE, "capture", "--systemd-unit", *args], capture_output=True, text=True,
                          check=True).stdout


def parsed(unit: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # systemd's keys are case-sensitive
    parser.read_string(unit)
    return parser


def test_the_unit_restarts_always_in_its_own_state_directory_and_systemd_analyze_finds_nothing(tmp_path):
    unit = unit_for("--neutron-url", "http://127.0.0.1:9696", "--listen", "0.0.0.0:9797",
                    "--feed-listen", "0.0.0.0:9798", "--workers", "2")
    service = parsed(unit)["Service"]
    assert service["Restart"] == "always" and service["KillSignal"] == "SIGTERM"
    assert service["StateDirectory"] == "alcor-migrate-capture" and service["StateDirectoryMode"] == "0700"
    command = shlex.split(service["ExecStart"])
    assert command[:4] == [sys.executable, "-m", "wizard", "capture"]
    options = dict(zip(command[4::2], command[5::2], strict=True))
    assert options["--state-dir"] == "/var/lib/alcor-migrate-capture"
    assert options["--neutron-url"] == "http://127.0.0.1:9696" and options["--workers"] == "2"
    assert options["--feed-listen"] == "0.0.0.0:9798"
    path = tmp_path / "alcor-migrate-capture.service"
    path.write_text(unit)
    checked = subprocess.run(["systemd-analyze", "verify", str(path)], capture_output=True, text=True)
    assert checked.returncode == 0 and checked.stderr == "", checked.stderr  # any warning fails too


def test_the_units_execstart_serves_health_and_logs_into_its_state_directory(upstream, tmp_path):
    port = free_port()
    unit = unit_for("--neutron-url", upstream.url, "--listen", f"127.0.0.1:{port}", "--state-dir",
                    str(tmp_path / "state"), "--name", "api-1")
    service = parsed(unit)["Service"]
    assert "StateDirectory" not in service  # a directory of the operator's own choosing
    environment = dict(shlex.split(value)[0].split("=", 1) for key, value in service.items() if key == "Environment")
    process = subprocess.Popen(shlex.split(service["ExecStart"]), env={"PATH": os.environ["PATH"], **environment},
                               stderr=subprocess.PIPE, text=True)
    try:
        assert eventually(lambda: _health(port) == {"capture": "api-1", "requests": 0, "writes": 0, "last_seq": 0},
                          seconds=30)
        assert httpx.delete(f"http://127.0.0.1:{port}/v2.0/networks/n1").status_code == 204
    finally:
        process.send_signal(getattr(signal, service["KillSignal"]))
        assert process.wait(int(service["TimeoutStopSec"])) == 0
    assert [e["method"] for e in WriteLog(tmp_path / "state", readonly=True).entries()] == ["DELETE"]


def _health(port: int) -> dict | None:
    try:
        return httpx.get(f"http://127.0.0.1:{port}{HEALTH_PATH}").json()
    except httpx.TransportError:
        return None
