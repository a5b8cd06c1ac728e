"""Convert against the Alcor emulator: order, checkpoints, resume without duplicates, held-back dependents."""

from __future__ import annotations

import pytest

from tests.alcor.conftest import make_world
from tests.conftest import untimed
from wizard.alcor.convert import Converter, ConvertIncomplete, recorded_failures, stages
from wizard.alcor.paths import KINDS
from wizard.alcor.request import deferred_id
from wizard.alcor.verify import verify
from wizard.core.engine import Cancelled, Engine
from wizard.core.events import EventBus, Progress, RequestFailed
from wizard.lab.alcor import Faults
from wizard.phases.convert import ConvertPhase
from wizard.translate.model import Translation


def convert(world, translation: Translation, **options):
    return Converter(world.client, world.state, concurrency=4, **options).run(translation.requests)


def no_duplicates(world) -> None:
    summary = world.emulator.ledger.summary()
    assert world.emulator.ledger.duplicates() == {}
    assert summary["duplicate_creates"] == 0 and summary["repeated_create_requests"] == 0


def zero_drift(world, translation: Translation) -> None:
    drift = verify(translation.requests, world.client, world.state.mapped_id)
    assert drift.total == 0, drift.to_json(most=5)


def alcor_requests(world) -> int:
    return sum(world.emulator.ledger.summary()["requests"].values())


def test_a_clean_convert_applies_every_request_and_reports_progress_per_kind(world, cloud):
    events = []
    summary = convert(world, cloud, emit=events.append)
    assert summary.complete and summary.applied == len(cloud.requests) == summary.requests
    assert all(world.state.is_applied(r.key) for r in cloud.requests)
    record = world.state.applied(cloud.requests[-1].key)
    assert record["status"] in (200, 201) and record["attempts"] == 1 and record["duration"] > 0
    last = {}
    for event in events:
        if isinstance(event, Progress):
            last[event.kind] = event
    assert set(last) == {r.kind for r in cloud.requests}
    ports = last["port"]
    assert ports.done == ports.total and ports.failed == 0
    assert ports.total == sum(len(r.body["ports"]) for r in cloud.requests if r.kind == "port")
    assert ports.rate > 0 and ports.current.startswith("port-bulk:")
    no_duplicates(world)
    zero_drift(world, cloud)


def test_stages_keep_the_translation_order_and_group_one_kind_and_method(cloud):
    flat = [r for stage in stages(cloud.requests) for r in stage]
    assert flat == cloud.requests
    for stage in stages(cloud.requests):
        assert len({(r.kind, r.method) for r in stage}) == 1


def test_a_second_run_skips_everything_and_sends_nothing(world, cloud):
    convert(world, cloud)
    sent = alcor_requests(world)
    world.reopen_state()
    again = convert(world, cloud)
    assert again.complete and again.skipped == len(cloud.requests) and again.applied == 0
    assert alcor_requests(world) == sent


def test_cancelled_between_items_resumes_without_resending_or_duplicates(world, cloud):
    calls = []

    def checkpoint():
        calls.append(1)
        if len(calls) > 25:
            raise Cancelled("cancelled by the operator")

    with pytest.raises(Cancelled):
        convert(world, cloud, checkpoint=checkpoint)
    applied = [r.key for r in cloud.requests if world.state.is_applied(r.key)]
    assert 20 <= len(applied) <= 25  # what was in flight when cancelled is recorded too
    creates_before = dict(world.emulator.ledger.summary()["creates"])
    world.reopen_state()
    resumed = convert(world, cloud)
    assert resumed.complete and resumed.skipped == len(applied)
    assert resumed.applied == len(cloud.requests) - len(applied) and resumed.resent == 0
    assert sum(world.emulator.ledger.summary()["creates"].values()) > sum(creates_before.values())
    no_duplicates(world)
    zero_drift(world, cloud)


def test_a_request_sent_but_not_recorded_is_looked_up_not_sent_twice(world, cloud):
    """A kill between sending and recording: the state says sent, Alcor has it, the state does not."""
    first = cloud.requests[:12]
    convert(world, Translation(requests=first))
    for request in first[-4:]:  # as if the run died before recording these four
        world.state._db.table("applied").remove(doc_ids=[world.state._applied.pop(request.key)])
    world.reopen_state()
    summary = convert(world, cloud)
    assert summary.complete and summary.found_applied == 4 and summary.resent == 0
    no_duplicates(world)
    zero_drift(world, cloud)


def tampered(translation: Translation, key: str, **fields) -> Translation:
    """The translation with one create's body changed (same keys)."""
    requests = []
    for request in translation.requests:
        if request.key == key:
            wrapper = KINDS[request.kind].wrapper
            request = type(request)(**{**request.__dict__, "body": {wrapper: {**request.body[wrapper], **fields}}})
        requests.append(request)
    return Translation(requests=requests, findings=translation.findings, id_map=translation.id_map)


def test_a_refused_request_holds_back_its_dependents_only_and_the_next_run_retries_them(world, cloud):
    vpc = next(r for r in cloud.requests if r.kind == "vpc")
    broken = tampered(cloud, vpc.key, mtu=10)  # Alcor refuses an MTU below 68 (500, not retried)
    refused = []
    summary = convert(world, broken, emit=lambda e: refused.append(e) if isinstance(e, RequestFailed) else None)
    assert [f.key for f in summary.failures] == [vpc.key]
    failure = summary.failures[0]
    assert failure.status == 500 and failure.request == f"POST {vpc.path}"
    assert failure.answer["message"] == "request resource is invalid"
    assert world.state.failures()[0]["answer"]["status"] == 500
    held = {f.key: f.error for f in summary.held_back}
    dependents = {r.key for r in cloud.requests if vpc.key in r.depends_on}
    assert dependents and dependents <= set(held)
    assert all(error.startswith("held back: depends on ") for error in held.values())
    # independent requests went on: every other network and subnet is in Alcor
    other_vpcs = [r for r in cloud.requests if r.kind == "vpc" and r.key != vpc.key]
    assert all(world.state.is_applied(r.key) for r in other_vpcs)
    assert summary.applied + len(summary.failures) + len(summary.held_back) == len(cloud.requests)
    assert [(e.key, e.kind, e.status) for e in refused] == [(vpc.key, "vpc", 500)] and "500" in refused[0].answer

    world.reopen_state()
    retried = convert(world, cloud)
    assert retried.complete and retried.applied == len(summary.failures) + len(summary.held_back)
    assert world.state.failures() == []
    no_duplicates(world)
    zero_drift(world, cloud)


def test_the_default_group_id_alcor_chose_is_learned_and_used_by_its_rules(world, cloud):
    convert(world, cloud)
    defaults = [(k, v) for k, v in cloud.id_map.items() if k[0] == "security_groups"]
    assert defaults
    (kind, neutron_id), placeholder = defaults[0]
    assert placeholder == deferred_id(kind, neutron_id)
    learned = world.state.mapped_id(kind, neutron_id)
    groups = world.client.list("security_group", None, name="default")
    assert learned and learned != neutron_id and learned in {g["id"] for g in groups}
    rules = world.client.list("security_group_rule", None, security_group_id=learned)
    assert rules  # rules that named the Neutron default group now name Alcor's
    # the rules Alcor made in it and Neutron's group lacks were deleted, by their learned ids
    deleted = [r for r in cloud.requests if r.key.startswith("alcor-rule-delete:" + neutron_id)]
    for request in deleted:
        rule_id = world.state.mapped_id("alcor_rules", request.key.split(":", 1)[1])
        assert rule_id and not world.client.exists("security_group_rule", rule_id)


def test_injected_500s_and_timeouts_convert_completes_without_duplicates(tmp_path, cloud):
    world = make_world(tmp_path, Faults(error_rate=0.10, timeout_rate=0.01, hold_seconds=1.0, seed=5),
                       timeout=0.5)
    try:
        summary = convert(world, cloud)
        stats = world.emulator.ledger.summary()
        assert summary.complete, summary.describe()
        assert stats["faults"] and sum(stats["faults"].values()) >= 5
        no_duplicates(world)
        world.emulator.faults.error_rate = world.emulator.faults.timeout_rate = 0.0
        zero_drift(world, cloud)
    finally:
        world.client.close()
        world.emulator.stop()


def test_the_phase_fails_after_recording_when_a_request_is_refused(world, cloud):
    vpc = next(r for r in cloud.requests if r.kind == "vpc")
    bus = EventBus()
    refused = []
    bus.subscribe(lambda e: refused.append(e) if type(e).__name__ == "RequestFailed" else None)
    engine = Engine(world.plan, [ConvertPhase()], world.state, bus)
    engine.ctx.run.translation = tampered(cloud, vpc.key, mtu=10)
    result = engine.run()
    assert result.failed == "convert" and vpc.key in result.error and "run again" in result.error
    assert [e.key for e in refused] == [vpc.key] and refused[0].kind == "vpc"
    assert "-> 500: ResourceNotValidException" in refused[0].answer
    assert untimed(recorded_failures(world.state)) == untimed(refused)  # what a reopened wizard shows again
    assert engine.ctx.run.convert.failures[0].key == vpc.key
    with pytest.raises(ConvertIncomplete):
        ConvertPhase().run(engine.ctx)
    engine.ctx.run.translation = cloud
    assert engine.run().ok
    assert world.state.phase("convert")["summary"]["applied"] > 0


def test_an_engine_cancelled_mid_convert_resumes_on_the_next_run(world, cloud):
    bus = EventBus()
    engine = Engine(world.plan, [ConvertPhase()], world.state, bus)
    engine.ctx.run.translation = cloud
    bus.subscribe(lambda e: engine.cancel() if isinstance(e, Progress) and e.kind == "subnet" else None)
    result = engine.run()
    assert result.failed == "convert" and "cancelled" in result.error
    done = sum(world.state.is_applied(r.key) for r in cloud.requests)
    assert 0 < done < len(cloud.requests)
    again = Engine(world.plan, [ConvertPhase()], world.reopen_state(), EventBus())
    again.ctx.run.translation = cloud
    assert again.run().ok
    assert world.state.phase("convert")["summary"]["skipped"] == done
    no_duplicates(world)


def test_the_segment_table_alcor_already_holds_is_applied_not_refused(world, cloud):
    # a VXLAN VPC made before the migration gives Alcor a key partition: the table's create answers 409
    stray = world.client._http.post(world.emulator.url_for("vpc") + "/project/x/vpcs", json={"network": {"id": "old"}})
    assert stray.status_code == 201
    summary = convert(world, cloud)
    assert summary.complete and world.state.is_applied("segment-table")
    assert world.emulator.ledger.summary()["requests"].get("POST /segments/createDefaultTable") == 1
