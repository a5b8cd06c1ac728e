"""Real clients through the capture proxy in front of the real neutron-server: the `openstack` CLI and
openstacksdk write, Neutron has the changes and the log has exactly those writes; 50 concurrent
writers get a gap-free log."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import httpx
import openstack
import pytest

from tests.capture.conftest import start_capture

pytestmark = pytest.mark.neutron
OPENSTACK = Path(sys.executable).with_name("openstack")


@pytest.fixture
def proxied(neutron_server, state_dir):
    running = start_capture(state_dir, neutron_server.url)
    yield running
    running.proxy.stop()
    running.log.close()


def neutron_has(url: str, path: str) -> dict | None:
    answer = httpx.get(f"{url}/v2.0/{path}", timeout=30)
    return answer.json() if answer.status_code == 200 else None


def writes(log) -> list[tuple[str, str, str]]:
    return [(e["method"], e["path"], e["state"]) for e in log.entries()]


def cli(proxy_url: str, *args: str) -> str:
    command = [str(OPENSTACK), "--os-auth-type", "none", "--os-endpoint", proxy_url, *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_openstack_cli_writes_through_the_proxy(proxied, neutron_server):
    name = f"cli-{uuid.uuid4().hex[:8]}"
    kept = cli(proxied.url, "network", "create", name, "-f", "value", "-c", "id")
    cli(proxied.url, "network", "set", "--name", f"{name}-renamed", "--description", "set by the CLI", kept)
    gone = cli(proxied.url, "network", "create", f"{name}-gone", "-f", "value", "-c", "id")
    cli(proxied.url, "network", "delete", gone)

    network = neutron_has(neutron_server.url, f"networks/{kept}")["network"]
    assert (network["name"], network["description"]) == (f"{name}-renamed", "set by the CLI")
    assert neutron_has(neutron_server.url, f"networks/{gone}") is None
    assert writes(proxied.log) == [("POST", "/v2.0/networks", "committed"),
                                   ("PUT", f"/v2.0/networks/{kept}", "committed"),
                                   ("POST", "/v2.0/networks", "committed"),
                                   ("DELETE", f"/v2.0/networks/{gone}", "committed")]
    assert proxied.log.entries()[0]["response"]["network"]["id"] == kept


def test_openstacksdk_writes_through_the_proxy(proxied, neutron_server):
    conn = openstack.connect(auth_type="none", network_endpoint_override=proxied.url,
                             load_yaml_config=False, load_envvars=False)
    try:
        network = conn.network.create_network(name=f"sdk-{uuid.uuid4().hex[:8]}")
        subnet = conn.network.create_subnet(network_id=network.id, cidr="10.77.0.0/24", ip_version=4)
        conn.network.update_network(network, description="by the sdk")
        conn.network.set_tags(network, ["blue"])
        conn.network.delete_subnet(subnet)
    finally:
        conn.close()

    held = neutron_has(neutron_server.url, f"networks/{network.id}")["network"]
    assert held["description"] == "by the sdk" and held["tags"] == ["blue"] and held["subnets"] == []
    assert neutron_has(neutron_server.url, f"subnets/{subnet.id}") is None
    assert writes(proxied.log) == [("POST", "/v2.0/networks", "committed"),
                                   ("POST", "/v2.0/subnets", "committed"),
                                   ("PUT", f"/v2.0/networks/{network.id}", "committed"),
                                   ("PUT", f"/v2.0/networks/{network.id}/tags", "committed"),
                                   ("DELETE", f"/v2.0/subnets/{subnet.id}", "committed")]


def test_fifty_concurrent_writers_each_write_logged_once_in_a_gap_free_sequence(proxied):
    project = uuid.uuid4().hex
    answers: list[httpx.Response] = []
    lock = threading.Lock()

    def writer(number: int) -> None:
        with httpx.Client(base_url=proxied.url, timeout=120) as http:
            made = http.post("/v2.0/networks", json={"network": {"name": f"w{number}", "project_id": project}})
            gone = http.delete(f"/v2.0/networks/{made.json()['network']['id']}")
        with lock:
            answers.extend((made, gone))

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(180)
    assert len(answers) == 100 and all(a.status_code in (201, 204) for a in answers)

    entries = proxied.log.entries()
    seqs = [e["seq"] for e in entries]
    assert seqs == list(range(1, len(entries) + 1))  # distinct and gap-free
    logged = [e["request_id"] for e in entries]
    assert sorted(logged) == sorted(a.headers["X-Openstack-Request-Id"] for a in answers)  # each once
    assert {e["state"] for e in entries} == {"committed"}


def raw_exchange(url: str, request: bytes) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    """Send one raw HTTP/1.1 request; the status line and the answer's headers, in order."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=30) as conn:
        conn.sendall(request)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                break
            data += chunk
    head = data.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    return head[0], [tuple(line.split(b": ", 1)) for line in head[1:]]


def test_neutrons_answer_headers_pass_as_they_are(proxied, neutron_server):
    network = httpx.post(f"{neutron_server.url}/v2.0/networks", json={"network": {"name": "headers"}}).json()
    ids = [network["network"]["id"]]
    ids.append(httpx.post(f"{neutron_server.url}/v2.0/networks", json={"network": {"name": "headers"}}).json()
               ["network"]["id"])
    for method, path in (("GET", "/v2.0/networks?name=headers"), ("DELETE", "/v2.0/networks/{}")):
        answers = []
        for url, network_id in zip((neutron_server.url, proxied.url), ids, strict=True):
            request = f"{method} {path.format(network_id)} HTTP/1.1\r\nHost: neutron\r\nConnection: close\r\n\r\n"
            answers.append(raw_exchange(url, request.encode()))
        (direct_status, direct), (proxied_status, through) = answers
        assert proxied_status == direct_status
        names = [name.lower() for name, _ in through]
        assert names == [name.lower() for name, _ in direct], (direct, through)  # none added, none dropped
        values = dict(through)
        assert all(values[name] == value for name, value in direct
                   if name.lower() not in (b"date", b"x-openstack-request-id"))
