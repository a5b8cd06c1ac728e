"""Fixtures for the Alcor emulator's tests: an HTTP client on the emulator, a lab ACA, and shorthands."""

from __future__ import annotations

import httpx
import pytest

from wizard.lab.aca import LabAca

PROJECT = "p1"


@pytest.fixture
def http(emulator, tls):
    with httpx.Client(base_url=emulator.url_for("vpc"), timeout=5, verify=tls) as client:
        yield client


@pytest.fixture
def aca():
    with LabAca("host-1") as aca:
        yield aca


class World:
    """Shorthands that build Alcor resources over HTTP, asserting each create worked."""

    def __init__(self, http: httpx.Client):
        self.http = http

    def post(self, path: str, body: dict, status: int = 201) -> dict:
        response = self.http.post(f"/project/{PROJECT}{path}", json=body)
        assert response.status_code == status, response.text
        return response.json()

    def vpc(self, id: str = "net-1", **fields) -> dict:
        return self.post("/vpcs", {"network": {"id": id, **fields}})["network"]

    def subnet(self, id: str = "sub-1", network_id: str = "net-1", cidr: str = "10.0.1.0/24", **fields) -> dict:
        return self.post("/subnets", {"subnet": {"id": id, "network_id": network_id, "cidr": cidr, **fields}})["subnet"]

    def port(self, id: str = "port-1", network_id: str = "net-1", **fields) -> dict:
        return self.post("/ports", {"port": {"id": id, "network_id": network_id, **fields}})["port"]

    def node(self, aca: LabAca, node_id: str = "node-1") -> dict:
        body = {"host_info": {"node_id": node_id, "node_name": aca.node, "local_ip": aca.host,
                              "server_port": aca.server_port}}
        response = self.http.post("/nodes", json=body)
        assert response.status_code == 201, response.text
        return response.json()["host_info"]


@pytest.fixture
def world(http) -> World:
    return World(http)


def assert_alcor_error(response: httpx.Response, status: int, message: str | None) -> None:
    """Spring Boot's default error body with the given status and message."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"timestamp", "status", "error", "message", "path"}
    assert body["status"] == status
    if message is not None:
        assert body["message"] == message
