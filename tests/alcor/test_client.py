"""The Alcor client against the emulator: reads, retries, and no duplicate creates under faults."""

from __future__ import annotations

import logging

import pytest

from tests.lab.alcor.conftest import PROJECT
from wizard.alcor import errors
from wizard.alcor.client import AlcorClient, RowCapReached
from wizard.alcor.paths import SEGMENT_TABLE_PATH
from wizard.alcor.request import AlcorRequest
from wizard.alcor.services import SERVICES
from wizard.alcor.values import SCAN_ROW_LIMIT
from wizard.core.errors import InputError
from wizard.lab.alcor import Faults
from wizard.plan import Plan

P = f"/project/{PROJECT}"


def req(kind: str, service: str, method: str, path: str, body=None, key: str | None = None) -> AlcorRequest:
    return AlcorRequest(key or f"{method} {path}", kind, service, method, path, body)


def vpc(id: str, **fields) -> AlcorRequest:
    return req("vpc", "vpc", "POST", P + "/vpcs", {"network": {"id": id, **fields}}, key=f"vpc:{id}")


def subnet(id: str, network_id: str, cidr: str) -> AlcorRequest:
    body = {"subnet": {"id": id, "network_id": network_id, "cidr": cidr}}
    return req("subnet", "subnet", "POST", P + "/subnets", body, key=f"subnet:{id}")


@pytest.fixture
def client(emulator, tls):
    with AlcorClient(emulator.endpoints, timeout=0.5, concurrency=4, retries=5, backoff=0.01, verify=tls,
                     seed=1) as client:
        yield client


def test_a_create_answers_with_status_body_duration_and_attempts(client):
    outcome = client.send(vpc("net-1"))
    assert outcome.ok and outcome.status == 201 and outcome.attempts == 1
    assert outcome.body["network"]["id"] == "net-1" and outcome.duration > 0 and outcome.key == "vpc:net-1"


def test_a_body_json_cannot_carry_is_a_failure_never_sent(client, emulator):
    outcome = client.send(vpc("net-1", mtu=float("nan")))
    assert not outcome.ok and outcome.attempts == 1 and outcome.error.startswith("NotJSON: ")
    assert emulator.ledger.summary()["requests"] == {}


def test_4xx_is_never_retried(client, emulator):
    outcome = client.send(req("port", "port", "POST", P + "/ports", {"port": {"id": "p"}}))
    assert outcome.status == 412 and outcome.attempts == 1 and outcome.error == "NetworkIdRequired"
    assert emulator.ledger.summary()["requests"] == {"POST /project/{project_id}/ports": 1}


def test_a_500_naming_a_deterministic_alcor_error_is_not_retried(client):
    client.send(vpc("net-1"))
    client.send(subnet("sub-1", "net-1", "10.0.0.0/24"))
    outcome = client.send(subnet("sub-2", "net-1", "10.0.0.0/25"))
    assert outcome.status == 500 and outcome.attempts == 1 and outcome.error == "CidrOverlapWithOtherSubnets"


@pytest.mark.parametrize("fault", ["500", "drop", "timeout"])
def test_a_create_that_took_effect_before_failing_is_not_sent_again(client, emulator, fault):
    emulator.faults.hold_seconds = 2
    emulator.faults.script(fault, after=True, method="POST")
    outcome = client.send(vpc("net-1"))
    assert outcome.ok and outcome.status == 201 and outcome.attempts == 1
    assert outcome.already_applied == ("net-1",) and outcome.body["network"]["id"] == "net-1"
    assert emulator.ledger.creates("vpc", "net-1") == 1
    assert emulator.ledger.summary()["repeated_create_requests"] == 0


@pytest.mark.parametrize("fault", ["500", "drop", "timeout"])
def test_a_create_that_failed_before_taking_effect_is_retried_once_more(client, emulator, fault):
    emulator.faults.hold_seconds = 2
    emulator.faults.script(fault, after=False, method="POST")
    outcome = client.send(vpc("net-1"))
    assert outcome.ok and outcome.attempts == 2 and outcome.already_applied == ()
    assert emulator.ledger.creates("vpc", "net-1") == 1


def test_the_existence_check_understands_the_empty_wrapper_trap(client, emulator):
    """A VPC GET of a missing id answers 200: a naive check would call it present and skip the retry."""
    emulator.faults.script("500", after=False, method="POST")
    assert client.send(vpc("net-1")).ok
    assert "net-1" in emulator.model.store["vpc"]


def test_a_create_alcor_gives_an_id_to_is_not_retried_after_an_unknown_outcome(client, emulator):
    emulator.faults.script("drop", after=True, method="POST")
    outcome = client.send(req("vpc", "vpc", "POST", P + "/vpcs", {"network": {"name": "no-id"}}))
    assert not outcome.ok and outcome.attempts == 1 and "outcome unknown" in outcome.error
    assert len(emulator.model.store["vpc"]) == 1


def test_a_connection_refused_is_retried_then_reported(tls):
    endpoints = dict.fromkeys(SERVICES, "http://127.0.0.1:9")  # discard port: nothing listens
    with AlcorClient(endpoints, retries=2, backoff=0.001, verify=tls) as client:
        outcome = client.send(vpc("net-1"))
    assert outcome.status is None and outcome.attempts == 3 and outcome.error == "ConnectError"


def ports_bulk(ids, network_id="net-1"):
    body = {"ports": [{"id": i, "network_id": network_id} for i in ids]}
    return req("port", "port", "POST", P + "/ports/bulk", body, key="ports")


def test_a_bulk_create_is_retried_with_only_the_missing_items(client, emulator):
    client.send(vpc("net-1"))
    client.send(ports_bulk(["a", "b"]))
    emulator.faults.script("500", after=False, path_prefix=P + "/ports/bulk")
    outcome = client.send(ports_bulk(["a", "b", "c", "d"]))
    assert outcome.ok and outcome.attempts == 2 and outcome.already_applied == ("a", "b")
    assert [p["id"] for p in outcome.body["ports"]] == ["c", "d"]
    assert not emulator.ledger.duplicates()


def test_a_bulk_create_that_took_effect_is_done(client, emulator):
    client.send(vpc("net-1"))
    emulator.faults.script("drop", after=True, path_prefix=P + "/ports/bulk")
    outcome = client.send(ports_bulk(["a", "b"]))
    assert outcome.ok and outcome.status == 201 and outcome.already_applied == ("a", "b")
    assert not emulator.ledger.duplicates()


def test_router_interface_and_extra_routes_are_not_applied_twice(client, emulator):
    client.send(vpc("net-1"))
    client.send(subnet("sub-1", "net-1", "10.0.0.0/24"))
    client.send(req("router", "route", "POST", P + "/routers", {"router": {"id": "r1"}}))
    emulator.faults.script("500", after=True, method="PUT")
    add = client.send(req("router", "route", "PUT", P + "/routers/r1/add_router_interface", {"subnet_id": "sub-1"}))
    assert add.ok and add.attempts == 1  # a retry would have met PortIsAlreadyInUse (409)
    emulator.faults.script("drop", after=True, method="PUT")
    body = {"newRoutesWebRequest": {"routes": [{"destination": "10.9.0.0/16", "nexthop": "10.0.0.5"}]}}
    routes = client.send(req("router", "route", "PUT", P + "/routers/r1/add_extraroutes", body))
    assert routes.ok and routes.attempts == 1  # a retry would have met DestinationSame (409)
    emulator.faults.script("500", after=True, method="DELETE")
    client.send(req("router", "route", "PUT", P + "/routers/r1/remove_router_interface", {"subnet_id": "sub-1"}))
    assert client.send(req("router", "route", "DELETE", P + "/routers/r1")).ok


def test_posting_the_default_group_is_checked_by_name(client, emulator):
    emulator.faults.script("500", after=True, method="POST")
    outcome = client.send(req("security_group", "security_group", "POST", P + "/security-groups",
                              {"security_group": {"id": "neutron-default", "name": "default"}}))
    assert outcome.ok and outcome.already_applied and outcome.already_applied != ("neutron-default",)


def test_reads_understand_each_kinds_way_of_saying_absent(client):
    client.send(vpc("net-1"))
    assert client.get("vpc", "net-1", PROJECT)["id"] == "net-1"
    assert client.get("vpc", "absent", PROJECT) is None  # 200 {"network": null}
    assert client.get("port", "absent", PROJECT) is None  # 404
    assert client.get("security_group", "absent", PROJECT) is None  # 412
    assert client.get("node", "absent") is None  # 200 {"host_info": null}
    assert client.exists("vpc", "net-1", PROJECT) and not client.exists("router", "absent", PROJECT)
    assert [v["id"] for v in client.list("vpc", PROJECT, id=["net-1", "x"])] == ["net-1"]


def test_reads_are_retried_through_faults(client, emulator):
    client.send(vpc("net-1"))
    emulator.faults.script("drop", method="GET", count=2)
    assert client.get("vpc", "net-1", PROJECT)["id"] == "net-1"


def test_concurrency_is_bounded(emulator, tls):
    emulator.faults.latency_ms = 40
    with AlcorClient(emulator.endpoints, concurrency=3, verify=tls) as client:
        outcomes = client.send_many([vpc(f"net-{i}") for i in range(12)])
    assert all(o.ok for o in outcomes) and [o.key for o in outcomes] == [f"vpc:net-{i}" for i in range(12)]
    assert 2 <= emulator.ledger.summary()["max_in_flight"] <= 3


def test_random_faults_create_everything_exactly_once(client, emulator):
    client.send(vpc("net-1"))
    emulator.faults = Faults(error_rate=0.1, timeout_rate=0.02, drop_rate=0.03, hold_seconds=1, seed=11)
    requests = [subnet(f"sub-{i}", "net-1", f"10.{i}.0.0/24") for i in range(40)]
    requests += [ports_bulk([f"p{i}-{j}" for j in range(20)]) for i in range(10)]
    requests += [req("node", "node", "POST", "/nodes", {"host_info": {"node_id": f"n{i}", "node_name": f"h{i}",
                                                                      "local_ip": "10.1.0.1"}}) for i in range(20)]
    done = []
    outcomes = client.send_many(requests, on_done=done.append)
    assert all(o.ok for o in outcomes), [(o.key, o.status, o.error) for o in outcomes if not o.ok]
    assert len(done) == len(requests)
    assert sum(emulator.ledger.summary()["faults"].values()) > 0
    assert emulator.ledger.duplicates() == {}
    assert len(emulator.model.store["subnet"]) == 40 and len(emulator.model.store["node"]) == 20
    assert len(emulator.model.store["port"]) == 200 + 40  # plus the subnets' gateway ports


def test_from_plan_needs_every_service_url():
    plan = Plan()
    plan.alcor.endpoints = {"vpc": "http://127.0.0.1:9001"}
    with pytest.raises(InputError, match="alcor.endpoints.subnet"):
        AlcorClient.from_plan(plan)
    plan.alcor.url = "http://127.0.0.1:9009"
    with AlcorClient.from_plan(plan) as client:
        assert client.endpoints["vpc"] == "http://127.0.0.1:9001" and client.endpoints["port"] == "http://127.0.0.1:9009"


def test_the_token_never_reaches_the_logs(emulator, tls, caplog):
    caplog.set_level(logging.DEBUG)
    with AlcorClient(emulator.endpoints, token="s3cret-token", verify=tls) as client:
        assert client.send(vpc("net-1")).ok
    assert caplog.records and "s3cret-token" not in caplog.text and "network" not in caplog.text


def test_check_first_sends_only_what_an_earlier_run_did_not_apply(client, emulator):
    client.send(vpc("net-1"))
    again = client.send(vpc("net-1"), check_first=True)
    assert again.ok and again.attempts == 0 and again.already_applied == ("net-1",)
    assert again.body["network"]["id"] == "net-1"
    fresh = client.send(vpc("net-2"), check_first=True)
    assert fresh.ok and fresh.attempts == 1
    assert emulator.ledger.duplicates() == {} and emulator.ledger.summary()["repeated_create_requests"] == 0


def test_the_segment_tables_409_once_a_vxlan_partition_exists_counts_as_done(client, emulator):
    table = req("segment_table", "vpc", "POST", SEGMENT_TABLE_PATH, key="segment-table")
    assert client.send(table).ok
    again = client.send(table)
    assert again.ok and again.error is None and again.attempts == 1
    answer = client._http.post(emulator.url_for("vpc") + SEGMENT_TABLE_PATH)  # what Alcor said
    assert answer.status_code == 409 and errors.identify(409, answer.json()) == errors.NETWORK_RANGE_EXIST.name


def test_a_list_over_alcors_row_cap_names_the_kind_and_the_slice(client, emulator):
    assert client.send(vpc("net-1")).ok
    emulator.model.store["port"].update(
        (f"port-{i}", {"id": f"port-{i}", "network_id": "net-1", "project_id": PROJECT}) for i in range(SCAN_ROW_LIMIT))
    with pytest.raises(RowCapReached, match="list port where network_id is net-1: .*100,000 rows"):
        client.list("port", PROJECT, network_id="net-1")
    assert client.list("port", PROJECT, network_id="net-2") == []  # a slice under the cap is read
