"""How clients reach the capture on a real Keystone + Keystone-authenticated neutron-server
(capture.insertion): the catalog pointed at the capture while it runs and put back when the run stops
before the switch or is rolled back; the switch waits out the token lifetime; with `none`, the
operator is asked and a marked request shows whether clients go through the capture."""

from __future__ import annotations

import functools
import io
import uuid

import openstack
import pytest
from rich.console import Console

from tests.pipeline.conftest import DEAD_INTERNAL
from tests.pipeline.test_keystone_cloud import cloud_plan
from wizard.capture.insertion import INSERTED_AT
from wizard.capture.writelog import WriteLog
from wizard.core.engine import Engine
from wizard.core.events import EndpointChanged, EventBus, Message, TokenTick
from wizard.core.state import StateStore
from wizard.cutover.endpoint import STATE_KEY
from wizard.cutover.rollback import roll_back
from wizard.headless import RichReport, StatusLine
from wizard.lab.alcor import AlcorEmulator
from wizard.phases.capture import CapturePhase
from wizard.phases.cutover import SwitchPhase
from wizard.phases.preflight import PreflightPhase, check_inputs
from wizard.preflight import Check, run_check
from wizard.preflight.insertion import insertion

pytestmark = pytest.mark.neutron


def catalog(conn) -> dict[str, str]:
    """The network service's endpoints, by interface."""
    service = next(conn.identity.services(type="network"))
    return {e.interface: e.url for e in conn.identity.endpoints(service_id=service.id)}


def inserted_plan(emulator, state_dir):
    plan = cloud_plan(emulator, state_dir)
    plan.capture.insertion = "keystone"
    plan.cutover.endpoint.method, plan.cutover.endpoint.alcor_url = "keystone", emulator.url_for("vpc")
    return plan


class InThePhaseOf:
    """A phase that does `act(ctx)` in the place of another (the capture is running by then)."""

    def __init__(self, name, act):
        self.name, self.act = name, act

    def run(self, ctx):
        return self.act(ctx) or {}


def test_a_user_with_a_new_token_reaches_the_capture_through_the_catalog_and_the_catalog_goes_back(
        cloud, neutron, tmp_path):
    seen = {}

    def user_writes(ctx):
        seen["catalog"] = catalog(cloud)
        with openstack.connect(cloud="demo") as user:  # a new token, the endpoint from its catalog
            user.network.create_network(name=f"via-catalog-{uuid.uuid4().hex[:6]}")

    with AlcorEmulator() as emulator:
        plan = inserted_plan(emulator, tmp_path / "state")
        capture = f"http://{plan.capture.listen}"
        state = StateStore(plan.state_dir)
        try:
            result = Engine(plan, [PreflightPhase(), CapturePhase(), InThePhaseOf("snapshot", user_writes)],
                            state).run()
            assert result.ok, result.error
            assert seen["catalog"] == {"public": capture, "internal": capture}
            log = WriteLog(plan.state_dir, readonly=True)
            assert [(e["method"], e["state"]) for e in log.entries()] == [("POST", "committed")]
            log.close()
            # the run stopped before the switch, and the capture with it: the catalog is Neutron's again
            assert catalog(cloud) == {"public": neutron.url, "internal": DEAD_INTERNAL}
            assert state.get_meta(STATE_KEY) == [] and state.get_meta(INSERTED_AT) is None
        finally:
            state.close()


@pytest.mark.parametrize("how", ["fails", "is cancelled"])
def test_the_catalog_goes_back_to_neutron_when_the_run_stops_before_the_switch(cloud, neutron, tmp_path, how):
    engines = []

    def stop(ctx):
        assert catalog(cloud)["public"] == f"http://{ctx.plan.capture.listen}"
        if how == "fails":
            raise RuntimeError("convert broke")
        engines[0].cancel()
        ctx.checkpoint()

    with AlcorEmulator() as emulator:
        plan = inserted_plan(emulator, tmp_path / "state")
        state = StateStore(plan.state_dir)
        try:
            engines.append(Engine(plan, [PreflightPhase(), CapturePhase(), InThePhaseOf("convert", stop)], state))
            result = engines[0].run()
            assert result.failed == "convert"
            assert catalog(cloud) == {"public": neutron.url, "internal": DEAD_INTERNAL}
        finally:
            state.close()


def test_the_switch_waits_out_the_token_lifetime_then_rollback_gives_the_catalog_back_to_neutron(
        cloud, neutron, tmp_path):
    with AlcorEmulator() as emulator:
        plan = inserted_plan(emulator, tmp_path / "state")
        plan.capture.token_lifetime = 2.0
        bus, ticks, waits, moves = EventBus(), [], set(), []
        status, printed = StatusLine(), io.StringIO()
        bus.subscribe(status)
        bus.subscribe(RichReport(Console(file=printed, width=200)))
        bus.subscribe(lambda e: isinstance(e, TokenTick) and (ticks.append(e), waits.add(status.line())))
        bus.subscribe(lambda e: isinstance(e, EndpointChanged) and moves.append(e))
        state = StateStore(plan.state_dir)
        try:
            result = Engine(plan, [PreflightPhase(), CapturePhase(), SwitchPhase()], state, bus,
                            approve=lambda *_: True).run()
            assert result.ok, result.error
            assert ticks[0].left > 1 and ticks[-1].left == 0
            assert any("State: waiting, tokens issued before the capture may still reach Neutron: 2s left" in line
                       for line in waits), waits
            assert "switch: tokens issued before the capture may still reach Neutron: 2s left" in printed.getvalue()
            assert "switch: tokens issued before the capture have expired" in printed.getvalue()
            to_alcor = [move.at for move in moves if move.new_url == emulator.url_for("vpc")]
            assert len(to_alcor) == 2 and min(to_alcor) >= state.get_meta(INSERTED_AT) + 2.0
            assert catalog(cloud) == {"public": emulator.url_for("vpc"), "internal": emulator.url_for("vpc")}

            rolled = roll_back(plan, state, control=None, ask=None)
            assert rolled.endpoints == 2
            assert catalog(cloud) == {"public": neutron.url, "internal": DEAD_INTERNAL}  # not the capture
        finally:
            state.close()


def test_with_insertion_none_the_operator_is_asked_and_the_proof_says_whether_clients_go_through_the_capture(
        cloud, neutron, tmp_path):
    questions, outcomes = [], []

    def confirm(phase, question, point_clients):
        questions.append(question)
        if point_clients:  # the operator does as asked: the public endpoint goes to the capture
            service = next(cloud.identity.services(type="network"))
            for entry in cloud.identity.endpoints(service_id=service.id, interface="public"):
                cloud.identity.update_endpoint(entry, url=f"http://{ctx_plan.capture.listen}")
        return True

    def check(ctx):
        outcomes.append(run_check(Check("insertion", insertion), check_inputs(ctx), ctx.emit))

    for point_clients in (False, True):
        with AlcorEmulator() as emulator:
            ctx_plan = cloud_plan(emulator, tmp_path / f"state-{point_clients}")
            bus, warnings = EventBus(), []
            bus.subscribe(lambda e, warnings=warnings: isinstance(e, Message) and e.level == "warning"
                          and warnings.append(e.text))
            state = StateStore(ctx_plan.state_dir)
            try:
                phases = [PreflightPhase(), CapturePhase(), InThePhaseOf("snapshot", check)]
                approve = functools.partial(confirm, point_clients=point_clients)
                result = Engine(ctx_plan, phases, state, bus, approve=approve).run()
                assert result.ok, result.error
            finally:
                state.close()
            bypassed = [w for w in warnings if "clients are not going through the capture" in w]
            if point_clients:
                assert not bypassed and outcomes[-1].status == "ok"
            else:
                assert bypassed and f"{neutron.url} is Neutron's own" in bypassed[0]
                assert [f.code for f in outcomes[-1].result.findings] == ["capture-bypassed"]
        assert f"at the capture at http://{ctx_plan.capture.listen}" in questions[-1]
