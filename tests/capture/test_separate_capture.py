"""A capture that runs as its own process (`alcor-migrate capture`) into the run's state directory:
`run` replays its log (read-only while it runs, `capture.mode: separate`), and verify compares Alcor
with Neutron as it is after the replay."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest

from tests.alcor.conftest import plan_for
from wizard.capture.config import ProxyConfig
from wizard.capture.proxy import CaptureProxy
from wizard.capture.writelog import COMMITTED, LOG_FILE, REPLAYED, WriteLog
from wizard.core.engine import Engine
from wizard.core.events import EventBus
from wizard.core.state import StateStore
from wizard.core.tinylog import held_for_writing
from wizard.cutover.gate import CutoverGate, Postponement
from wizard.lab.alcor import AlcorEmulator
from wizard.lab.neutron_server import NeutronServer
from wizard.phases.capture import CapturePhase
from wizard.phases.convert import ConvertPhase
from wizard.phases.replay import ReplayPhase
from wizard.phases.snapshot import SnapshotPhase
from wizard.phases.translate import TranslatePhase
from wizard.phases.verify import VerifyPhase
from wizard.plan import GateConfig, save

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


def logged(state_dir) -> list[dict]:
    """The write log's entries as the capture process wrote them."""
    log = WriteLog(state_dir, readonly=True)
    entries = log.entries()
    log.close()
    return entries


class UsersWriteThenTheGateSwitches:
    """Between replay and the final replay, while `run` holds the capture's log open read-only: a user
    writes through the capture process, then the cut-over gate switches with that process holding writes."""

    name = "drain"

    def __init__(self, write, capture_url: str):
        self.write, self.capture_url, self.during_switch = write, capture_url, []

    def run(self, ctx) -> dict:
        seq = self.write("while-run-reads-the-log")
        gate = CutoverGate(GateConfig(writes="reject", hold_timeout=20), Postponement(Path(ctx.state.dir) / "none"),
                           ctx.run.replication, ctx.run.write_hold)
        outcome = gate.pass_through(lambda: self.during_switch.append(httpx.post(
            f"{self.capture_url}/v2.0/networks", json={"network": {"name": "refused"}}, timeout=30).status_code))
        return {"written": seq, "position": outcome.position}


def test_run_replays_a_running_capture_processs_log_without_its_lock_and_both_may_restart(tmp_path, capture_process):
    with NeutronServer() as neutron, AlcorEmulator(seed=3) as emulator:
        plan = plan_for(emulator, tmp_path / "state")
        plan.neutron.url, plan.neutron.auth, plan.capture.mode = neutron.url, "none", "separate"
        save(plan, tmp_path / "plan.yaml")
        log_file = Path(plan.state_dir) / LOG_FILE
        running = capture_process("--plan", str(tmp_path / "plan.yaml"))
        project = uuid.uuid4().hex

        def write(name: str) -> int:
            answer = httpx.post(f"{running.url}/v2.0/networks", timeout=60,
                                json={"network": {"name": name, "project_id": project}})
            assert answer.status_code == 201, answer.text
            return logged(plan.state_dir)[-1]["seq"]

        def phases(*middle) -> list:
            return [CapturePhase(), SnapshotPhase(), TranslatePhase(), ConvertPhase(), ReplayPhase("replay"),
                    VerifyPhase(), *middle, ReplayPhase("final_replay")]

        state = StateStore(plan.state_dir)
        try:
            write("before-the-snapshot")
            assert Engine(plan, phases(), state).run(until="translate").ok
            write("after-the-snapshot")
            users = UsersWriteThenTheGateSwitches(write, running.url)
            result = Engine(plan, phases(users), state).run()
            assert result.ok, result.error
            assert held_for_writing(log_file)  # the capture process kept its lock: run never took it
            assert users.during_switch == [503]  # the capture process held writes for the switch
            assert state.phase("replay")["summary"]["replayed"] == 2
            assert state.phase("drain")["summary"] == {"written": 3, "position": 3}  # logged after run opened
            assert state.phase("verify")["summary"]["drift"] == 0

            state.close()  # run restarts, then the capture process does
            state = StateStore(plan.state_dir)
            assert Engine(plan, phases(), state).run().ok
            assert state.phase("replay")["summary"]["replayed"] == 0  # the verdicts survived
            assert running.stop()[0] == 0
            running = capture_process("--plan", str(tmp_path / "plan.yaml"))
            assert write("after-the-capture-restarted") == 4
            assert Engine(plan, phases(), state).run().ok
            assert state.phase("replay")["summary"]["replayed"] == 1
            assert state.phase("verify")["summary"]["drift"] == 0

            verdicts = state.verdicts()  # every write replayed once; the writer's log left as it wrote it
            assert sorted(verdicts) == [1, 2, 3, 4] and {v["entry"]["state"] for v in verdicts.values()} == {REPLAYED}
            assert {entry["state"] for entry in logged(plan.state_dir)} == {COMMITTED}
        finally:
            state.close()
