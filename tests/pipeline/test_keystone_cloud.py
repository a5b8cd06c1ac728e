"""A cloud plan on a real Keystone and a Keystone-authenticated neutron-server (keystonemiddleware's
auth_token): Neutron's endpoint comes from the catalog, is recorded before anything changes, and the
capture, replay, verify and the drain use the record with the cloud's token after the catalog moves."""

from __future__ import annotations

import threading
import uuid

import httpx
import pytest

from tests.alcor.conftest import plan_for
from tests.pipeline.conftest import DEAD_INTERNAL, DEMO_USER
from wizard import cli
from wizard.alcor.client import AlcorClient
from wizard.alcor.verify import verify
from wizard.capture.writelog import REJECTED, REPLAYED, WriteLog
from wizard.core.engine import Engine, RunContext
from wizard.core.events import EventBus, PhaseStarted
from wizard.core.state import StateStore
from wizard.lab.alcor import AlcorEmulator
from wizard.lab.neutron_server import free_port
from wizard.neutron import endpoint, snapshot
from wizard.neutron.reader import NeutronReader
from wizard.phases import build_phases
from wizard.phases.capture import CapturePhase
from wizard.phases.convert import ConvertPhase
from wizard.phases.cutover import DrainPhase, SwitchPhase
from wizard.phases.preflight import PreflightPhase, check_inputs
from wizard.phases.replay import ReplayPhase
from wizard.phases.snapshot import SnapshotPhase
from wizard.phases.translate import TranslatePhase
from wizard.phases.verify import VerifyPhase
from wizard.plan import NeutronSource, Plan
from wizard.preflight import neutron_api
from wizard.translate.context import Options
from wizard.translate.translation import translate

pytestmark = pytest.mark.neutron

def point_catalog_at(conn, url: str) -> None:
    """What the switch (or a capture inserted through the catalog) does: every network endpoint moves."""
    for service in conn.identity.services(type="network"):
        for entry in conn.identity.endpoints(service_id=service.id):
            conn.identity.update_endpoint(entry, url=url)


def cloud_plan(emulator, state_dir):
    plan = plan_for(emulator, state_dir)
    plan.neutron = NeutronSource(cloud="admin")
    plan.capture.listen = f"127.0.0.1:{free_port()}"
    plan.cutover.drain.min, plan.cutover.drain.max, plan.cutover.drain.poll = 0.0, 3.0, 0.2
    return plan



def drift_from_neutron(plan, state, emulator):
    """Neutron now, read where the run recorded it, against what Alcor holds."""
    with NeutronReader(endpoint.pinned(plan.neutron, state)) as reader, AlcorClient(emulator.endpoints) as client:
        return verify(translate(reader.read(), Options.from_plan(plan)).requests, client, state.mapped_id)

def test_a_cloud_plan_captures_at_the_catalogs_endpoint_found_once(cloud, neutron, tmp_path):
    with AlcorEmulator() as emulator:
        plan = cloud_plan(emulator, tmp_path / "state")
        assert "capture" in [phase.name for phase in build_phases(plan)]  # never left out without a word
        state = StateStore(plan.state_dir)
        engine = Engine(plan, [PreflightPhase(), CapturePhase()], state, approve=lambda *_: True)  # clients pointed
        try:
            result = engine.run()
            assert result.ok, result.error
            assert state.get_meta(endpoint.STATE_KEY) == neutron.url
            assert state.phase("capture")["summary"]["upstream"] == neutron.url
        finally:
            CapturePhase.stop(engine.ctx)
            state.close()
    assert endpoint.find(NeutronSource(cloud="admin", interface="internal")) == DEAD_INTERNAL


def test_a_url_with_a_cloud_replaces_the_endpoint_and_keeps_the_token(cloud, neutron):
    with NeutronReader(NeutronSource(cloud="admin", url=f"{neutron.url}/v2.0")) as reader:
        assert reader.first("agents")


class UsersWrite:
    """In the preview's place: users write with their own tokens through the running capture; an
    intruder's token is refused."""

    name = "preview"

    def __init__(self, keystone):
        self.keystone = keystone
        self.statuses: list[int] = []
        self.token = ""

    def run(self, ctx):
        self.run_through(ctx.run.capture.url)
        return {"writes": len(self.statuses)}

    def run_through(self, capture: str) -> None:
        url = (capture if capture.startswith("http") else f"http://{capture}") + "/v2.0"
        self.token = self.keystone.token(*DEMO_USER, "demo")
        with httpx.Client(base_url=url, headers={"X-Auth-Token": self.token}, timeout=60) as user:
            network = self.make(user, "networks", "network", name=f"user-{uuid.uuid4().hex[:6]}")
            self.make(user, "subnets", "subnet", network_id=network["id"], cidr="10.61.0.0/24", ip_version=4)
            group = self.make(user, "security-groups", "security_group", name="web")
            self.make(user, "security-group-rules", "security_group_rule", security_group_id=group["id"],
                      direction="ingress", protocol="tcp", port_range_min=443, port_range_max=443)
        intruder = httpx.post(f"{url}/networks", json={"network": {"name": "intruder"}},
                              headers={"X-Auth-Token": "not-a-token"}, timeout=60)
        self.statuses.append(intruder.status_code)

    def make(self, user, kind, singular, **fields):
        answer = user.post(f"/{kind}", json={singular: fields})
        self.statuses.append(answer.status_code)
        answer.raise_for_status()
        return answer.json()[singular]


class ReplayThenCatalogMoves(ReplayPhase):
    """The replay, after which the catalog no longer points at Neutron (it points at Alcor)."""

    def __init__(self, conn, url):
        super().__init__("replay")
        self.conn, self.url = conn, url

    def run(self, ctx):
        summary = super().run(ctx)
        point_catalog_at(self.conn, self.url)
        return summary


def test_users_writes_through_the_capture_are_replayed_and_verify_and_drain_read_neutron(
        cloud, neutron, keystone, tmp_path):
    with AlcorEmulator(seed=7) as emulator:
        plan = cloud_plan(emulator, tmp_path / "state")
        users = UsersWrite(keystone)
        phases = [PreflightPhase(), CapturePhase(), SnapshotPhase(), TranslatePhase(), users, ConvertPhase(),
                  ReplayThenCatalogMoves(cloud, emulator.url_for("vpc")), VerifyPhase(), DrainPhase()]
        state = StateStore(plan.state_dir)
        engine = Engine(plan, phases, state, approve=lambda *_: True)  # the operator points clients at the capture
        try:
            result = engine.run()
            assert result.ok, result.error
            assert users.statuses == [201, 201, 201, 201, 401]
            log = WriteLog(plan.state_dir, readonly=True)
            entries = log.entries()
            log.close()
            assert [e["state"] for e in entries] == [REPLAYED] * 4 + [REJECTED]
            kept = b"".join(path.read_bytes() for path in (tmp_path / "state").rglob("*") if path.is_file())
            assert users.token.encode() not in kept and b"not-a-token" not in kept  # no token is kept
            assert state.phase("verify")["summary"]["drift"] == 0
            assert state.phase("drain")["summary"]["quiet"] is True  # it read Neutron, not Alcor

            # Neutron now, read where the run recorded it, is what Alcor holds
            assert drift_from_neutron(plan, state, emulator).total == 0
        finally:
            ReplayPhase.stop(engine.ctx)
            CapturePhase.stop(engine.ctx)
            state.close()


def test_a_run_resumed_after_the_switch_checks_and_drains_neutron_not_alcor(cloud, neutron, tmp_path):
    with AlcorEmulator() as emulator:
        plan = cloud_plan(emulator, tmp_path / "state")
        plan.capture.enabled = False
        state = StateStore(plan.state_dir)
        try:
            assert Engine(plan, [PreflightPhase()], state).run().ok  # records Neutron's endpoint
            point_catalog_at(cloud, emulator.url_for("vpc"))  # the switch
            resumed = Engine(plan, [PreflightPhase(), DrainPhase()], state).run()
            assert resumed.ok, resumed.error
            assert state.phase("drain")["summary"]["quiet"] is True
        finally:
            state.close()


def test_a_login_without_the_admin_role_is_refused_by_snapshot_and_run(cloud, tmp_path, capsys):
    out = tmp_path / "demo.json"
    assert cli.main(["snapshot", "--os-cloud", "demo", "--out", str(out)]) == 2
    assert "cloud demo logs in without the admin role (roles: member, reader)" in capsys.readouterr().err
    assert not out.exists()
    assert cli.main(["run", "--os-cloud", "demo", "--alcor-url", "http://127.0.0.1:9",
                     "--state-dir", str(tmp_path / "state")]) == 2
    assert "without the admin role" in capsys.readouterr().err
    assert cli.main(["snapshot", "--os-cloud", "admin", "--out", str(out)]) == 0
    assert snapshot.load(out)["agents"]


def test_preflight_blocks_a_login_without_the_admin_role(cloud, tmp_path):
    state = StateStore(tmp_path / "state")
    try:
        plan = Plan(state_dir=str(tmp_path / "state"), neutron=NeutronSource(cloud="demo"))
        ctx = RunContext(plan=plan, state=state, bus=EventBus(), approve=lambda *_: True)
        assert [f.code for f in neutron_api(check_inputs(ctx)).findings] == ["neutron-not-admin"]
    finally:
        state.close()


def test_the_capture_command_on_a_cloud_plan_forwards_to_the_catalogs_endpoint(cloud, neutron, keystone, tmp_path):
    from tests.capture.conftest import CaptureProcess

    plan = tmp_path / "plan.yaml"
    plan.write_text(f"version: 1\nneutron: {{cloud: admin}}\nalcor: {{url: 'http://127.0.0.1:9'}}\n"
                    f"state_dir: {tmp_path / 'state'}\n")
    running = CaptureProcess("--plan", str(plan))
    try:
        token = keystone.token(*DEMO_USER, "demo")
        answer = httpx.post(f"{running.url}/v2.0/networks", json={"network": {"name": "via-capture-command"}},
                            headers={"X-Auth-Token": token}, timeout=60)
        assert answer.status_code == 201
    finally:
        assert running.stop()[0] == 0
    log = WriteLog(tmp_path / "state", readonly=True)
    assert [entry["state"] for entry in log.entries()] == ["committed"]
    log.close()


def test_users_write_during_convert_the_catalog_switches_and_neutron_then_equals_alcor(
        cloud, neutron, keystone, tmp_path):
    """The issue's end to end: users' writes with their own tokens through the capture while convert
    runs, the real switch through the gate (keystone method), the drain and the final replay; then a
    fresh read of Neutron equals what Alcor holds, and the catalog points at Alcor."""
    with AlcorEmulator(seed=9) as emulator:
        plan = cloud_plan(emulator, tmp_path / "state")
        plan.cutover.endpoint.method, plan.cutover.endpoint.alcor_url = "keystone", emulator.url_for("vpc")
        users = UsersWrite(keystone)
        writer = threading.Thread(target=users.run_through, args=(plan.capture.listen,))
        bus = EventBus()
        bus.subscribe(lambda e: isinstance(e, PhaseStarted) and e.phase == "convert" and writer.start())
        bus.subscribe(lambda e: isinstance(e, PhaseStarted) and e.phase == "replay" and writer.join(120))
        phases = [PreflightPhase(), CapturePhase(), SnapshotPhase(), TranslatePhase(), ConvertPhase(),
                  ReplayPhase("replay"), VerifyPhase(), SwitchPhase(), DrainPhase(), ReplayPhase("final_replay")]
        state = StateStore(plan.state_dir)
        engine = Engine(plan, phases, state, bus, approve=lambda phase, question: True)
        try:
            result = engine.run()
            assert result.ok, result.error
            assert users.statuses == [201, 201, 201, 201, 401]
            log = WriteLog(plan.state_dir, readonly=True)
            assert [e["state"] for e in log.entries()] == [REPLAYED] * 4 + [REJECTED]
            log.close()
            assert state.phase("drain")["summary"]["quiet"] is True
            network = next(cloud.identity.services(type="network"))
            assert {e.url for e in cloud.identity.endpoints(service_id=network.id)} == {emulator.url_for("vpc")}
            assert drift_from_neutron(plan, state, emulator).total == 0
        finally:
            ReplayPhase.stop(engine.ctx)
            CapturePhase.stop(engine.ctx)
            state.close()
