"""The lab as production looks, end to end: `alcor-migrate lab run lab-haproxy --yes`. A real HAProxy in
front of two `alcor-migrate capture` processes in front of neutron-server; the run sends HAProxy's
Neutron backend to the captures, one capture is killed (SIGKILL) halfway through the users' writes,
some writes go to neutron-server directly, and the run still ends at zero drift. The run reads the
captures' logs and holds their writes through their feeds (capture.nodes), as on a production cloud."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.lab.test_lab_run import assert_migrated
from wizard.capture.haproxy_insertion import BACKUP
from wizard.capture.hold_file import HOLD_FILE
from wizard.lab import home

ROOT = Path(__file__).resolve().parents[2]
RUN_TIMEOUT = 300
USER_WRITES = 20  # lab-haproxy.yaml's lab.user_writes


@pytest.mark.neutron
def test_a_capture_killed_mid_convert_loses_no_write_and_the_bypassed_writes_are_repaired(tmp_path):
    state_dir = tmp_path / "state"
    done = subprocess.run([sys.executable, "-m", "wizard.cli", "run", "--plan", str(home.plan_file("lab-haproxy")),
                           "--yes", "--state-dir", str(state_dir), "--status-every", "0"],
                          cwd=ROOT, capture_output=True, text=True, timeout=RUN_TIMEOUT)
    assert done.returncode == 0, done.stderr[-3000:]
    report = assert_migrated(state_dir)
    phases = {phase["phase"]: phase for phase in report["phases"]}

    # every user write went through HAProxy and got a 2xx, through the kill
    assert f"lab: {USER_WRITES} user writes sent to {phases['snapshot']['summary']['source'].removesuffix('/v2.0')}" \
           "/v2.0/\n" in done.stderr
    assert "lab: capture-1 killed (SIGKILL)" in done.stderr and "lab: capture-1 started again" in done.stderr

    # no 2xx write is lost: each is in one capture's log; both took writes
    captures = {row["capture"]: row for row in report["captures"]["captures"]}
    assert sorted(captures) == ["capture-1", "capture-2"]
    assert sum(row.get("committed", 0) for row in captures.values()) == USER_WRITES
    assert all(row["writes"] == row.get("committed") and row["writes"] > 0 for row in captures.values())
    assert (captures["capture-1"]["killed"], captures["capture-1"]["started"]) == (1, 2)
    assert (captures["capture-2"]["killed"], captures["capture-2"]["started"]) == (0, 1)

    # the failover, as HAProxy saw it: capture-1 out after the kill, back once restarted; Neutron never out
    killed_at = report["captures"]["kills"][0]["at"]
    after = [(t["server"], t["state"]) for t in report["captures"]["haproxy"] if t["at"] >= killed_at]
    assert after == [("capture-1", "DOWN"), ("capture-1", "UP")]
    assert ("neutron-1", "DOWN") not in [(t["server"], t["state"]) for t in report["captures"]["haproxy"]]
    markdown = (state_dir / "report.md").read_text()
    assert "## Captures killed, and HAProxy's view of each server" in markdown and "capture-1 killed" in markdown

    # the run reached the captures as it reaches a production cloud's, through their feeds only: no capture
    # wrote a log in its state directory, replay read both feeds, and the cut-over's hold reached both
    assert phases["capture"]["summary"] == {"mode": "separate", "nodes": "capture-1, capture-2"}
    assert not (state_dir / "writes.db").exists()
    for name in ("capture-1", "capture-2"):  # each took the hold the gate asked through its feed, then let go
        said = (state_dir / "lab" / f"{name}.log").read_text()
        hold_file = state_dir / "lab" / name / HOLD_FILE
        assert f"info: {hold_file}: writes held (" in said and f"info: {hold_file}: writes released" in said, said

    # replay merged both logs; repair carried what went around the captures, and only that: the network,
    # subnet and rule made straight to neutron-server (its port was made and deleted: nothing to carry),
    # and its rename of a VM port if it came after the users' rename of the same port
    assert phases["replay"]["summary"]["replayed"] == USER_WRITES
    repaired = report["repair"]["repaired"]
    assert {kind: counts for kind, counts in repaired.items() if kind != "port"} == {
        "vpc": {"created": 1, "updated": 0, "deleted": 0}, "subnet": {"created": 1, "updated": 0, "deleted": 0},
        "security_group_rule": {"created": 1, "updated": 0, "deleted": 0}}
    assert repaired.get("port", {"created": 0, "updated": 0, "deleted": 0})["updated"] <= 1
    created = {change["kind"]: change["id"] for change in report["repair"]["changes"] if change["action"] == "created"}
    with sqlite3.connect(state_dir / "lab" / "neutron.sqlite") as neutron:  # Neutron's database, kept by the lab
        bypassed = {kind: neutron.execute(f"SELECT id FROM {table} WHERE name = ?", (name,)).fetchone()[0]
                    for kind, table, name in (("vpc", "networks", "bypass-net-0"),
                                              ("subnet", "subnets", "bypass-subnet-0"))}
    assert {kind: created[kind] for kind in bypassed} == bypassed
    assert phases["repair"]["summary"]["drift_before"] > 0 and phases["verify"]["summary"]["drift"] == 0

    # the run ended: HAProxy's Neutron backend is Neutron's again, and nothing of the lab still listens
    config = (state_dir / "lab" / "haproxy" / "haproxy.cfg").read_text()
    assert "capture-1" not in config and not (state_dir / BACKUP).exists()
    for row in captures.values():
        with pytest.raises(httpx.TransportError):
            httpx.get(f"http://{row['address']}/.alcor-migrate/health", timeout=2)
    assert json.loads((state_dir / "lab" / "captures.json").read_text())["kills"][0]["capture"] == "capture-1"
