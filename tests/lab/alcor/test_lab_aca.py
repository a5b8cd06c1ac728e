"""The lab's simulated ACA over real HTTP."""

from __future__ import annotations

import httpx
import pytest

from wizard.lab.aca import LabAca

PORT = {"id": "p1", "network_id": "n1", "network_type": "vxlan", "vni": 4097, "mac": "aa:bb:cc:00:00:01",
        "fixed_ips": [{"subnet_id": "s1", "ip_address": "10.0.0.5"}], "security_groups": []}


def test_goal_states_create_update_and_delete_ports(aca, tls):
    url = aca.url
    assert httpx.get(url + "/health", verify=tls).json() == {"status": "ok", "node": "host-1", "ports": 0}
    assert httpx.post(url + "/v1/goalstate", json={"op": "create", "node": "host-1", "ports": [PORT]},
                      verify=tls).status_code == 200
    changed = {**PORT, "mac": "aa:bb:cc:00:00:02"}
    httpx.post(url + "/v1/goalstate", json={"op": "update", "node": "host-1", "ports": [changed]}, verify=tls)
    assert httpx.get(url + "/v1/ports", verify=tls).json() == {"ports": [changed]}
    httpx.post(url + "/v1/goalstate", json={"op": "delete", "node": "host-1", "ports": [{"id": "p1"}]}, verify=tls)
    assert aca.ports == {} and len(aca.received) == 3


@pytest.mark.parametrize("port, problem", [
    ({**PORT, "vni": 0}, "invalid tunnel id 0"),
    ({**PORT, "vni": 16777216}, "invalid tunnel id"),
    ({**PORT, "network_type": "vlan", "vni": 5000}, "invalid tunnel id 5000 for vlan"),
    ({**PORT, "network_type": "flat", "vni": None}, "unknown network type 'flat'"),
])
def test_what_aca_cannot_program_is_refused(aca, tls, port, problem):
    response = httpx.post(aca.url + "/v1/goalstate", json={"op": "create", "node": "host-1", "ports": [port]},
                          verify=tls)
    assert response.status_code == 400 and problem in response.json()["error"]
    assert aca.ports == {}


def test_messages_for_another_node_or_malformed_are_refused(aca, tls):
    other = httpx.post(aca.url + "/v1/goalstate", json={"op": "create", "node": "host-2", "ports": [PORT]}, verify=tls)
    assert other.status_code == 400 and "host-2" in other.json()["error"]
    bad = httpx.post(aca.url + "/v1/goalstate", json={"op": "replace", "ports": []}, verify=tls)
    assert bad.status_code == 400


def test_a_stopped_aca_refuses_connections_and_restarts_on_its_port(tls):
    aca = LabAca("host-1").start()
    port = aca.server_port
    aca.apply({"op": "create", "node": "host-1", "ports": [PORT]})
    aca.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(aca.url + "/health", verify=tls)
    aca.start()
    try:
        assert aca.server_port == port
        assert httpx.get(aca.url + "/v1/ports", verify=tls).json()["ports"] == [PORT]
    finally:
        aca.stop()
