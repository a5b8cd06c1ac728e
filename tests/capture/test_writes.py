"""What a logged write means: the parse of method and path that replay dispatches on."""

from __future__ import annotations

import pytest

from wizard.capture.writes import Unsupported, Write, parse, requested, resources


def entry(method: str, path: str, **fields) -> dict:
    return {"method": method, "path": path, **fields}


@pytest.mark.parametrize(("method", "path", "expected"), [
    ("POST", "/v2.0/networks", Write("create", "networks")),
    ("POST", "/v2.0/security-group-rules.json", Write("create", "security_group_rules")),
    ("PUT", "/v2.0/ports/p1", Write("update", "ports", "p1")),
    ("PUT", "/v2.0/ports/p1.json", Write("update", "ports", "p1")),
    ("DELETE", "/networking/v2.0/floatingips/f1", Write("delete", "floatingips", "f1")),
    ("PUT", "/v2.0/routers/r1/add_router_interface", Write("interface", "routers", "r1", add=True)),
    ("PUT", "/v2.0/routers/r1/remove_router_interface", Write("interface", "routers", "r1", add=False)),
    ("PUT", "/v2.0/routers/r1/add_extraroutes", Write("update", "routers", "r1")),
    ("PUT", "/v2.0/networks/n1/tags", Write("tags", "networks", "n1", add=True)),
    ("PUT", "/v2.0/networks/n1/tags/blue", Write("tags", "networks", "n1", add=True, tag="blue")),
    ("DELETE", "/v2.0/subnets/s1/tags/blue", Write("tags", "subnets", "s1", add=False, tag="blue")),
    ("DELETE", "/v2.0/subnets/s1/tags", Write("tags", "subnets", "s1", add=False)),
])
def test_supported_writes(method, path, expected):
    assert parse(entry(method, path)) == expected


@pytest.mark.parametrize(("method", "path", "why"), [
    ("POST", "/v2.0/qos/policies", "qos is not a kind"),
    ("POST", "/v2.0/subnetpools", "subnetpools is not a kind"),
    ("PUT", "/v2.0/trunks/t1/add_subports", "trunks is not a kind"),
    ("PUT", "/v2.0/ports/p1/bindings", "PUT on ports/bindings is not a write"),
    ("PUT", "/v2.0/security-group-rules/r1/tags", "PUT on security-group-rules/tags is not a write"),
    ("POST", "/v2.0/networks/n1", "POST on networks is not a write"),
    ("POST", "/v2.0/", "the API root is not a kind"),
])
def test_other_writes_are_unsupported_with_a_reason(method, path, why):
    parsed = parse(entry(method, path))
    assert isinstance(parsed, Unsupported) and parsed.why.startswith(why)


def test_resources_come_from_neutrons_answer_and_the_request_one_or_bulk():
    one = entry("POST", "/v2.0/networks", body={"network": {"name": "a"}}, response={"network": {"id": "n1"}})
    assert resources(one, "networks") == [{"id": "n1"}] and requested(one, "networks") == [{"name": "a"}]
    bulk = entry("POST", "/v2.0/networks", body={"networks": [{"name": "a"}, {"name": "b"}]},
                 response={"networks": [{"id": "n1"}, {"id": "n2"}]})
    assert [r["id"] for r in resources(bulk, "networks")] == ["n1", "n2"] and len(requested(bulk, "networks")) == 2
    assert resources(entry("DELETE", "/v2.0/networks/n1", response=None), "networks") == []
    assert resources(entry("POST", "/v2.0/networks", response_text="<html>"), "networks") == []


def test_every_write_but_a_create_names_its_target():
    assert parse(entry("DELETE", "/v2.0/networks/n1")).target == "n1"
    with pytest.raises(ValueError, match="a create of networks names no resource"):
        parse(entry("POST", "/v2.0/networks")).target  # noqa: B018 (the property raises)
