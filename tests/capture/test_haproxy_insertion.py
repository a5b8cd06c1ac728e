"""capture.insertion haproxy on a real HAProxy: the tool sends the Neutron backend of HAProxy's own
configuration file to the captures, checks it, reloads HAProxy, and puts the original back."""

from __future__ import annotations

import subprocess

import httpx
import pytest
import yaml

from tests.capture.conftest import ALCOR_MIGRATE, eventually
from wizard.capture.haproxy_insertion import BACKUP, HaproxyInsertion
from wizard.core.errors import InputError, MigrateError
from wizard.lab.haproxy_server import HaproxyServer, neutron_backend
from wizard.plan import HaproxyConfig

BACKEND = "neutron_server_back"


@pytest.fixture
def haproxy(tmp_path, upstream):
    """HAProxy as the cloud runs it before the migration: Neutron's frontend sends to Neutron."""
    neutron = {"neutron-1": upstream.url.removeprefix("http://")}
    with HaproxyServer(neutron_backend(BACKEND, neutron), directory=tmp_path / "haproxy") as running:
        running.wait_for("neutron-1", "UP")
        yield running


def settings(haproxy: HaproxyServer, running, upstream, **changes) -> HaproxyConfig:
    given = dict(config=str(haproxy.config), backend=BACKEND, reload=haproxy.reload_command,
                 captures={f"capture-{n}": c.url.removeprefix("http://") for n, c in enumerate(running, 1)},
                 neutron={"neutron-1": upstream.url.removeprefix("http://")})
    return HaproxyConfig(**{**given, **changes})


def logged(captures) -> int:
    return sum(len(capture.log) for capture in captures)


def write(haproxy: HaproxyServer, name: str) -> int:
    return httpx.post(f"{haproxy.url}/v2.0/networks", json={"network": {"name": name}}, timeout=10).status_code


def test_insert_sends_neutrons_frontend_to_the_captures_and_remove_puts_the_file_back(tmp_path, haproxy, captures,
                                                                                     upstream):
    original = haproxy.config.read_text()
    said: list[str] = []
    insertion = HaproxyInsertion(settings(haproxy, captures, upstream), tmp_path / "state", said.append)
    assert write(haproxy, "before") == 201 and logged(captures) == 0  # straight to Neutron
    insertion.insert()
    haproxy.wait_for("capture-1", "UP")
    haproxy.wait_for("capture-2", "UP")
    assert insertion.inserted() and (tmp_path / "state" / BACKUP).read_text() == original
    assert haproxy.server_states()["neutron-1"] == "no check"  # the backup: Neutron 404s the captures' check path
    assert [write(haproxy, f"n{n}") for n in range(4)] == [201] * 4
    assert logged(captures) == 4 and all(len(capture.log) == 2 for capture in captures)  # round robin
    assert insertion.remove()
    assert haproxy.config.read_text() == original and not (tmp_path / "state" / BACKUP).exists()
    assert eventually(lambda: list(haproxy.server_states()) == ["neutron-1"])  # the reloaded worker's
    assert write(haproxy, "after") == 201 and logged(captures) == 4  # Neutron's own again
    assert insertion.remove() is False  # nothing left to remove
    assert said[0].startswith(f"haproxy: backend {BACKEND} in {haproxy.config} sent to the captures; reloaded")


def test_an_insertion_whose_reload_failed_is_resumed_and_still_restores_the_original(tmp_path, haproxy, captures,
                                                                                     upstream):
    original = haproxy.config.read_text()
    state = tmp_path / "state"
    broken = HaproxyInsertion(settings(haproxy, captures, upstream, reload="echo no such service >&2; exit 5"),
                              state, lambda text: None)
    with pytest.raises(MigrateError, match="reload `echo no such service.*` failed \\(exit 5\\): no such service"):
        broken.insert()
    assert broken.inserted() and list(haproxy.server_states()) == ["neutron-1"]  # written, not yet reloaded
    insertion = HaproxyInsertion(settings(haproxy, captures, upstream), state, lambda text: None)
    insertion.insert()  # the run resumed: the backup is the file from before the first attempt
    insertion.insert()
    haproxy.wait_for("capture-2", "UP")
    assert (state / BACKUP).read_text() == original
    assert insertion.remove() and haproxy.config.read_text() == original


def test_a_configuration_haproxy_refuses_never_replaces_the_file(tmp_path, haproxy, captures, upstream):
    original = haproxy.config.read_text()
    refused = settings(haproxy, captures, upstream, captures={"capture-1": "capture-1.invalid:9797"})  # no address
    insertion = HaproxyInsertion(refused, tmp_path / "state", lambda text: None)
    with pytest.raises(MigrateError, match="`haproxy -c` refuses it: .*capture-1.invalid"):
        insertion.insert()
    assert haproxy.config.read_text() == original
    assert list(haproxy.server_states()) == ["neutron-1"]


def test_a_backend_that_is_not_in_the_file_is_named(tmp_path, haproxy, captures, upstream):
    missing = settings(haproxy, captures, upstream, backend="neutron_api")
    with pytest.raises(InputError, match=f"{haproxy.config}: no `backend neutron_api`"):
        HaproxyInsertion(missing, tmp_path / "state").insert()
    haproxy.config.write_text(haproxy.config.read_text().replace(f"backend {BACKEND}", f"listen {BACKEND}"))
    with pytest.raises(InputError, match=f"`listen {BACKEND}` holds Neutron's frontend and its servers"):
        HaproxyInsertion(settings(haproxy, captures, upstream), tmp_path / "state").insert()


def test_the_insertion_command_dry_run_prints_the_backend_and_changes_nothing_then_inserts_and_removes(
        tmp_path, haproxy, captures, upstream):
    original = haproxy.config.read_text()
    given = settings(haproxy, captures, upstream)
    plan = tmp_path / "plan.yaml"
    plan.write_text(yaml.safe_dump({
        "version": 1, "state_dir": str(tmp_path / "state"), "alcor": {"url": "http://alcor.example.net:9009"},
        "neutron": {"url": haproxy.url, "auth": "none"},
        "capture": {"mode": "separate", "insertion": "haproxy", "haproxy": {
            "config": given.config, "backend": BACKEND, "reload": given.reload, "captures": given.captures,
            "neutron": given.neutron}}}))

    def insertion(*options: str) -> subprocess.CompletedProcess:
        return subprocess.run([*ALCOR_MIGRATE, "insertion", "--plan", str(plan), *options], capture_output=True,
                              text=True, timeout=60)

    dry = insertion("--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert f"backend {BACKEND} in {haproxy.config} would become:\n\nbackend {BACKEND}\n" in dry.stdout
    assert f"+    server capture-1 {given.captures['capture-1']} check\n" in dry.stdout
    assert f"+    server neutron-1 {given.neutron['neutron-1']} backup\n" in dry.stdout
    assert dry.stdout.endswith("haproxy -c takes it; nothing was changed (dry run)\n")
    assert haproxy.config.read_text() == original and not (tmp_path / "state" / BACKUP).exists()

    done = insertion()
    assert done.returncode == 0, done.stderr
    assert done.stdout.endswith("a marked request to the public network endpoint reached a capture\n")
    assert logged(captures) == 0 and write(haproxy, "through") == 201 and logged(captures) == 1
    removed = insertion("--remove")
    assert removed.returncode == 0, removed.stderr
    assert haproxy.config.read_text() == original
    assert insertion("--remove").stdout.startswith("nothing to remove")
