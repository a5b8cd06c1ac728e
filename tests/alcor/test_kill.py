"""kill -9 of `alcor-migrate run` in the middle of convert, then the same command again:
it finishes with verify showing zero drift, and the emulator saw no duplicate create."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from tests.alcor.conftest import ROOT
from wizard.core.state import STATE_FILE, StateStore
from wizard.lab.alcor import AlcorEmulator, Faults
from wizard.lab.synth import CloudSize, SyntheticCloud
from wizard.neutron import snapshot as snapshot_module


def applied_records(state_dir) -> int:
    path = state_dir / STATE_FILE
    return path.read_bytes().count(b'"t":"applied"') if path.exists() else 0


def run(plan) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "wizard", "run", "--plan", str(plan), "--yes", "--json",
                             "--until", "verify"], cwd=ROOT,  # a snapshot plan: no cloud to cut over
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_kill_9_mid_convert_then_the_same_run_finishes_without_duplicates_or_drift(tmp_path):
    cloud = SyntheticCloud(CloudSize(ports=400, networks=10, projects=10))  # a router per network: no blocker
    snapshot_module.save(cloud.snapshot(), tmp_path / "cloud.json")
    state_dir = tmp_path / "state"
    with AlcorEmulator(seed=3, faults=Faults(latency_ms=15)) as emulator:
        plan = tmp_path / "plan.yaml"
        plan.write_text(f"version: 1\nname: kill\nstate_dir: state\nneutron: {{snapshot: cloud.json}}\n"
                        f"alcor: {{url: '{emulator.url_for('vpc')}', concurrency: 4}}\n"
                        f"translate: {{flat_networks: skip, bulk_size: 20}}\n")
        child = run(plan)
        deadline = time.monotonic() + 60
        while applied_records(state_dir) < 15 and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert child.poll() is None, child.stderr.read().decode()  # still converting
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
        state = StateStore(state_dir)
        requests = len((state_dir / "preview" / "requests.jsonl").read_text().splitlines())
        done = state.applied_count()
        state.close()
        assert 15 <= done < requests

        again = run(plan)
        out, err = again.communicate(timeout=120)
        assert again.returncode == 0, err.decode()
        finished = {e["phase"]: e["summary"] for e in map(json.loads, out.splitlines())
                    if e["event"] == "phase_finished"}
        assert finished["convert"]["skipped"] == done
        assert finished["convert"]["applied"] == requests - done
        assert finished["verify"]["drift"] == 0
        assert emulator.ledger.duplicates() == {}
        assert emulator.ledger.summary()["repeated_create_requests"] == 0
