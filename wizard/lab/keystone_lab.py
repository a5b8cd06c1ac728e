"""The Keystone of a Keystone lab (`lab.keystone: true`): its users, its catalog, its clouds.yaml.

`LabKeystone` runs the real Keystone harness (wizard/lab/keystone_server.py) with:

- `neutron` (project service, admin): the user neutron-server checks tokens as;
- `alcor` (project service, admin): the user Alcor's API gateway checks tokens as (`keystone.username`);
- `demo` (project demo, member): the lab's users write as demo, and as `admin` where they touch the
  sample cloud's projects, each at the network endpoint its login's catalog names;
- a `network` service whose public and internal endpoints are Neutron's URL (the switch moves them);
- a clouds.yaml with the clouds `lab-admin` and `lab-demo`, in Keystone's run directory (removed with
  it: passwords never reach the state directory), named by OS_CLIENT_CONFIG_FILE while the lab runs.

`openstack_after_switch` is the lab's last check: the `openstack` CLI, through the catalog, lists the
networks and creates and deletes a port, all in Alcor.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import yaml

from wizard.core.errors import MigrateError
from wizard.lab.alcor.gateway import KeystoneAuth
from wizard.lab.keystone_server import ADMIN_PASSWORD, REGION, KeystoneServer, ensure_installed, password_auth
from wizard.lab.neutron_server import ServiceUser

ADMIN_CLOUD, DEMO_CLOUD = "lab-admin", "lab-demo"
CLOUDS_ENV = "OS_CLIENT_CONFIG_FILE"
CLI_TIMEOUT = 120.0
USERS = {"neutron": ("service", ("admin", "service")), "alcor": ("service", ("admin", "service")),
         "demo": ("demo", ("member",))}  # user: (project, roles)


def lab_template() -> Path:
    """A Keystone holding the lab's projects and users, made once beside the Keystone install: every lab
    starts from it, so the demo project keeps its id from run to run (a resumed run finds the demo's
    earlier resources). Passwords are set anew by each lab."""
    template = ensure_installed() / "lab"
    if not template.is_dir():
        with KeystoneServer() as server:
            for user, (project, roles) in USERS.items():
                server.add_user(user, secrets.token_urlsafe(12), project=project, roles=roles)
            server.save(template)
    return template


class LabKeystone:
    """A running Keystone with the lab's users; `start()`, `publish(neutron_url)`, `stop()`."""

    def __init__(self):
        self.server = KeystoneServer(template=lab_template())
        self.passwords = {user: secrets.token_urlsafe(12) for user in USERS}
        self._environ: tuple[str | None] | None = None  # OS_CLIENT_CONFIG_FILE before publish()
        self._service_id: str | None = None  # the catalog's network service

    def start(self) -> LabKeystone:
        self.server.start()
        with self._admin() as api:
            for user, password in self.passwords.items():
                found = api.get("/users", params={"name": user}).raise_for_status().json()["users"]
                api.patch(f"/users/{found[0]['id']}", json={"user": {"password": password}}).raise_for_status()
        return self

    def stop(self) -> None:
        if self._environ is not None:
            (before,), self._environ = self._environ, None
            if before is None:
                os.environ.pop(CLOUDS_ENV, None)
            else:
                os.environ[CLOUDS_ENV] = before
        self.server.stop()

    @property
    def url(self) -> str:
        return self.server.url

    def neutron_user(self) -> ServiceUser:
        return ServiceUser(self.url, "neutron", self.passwords["neutron"])

    def gateway_auth(self) -> KeystoneAuth:
        return KeystoneAuth(self.url, "alcor", self.passwords["alcor"])

    def login(self, cloud: str) -> tuple[str, str]:
        """A fresh login of lab-admin or lab-demo: its token, and the network endpoint its catalog names
        (public, as a client finds Neutron: the capture's once the capture is inserted)."""
        user, password, project = ("admin", ADMIN_PASSWORD, "admin") if cloud == ADMIN_CLOUD else \
            ("demo", self.passwords["demo"], "demo")
        answer = httpx.post(f"{self.url}/auth/tokens", json=password_auth(user, password, project), timeout=30)
        if answer.status_code != 201:
            raise MigrateError(f"lab: keystone at {self.url}: login {cloud}: HTTP {answer.status_code}")
        network = [entry["url"] for service in answer.json()["token"]["catalog"] if service["type"] == "network"
                   for entry in service["endpoints"] if entry["interface"] == "public"]
        if not network:
            raise MigrateError(f"lab: keystone at {self.url}: no public network endpoint in {cloud}'s catalog")
        return answer.headers["X-Subject-Token"], network[0]

    def publish(self, neutron_url: str) -> Path:
        """Neutron in the catalog (public and internal), and the clouds.yaml naming this Keystone."""
        with self._admin() as api:
            service = api.post("/services", json={"service": {"name": "neutron", "type": "network"}})
            self._service_id = service.raise_for_status().json()["service"]["id"]
            for interface in ("public", "internal"):
                api.post("/endpoints", json={"endpoint": {"service_id": self._service_id, "interface": interface,
                                                          "region_id": REGION, "url": neutron_url}}
                         ).raise_for_status()
        clouds = self.server.directory() / "clouds.yaml"
        clouds.write_text(yaml.safe_dump({"clouds": {
            ADMIN_CLOUD: self._cloud("admin", ADMIN_PASSWORD, "admin"),
            DEMO_CLOUD: self._cloud("demo", self.passwords["demo"], "demo")}}))
        clouds.chmod(0o600)
        self._environ = (os.environ.get(CLOUDS_ENV),)
        os.environ[CLOUDS_ENV] = str(clouds)
        return clouds

    def point_network_at(self, url: str) -> None:
        """Every network endpoint at URL: a resumed run after the switch (this Keystone is new each run)."""
        with self._admin() as api:
            for entry in api.get("/endpoints", params={"service_id": self._service_id}).raise_for_status(
                    ).json()["endpoints"]:
                api.patch(f"/endpoints/{entry['id']}", json={"endpoint": {"url": url}}).raise_for_status()

    def _admin(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"X-Auth-Token": self.server.admin_token()}, timeout=30)

    def _cloud(self, user: str, password: str, project: str) -> dict[str, Any]:
        return {"auth": {"auth_url": self.url, "username": user, "password": password, "project_name": project,
                         "user_domain_name": "Default", "project_domain_name": "Default"},
                "region_name": REGION, "identity_api_version": 3}


def openstack(*args: str) -> Any:
    """`openstack --os-cloud lab-admin ARGS` as a subprocess (python-openstackclient); its JSON answer."""
    cli = Path(sys.executable).parent / "openstack"
    if not cli.is_file():
        raise MigrateError(f"lab: {cli}: not installed (python-openstackclient, a test dependency)")
    done = subprocess.run([str(cli), "--os-cloud", ADMIN_CLOUD, *args], capture_output=True,
                          text=True, timeout=CLI_TIMEOUT, env=os.environ.copy())
    if done.returncode != 0:
        raise MigrateError(f"lab: openstack {' '.join(args)}: {done.stderr.strip()[-500:]}")
    return json.loads(done.stdout) if done.stdout.strip() else None


def openstack_after_switch(held_ports) -> dict[str, Any]:
    """Through the catalog (now Alcor's API gateway): `network list`, then a port created on the first
    listed network with a subnet and deleted again; `held_ports()` is the port ids Alcor holds."""
    networks = openstack("network", "list", "-f", "json")
    target = next((n["ID"] for n in networks if n["Subnets"]), None)
    if target is None:
        raise MigrateError("lab: openstack network list through the catalog: no network with a subnet")
    # by id: Alcor answers a GET of an unknown network 200 {"network": null}, so the CLI cannot find by name
    port = openstack("port", "create", "--network", target, "lab-after-switch", "-f", "json")["id"]
    created = port in held_ports()
    openstack("port", "delete", port)
    return {"networks": sorted(n["ID"] for n in networks), "port": port, "port_in_alcor": created,
            "port_deleted_in_alcor": port not in held_ports()}
