"""End to end on a fresh real neutron-server: capture, a snapshot taken while writes flow, translate,
convert, replay (and a resumed run's final replay), then Alcor against Neutron's final state: zero drift."""

from __future__ import annotations

import threading
import time
import uuid

import httpx
import pytest

from tests.alcor.conftest import plan_for
from wizard.alcor.client import AlcorClient
from wizard.alcor.verify import verify
from wizard.capture.writelog import REPLAYED, SKIPPED, WriteLog
from wizard.core.engine import Engine
from wizard.core.events import EventBus, LagChanged, PhaseStarted, Progress
from wizard.core.state import StateStore
from wizard.lab.alcor import AlcorEmulator
from wizard.lab.neutron_server import NeutronServer, free_port
from wizard.neutron.reader import NeutronReader
from wizard.phases.capture import CapturePhase
from wizard.phases.convert import ConvertPhase
from wizard.phases.replay import ReplayPhase
from wizard.phases.snapshot import SnapshotPhase
from wizard.phases.translate import TranslatePhase
from wizard.translate.context import Options
from wizard.translate.translation import translate

pytestmark = pytest.mark.neutron


@pytest.fixture(scope="module")
def fresh_neutron(tmp_path_factory):
    """A neutron-server of this module's own: Neutron's whole final state is this test's doing."""
    with NeutronServer(run_dir=tmp_path_factory.mktemp("neutron")) as server:
        yield server


class Workload:
    """A user busy with the network API through the proxy: creates, updates, tags, interfaces, deletes."""

    def __init__(self, url: str):
        self.http = httpx.Client(base_url=f"{url}/v2.0", timeout=60)
        self.project = uuid.uuid4().hex
        self.done = 0

    def make(self, kind: str, singular: str, **fields) -> dict:
        answer = self.http.post(f"/{kind}", json={singular: {"project_id": self.project, **fields}})
        answer.raise_for_status()
        self.done += 1
        return answer.json()[singular]

    def change(self, method: str, path: str, body: dict | None = None) -> None:
        self.http.request(method, path, json=body).raise_for_status()
        self.done += 1

    def run(self, rounds: int) -> None:
        router = self.make("routers", "router", name="edge")
        for n in range(rounds):
            net = self.make("networks", "network", name=f"net{n}")
            sub = self.make("subnets", "subnet", network_id=net["id"], cidr=f"10.{n}.0.0/24", ip_version=4)
            group = self.make("security-groups", "security_group", name=f"sg{n}")
            self.make("security-group-rules", "security_group_rule", security_group_id=group["id"],
                      direction="ingress", protocol="tcp", port_range_min=22, port_range_max=22)
            port = self.make("ports", "port", network_id=net["id"], name=f"vm{n}", security_groups=[group["id"]])
            self.change("PUT", f"/ports/{port['id']}", {"port": {"name": f"vm{n}-up"}})
            self.change("PUT", f"/networks/{net['id']}/tags/round{n}")
            if n == 0:
                self.change("PUT", f"/routers/{router['id']}/add_router_interface", {"subnet_id": sub["id"]})
            if n % 2:
                self.change("DELETE", f"/ports/{port['id']}")
        self.http.close()


class Gate:
    """In the switch phase's place, what the cut-over gate does: hold writes, replay up to the head, release."""

    name = "switch"

    def __init__(self, writer: threading.Thread, workload: Workload):
        self.writer, self.workload, self.replayed = writer, workload, 0

    def run(self, ctx):
        self.writer.join(120)
        hold, replication = ctx.run.write_hold, ctx.run.replication
        hold.hold_writes("reject", 1.0)
        target = replication.head()
        assert target == self.workload.done
        self.replayed = replication.replay(target, time.monotonic() + 60)
        assert replication.lag() == 0
        hold.release_writes()


def test_snapshot_during_writes_then_convert_and_replay_leave_zero_drift(fresh_neutron, tmp_path):
    emulator = AlcorEmulator(seed=5).start()
    plan = plan_for(emulator, tmp_path / "state")
    plan.neutron.url = fresh_neutron.url
    plan.neutron.auth = "none"
    listen = free_port()
    plan.capture.listen = f"127.0.0.1:{listen}"
    workload = Workload(f"http://127.0.0.1:{listen}")
    writer = threading.Thread(target=workload.run, args=(6,))
    bus, events = EventBus(), []
    bus.subscribe(events.append)
    bus.subscribe(lambda e: isinstance(e, PhaseStarted) and e.phase == "snapshot" and writer.ident is None
                  and writer.start())
    gate = Gate(writer, workload)
    phases = [CapturePhase(), SnapshotPhase(), TranslatePhase(), ConvertPhase(), ReplayPhase("replay"), gate,
              ReplayPhase("final_replay")]
    state = StateStore(plan.state_dir)
    engine = Engine(plan, phases, state, bus)
    try:
        first = engine.run(until="switch")
        assert first.failed is None, first.error
        assert workload.done > 0 and gate.replayed == workload.done  # the snapshot was taken while writes flowed
        second = engine.run()  # resumed: the snapshot stands; convert skips what it did; replay catches up
        assert second.failed is None, second.error

        log = WriteLog(plan.state_dir, readonly=True)
        entries = log.entries()
        log.close()
        assert len(entries) == workload.done and {e["state"] for e in entries} <= {REPLAYED, SKIPPED}
        # only a rule the snapshot already held is skipped (rules never change; no delete-and-recreate)
        assert {e["path"] for e in entries if e["state"] == SKIPPED} <= {"/v2.0/security-group-rules"}
        final = state.phase("final_replay")["summary"]
        assert final["lag"] == 0 and final["failed"] == 0 and final["position"] == entries[-1]["seq"]
        assert any(isinstance(e, LagChanged) and e.waiting == 0 for e in events)
        assert any(isinstance(e, Progress) and e.phase == "final_replay" for e in events)

        with NeutronReader(plan.neutron) as reader, AlcorClient(emulator.endpoints) as client:
            expected = translate(reader.read(), Options.from_plan(plan))
            drift = verify(expected.requests, client, state.mapped_id)
        assert drift.total == 0, [(k.kind, k.missing, k.unexpected, k.differences[:3]) for k in drift.kinds
                                  if k.total]
        assert emulator.ledger.duplicates() == {}
    finally:
        ReplayPhase.stop(engine.ctx)
        CapturePhase.stop(engine.ctx)
        if writer.is_alive():
            writer.join(60)
        state.close()
        emulator.stop()
