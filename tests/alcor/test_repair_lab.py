"""On a fresh real neutron-server: writes made to neutron-server directly after the snapshot (bypassing the
capture) are carried by the repair phase, verify then finds zero drift, and a second run repairs nothing."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.alcor.conftest import plan_for
from wizard import report
from wizard.alcor.convert import ConvertPhase
from wizard.alcor.verify import VerifyPhase
from wizard.capture.phase import CapturePhase
from wizard.capture.replay_phase import ReplayPhase
from wizard.engine import Engine
from wizard.events import EventBus, Message, PhaseStarted, Progress
from wizard.lab.alcor import AlcorEmulator
from wizard.lab.neutron_server import NeutronServer, free_port
from wizard.neutron.phase import SnapshotPhase
from wizard.repair_phase import RepairPhase
from wizard.state import StateStore
from wizard.translate_phase import TranslatePhase

pytestmark = pytest.mark.neutron


@pytest.fixture(scope="module")
def fresh_neutron(tmp_path_factory):
    """A neutron-server of this module's own: Neutron's whole state is this test's doing."""
    with NeutronServer(run_dir=tmp_path_factory.mktemp("neutron")) as server:
        yield server


class Client:
    """A user of neutron-server's API, directly (no capture in between)."""

    def __init__(self, url: str, project: str):
        self.http = httpx.Client(base_url=f"{url}/v2.0", timeout=60)
        self.project = project

    def make(self, kind: str, singular: str, **fields) -> dict:
        answer = self.http.post(f"/{kind}", json={singular: {"project_id": self.project, **fields}})
        answer.raise_for_status()
        return answer.json()[singular]

    def change(self, method: str, path: str, body: dict | None = None) -> None:
        self.http.request(method, path, json=body).raise_for_status()


def writes(emulator: AlcorEmulator) -> int:
    return sum(n for endpoint, n in emulator.ledger.summary()["requests"].items() if not endpoint.startswith("GET "))


def test_writes_that_bypassed_the_capture_are_repaired_and_verify_finds_no_drift(fresh_neutron, tmp_path):
    emulator = AlcorEmulator(seed=5).start()
    plan = plan_for(emulator, tmp_path / "state")
    plan.neutron.url, plan.neutron.auth = fresh_neutron.url, "none"
    plan.capture.listen = f"127.0.0.1:{free_port()}"
    user = Client(fresh_neutron.url, uuid.uuid4().hex)
    net = user.make("networks", "network", name="net0")
    user.make("subnets", "subnet", network_id=net["id"], cidr="10.0.0.0/24", ip_version=4)
    kept, gone = (user.make("ports", "port", network_id=net["id"], name=f"vm{n}") for n in range(2))
    made: dict[str, str] = {}
    sent_at_repair: list[int] = []

    def bypass(event) -> None:
        """After convert, before replay: writes straight to neutron-server, which no capture sees."""
        if isinstance(event, PhaseStarted) and event.phase == "replay" and not made:
            user.change("PUT", f"/ports/{kept['id']}", {"port": {"name": "renamed-directly"}})
            user.change("DELETE", f"/ports/{gone['id']}")
            new_net = user.make("networks", "network", name="net1")
            new_sub = user.make("subnets", "subnet", network_id=new_net["id"], cidr="10.1.0.0/24", ip_version=4)
            new_port = user.make("ports", "port", network_id=new_net["id"], name="vm-new")
            made.update(network=new_net["id"], subnet=new_sub["id"], port=new_port["id"])
        if isinstance(event, PhaseStarted) and event.phase == "repair":
            sent_at_repair.append(writes(emulator))

    bus, events = EventBus(), []
    bus.subscribe(events.append)
    bus.subscribe(bypass)
    phases = [CapturePhase(), SnapshotPhase(), TranslatePhase(), ConvertPhase(), ReplayPhase("replay"),
              RepairPhase(), VerifyPhase()]
    state = StateStore(plan.state_dir)
    engine = Engine(plan, phases, state, bus)
    try:
        first = engine.run()
        assert first.ok, first.error
        summary = state.phase("repair")["summary"]
        assert summary["repaired"]["port"] == {"created": 1, "updated": 1, "deleted": 1}
        assert summary["repaired"]["vpc"]["created"] == 1 and summary["repaired"]["subnet"]["created"] == 1
        changes = {(c["action"], c["kind"], c["id"]) for c in summary["changes"]}
        assert {("created", "port", made["port"]), ("updated", "port", kept["id"]),
                ("deleted", "port", gone["id"]), ("created", "vpc", made["network"])} <= changes
        assert summary["drift_before"] > 0 and summary["kept"] == 0 and "drift" not in summary  # verify checks
        assert writes(emulator) - sent_at_repair[0] == summary["requests"] == summary["sent"]  # only the difference
        assert state.phase("verify")["summary"]["drift"] == 0
        assert any(isinstance(e, Progress) and e.phase == "repair" for e in events)
        assert any(isinstance(e, Message) and e.phase == "repair" and "port 1/1/1" in e.text for e in events)
        with httpx.Client(base_url=emulator.url_for("port")) as alcor:
            assert alcor.get(f"/project/{user.project}/ports/{gone['id']}").status_code == 404
            assert alcor.get(f"/project/{user.project}/ports/{kept['id']}").json()["port"]["name"] == "renamed-directly"

        report.write(state, "bypass")
        written = (tmp_path / "state" / report.REPORT_MD).read_text()
        assert "## Repaired in Alcor" in written and "| port | 1 | 1 | 1 |" in written
        assert f"| deleted | port | {gone['id']} |" in written and f"| created | vpc | {made['network']} |" in written

        total = writes(emulator)
        second = engine.run()  # nothing bypassed since: repair sends nothing
        assert second.ok, second.error
        again = state.phase("repair")["summary"]
        assert again["requests"] == 0 and again["drift_before"] == 0 and writes(emulator) == total
    finally:
        ReplayPhase.stop(engine.ctx)
        CapturePhase.stop(engine.ctx)
        state.close()
        emulator.stop()
        user.http.close()
