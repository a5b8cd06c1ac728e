"""A lab run whose plan names a host the cloud does not have stops at preflight, before anything changes."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.lab.test_lab_run import RUN_TIMEOUT
from wizard.lab import home


@pytest.mark.neutron
def test_a_mistyped_canary_host_stops_the_lab_run_at_preflight_with_the_host_it_likely_means(tmp_path):
    text = home.plan_file("lab-noauth").read_text()
    assert "canary: [compute-1]" in text  # small's hosts are compute-1..3; medium's compute-01..10
    text = text.replace("cloud: ../sample_configs/small.json", "cloud: medium.json")
    plan = tmp_path / "lab.yaml"
    plan.write_text(text.replace("version: 1\n", "version: 1\nstate_dir: state\n"))
    done = subprocess.run([sys.executable, "-m", "wizard", "run", "--plan", str(plan), "--yes", "--json",
                           "--status-every", "0"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=RUN_TIMEOUT * 2, stdin=subprocess.DEVNULL)  # the first run seeds medium
    assert done.returncode == 3, done.stderr[-3000:]
    events = [json.loads(line) for line in done.stdout.splitlines()]
    assert [e["phase"] for e in events if e["event"] == "phase_started"] == ["preflight"]
    [finding] = [e for e in events if e["event"] == "finding_raised" and e["severity"] == "blocker"]
    assert finding["code"] == "plan-unknown-host" and finding["id"] == "cutover.waves.canary"
    assert finding["message"] == (f"{plan}:43:13: cutover.waves.canary: unknown host 'compute-1': Neutron has no "
                                  "agent or bound port on it; did you mean 'compute-01'?")
    assert events[-1] == {**events[-1], "event": "run_finished", "exit_code": 3, "failed": "preflight", "phases": []}
    assert "resolve the blockers, then run the same command again" in done.stderr
