"""A real Keystone (keystone 30 from PyPI, SQLite, fernet tokens) on a free loopback port.

Used by the integration tests, with NeutronServer(keystone=ServiceUser(...)) for a
Keystone-authenticated Neutron. Keystone is installed once into a venv in the cache directory
(about a minute) and bootstrapped once there (keystone-manage, about 45 s): each server starts on a
copy of that database and those keys, with an `admin` user (password ADMIN_PASSWORD, project
`admin`), and its identity endpoints (public, internal, admin in `RegionOne`) moved to its own URL:

    with KeystoneServer() as keystone:
        keystone.add_user("neutron", "secret", project="service", roles=("admin", "service"))
        token = keystone.token("neutron", "secret", "service")
        keystone.url                                  # http://127.0.0.1:PORT/v3
"""

from __future__ import annotations

import atexit
import contextlib
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from wizard.core import children
from wizard.core.errors import MigrateError
from wizard.lab.neutron_server import _check_call, _clean_env, cache_dir, free_port

REQUIREMENT = "keystone==30.0.0"
ADMIN_PASSWORD = "secret"
REGION = "RegionOne"

CONF = """[DEFAULT]
use_stderr = true
[database]
connection = sqlite:///{run}/keystone.sqlite
[fernet_tokens]
key_repository = {run}/fernet
[fernet_receipts]
key_repository = {run}/fernet
[credential]
key_repository = {run}/credential
[token]
provider = fernet
"""

# keystone 30 ships only a WSGI app; the stdlib server is enough here (one request at a time).
SERVE = """import sys
from wsgiref.simple_server import make_server, WSGIRequestHandler
port = int(sys.argv[1]); sys.argv = sys.argv[:1]
from keystone.wsgi.api import application
class Quiet(WSGIRequestHandler):
    def log_message(self, *args): pass
make_server("127.0.0.1", port, application, handler_class=Quiet).serve_forever()
"""


def venv_dir() -> Path:
    return cache_dir() / "keystone-30"


TEMPLATE_URL = "http://127.0.0.1:1/v3"  # the bootstrapped copy's endpoints, until a server moves them


def ensure_installed() -> Path:
    """The keystone venv, installed first if missing."""
    venv = venv_dir()
    marker = venv / ".installed"
    if marker.is_file() and marker.read_text().strip() == REQUIREMENT:
        return venv
    _check_call([sys.executable, "-m", "venv", "--clear", str(venv)], "create the keystone venv")
    _check_call([str(venv / "bin/pip"), "install", "-q", "-U", "pip"], "upgrade pip")
    _check_call([str(venv / "bin/pip"), "install", "-q", REQUIREMENT], f"install {REQUIREMENT}")
    marker.write_text(REQUIREMENT + "\n")
    return venv


def bootstrapped() -> Path:
    """A bootstrapped Keystone (database, fernet and credential keys) in the venv, made once; servers copy it."""
    venv = ensure_installed()
    template = venv / "bootstrapped"
    if template.is_dir():
        return template
    work = Path(tempfile.mkdtemp(prefix="bootstrapping-", dir=venv))
    (work / "keystone.conf").write_text(CONF.format(run=work))
    manage = [str(venv / "bin/keystone-manage"), "--config-file", str(work / "keystone.conf")]
    for args in (["db_sync"], ["fernet_setup", "--keystone-user", "root", "--keystone-group", "root"],
                 ["credential_setup", "--keystone-user", "root", "--keystone-group", "root"],
                 ["bootstrap", "--bootstrap-password", ADMIN_PASSWORD, "--bootstrap-region-id", REGION,
                  "--bootstrap-public-url", TEMPLATE_URL, "--bootstrap-internal-url", TEMPLATE_URL,
                  "--bootstrap-admin-url", TEMPLATE_URL]):
        _check_call(manage + args, f"keystone-manage {args[0]}")
    (work / "keystone.conf").unlink()
    try:
        work.rename(template)  # whole or not at all
    except OSError:  # another process bootstrapped it first
        shutil.rmtree(work, ignore_errors=True)
    return template


class KeystoneServer:
    """One Keystone with a fresh database; a context manager that starts and stops it."""

    def __init__(self, startup_timeout: float = 60.0, template: Path | None = None):
        self.startup_timeout = startup_timeout
        self.template = template  # a saved server to start from (save()), else the bootstrapped one
        self.run_dir: Path | None = None
        self.port: int | None = None
        self._process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        """The v3 auth URL."""
        if self.port is None:
            raise MigrateError("keystone is not running")
        return f"http://127.0.0.1:{self.port}/v3"

    def directory(self) -> Path:
        """The started server's run directory (its database, keys, log)."""
        if self.run_dir is None:
            raise MigrateError("keystone has no run directory yet (call start)")
        return self.run_dir

    def __enter__(self) -> KeystoneServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def start(self) -> KeystoneServer:
        template = self.template or bootstrapped()
        venv = ensure_installed()
        run = self.run_dir = Path(tempfile.mkdtemp(prefix="keystone-"))
        shutil.copytree(template, run, dirs_exist_ok=True)
        (run / "keystone.conf").write_text(CONF.format(run=run))
        (run / "serve.py").write_text(SERVE)
        self.port = free_port()
        env = {**_clean_env(), "OS_KEYSTONE_CONFIG_DIR": str(run)}
        with open(run / "keystone.log", "wb") as log:
            process = self._process = children.spawn(
                [str(venv / "bin/python"), str(run / "serve.py"), str(self.port)],
                env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        atexit.register(self.stop)
        self._wait_ready(process)
        self._move_endpoints()
        return self

    def save(self, directory: Path) -> None:
        """What this running server holds (database, keys) as a template to start others from: the same
        projects, users and ids. Made whole or not at all."""
        work, run = Path(tempfile.mkdtemp(prefix="saving-", dir=directory.parent)), self.directory()
        for keys in ("fernet", "credential"):
            shutil.copytree(run / keys, work / keys)
        with contextlib.closing(sqlite3.connect(run / "keystone.sqlite")) as source, \
                contextlib.closing(sqlite3.connect(work / "keystone.sqlite")) as copy:
            source.backup(copy)
        try:
            work.rename(directory)
        except OSError:  # saved by another process first
            shutil.rmtree(work, ignore_errors=True)

    def _move_endpoints(self) -> None:
        """The identity service's endpoints (the bootstrap's, or a saved server's) at this server's URL."""
        with httpx.Client(base_url=self.url, headers={"X-Auth-Token": self.admin_token()}, timeout=30) as api:
            for service in api.get("/services", params={"type": "identity"}).raise_for_status().json()["services"]:
                found = api.get("/endpoints", params={"service_id": service["id"]}).raise_for_status()
                for endpoint in found.json()["endpoints"]:
                    api.patch(f"/endpoints/{endpoint['id']}", json={"endpoint": {"url": self.url}}
                              ).raise_for_status()

    def _wait_ready(self, process: subprocess.Popen[bytes]) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while True:
            try:
                if httpx.get(self.url, timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                log = (self.directory() / "keystone.log").read_text(errors="replace")[-2000:]
                self.stop()
                raise MigrateError(f"keystone did not start on :{self.port}: {log}")
            time.sleep(0.2)

    def admin_token(self) -> str:
        return self.token("admin", ADMIN_PASSWORD, "admin")

    def token(self, user: str, password: str, project: str) -> str:
        """A project-scoped token for a user (domain Default)."""
        response = httpx.post(f"{self.url}/auth/tokens", json=password_auth(user, password, project), timeout=30)
        if response.status_code != 201:
            raise MigrateError(f"keystone at {self.url}: token for {user}: HTTP {response.status_code}")
        return response.headers["X-Subject-Token"]

    def add_user(self, name: str, password: str, project: str, roles: tuple[str, ...] = ("member",)) -> str:
        """A user with these roles on a project (both made if missing, domain Default); returns the project id."""
        headers = {"X-Auth-Token": self.admin_token()}
        with httpx.Client(base_url=self.url, headers=headers, timeout=30) as api:
            project_id = self._ensure(api, "projects", project, {"domain_id": "default"})
            user_id = self._ensure(api, "users", name, {"domain_id": "default", "password": password})
            for role in roles:
                role_id = self._ensure(api, "roles", role, {})
                api.put(f"/projects/{project_id}/users/{user_id}/roles/{role_id}").raise_for_status()
        return project_id

    @staticmethod
    def _ensure(api: httpx.Client, collection: str, name: str, fields: dict) -> str:
        found = api.get(f"/{collection}", params={"name": name}).raise_for_status().json()[collection]
        if found:
            return found[0]["id"]
        singular = collection[:-1]
        created = api.post(f"/{collection}", json={singular: {"name": name, **fields}}).raise_for_status()
        return created.json()[singular]["id"]

    def stop(self) -> None:
        process, self._process = self._process, None
        atexit.unregister(self.stop)
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        if self.run_dir is not None:
            shutil.rmtree(self.run_dir, ignore_errors=True)
            self.run_dir = None
        self.port = None


def password_auth(user: str, password: str, project: str) -> dict:
    """Keystone v3's body for a project-scoped password login (user and project in domain Default)."""
    return {"auth": {"identity": {"methods": ["password"], "password": {"user": {
                "name": user, "domain": {"id": "default"}, "password": password}}},
            "scope": {"project": {"name": project, "domain": {"id": "default"}}}}}
