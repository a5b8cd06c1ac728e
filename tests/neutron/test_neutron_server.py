"""The real neutron-server harness: fresh databases, fake agents, clean stops, clear failures."""

import os
import uuid

import httpx
import pytest

from wizard.core.errors import MigrateError
from wizard.lab import neutron_server
from wizard.lab.neutron_server import NeutronServer

pytestmark = pytest.mark.neutron


def post(server, collection, body):
    singular = collection.rstrip("s").replace("-", "_")
    response = httpx.post(f"{server.url}/v2.0/{collection}", json={singular: body}, timeout=30)
    assert response.status_code == 201, response.text
    return response.json()[singular]


def test_ports_bind_as_ovs_only_on_hosts_with_an_agent(neutron_server):
    project = f"harness-{uuid.uuid4().hex[:8]}"
    neutron_server.add_agent("harness-host-1", "192.0.2.201")
    network = post(neutron_server, "networks", {"name": "harness", "project_id": project})
    post(neutron_server, "subnets", {"network_id": network["id"], "cidr": "10.99.0.0/24",
                                     "ip_version": 4, "project_id": project})
    bound = post(neutron_server, "ports", {"network_id": network["id"], "project_id": project,
                                           "binding:host_id": "harness-host-1"})
    failed = post(neutron_server, "ports", {"network_id": network["id"], "project_id": project,
                                            "binding:host_id": "harness-host-without-agent"})
    assert bound["binding:vif_type"] == "ovs"
    assert failed["binding:vif_type"] == "binding_failed"
    agents = httpx.get(f"{neutron_server.url}/v2.0/agents", params={"host": "harness-host-1"}).json()
    assert [(a["alive"], a["configurations"]["tunneling_ip"]) for a in agents["agents"]] == [
        (True, "192.0.2.201")]


def test_security_groups_get_the_seeded_default_rules(neutron_server):
    project = f"harness-{uuid.uuid4().hex[:8]}"
    group = post(neutron_server, "security-groups", {"name": "web", "project_id": project})
    assert sorted(r["direction"] for r in group["security_group_rules"]) == ["egress", "egress"]
    default = httpx.get(f"{neutron_server.url}/v2.0/security-groups",
                        params={"project_id": project, "name": "default"}).json()["security_groups"]
    assert len(default) == 1 and len(default[0]["security_group_rules"]) == 4


def test_a_server_starts_from_a_saved_database_and_stops_without_leftovers(neutron_server, tmp_path):
    post(neutron_server, "networks", {"name": "saved-network", "project_id": "harness-saved"})
    neutron_server.save_database(tmp_path / "saved.sqlite")
    server = NeutronServer(database=tmp_path / "saved.sqlite").start()
    try:
        networks = httpx.get(f"{server.url}/v2.0/networks", params={"project_id": "harness-saved"}).json()
        assert [n["name"] for n in networks["networks"]] == ["saved-network"]
        assert server.port != neutron_server.port
        pid, run_dir = server._process.pid, server.run_dir
    finally:
        server.stop()
    with pytest.raises(ProcessLookupError):
        os.killpg(pid, 0)
    assert not run_dir.exists()
    with pytest.raises(MigrateError):
        _ = server.url


def test_a_server_that_dies_at_start_fails_with_its_log(monkeypatch, tmp_path):
    broken = neutron_server._uwsgi_ini
    monkeypatch.setattr(neutron_server, "_uwsgi_ini",
                        lambda *args: broken(*args).replace("neutron.wsgi.api", "no_such_module"))
    server = NeutronServer(run_dir=tmp_path)
    with pytest.raises(MigrateError) as info:
        server.start()
    assert "neutron-server exited" in str(info.value)
    assert "no_such_module" in str(info.value)
    assert server._process is None


def test_the_cache_directory_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("ALCOR_MIGRATE_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert neutron_server.venv_dir() == tmp_path / "alcor-migrate" / "neutron-29"
    monkeypatch.setenv("ALCOR_MIGRATE_CACHE", str(tmp_path / "own"))
    assert neutron_server.venv_dir() == tmp_path / "own" / "neutron-29"


def test_lab_quotas_are_unlimited(neutron_server):
    quota = httpx.get(f"{neutron_server.url}/v2.0/quotas/harness-quota").json()["quota"]
    assert quota["port"] == quota["network"] == quota["floatingip"] == -1
