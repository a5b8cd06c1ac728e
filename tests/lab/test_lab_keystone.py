"""The lab (with Keystone) end to end: `alcor-migrate lab run --yes` as a user runs it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.lab.test_lab_run import EVERY_PHASE, ROOT, RUN_TIMEOUT, logged_writes, stopped_during_convert
from wizard.capture.writelog import REJECTED, REPLAYED
from wizard.lab import home
from wizard.lab.alcor.model import AlcorModel
from wizard.lab.users import BAD_TOKEN
from wizard.neutron import snapshot as snapshot_file

KEYSTONE_PLAN = home.plan_file("lab")
USER_WRITES = 20  # the plan's lab.user_writes


def command(state_dir: Path) -> list[str]:
    return [sys.executable, "-m", "wizard.cli", "run", "--plan", str(KEYSTONE_PLAN), "--yes", "--state-dir",
            str(state_dir), "--status-every", "0"]


def run_keystone_lab(state_dir: Path) -> str:
    """`alcor-migrate run --plan KEYSTONE_PLAN --yes` in STATE_DIR; its stderr."""
    done = subprocess.run(command(state_dir), cwd=ROOT, capture_output=True, text=True, timeout=RUN_TIMEOUT)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stderr


@pytest.fixture(scope="module")
def lab_run(tmp_path_factory) -> tuple[Path, str]:
    """One run of the Keystone lab in a fresh state directory: (state directory, the run's stderr)."""
    state_dir = tmp_path_factory.mktemp("lab-keystone") / "state"
    return state_dir, run_keystone_lab(state_dir)


def alcor_holds(state_dir: Path) -> AlcorModel:
    model = AlcorModel()
    model.load(state_dir / "lab" / "alcor.json")
    return model


@pytest.mark.neutron
def test_the_keystone_lab_ends_at_zero_drift(lab_run):
    state_dir, _ = lab_run
    report = json.loads((state_dir / "report.json").read_text())
    phases = {phase["phase"]: phase for phase in report["phases"]}
    assert list(phases) == EVERY_PHASE[:-1]
    assert all(phase["status"] == "done" for phase in phases.values())
    assert phases["verify"]["summary"]["drift"] == 0
    assert phases["drain"]["summary"]["quiet"] is True
    assert phases["switch"]["summary"]["url"].startswith("http://127.0.0.1:")  # the gateway, through Keystone


@pytest.mark.neutron
def test_the_users_writes_with_tokens_through_the_catalog_are_replayed_and_a_bad_token_is_never_replayed(lab_run):
    state_dir, stderr = lab_run
    writes = logged_writes(state_dir)
    assert [entry["state"] for entry in writes] == [REPLAYED] * USER_WRITES + [REJECTED]
    assert all(entry["headers"]["X-Auth-Token"] == "***" for entry in writes)  # each carried a token, none kept
    assert writes[-1]["status"] == 401 and writes[-1]["body"]["network"]["name"] == "intruder-net"
    assert "intruder-net" not in {vpc.get("name") for vpc in alcor_holds(state_dir).store["vpc"].values()}
    kept = b"".join(path.read_bytes() for path in state_dir.rglob("*") if path.is_file())
    assert BAD_TOKEN.encode() not in kept
    report = json.loads((state_dir / "report.json").read_text())
    capture = next(phase for phase in report["phases"] if phase["phase"] == "capture")["summary"]["listen"]
    # they found the capture in their login's catalog (capture.insertion: keystone)
    assert f"with their own tokens to {capture}/v2.0/; a bad token: HTTP 401" in stderr


@pytest.mark.neutron
def test_openstack_network_list_through_the_catalog_after_the_switch_lists_alcors_networks(lab_run):
    state_dir, _ = lab_run
    found = json.loads((state_dir / "lab" / "after_switch.json").read_text())
    alcor = alcor_holds(state_dir)
    assert found["networks"] == sorted(alcor.store["vpc"])
    user_networks = {entry["response"]["network"]["id"] for entry in logged_writes(state_dir)
                     if entry["path"] == "/v2.0/networks" and entry["state"] == REPLAYED}
    sample_networks = {n["id"] for n in snapshot_file.load(state_dir / "snapshot.json")["networks"]}
    assert user_networks and user_networks <= set(found["networks"])
    assert set(found["networks"]) - user_networks <= sample_networks
    assert found["port_in_alcor"] is True and found["port_deleted_in_alcor"] is True
    assert found["port"] not in alcor.store["port"]


@pytest.mark.neutron
def test_the_keystone_lab_run_again_on_its_state_finds_neutron_and_alcor_behind_the_catalog(lab_run, tmp_path):
    """Keystone is new each run: Neutron keeps its URL (the run pinned it), the catalog is Alcor's once
    switched, and the bad-token write is not sent twice."""
    state_dir = tmp_path / "state"
    shutil.copytree(lab_run[0], state_dir)
    (state_dir / "lab" / "after_switch.json").unlink()
    stderr = run_keystone_lab(state_dir)
    assert "neutron-unreachable" not in stderr
    assert [entry["state"] for entry in logged_writes(state_dir)] == [REPLAYED] * USER_WRITES + [REJECTED]
    found = json.loads((state_dir / "lab" / "after_switch.json").read_text())
    assert found["port_in_alcor"] is True and found["networks"] == sorted(alcor_holds(state_dir).store["vpc"])


@pytest.mark.neutron
def test_a_keystone_lab_run_stopped_during_convert_resumes_and_the_users_finish_their_writes(tmp_path):
    """Each run has a new Keystone: the demo project keeps its id, so the demo user finds what it made."""
    state_dir = tmp_path / "state"
    returncode, _ = stopped_during_convert(command(state_dir))
    assert returncode == 130
    stderr = run_keystone_lab(state_dir)
    assert "user writes stopped" not in stderr
    assert [entry["state"] for entry in logged_writes(state_dir)] == [REPLAYED] * USER_WRITES + [REJECTED]
