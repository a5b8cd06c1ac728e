"""kill -9 of a process in the middle of convert, then the same run again: no duplicates, no drift."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from tests.convert.conftest import ROOT
from wizard.alcor.client import AlcorClient
from wizard.alcor.convert import Converter
from wizard.alcor.verify import verify
from wizard.lab.alcor import AlcorEmulator, Faults
from wizard.state import STATE_FILE, StateStore

CHILD = """
import sys
from wizard.alcor.client import AlcorClient
from wizard.alcor.convert import Converter
from wizard.lab.synth import CloudSize, SyntheticCloud
from wizard.state import StateStore
from wizard.translate.context import Options
from wizard.translate.translation import translate

url, state_dir = sys.argv[1:]
translation = translate(SyntheticCloud(CloudSize(ports=300)).snapshot(), Options(bulk_size=20))
with AlcorClient({s: url for s in ("vpc", "subnet", "route", "port", "node", "security_group", "elastic_ip")},
                 concurrency=4) as client:
    summary = Converter(client, StateStore(state_dir), concurrency=4).run(translation.requests)
print(summary.to_json())
"""


def applied_records(state_dir) -> int:
    path = state_dir / STATE_FILE
    return path.read_bytes().count(b'"t":"applied"') if path.exists() else 0


def test_kill_9_mid_convert_then_the_same_run_resumes_without_duplicates(tmp_path, cloud):
    state_dir = tmp_path / "state"
    with AlcorEmulator(seed=3, faults=Faults(latency_ms=15)) as emulator:
        child = subprocess.Popen([sys.executable, "-c", CHILD, emulator.url_for("vpc"), str(state_dir)], cwd=ROOT,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while applied_records(state_dir) < 15 and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
        assert child.returncode == -signal.SIGKILL, child.stderr.read().decode()
        state = StateStore(state_dir)
        done = sum(state.is_applied(r.key) for r in cloud.requests)
        assert 15 <= done < len(cloud.requests)
        with AlcorClient(emulator.endpoints, concurrency=4) as client:
            summary = Converter(client, state, concurrency=4).run(cloud.requests)
            assert summary.complete and summary.skipped == done
            assert summary.applied == len(cloud.requests) - done
            assert emulator.ledger.duplicates() == {}
            assert emulator.ledger.summary()["repeated_create_requests"] == 0
            assert verify(cloud.requests, client, state.mapped_id).total == 0

