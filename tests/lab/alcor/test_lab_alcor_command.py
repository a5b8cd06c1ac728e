"""`alcor-migrate lab alcor`: the emulator alone, as an operator runs it."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import httpx
import pytest

from tests.lab.alcor.conftest import PROJECT
from wizard.cli import main


def start(*args: str) -> tuple[subprocess.Popen, dict[str, str]]:
    process = subprocess.Popen([sys.executable, "-m", "wizard", "lab", "alcor", "--port", "0", *args],
                               stdout=subprocess.PIPE, text=True)
    urls = {}
    for line in process.stdout:
        if line.startswith("Alcor emulator running"):
            return process, urls
        service, url = line.split()
        urls[service] = url
    raise AssertionError(f"the emulator did not start (exit {process.wait(5)})")


def stop(process: subprocess.Popen, signum: int = signal.SIGINT) -> int:
    process.send_signal(signum)
    return process.wait(10)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_runs_until_interrupted_and_keeps_its_state_in_a_file(tmp_path, tls, signum):
    state = tmp_path / "alcor.json"
    process, urls = start("--state", str(state), "--seed", "3")
    try:
        assert set(urls) == {"vpc", "subnet", "route", "port", "node", "security_group", "elastic_ip"}
        created = httpx.post(urls["vpc"] + f"/project/{PROJECT}/vpcs", json={"network": {"id": "net-1"}}, verify=tls)
        assert created.status_code == 201
    finally:
        assert stop(process, signum) == 0
    assert "net-1" in json.loads(state.read_text())["resources"]["vpc"]
    process, urls = start("--state", str(state))
    try:
        again = httpx.get(urls["vpc"] + f"/project/{PROJECT}/vpcs/net-1", verify=tls).json()
        assert again["network"]["id"] == "net-1"
    finally:
        stop(process)


def test_faults_from_the_command_line(tls):
    process, urls = start("--fault-500", "1", "--fault-after", "0")
    try:
        response = httpx.get(urls["vpc"] + f"/project/{PROJECT}/vpcs", verify=tls)
        assert response.status_code == 500 and response.json()["message"] == "injected fault"
    finally:
        stop(process)


def test_bad_fault_share_is_bad_input(capsys):
    assert main(["lab", "alcor", "--fault-500", "1.5"]) == 2
    assert "--fault-500 must be between 0 and 1" in capsys.readouterr().err


def test_gateway_in_front_of_one_port_per_service(tls):
    process, urls = start("--gateway")
    try:
        assert set(urls) == {"gateway", "vpc", "subnet", "route", "port", "node", "security_group", "elastic_ip"}
        assert len(set(urls.values())) == 8
        node = {"host_infos": [{"node_id": "n1", "node_name": "h1", "local_ip": "192.0.2.1"}]}
        assert httpx.post(urls["gateway"] + "/nodes/bulk", json=node, verify=tls).status_code == 404
        assert httpx.post(urls["node"] + "/nodes/bulk", json=node, verify=tls).status_code == 200
        created = httpx.post(urls["gateway"] + f"/project/{PROJECT}/vpcs", json={"network": {"id": "net-1"}},
                             verify=tls)
        assert created.status_code == 201
        listed = httpx.get(urls["gateway"] + f"/project/{PROJECT}/vpcs", verify=tls).json()
        assert [n["id"] for n in listed["networks"]] == ["net-1"]
    finally:
        assert stop(process) == 0
