"""A small real-shaped cloud, plan files in tmp directories, `alcor-migrate` run in-process, and a cloud on
a real Keystone with a token-checking neutron-server (`neutron`, `cloud`)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import openstack
import pytest
import yaml

from tests.conftest import drop_network_services
from wizard import cli
from wizard.lab.alcor import AlcorEmulator
from wizard.lab.neutron_server import NeutronServer, ServiceUser

SAMPLE = Path(__file__).parents[1] / "translate" / "data" / "neutron29-small.json"
ALCOR = "http://127.0.0.1:9"  # never contacted up to preview


@pytest.fixture
def alcor_url():
    """The Alcor emulator that convert and verify reach."""
    with AlcorEmulator(seed=1) as emulator:
        yield emulator.url_for("vpc")


@pytest.fixture
def sample(tmp_path) -> Path:
    """A copy of the Neutron 29 sample cloud (its flat network is external: elastic-IP ranges)."""
    path = tmp_path / "cloud.json"
    path.write_bytes(SAMPLE.read_bytes())
    return path


@pytest.fixture
def plan_file(tmp_path, sample, alcor_url) -> Path:
    """A plan that runs the sample with flat networks skipped and port p3 (port security off) in an
    allow-all group (no blockers) into tmp/state."""
    path = tmp_path / "plan.yaml"
    path.write_text(f"version: 1\nname: sample\nstate_dir: state\nneutron: {{snapshot: {sample.name}}}\n"
                    f"alcor: {{url: '{alcor_url}'}}\n"
                    "translate: {flat_networks: skip, port_security_off: allow_all_group}\n")
    return path


class Cli:
    """Runs `alcor-migrate ...` in this process; stdin is never a terminal."""

    def __init__(self, capsys, monkeypatch):
        self.capsys, self.monkeypatch = capsys, monkeypatch

    def __call__(self, *args: str) -> tuple[int, str, str]:
        self.monkeypatch.setattr("sys.stdin", io.StringIO(""))
        code = cli.main([str(arg) for arg in args])
        out, err = self.capsys.readouterr()
        return code, out, err

    def events(self, *args: str) -> tuple[int, list[dict]]:
        code, out, _err = self("run", "--json", *args)
        return code, [json.loads(line) for line in out.splitlines()]


@pytest.fixture
def alcor_migrate(capsys, monkeypatch) -> Cli:
    return Cli(capsys, monkeypatch)


NEUTRON_USER = ("neutron", "neutron-secret")
DEMO_USER = ("demo", "demo-secret")
DEAD_INTERNAL = "http://127.0.0.1:9/internal"


@pytest.fixture(scope="module")
def neutron(keystone, tmp_path_factory):
    """A neutron-server that checks tokens with the session's Keystone, with one (fake) agent."""
    keystone.add_user(*NEUTRON_USER, project="service", roles=("admin", "service"))
    with NeutronServer(run_dir=tmp_path_factory.mktemp("neutron"),
                       keystone=ServiceUser(keystone.url, *NEUTRON_USER)) as server:
        server.add_agent("keystone-host-1", "192.0.2.61")
        yield server


@pytest.fixture
def cloud(keystone, neutron, tmp_path, monkeypatch):
    """clouds.yaml with `admin` and `demo` (password auth); a catalog whose network service has a
    public endpoint at Neutron and an internal one nobody answers at. Yields the admin connection."""
    keystone.add_user(*DEMO_USER, project="demo", roles=("member",))

    def entry(user, password, project):
        return {"auth": {"auth_url": keystone.url, "username": user, "password": password, "project_name": project,
                         "user_domain_name": "Default", "project_domain_name": "Default"},
                "region_name": "RegionOne"}

    clouds = tmp_path / "clouds.yaml"
    clouds.write_text(yaml.safe_dump({"clouds": {"admin": entry("admin", "secret", "admin"),
                                                 "demo": entry(*DEMO_USER, "demo")}}))
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(clouds))
    conn = openstack.connect(cloud="admin")
    drop_network_services(conn)
    service = conn.identity.create_service(name="neutron", type="network")
    for interface, url in (("public", neutron.url), ("internal", DEAD_INTERNAL)):
        conn.identity.create_endpoint(service_id=service.id, interface=interface, region_id="RegionOne", url=url)
    yield conn
    conn.close()
