"""Lists and Alcor's 100,000-row scan limit, over real HTTP (rows are put in the model directly)."""

from __future__ import annotations

from tests.lab.alcor.conftest import PROJECT, assert_alcor_error

LIMIT = 100_000


def fill(emulator, kind: str, count: int, **fields) -> None:
    store = emulator.model.store[kind]
    for i in range(count):
        store[f"{kind}-{i}"] = {"id": f"{kind}-{i}", **fields}


def test_a_port_list_fails_at_100000_rows_its_filter_matches(http, emulator):
    fill(emulator, "port", LIMIT - 1, device_id="vm")
    assert len(http.get(f"/project/{PROJECT}/ports").json()["ports"]) == LIMIT - 1
    emulator.model.store["port"]["one-more"] = {"id": "one-more", "device_id": "other"}
    assert_alcor_error(http.get(f"/project/{PROJECT}/ports"), 500, "too many rows found!")
    filtered = http.get(f"/project/{PROJECT}/ports", params={"device_id": "other"})  # counted after the filter
    assert [p["id"] for p in filtered.json()["ports"]] == ["one-more"]


def test_a_security_group_list_counts_the_tenant_keyed_default_copy(world, http, emulator):
    world.post("/security-groups", {"security_group": {"id": "web", "name": "web"}})  # and the tenant's default
    fill(emulator, "security_group", LIMIT - 4, name="g")
    assert len(http.get(f"/project/{PROJECT}/security-groups").json()["security_groups"]) == LIMIT - 2
    emulator.model.store["security_group"]["one-more"] = {"id": "one-more", "name": "g"}
    # 99,999 groups and the default's copy: refused, with the message Spring Boot 2.3 hides
    assert_alcor_error(http.get(f"/project/{PROJECT}/security-groups"), 500, "")


def test_an_elastic_ip_list_answers_empty_and_ranges_have_no_limit(http, emulator):
    fill(emulator, "elastic_ip", LIMIT, range_id="r")
    response = http.get(f"/project/{PROJECT}/elasticips")
    assert response.status_code == 200 and response.json() == {"elasticips": []}
    fill(emulator, "elastic_ip_range", LIMIT, ip_version=4)
    assert len(http.get("/elasticip-ranges").json()["elasticip-ranges"]) == LIMIT


def test_a_node_list_on_indexed_fields_alone_runs_as_sql_without_the_limit(http, emulator):
    fill(emulator, "node", LIMIT, node_name="compute", local_ip="10.1.0.1", server_port=0)
    assert len(http.get("/nodes", params={"node_name": "compute"}).json()["nodeInfos"]) == LIMIT
    assert_alcor_error(http.get("/nodes"), 500, "too many rows found!")
    with_scan = http.get("/nodes", params={"node_name": "compute", "server_port": "0"})  # not all indexed: a scan
    assert_alcor_error(with_scan, 500, "too many rows found!")


def test_vpc_subnet_rule_and_router_lists_fail_alike(http, emulator):
    too_many = "too many rows found!"
    for kind, path, message in (("vpc", "vpcs", too_many), ("subnet", "subnets", too_many),
                                ("security_group_rule", "security-group-rules", ""), ("router", "routers", too_many)):
        fill(emulator, kind, LIMIT)
        assert_alcor_error(http.get(f"/project/{PROJECT}/{path}"), 500, message)
