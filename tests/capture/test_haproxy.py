"""Captures behind a real HAProxy, as a production cloud's API nodes are: the backend the tool
writes balances over the captures, takes out one that dies without losing a write, and with
`fail_open` lets writes reach Neutron when no capture is left."""

from __future__ import annotations

import httpx
import pytest

from wizard.capture.haproxy import Checks, Server, backend
from wizard.core.errors import InputError
from wizard.lab.haproxy_server import HaproxyServer

FAST = Checks(interval_ms=100, fall=2, rise=1)


def servers(captures) -> list[Server]:
    return [Server(f"capture-{n}", capture.url.removeprefix("http://")) for n, capture in enumerate(captures, 1)]


def logged(captures) -> list[str]:
    return sorted(entry["body"]["network"]["name"] for capture in captures for entry in capture.log.entries())


def create(client: httpx.Client, name: str) -> int:
    return client.post("/v2.0/networks", json={"network": {"name": name}}).status_code


def test_writes_are_balanced_over_the_captures_and_each_is_logged_once(captures, upstream):
    neutron = [Server("neutron-1", upstream.url.removeprefix("http://"))]
    with HaproxyServer(backend("neutron_server", servers(captures), neutron, fail_open=True, checks=FAST)) as haproxy, \
            httpx.Client(base_url=haproxy.url, timeout=10) as client:
        haproxy.wait_for("capture-1", "UP")
        haproxy.wait_for("capture-2", "UP")
        assert [create(client, f"n{n}") for n in range(10)] == [201] * 10
    assert logged(captures) == sorted(f"n{n}" for n in range(10))
    assert all(len(capture.log) > 0 for capture in captures)  # both took writes


def test_a_capture_that_dies_is_taken_out_and_no_write_is_lost(captures, upstream):
    with HaproxyServer(backend("neutron_server", servers(captures), [], fail_open=False, checks=FAST)) as haproxy, \
            httpx.Client(base_url=haproxy.url, timeout=10) as client:
        haproxy.wait_for("capture-2", "UP")
        captures[0].proxy.stop()  # the first API node's capture dies
        statuses = [create(client, f"n{n}") for n in range(10)]  # connection failures are sent to the other
        haproxy.wait_for("capture-1", "DOWN")
    assert statuses == [201] * 10
    assert logged(captures) == sorted(f"n{n}" for n in range(10))
    assert len([r for r in upstream.received if r.method == "POST"]) == 10  # each write reached Neutron once


def test_failing_open_sends_writes_to_neutron_when_no_capture_is_left(captures, upstream):
    neutron = [Server("neutron-1", upstream.url.removeprefix("http://"))]
    with HaproxyServer(backend("neutron_server", servers(captures), neutron, fail_open=True, checks=FAST)) as haproxy, \
            httpx.Client(base_url=haproxy.url, timeout=10) as client:
        for capture in captures:
            capture.proxy.stop()
        haproxy.wait_for("capture-1", "DOWN")
        haproxy.wait_for("capture-2", "DOWN")
        assert create(client, "bypassed") == 201  # the cloud stays up; the write bypasses the logs
    assert logged(captures) == []
    assert [r.method for r in upstream.received if r.method == "POST"] == ["POST"]


def test_failing_closed_answers_503_when_no_capture_is_left(captures):
    with HaproxyServer(backend("neutron_server", servers(captures), [], fail_open=False, checks=FAST)) as haproxy, \
            httpx.Client(base_url=haproxy.url, timeout=10) as client:
        for capture in captures:
            capture.proxy.stop()
        haproxy.wait_for("capture-1", "DOWN")
        haproxy.wait_for("capture-2", "DOWN")
        assert create(client, "refused") == 503


def test_a_backend_names_what_is_wrong():
    with pytest.raises(InputError, match="no capture"):
        backend("neutron_server", [], [], fail_open=False)
    with pytest.raises(InputError, match="needs Neutron's own servers"):
        backend("neutron_server", [Server("capture-1", "10.0.0.1:9797")], [], fail_open=True)
    with pytest.raises(InputError, match="is not NAME HOST:PORT"):
        backend("neutron_server", [Server("capture 1", "10.0.0.1")], [], fail_open=False)
