"""The emulated elastic IP and node managers, over real HTTP."""

from __future__ import annotations

import pytest

from tests.lab.alcor.conftest import PROJECT, assert_alcor_error
from wizard.lab.alcor.elastic_ips import hash_map_order, java_string_hash

E = f"/project/{PROJECT}/elasticips"


def eip(http, **fields):
    return http.post(E, json={"elasticip": fields})


@pytest.fixture
def eip_range(http):
    body = {"elasticip-range": {"id": "range-1", "ip_version": 4,
                                "allocation_ranges": [{"start": "172.24.4.10", "end": "172.24.4.12"}]}}
    response = http.post("/elasticip-ranges", json=body)
    assert response.status_code == 201
    return response.json()["elasticip-range"]


def test_no_range_is_a_400(http):
    assert_alcor_error(eip(http, id="fip-1"), 400, "There is no proper elastic ip range")


def test_ranges_answer_201_and_a_repeat_409(http, eip_range):
    assert eip_range["used_ip_count"] == 0
    again = http.post("/elasticip-ranges", json={"elasticip-range": {
        "id": "range-1", "ip_version": 4, "allocation_ranges": eip_range["allocation_ranges"]}})
    assert_alcor_error(again, 409, "The elastic ip range has already exist")
    bad = http.post("/elasticip-ranges", json={"elasticip-range": {"id": "r2", "allocation_ranges": [
        {"start": "172.24.4.20", "end": "172.24.4.10"}]}})
    assert_alcor_error(bad, 400, "Parameter allocation_ranges is invalid")
    assert_alcor_error(http.get("/elasticip-ranges/absent"), 404, "The elastic ip range is not found")


def test_create_keeps_the_id_and_picks_the_address(http, eip_range):
    first = eip(http, id="fip-1", elastic_ip="172.24.4.12")
    assert first.status_code == 201
    assert first.json()["elasticip"]["elastic_ip"] == "172.24.4.12"
    assert first.json()["elasticip"]["state"] == "deactivated"
    assert eip(http, id="fip-2").json()["elasticip"]["elastic_ip"] == "172.24.4.10"
    assert_alcor_error(eip(http, id="fip-3", elastic_ip="172.24.4.12"), 400, "Allocate elastic ip failed")
    assert http.get("/elasticip-ranges/range-1").json()["elasticip-range"]["used_ip_count"] == 2


def test_repeated_create_is_a_406(http, emulator, eip_range):
    eip(http, id="fip-1")
    assert_alcor_error(eip(http, id="fip-1"), 406, "The elastic ip is in use")
    assert emulator.ledger.creates("elastic_ip", "fip-1") == 1


def test_project_conflict_private_ip_without_port_and_missing(http, eip_range):
    assert_alcor_error(eip(http, id="f", project_id="other"), 400,
                       "Parameter project_id is not same with the path variable")
    assert_alcor_error(eip(http, id="f", private_ip="10.0.0.5"), 400, None)
    assert_alcor_error(http.get(f"{E}/absent"), 404, "The elastic ip is not found")


def test_association_with_a_port(world, http, eip_range):
    world.vpc("net-1")
    world.subnet("sub-1")
    world.port("port-1", fixed_ips=[{"subnet_id": "sub-1", "ip_address": "10.0.1.7"}])
    answer = eip(http, id="fip-1", port_id="port-1").json()["elasticip"]
    assert answer["private_ip"] == "10.0.1.7" and answer["state"] == "activated"
    assert answer["port_details"]["network_id"] == "net-1"
    assert_alcor_error(eip(http, id="fip-2", port_id="absent"), 404, None)


def node(node_id: str, name: str, **fields) -> dict:
    return {"node_id": node_id, "node_name": name, "local_ip": "10.1.0.1", "mac_address": "aa:00:00:00:00:01",
            **fields}


def test_nodes_create_bulk_get_and_list(http, emulator):
    created = http.post("/nodes", json={"host_info": node("n1", "compute-1", server_port=50001)})
    assert created.status_code == 201 and created.json()["host_info"]["server_port"] == 50001
    bulk = http.post("/nodes/bulk", json={"host_infos": [node("n2", "compute-2"), node("n3", "compute-3")]})
    assert bulk.status_code == 200 and [n["node_id"] for n in bulk.json()] == ["n2", "n3"]
    assert bulk.json()[0]["server_port"] == 0  # a primitive int: omitted means 0
    listed = http.get("/nodes", params={"node_name": "compute-2"}).json()
    assert list(listed) == ["nodeInfos"] and [n["node_id"] for n in listed["nodeInfos"]] == ["n2"]
    assert http.get("/nodes/absent").json() == {"host_info": None}
    http.post("/nodes", json={"host_info": node("n1", "compute-1b")})
    assert http.get("/nodes/n1").json()["host_info"]["node_name"] == "compute-1b"  # overwritten
    assert emulator.ledger.duplicates() == {"node": {"n1": 2}}


def test_node_errors_are_500s(http):
    assert_alcor_error(http.post("/nodes", json={"host_info": node("n1", "c", local_ip="fd00::1")}), 500, None)
    assert_alcor_error(http.post("/nodes", json={"host_info": node(None, "c")}), 500, None)
    assert http.delete("/nodes/n9").text == "{Node(Node) Id: n9}"


def add_range(http, id: str, *bounds: tuple[str, str]) -> None:
    body = {"elasticip-range": {"id": id, "ip_version": 4,
                                "allocation_ranges": [{"start": a, "end": b} for a, b in bounds]}}
    assert http.post("/elasticip-ranges", json=body).status_code == 201


def test_the_first_range_is_the_first_in_java_hash_map_order(http):
    add_range(http, "b", ("172.24.5.10", "172.24.5.12"))  # created first, but "a" hashes to an earlier bucket
    add_range(http, "a", ("172.24.4.10", "172.24.4.12"))
    assert eip(http, id="fip-1").json()["elasticip"]["elastic_ip"] == "172.24.4.10"
    assert_alcor_error(eip(http, id="fip-2", elastic_ip="172.24.5.11"), 400, "Allocate elastic ip failed")


def test_a_range_allocates_from_all_its_allocation_ranges(http):
    add_range(http, "range-1", ("172.24.4.10", "172.24.4.10"), ("172.24.6.20", "172.24.6.21"))
    assert eip(http, id="fip-1", elastic_ip="172.24.6.21").status_code == 201
    assert [eip(http, id=f"fip-{i}").json()["elasticip"]["elastic_ip"] for i in (2, 3)] == [
        "172.24.4.10", "172.24.6.20"]
    assert_alcor_error(eip(http, id="fip-4"), 400, "Allocate elastic ip failed")


def test_java_string_hash_and_hash_map_order():
    assert [java_string_hash(s) for s in ("hello", "abc", "", "polygenelubricants")] == [
        99162322, 96354, 0, 2**31]  # Java: 99162322, 96354, 0, Integer.MIN_VALUE
    assert hash_map_order(["q", "a"]) == ["q", "a"]  # one bucket of 16: insertion order
    others = [chr(c) for c in range(ord("b"), ord("m"))]  # 11 more keys: 13 in all, a table of 32
    assert hash_map_order(["q", "a", *others]).index("a") < hash_map_order(["q", "a", *others]).index("q")
