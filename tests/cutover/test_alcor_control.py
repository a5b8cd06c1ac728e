"""The node control on the emulator: a bind keeps what Alcor's update would reset; an unbind deletes the
port and creates it again without a host, resumably."""

from __future__ import annotations

import pytest

from wizard.alcor.client import AlcorClient
from wizard.alcor.request import deferred_id
from wizard.cutover.alcor_control import AlcorNodeControl
from wizard.cutover.inventory import PortBinding
from wizard.lab.aca import LabAca
from wizard.lab.alcor import AlcorEmulator

PROJECT = "p1"
HOST = "host-1"


@pytest.fixture
def alcor():
    with (AlcorEmulator(seed=3, delivery_timeout=1.0) as emulator, LabAca(HOST) as aca,
          AlcorClient(emulator.endpoints, retries=1, backoff=0.01) as client):
        control = AlcorNodeControl(client)
        control.register_node({"node_id": "node-1", "node_name": HOST, "local_ip": aca.host,
                               "server_port": aca.server_port})
        yield client, control, aca


def post(client: AlcorClient, path: str, wrapper: str, item: dict) -> dict:
    answer = client._http.post(f"{client.endpoints['vpc']}/project/{PROJECT}{path}", json={wrapper: item})
    assert answer.status_code in (200, 201), answer.text
    return answer.json()[wrapper]


def a_port(client: AlcorClient, **fields) -> PortBinding:
    """A VPC, subnet and group, and a port created as convert creates it: no host, its translated body."""
    post(client, "/vpcs", "network", {"id": "net-1"})
    post(client, "/subnets", "subnet", {"id": "sub-1", "network_id": "net-1", "cidr": "10.0.1.0/24"})
    post(client, "/security-groups", "security_group", {"id": "web", "name": "web"})
    body = {"id": "port-1", "network_id": "net-1", "mac_address": "fa:16:3e:00:00:01", "project_id": PROJECT,
            "fixed_ips": [{"subnet_id": "sub-1", "ip_address": "10.0.1.7"}], "security_groups": ["web"],
            "port_security_enabled": False, "device_id": "vm-1", "name": "appliance", **fields}
    post(client, "/ports", "port", body)
    return PortBinding(port_id="port-1", project_id=PROJECT, network_id="net-1", device_id="vm-1", host=HOST,
                       body=body)


def test_a_bind_keeps_port_security_off_and_the_groups(alcor):
    client, control, aca = alcor
    binding = a_port(client)
    assert control.bind_port(binding)
    port = client.get("port", "port-1", PROJECT)
    assert port["binding:host_id"] == HOST
    assert port["port_security_enabled"] is False and port["security_groups"] == ["web"]
    assert set(aca.ports) == {"port-1"} and control.ports_on(HOST) == {"port-1"}


def test_a_bind_keeps_what_a_replayed_write_changed_since_the_translation(alcor):
    client, control, _ = alcor
    binding = a_port(client)
    post(client, "/security-groups", "security_group", {"id": "db", "name": "db"})
    replayed = client._http.put(f"{client.endpoints['port']}/project/{PROJECT}/ports/port-1",
                                json={"port": {"security_groups": ["db"], "port_security_enabled": False}})
    assert replayed.is_success
    assert control.bind_port(binding)
    port = client.get("port", "port-1", PROJECT)
    assert port["security_groups"] == ["db"] and port["port_security_enabled"] is False


def test_an_unbind_leaves_the_port_unbound_with_its_addresses_and_the_old_aca_without_it(alcor):
    client, control, aca = alcor
    binding = a_port(client)
    control.bind_port(binding)
    before = client.get("port", "port-1", PROJECT)
    assert control.unbind_port(binding)
    after = client.get("port", "port-1", PROJECT)
    assert not after.get("binding:host_id")
    for field in ("mac_address", "fixed_ips", "security_groups", "port_security_enabled", "device_id", "name"):
        assert after[field] == before[field], field
    assert aca.ports == {} and control.ports_on(HOST) == set()
    assert control.unbind_port(binding) and client.get("port", "port-1", PROJECT) == after  # done: nothing sent


def test_an_unbind_that_died_after_the_delete_creates_the_port_from_its_translated_body(alcor):
    client, control, aca = alcor
    binding = a_port(client)
    default = client._http.get(f"{client.endpoints['security_group']}/project/{PROJECT}"
                               f"/security-groups/default/{PROJECT}").json()["security_group"]["id"]
    translated = {**binding.body, "security_groups": ["web", deferred_id("security_groups", "nd")]}  # default: deferred
    binding = PortBinding(**{**vars(binding), "body": translated})
    control.bind_port(binding)
    deleted = client._http.delete(f"{client.endpoints['port']}/project/{PROJECT}/ports/port-1")
    assert deleted.status_code == 200 and aca.ports == {}
    assert control.unbind_port(binding)
    port = client.get("port", "port-1", PROJECT)
    assert port["mac_address"] == "fa:16:3e:00:00:01" and not port.get("binding:host_id")
    assert port["fixed_ips"] == [{"subnet_id": "sub-1", "ip_address": "10.0.1.7"}]
    assert port["security_groups"] == ["web", default] and port["port_security_enabled"] is False


def test_an_unbind_leaves_a_port_bound_to_another_node_alone(alcor):
    client, control, aca = alcor
    binding = a_port(client)
    control.bind_port(binding)
    elsewhere = PortBinding(**{**vars(binding), "host": "host-2"})
    assert control.unbind_port(elsewhere)
    assert client.get("port", "port-1", PROJECT)["binding:host_id"] == HOST and set(aca.ports) == {"port-1"}
