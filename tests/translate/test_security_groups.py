"""Default groups, Alcor's own rules and rules posted apart: the result allows what Neutron's did."""

from __future__ import annotations

import uuid

from tests.translate import shapes as s
from tests.translate.conftest import bodies
from wizard.alcor import values
from wizard.alcor.request import parse_deferred, resolve_ids
from wizard.translate.translation import translate


def alcor_groups_after(translation):
    """Play the group and rule requests the way Alcor's code does (reference/alcor-api.md §2.4):
    a created group gets Alcor's own rules with random ids (the default group a random id too),
    rules in a group body are discarded. Returns {alcor group id: set of rules}, the learned ids."""
    learned: dict[tuple[str, str], str] = {}
    rules: dict[str, dict] = {}  # alcor rule id -> rule
    lookup = lambda kind, nid: learned.get((kind, nid))  # noqa: E731
    for request in translation.requests:
        if request.kind == "security_group":
            created = request.body.get("security_groups") or [request.body["security_group"]]
            answers = []
            for body in created:
                default = body["name"] == values.DEFAULT_SG_NAME and not request.path.endswith("/bulk")
                gid = str(uuid.uuid4()) if default else body["id"]
                auto = values.AUTO_RULES_DEFAULT_GROUP if default else values.AUTO_RULES_OTHER_GROUP
                made = [{"id": str(uuid.uuid4()), "security_group_id": gid, "direction": d, "ethertype": e,
                         "protocol": None, "port_range_min": None, "port_range_max": None,
                         "remote_ip_prefix": None, "remote_group_id": None} for d, e in auto]
                rules.update({r["id"]: r for r in made})
                answers.append({**body, "id": gid, "security_group_rules": made})
            response = ({"security_groups": answers} if request.path.endswith("/bulk")
                        else {"security_group": answers[0]})
            for learn in request.learns:
                learned[(learn.kind, learn.neutron_id)] = learn.find(response)
        elif request.kind == "security_group_rule":
            resolved = resolve_ids(request.path, lookup) if request.deferred else request.path
            if request.method == "DELETE":
                del rules[resolved.rsplit("/", 1)[1]]
            else:
                for body in resolve_ids(request.body, lookup)["security_group_rules"]:
                    rules[body["id"]] = body
    return rules, learned


def meaning(rule, group_of) -> tuple:
    prefix = rule.get("remote_ip_prefix")
    return (group_of(rule["security_group_id"]), rule["direction"], rule["ethertype"], rule.get("protocol"),
            rule.get("port_range_min"), rule.get("port_range_max"),
            None if prefix in ("0.0.0.0/0", "::/0") else prefix, group_of(rule.get("remote_group_id")))


def test_alcor_ends_with_exactly_neutrons_rules(cloud):
    t = cloud.translate()
    rules, learned = alcor_groups_after(t)
    neutron_of = {alcor: nid for (kind, nid), alcor in learned.items() if kind == "security_groups"}
    alcor_meaning = {meaning(r, lambda g: neutron_of.get(g, g)) for r in rules.values()}
    neutron_meaning = {meaning(r, lambda g: g) for r in cloud.snapshot["security_group_rules"]}
    assert alcor_meaning == neutron_meaning
    assert len(rules) == len(cloud.snapshot["security_group_rules"])


def test_a_group_missing_neutrons_egress_rules_loses_alcors_too():
    grp = s.group(name="closed")
    only_ssh = s.rule(grp, protocol="tcp", port_range_min=22, port_range_max=22, remote_ip_prefix="10.0.0.0/8")
    default, default_rules = s.neutron_default_group()
    t = translate(s.snapshot(grp, only_ssh, default, *default_rules))
    deletes = [r for r in t.requests if r.method == "DELETE"]
    assert {r.key for r in deletes} >= {f"alcor-rule-delete:{grp['id']}:egress:IPv4",
                                       f"alcor-rule-delete:{grp['id']}:egress:IPv6"}
    rules, _ = alcor_groups_after(t)
    assert {(r["direction"], r.get("protocol")) for r in rules.values() if r["security_group_id"] == grp["id"]} == {
        ("ingress", "tcp")}


def test_default_group_gets_a_new_id_mapped_and_learned_from_its_create(cloud):
    t = cloud.translate()
    nid = cloud.default["id"]
    assert parse_deferred(t.id_map[("security_groups", nid)]) == ("security_groups", nid)
    (create,) = [r for r in t.requests if r.kind == "security_group" and not r.path.endswith("/bulk")]
    assert create.body["security_group"]["name"] == "default"
    learn = next(learn for learn in create.learns if learn.kind == "security_groups")
    assert learn.find({"security_group": {"id": "alcor-made", "security_group_rules": []}}) == "alcor-made"
    # every reference to it in later requests is the deferred id, resolved before sending
    vm_body = next(b for b in bodies(t, "port") if b["id"] == cloud.vm["id"])
    assert vm_body["security_groups"] == [cloud.web["id"], t.id_map[("security_groups", nid)]]
    resolved = resolve_ids(vm_body, lambda kind, i: "alcor-made" if i == nid else None)
    assert resolved["security_groups"] == [cloud.web["id"], "alcor-made"]
    assert any(f.code == "default-group-new-id" and f.neutron.id == nid for f in t.findings)


def test_default_groups_are_created_alone_and_never_in_a_bulk_body(cloud):
    t = cloud.translate()
    in_bulk = [b for r in t.requests if r.kind == "security_group" and r.path.endswith("/bulk")
               for b in r.body["security_groups"]]
    assert all(b["name"] != "default" for b in in_bulk)
    singles = [r for r in t.requests if r.kind == "security_group" and not r.path.endswith("/bulk")]
    bulks = [r for r in t.requests if r.kind == "security_group" and r.path.endswith("/bulk")]
    assert max(t.requests.index(r) for r in singles) < min(t.requests.index(r) for r in bulks)


def test_rules_are_posted_separately_never_inside_a_group(cloud):
    t = cloud.translate()
    assert all("security_group_rules" not in b for b in bodies(t, "security_group"))
    posted = {b["id"] for b in bodies(t, "security_group_rule")}
    assert cloud.web_rules[2]["id"] in posted


def test_neutron_rules_equal_to_alcors_own_are_mapped_not_posted(cloud):
    t = cloud.translate()
    egress_v4 = cloud.web_rules[0]
    assert egress_v4["id"] not in {b["id"] for b in bodies(t, "security_group_rule")}
    assert parse_deferred(t.id_map[("security_group_rules", egress_v4["id"])]) == (
        "alcor_rules", f"{cloud.web['id']}:egress:IPv4")


def test_rules_alcor_would_refuse_or_cannot_express_are_left_out_with_a_finding():
    grp = s.group()
    icmp_type_only = s.rule(grp, protocol="icmp", port_range_min=8)
    address_group = s.rule(grp, remote_address_group_id="ag-1")
    numeric_tcp = s.rule(grp, protocol="6", port_range_min=443, port_range_max=443)
    t = translate(s.snapshot(grp, icmp_type_only, address_group, numeric_tcp))
    codes = {f.neutron.id: f.code for f in t.findings if f.neutron.kind == "security_group_rules"}
    assert codes == {icmp_type_only["id"]: "rule-rejected-by-alcor", address_group["id"]: "address-group-rule"}
    (posted,) = bodies(t, "security_group_rule")
    assert posted["id"] == numeric_tcp["id"] and posted["protocol"] == "tcp"
