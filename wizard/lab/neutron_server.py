"""A real neutron-server (neutron 29 under uWSGI, SQLite) on a free loopback port, with or without Keystone.

Used by the integration tests and the lab. Neutron is installed once into a venv
in the cache directory; its database schema is built once into a template that
every new server copies, so a server is up in about 2.5 s:

    with NeutronServer() as neutron:
        neutron.add_agent("compute-1", "192.0.2.11")   # ports bound there get vif_type ovs
        httpx.get(neutron.url + "/v2.0/networks")

Without Keystone (the default), requests carry no auth headers: each runs as admin in
project `fake_project_id`; a body's `project_id` makes the resource belong to that project.
With `keystone=ServiceUser(...)`, Neutron checks every request's X-Auth-Token with that
Keystone (keystonemiddleware's auth_token, logged in as the service user), as a real cloud does.
"""

from __future__ import annotations

import atexit
import contextlib
import datetime
import fcntl
import hashlib
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from wizard.core import children
from wizard.core.errors import MigrateError

REQUIREMENTS = "neutron==29.0.0 uWSGI==2.0.31"
SCHEMA_SCRIPT = Path(__file__).with_name("neutron_schema.py")
# Fake agents stay alive this long after their heartbeat (the maximum is 2147483).
AGENT_DOWN_TIME = 2_000_000
DEFAULT_BRIDGE_MAPPINGS = {"ext": "br-ex", "physnet1": "br-eth1"}
DEFAULT_SERVICE_PLUGINS = ("router",)

Progress = Callable[[str], None]


def _quiet(_step: str) -> None:
    pass


@dataclass(frozen=True)
class ServiceUser:
    """The account Neutron validates tokens with (a user with the admin or service role)."""

    auth_url: str  # Keystone's v3 URL
    username: str
    password: str
    project: str = "service"


def _authtoken_section(keystone: ServiceUser | None) -> str:
    """keystonemiddleware's settings: how Neutron checks tokens (none without Keystone)."""
    if keystone is None:
        return ""
    return f"""
[keystone_authtoken]
www_authenticate_uri = {keystone.auth_url}
auth_url = {keystone.auth_url}
auth_type = password
username = {keystone.username}
password = {keystone.password}
user_domain_name = Default
project_name = {keystone.project}
project_domain_name = Default
"""


def cache_dir() -> Path:
    """`$ALCOR_MIGRATE_CACHE`, else `$XDG_CACHE_HOME/alcor-migrate`, else `~/.cache/alcor-migrate`."""
    explicit = os.environ.get("ALCOR_MIGRATE_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "alcor-migrate"


def venv_dir() -> Path:
    return cache_dir() / "neutron-29"


@contextlib.contextmanager
def _install_lock() -> Iterator[None]:
    """Serialise installs and schema builds between processes."""
    cache_dir().mkdir(parents=True, exist_ok=True)
    with open(cache_dir() / "neutron-29.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _is_installed(venv: Path) -> bool:
    marker = venv / ".installed"
    return marker.is_file() and marker.read_text().strip() == REQUIREMENTS


def ensure_installed(progress: Progress = _quiet) -> Path:
    """The neutron venv, installed first if missing (about a minute; needs a C compiler)."""
    venv = venv_dir()
    if _is_installed(venv):
        return venv
    with _install_lock():
        if _is_installed(venv):
            return venv
        shutil.rmtree(venv, ignore_errors=True)
        progress(f"creating a venv at {venv}")
        _check_call([sys.executable, "-m", "venv", str(venv)], "create the neutron venv")
        progress("upgrading pip")
        _check_call([str(venv / "bin/pip"), "install", "-q", "-U", "pip"], "upgrade pip")
        progress(f"installing {REQUIREMENTS} (about a minute)")
        _check_call([str(venv / "bin/pip"), "install", "-q", *REQUIREMENTS.split()],
                    f"install {REQUIREMENTS}")
        (venv / ".installed").write_text(REQUIREMENTS)
        progress("neutron installed")
    return venv


def template_db(progress: Progress = _quiet) -> Path:
    """A schema-only neutron database, built once per install and schema script."""
    venv = ensure_installed(progress)
    key = hashlib.sha256(REQUIREMENTS.encode() + SCHEMA_SCRIPT.read_bytes()).hexdigest()[:12]
    template = venv / f"schema-{key}.sqlite"
    if template.is_file():
        return template
    with _install_lock():
        if template.is_file():
            return template
        progress("building neutron's database schema (once, ~5 s)")
        with tempfile.TemporaryDirectory(dir=venv, prefix="schema-") as tmp:
            run_dir = Path(tmp)
            db = run_dir / "neutron.sqlite"
            config_files = write_config(run_dir, venv, db)
            _check_call([str(venv / "bin/python"), "-W", "ignore", str(SCHEMA_SCRIPT), f"sqlite:///{db}"],
                        "build neutron's schema")
            stamp = [str(venv / "bin/neutron-db-manage")]
            for path in config_files:
                stamp += ["--config-file", str(path)]
            _check_call([*stamp, "stamp", "heads"], "stamp neutron's schema")
            os.replace(db, template)
    return template


def write_config(run_dir: Path, venv: Path, db: Path,
                 service_plugins: tuple[str, ...] = DEFAULT_SERVICE_PLUGINS,
                 keystone: ServiceUser | None = None) -> list[Path]:
    """neutron.conf, ml2_conf.ini and api-paste.ini for an ML2/OVS server on SQLite (noauth
    unless `keystone` is given)."""
    for sub in ("state", "lock", "log"):
        (run_dir / sub).mkdir(parents=True, exist_ok=True)
    shutil.copyfile(venv / "etc/neutron/api-paste.ini", run_dir / "api-paste.ini")
    neutron_conf = run_dir / "neutron.conf"
    neutron_conf.write_text(f"""\
[DEFAULT]
core_plugin = ml2
service_plugins = {','.join(service_plugins)}
auth_strategy = {"keystone" if keystone else "noauth"}
transport_url = fake:/
api_paste_config = {run_dir}/api-paste.ini
state_path = {run_dir}/state
allow_overlapping_ips = true
notify_nova_on_port_status_changes = false
notify_nova_on_port_data_changes = false
agent_down_time = {AGENT_DOWN_TIME}
debug = false
use_stderr = true

[database]
connection = sqlite:///{db}

[oslo_concurrency]
lock_path = {run_dir}/lock

[quotas]
# lab clouds are as large as a test needs (the default allows 500 ports a project)
quota_network = -1
quota_subnet = -1
quota_port = -1
quota_router = -1
quota_floatingip = -1
quota_security_group = -1
quota_security_group_rule = -1
""" + _authtoken_section(keystone))
    ml2_conf = run_dir / "ml2_conf.ini"
    ml2_conf.write_text("""\
[ml2]
type_drivers = flat,vlan,vxlan
project_network_types = vxlan
mechanism_drivers = openvswitch
extension_drivers = port_security

[ml2_type_flat]
flat_networks = *

[ml2_type_vlan]
network_vlan_ranges = physnet1:100:200

[ml2_type_vxlan]
vni_ranges = 1:1000

[securitygroup]
enable_security_group = true
firewall_driver = noop
""")
    return [neutron_conf, ml2_conf]


def _uwsgi_ini(run_dir: Path, venv: Path, port: int) -> str:
    # The http router owns client connections (keep-alive works; an idle client
    # blocks nobody); one worker with one thread, because SQLite answers
    # concurrent writers with "database is locked". The router drops a request
    # whose answer takes longer than http-timeout (default 60 s; a bulk POST of
    # a few hundred bound ports takes that long).
    return f"""\
[uwsgi]
http = 127.0.0.1:{port}
http-keepalive = 1
http-timeout = 900
http-buffer-size = 65536
tcp-nodelay = true
module = neutron.wsgi.api:application
virtualenv = {venv}
env = OS_NEUTRON_CONFIG_DIR={run_dir}
env = OS_NEUTRON_CONFIG_FILES=neutron.conf;ml2_conf.ini
master = true
processes = 1
threads = 1
enable-threads = true
lazy-apps = true
die-on-term = true
need-app = true
buffer-size = 65535
"""


def _check_call(command: list[str], what: str) -> None:
    result = subprocess.run(command, capture_output=True, text=True, env=_clean_env())
    if result.returncode:
        tail = (result.stdout + result.stderr).strip().splitlines()[-20:]
        raise MigrateError(f"could not {what} (exit {result.returncode}): " + "\n".join(tail))


def _clean_env() -> dict[str, str]:
    """Our environment without what would make the neutron venv's python load other packages."""
    env = dict(os.environ)
    for name in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"):
        env.pop(name, None)
    return env


_ISSUED: set[int] = set()  # ports free_port gave out: the lab's servers may take theirs seconds later


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now and that this process has not
    given out before (the kernel may offer a port again while the server it is meant for starts)."""
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port not in _ISSUED:
            _ISSUED.add(port)
            return port


class NeutronServer:
    """One neutron-server with a fresh database; a context manager that starts and stops it.

    `run_dir` keeps config, database and log there (kept after stop); without it
    a temporary directory is used and removed on stop. `database` starts from a
    copy of that file (see `save_database`) instead of an empty schema. `keystone`: check
    tokens with that Keystone (default: noauth).
    """

    def __init__(self, run_dir: str | os.PathLike | None = None, progress: Progress = _quiet,
                 startup_timeout: float = 90.0,
                 service_plugins: tuple[str, ...] = DEFAULT_SERVICE_PLUGINS,
                 database: str | os.PathLike | None = None, keystone: ServiceUser | None = None,
                 port: int | None = None):
        self.keystone = keystone
        self.wanted_port = port  # tried first (a lab keeps its Neutron's URL across runs), then free ones
        self._given_run_dir = Path(run_dir) if run_dir else None
        self.service_plugins = service_plugins
        self.database = Path(database) if database else None
        self.run_dir: Path | None = None
        self.progress = progress
        self.startup_timeout = startup_timeout
        self.port: int | None = None
        self._process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        """The root URL (no /v2.0), as openstacksdk's endpoint override wants it."""
        if self.port is None:
            raise MigrateError("neutron-server is not running")
        return f"http://127.0.0.1:{self.port}"

    @property
    def db_path(self) -> Path:
        return self._run_dir() / "neutron.sqlite"

    @property
    def log_path(self) -> Path:
        return self._run_dir() / "log" / "uwsgi.log"

    def _run_dir(self) -> Path:
        if self.run_dir is None:
            raise MigrateError("neutron-server has no run directory yet (call start)")
        return self.run_dir

    def __enter__(self) -> NeutronServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def start(self) -> NeutronServer:
        """Install if needed, lay out a fresh run directory, start uWSGI, wait for the API."""
        if self._process is not None:
            return self
        if self.database and not self.database.is_file():
            raise MigrateError(f"{self.database}: no such neutron database file")
        template = self.database or template_db(self.progress)
        venv = ensure_installed(self.progress)
        self.run_dir = self._given_run_dir or Path(tempfile.mkdtemp(prefix="neutron-server-"))
        write_config(self.run_dir, venv, self.db_path, self.service_plugins, self.keystone)
        shutil.copyfile(template, self.db_path)
        for attempt in range(3):
            self.port = self.wanted_port if attempt == 0 and self.wanted_port else free_port()
            ini = self.run_dir / "uwsgi.ini"
            ini.write_text(_uwsgi_ini(self.run_dir, venv, self.port))
            self.progress(f"starting neutron-server on 127.0.0.1:{self.port}")
            with open(self.log_path, "ab") as log:
                process = self._process = children.spawn(
                    [str(venv / "bin/uwsgi"), "--ini", str(ini)], stdout=log, stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL, start_new_session=True, env=_clean_env())
            atexit.register(self.stop)
            try:
                self._wait_ready(process)
                return self
            except MigrateError:
                self._terminate()  # the run dir stays: the error names its log
                if "Address already in use" not in self.log_tail() or attempt == 2:
                    raise
        return self

    def _wait_ready(self, process: subprocess.Popen[bytes]) -> None:
        started = time.monotonic()
        deadline = started + self.startup_timeout
        with httpx.Client(timeout=5.0) as client:
            while time.monotonic() < deadline:
                if process.poll() is not None:
                    raise MigrateError(f"neutron-server exited with {process.returncode}; "
                                       f"log {self.log_path}:\n{self.log_tail()}")
                try:
                    # 401: up, and asking for a token (keystone auth)
                    if client.get(self.url + "/v2.0/networks").status_code in (200, 401):
                        self.progress(f"neutron-server ready after {time.monotonic() - started:.1f} s")
                        return
                except httpx.TransportError:
                    pass
                time.sleep(0.1)
        raise MigrateError(f"neutron-server not ready after {self.startup_timeout:.0f} s; "
                           f"log {self.log_path}:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except (OSError, MigrateError):
            return ""

    def stop(self) -> None:
        """Stop the server and remove a temporary run directory."""
        self._terminate()
        if self.run_dir is not None and self._given_run_dir is None:
            shutil.rmtree(self.run_dir, ignore_errors=True)
            self.run_dir = None

    def _terminate(self) -> None:
        """TERM the uWSGI process group, KILL it if it lingers."""
        process, self._process = self._process, None
        atexit.unregister(self.stop)
        if process is not None:
            _signal_group(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                _signal_group(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
            _signal_group(process.pid, signal.SIGKILL)  # a worker or router the master left behind
        self.port = None

    def save_database(self, path: str | os.PathLike) -> None:
        """A consistent copy of the running server's database, for `NeutronServer(database=...)`."""
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(f"{path}.tmp")
        with contextlib.closing(sqlite3.connect(self.db_path, timeout=30)) as source, \
                contextlib.closing(sqlite3.connect(tmp)) as copy:
            source.backup(copy)
        os.replace(tmp, path)

    def add_agent(self, host: str, tunneling_ip: str,
                  bridge_mappings: dict[str, str] | None = None) -> str:
        """Register a fake, alive "Open vSwitch agent" on HOST so ports bound there get vif_type ovs.

        Only a database row: no agent process runs. Replaces an earlier one on the host.
        Returns the agent's id.
        """
        now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
        configurations = {
            "bridge_mappings": bridge_mappings or DEFAULT_BRIDGE_MAPPINGS,
            "tunnel_types": ["vxlan"], "tunneling_ip": tunneling_ip,
            "integration_bridge": "br-int", "datapath_type": "system", "ovs_hybrid_plug": False,
            "ovs_capabilities": {"datapath_types": ["system"],
                                 "iface_types": ["internal", "vxlan", "patch"]},
            "l2_population": False, "arp_responder_enabled": False,
            "enable_distributed_routing": False, "devices": 0, "extensions": [],
        }
        agent_id = str(uuid.uuid4())
        with contextlib.closing(sqlite3.connect(self.db_path, timeout=30)) as db, db:
            db.execute("DELETE FROM agents WHERE agent_type = 'Open vSwitch agent' AND host = ?", (host,))
            db.execute(
                "INSERT INTO agents (id, agent_type, binary, topic, host, admin_state_up, created_at,"
                " started_at, heartbeat_timestamp, description, configurations, resource_versions,"
                " load, resources_synced) VALUES (?, 'Open vSwitch agent', 'neutron-openvswitch-agent',"
                " 'N/A', ?, 1, ?, ?, ?, NULL, ?, NULL, 0, 1)",
                (agent_id, host, now, now, now, json.dumps(configurations)))
        return agent_id


def _signal_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)
