"""A capture that ran as its own process (`alcor-migrate capture`) into the run's state directory:
`run` replays its log, and verify compares Alcor with Neutron as it is after the replay."""

from __future__ import annotations

import httpx
import pytest

from tests.convert.conftest import plan_for
from wizard.alcor.convert import ConvertPhase
from wizard.alcor.verify import VerifyPhase
from wizard.capture.config import ProxyConfig
from wizard.capture.proxy import CaptureProxy
from wizard.capture.replay_phase import ReplayPhase
from wizard.capture.writelog import REPLAYED, WriteLog
from wizard.engine import Engine
from wizard.events import EventBus
from wizard.lab.alcor import AlcorEmulator
from wizard.lab.neutron_server import NeutronServer
from wizard.neutron.phase import SnapshotPhase
from wizard.state import StateStore
from wizard.translate_phase import TranslatePhase

pytestmark = pytest.mark.neutron


def test_writes_a_separate_capture_logged_after_the_snapshot_are_replayed_and_verify_sees_them(tmp_path):
    with NeutronServer() as neutron, AlcorEmulator(seed=3) as emulator:
        plan = plan_for(emulator, tmp_path / "state")
        plan.neutron.url, plan.neutron.auth = neutron.url, "none"
        log = WriteLog(plan.state_dir)
        capture = CaptureProxy(ProxyConfig(upstream=neutron.url, listen="127.0.0.1:0"), log, EventBus())
        capture.start()
        state = StateStore(plan.state_dir)
        phases = [SnapshotPhase(), TranslatePhase(), ConvertPhase(), ReplayPhase("replay"), VerifyPhase()]
        try:
            assert Engine(plan, phases, state).run(until="translate").ok
            answer = httpx.post(f"{capture.url}/v2.0/networks",
                                json={"network": {"name": "after-snapshot", "project_id": "separate"}}, timeout=60)
            assert answer.status_code == 201
            capture.stop()
            log.close()

            engine = Engine(plan, phases, state)
            result = engine.run()
            ReplayPhase.stop(engine.ctx)
            assert result.ok, result.error
            assert state.phase("verify")["summary"]["drift"] == 0
            replayed = WriteLog(plan.state_dir, readonly=True)
            assert [entry["state"] for entry in replayed.entries()] == [REPLAYED]
            replayed.close()
        finally:
            capture.stop()
            log.close()
            state.close()
