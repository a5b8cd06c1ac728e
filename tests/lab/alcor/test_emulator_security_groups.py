"""The emulated security group manager, over real HTTP."""

from __future__ import annotations

import pytest

from tests.lab.alcor.conftest import PROJECT, assert_alcor_error


def groups(http) -> list[dict]:
    return http.get(f"/project/{PROJECT}/security-groups").json()["security_groups"]


def test_create_discards_posted_rules_and_adds_two_egress_rules(world):
    posted_rule = {"id": "r-1", "direction": "ingress", "ethertype": "IPv4", "protocol": "tcp"}
    body = {"security_group": {"id": "sg-1", "name": "web", "security_group_rules": [posted_rule]}}
    group = world.post("/security-groups", body)["security_group"]
    rules = group["security_group_rules"]
    assert group["id"] == "sg-1" and len(rules) == 2 and "r-1" not in {r["id"] for r in rules}
    assert {(r["direction"], r["ethertype"]) for r in rules} == {("egress", "IPv4"), ("egress", "IPv6")}


def test_first_group_creates_the_tenant_default_with_two_bare_ingress_rules(world, http):
    world.post("/security-groups", {"security_group": {"id": "sg-1", "name": "web"}})
    [default] = [g for g in groups(http) if g["name"] == "default"][:1]
    assert default["tenant_id"] == PROJECT and default["id"] != "sg-1"
    assert {(r["direction"], r["remote_group_id"], r["protocol"]) for r in default["security_group_rules"]} == {
        ("ingress", None, None)}
    assert len(default["security_group_rules"]) == 2


def test_the_default_group_reads_by_tenant_id_and_lists_once(world, http):
    world.post("/security-groups", {"security_group": {"id": "sg-1", "name": "web"}})
    by_tenant = http.get(f"/project/{PROJECT}/security-groups/{PROJECT}").json()["security_group"]
    assert by_tenant["name"] == "default"
    assert sorted(g["id"] for g in groups(http)) == sorted([by_tenant["id"], "sg-1"])


def test_posting_default_answers_the_posted_body_but_stores_a_random_id(world, http):
    answer = world.post("/security-groups", {"security_group": {"id": "neutron-default", "name": "default"}})
    assert answer["security_group"]["id"] == "neutron-default"
    assert_alcor_error(http.get(f"/project/{PROJECT}/security-groups/neutron-default"), 412, "")
    stored = http.get(f"/project/{PROJECT}/security-groups/default/{PROJECT}").json()["security_group"]
    assert stored["id"] != "neutron-default"
    again = http.post(f"/project/{PROJECT}/security-groups", json={"security_group": {"name": "default"}})
    assert_alcor_error(again, 412, "")  # DefaultSecurityGroupExists, message hidden by Spring Boot 2.3


def test_bulk_with_a_default_entry_makes_two_default_groups(world, http):
    body = {"security_groups": [{"id": "neutron-default", "name": "default"}, {"id": "sg-1", "name": "web"}]}
    created = world.post("/security-groups/bulk", body)["security_groups"]
    assert [g["id"] for g in created] == ["neutron-default", "sg-1"]
    defaults = {g["id"] for g in groups(http) if g["name"] == "default"}
    assert len(defaults) == 2 and "neutron-default" in defaults
    two = {"security_groups": [{"name": "default"}, {"name": "default"}]}
    assert_alcor_error(http.post(f"/project/{PROJECT}/security-groups/bulk", json=two), 412, "")


def test_missing_group_or_rule_answers_412_with_the_message_hidden(http):
    assert_alcor_error(http.get(f"/project/{PROJECT}/security-groups/absent"), 412, "")
    assert_alcor_error(http.get(f"/project/{PROJECT}/security-group-rules/absent"), 412, "")


@pytest.fixture
def sg(world):
    return world.post("/security-groups", {"security_group": {"id": "sg-1", "name": "web"}})["security_group"]


@pytest.mark.parametrize("rule, status", [
    ({"protocol": "tcp", "port_range_min": 80}, 412),  # tcp needs both ends
    ({"protocol": "tcp", "port_range_min": 90, "port_range_max": 80}, 412),
    ({"port_range_min": 80, "port_range_max": 80}, 412),  # a range needs a protocol
    ({"protocol": "icmp", "port_range_min": 300, "port_range_max": 0}, 412),
    ({"remote_ip_prefix": "fd00::/8", "ethertype": "IPv4"}, 409),
    ({"protocol": "icmpv6", "ethertype": "IPv4"}, 409),
    ({"remote_ip_prefix": "10.0.0.0/8", "remote_group_id": "sg-1"}, 409),
    ({"remote_group_id": "absent"}, 412),
    ({"security_group_id": "absent"}, 412),
    ({"direction": None}, 412),
])
def test_rule_validation(http, sg, rule, status):
    body = {"security_group_id": "sg-1", "direction": "ingress", "ethertype": "IPv4", **rule}
    response = http.post(f"/project/{PROJECT}/security-group-rules", json={"security_group_rule": body})
    assert_alcor_error(response, status, "")


def test_rules_keep_their_ids_and_a_repeated_create_is_listed_twice(world, http, emulator, sg):
    rule = {"id": "r-1", "security_group_id": "sg-1", "direction": "ingress", "ethertype": "IPv4",
            "protocol": "tcp", "port_range_min": 22, "port_range_max": 22, "remote_ip_prefix": "0.0.0.0/0"}
    world.post("/security-group-rules", {"security_group_rule": rule})
    world.post("/security-group-rules", {"security_group_rule": rule})
    listed = http.get(f"/project/{PROJECT}/security-groups/sg-1").json()["security_group"]["security_group_rules"]
    assert [r["id"] for r in listed].count("r-1") == 2
    assert emulator.ledger.duplicates() == {"security_group_rule": {"r-1": 2}}


def test_bulk_rules_are_checked_all_before_any_is_added(world, http, sg):
    good = {"id": "r-1", "security_group_id": "sg-1", "direction": "ingress", "ethertype": "IPv4"}
    bad = {"id": "r-2", "security_group_id": "absent", "direction": "ingress", "ethertype": "IPv4"}
    response = http.post(f"/project/{PROJECT}/security-group-rules/bulk", json={"security_group_rules": [good, bad]})
    assert_alcor_error(response, 412, "")
    assert_alcor_error(http.get(f"/project/{PROJECT}/security-group-rules/r-1"), 412, "")
    created = world.post("/security-group-rules/bulk", {"security_group_rules": [good]})
    assert [r["id"] for r in created["security_group_rules"]] == ["r-1"]
    assert http.delete(f"/project/{PROJECT}/security-group-rules/r-1").status_code == 200
    assert_alcor_error(http.get(f"/project/{PROJECT}/security-group-rules/r-1"), 412, "")
