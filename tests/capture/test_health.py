"""The capture's health check (`GET /.alcor-migrate/health` on its main address), which HAProxy's
`option httpchk` asks: answered by the capture itself, 200 only while its write log takes writes."""

from __future__ import annotations

import resource

import httpx

from tests.capture.conftest import eventually
from wizard.capture.health import HEALTH_PATH
from wizard.capture.writelog import WriteLog


def test_the_health_check_is_the_captures_own_answer_neither_forwarded_nor_counted_nor_logged(capture, upstream):
    with httpx.Client(base_url=capture.url) as client:
        assert client.post("/v2.0/networks", json={"network": {"name": "n1"}}).status_code == 201
        assert client.get("/v2.0/networks").status_code == 200
        health = client.get(HEALTH_PATH)
        head = client.head(HEALTH_PATH)
    assert health.status_code == 200 and head.status_code == 200
    assert health.json() == {"capture": capture.proxy.config.name, "requests": 2, "writes": 1, "last_seq": 1}
    assert [seen.path for seen in upstream.received] == ["/v2.0/networks", "/v2.0/networks"]  # never reached Neutron
    assert capture.proxy.stats().requests == 2  # HAProxy's checks every second do not count as traffic
    assert len(capture.log) == 1


def test_health_is_503_while_an_answer_waits_for_the_full_disk_and_200_once_it_is_logged(capture_process, upstream,
                                                                                       state_dir):
    running = capture_process("--neutron-url", upstream.url, "--state-dir", str(state_dir), "--name", "api-1",
                              file_size_limit=6000)
    health = f"{running.url}{HEALTH_PATH}"
    assert httpx.get(health).json() == {"capture": "api-1", "requests": 0, "writes": 0, "last_seq": 0}
    name = "n" * 3000  # the pending entry fits under the limit; it and Neutron's answer do not
    assert httpx.post(f"{running.url}/v2.0/networks", json={"network": {"name": name}}, timeout=10).status_code == 201
    sick = httpx.get(health)
    assert sick.status_code == 503
    assert sick.json()["capture"] == "api-1" and "1 outcome(s) wait to be logged" in sick.json()["error"]
    resource.prlimit(running.process.pid, resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    assert eventually(lambda: httpx.get(health).status_code == 200)
    assert httpx.get(health).json() == {"capture": "api-1", "requests": 1, "writes": 1, "last_seq": 1}
    assert [e.state for e in WriteLog(state_dir, readonly=True).states()] == ["committed"]
    assert running.stop()[0] == 0
