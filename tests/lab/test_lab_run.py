"""The embedded lab without Keystone end to end: `alcor-migrate run --plan wizard/lab/plans/lab-noauth.yaml --yes`."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from wizard.capture.writelog import WriteLog
from wizard.lab import home, samples
from wizard.neutron import snapshot as snapshot_file

ROOT = Path(__file__).resolve().parents[2]
LAB_PLAN = home.plan_file("lab-noauth")
EVERY_PHASE = ["preflight", "capture", "snapshot", "translate", "preview", "convert", "replay", "repair",
               "verify", "switch", "drain", "cutover", "final_replay", "report"]
RUN_TIMEOUT = 240


def command(state_dir: Path) -> list[str]:
    return [sys.executable, "-m", "wizard.cli", "run", "--plan", str(LAB_PLAN), "--yes", "--state-dir",
            str(state_dir), "--status-every", "0"]


def run_lab(state_dir: Path) -> subprocess.CompletedProcess:
    return subprocess.run(command(state_dir), cwd=ROOT, capture_output=True, text=True, timeout=RUN_TIMEOUT)


def assert_migrated(state_dir: Path) -> dict:
    """The run's report says every phase is done, verify found no drift, and every lab ACA holds
    exactly its node's VM ports; returns the report."""
    report = json.loads((state_dir / "report.json").read_text())
    assert (state_dir / "report.md").read_text().startswith("# Migration report: lab")
    phases = {phase["phase"]: phase for phase in report["phases"]}
    assert list(phases) == EVERY_PHASE[:-1]  # the report phase writes the report, so is not in it
    assert all(phase["status"] == "done" and phase["seconds"] is not None for phase in phases.values())
    assert phases["verify"]["summary"]["drift"] == 0
    assert phases["repair"]["summary"]["kept"] == 0  # nothing in Alcor the migration did not make
    assert phases["convert"]["summary"]["failed"] == 0

    snapshot = snapshot_file.load(state_dir / "snapshot.json")
    hosts = samples.small().agents
    expected = {host: sorted(port["id"] for port in snapshot["ports"]
                             if port["binding:host_id"] == host and port["device_owner"].startswith("compute:"))
                for host in hosts}
    assert all(expected.values())
    held = json.loads((state_dir / "lab" / "acas.json").read_text())
    assert {host: sorted(ports) for host, ports in held.items()} == expected
    assert [(node["node"], node["status"]) for node in report["nodes"]] == [(h, "done") for h in sorted(hosts)]
    assert [phase["phase"] for phase in report["timeline"]] == ["switch", "drain", "cutover", "final_replay"]
    return report


def logged_writes(state_dir: Path) -> list[dict]:
    log = WriteLog(state_dir, readonly=True)
    try:
        return log.entries()
    finally:
        log.close()


def assert_stopped(report: dict) -> None:
    """Nothing the lab started still listens: Neutron (the capture's upstream) refuses connections."""
    capture = next(phase for phase in report["phases"] if phase["phase"] == "capture")
    with pytest.raises(httpx.TransportError):
        httpx.get(capture["summary"]["upstream"] + "/v2.0/networks", timeout=2)


@pytest.mark.neutron
def test_the_lab_plan_migrates_the_sample_cloud_end_to_end(tmp_path):
    state_dir = tmp_path / "state"
    result = run_lab(state_dir)
    assert result.returncode == 0, result.stderr[-3000:]
    report = assert_migrated(state_dir)
    assert_stopped(report)
    replayed = sum(phase.get("replayed", 0) for phase in report["replay"].values())
    assert replayed == 20 and report["replay"]["replay"]["failed"] == 0  # and verify saw them in Alcor
    writes = logged_writes(state_dir)
    methods = {entry["method"] for entry in writes}
    assert len(writes) == 20 and methods == {"POST", "PUT", "DELETE"}
    assert all(entry["status"] < 400 for entry in writes), [e for e in writes if e["status"] >= 400]


def stopped_during_convert(argv: list[str]) -> tuple[int, str]:
    """Run a lab and stop it with SIGTERM once convert has begun (the users write while it runs):
    its exit code and output."""
    process = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + RUN_TIMEOUT
        for line in process.stdout:
            if "▶ convert" in line or time.monotonic() > deadline:
                break
        time.sleep(0.5)
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=60)[0]
    finally:
        if process.poll() is None:
            process.kill()
    return process.returncode, output


@pytest.mark.neutron
def test_a_lab_run_stopped_during_convert_resumes_to_the_end(tmp_path):
    state_dir = tmp_path / "state"
    returncode, output = stopped_during_convert(command(state_dir))
    assert returncode == 130, output[-3000:]
    assert "run the same command again to resume" in output
    done_before = json.loads((state_dir / "lab" / "acas.json").read_text())
    assert not any(done_before.values())  # stopped before the cutover

    result = run_lab(state_dir)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "using this run's snapshot" in result.stderr
    assert_migrated(state_dir)
    assert len(logged_writes(state_dir)) == 20  # the users' writes were not sent twice

    again = run_lab(state_dir)  # a finished run: nothing to do, the lab's ACAs keep their ports
    assert again.returncode == 0, again.stderr[-3000:]
    assert "done earlier" in again.stderr
    assert_migrated(state_dir)


def test_lab_cloud_must_name_a_sample_cloud(tmp_path):
    from wizard.errors import InputError
    from wizard.lab.world import topology_for

    assert topology_for("../sample_configs/small.json").name == "small"
    with pytest.raises(InputError, match=r"lab.cloud: clouds/mine.json: not a sample cloud.*small.json"):
        topology_for("clouds/mine.json")
