"""The Alcor facts translation honours: order, endpoints, explicit parameters, kept ids, projects."""

from __future__ import annotations

from tests.translate import shapes as s
from tests.translate.conftest import bodies
from wizard.alcor import paths
from wizard.translate import floatingips
from wizard.translate.translation import translate

ORDER = ["segment_table", "node", "security_group", "security_group_rule", "vpc", "subnet", "elastic_ip_range",
         "port", "router", "router_interface", "extraroutes", "elastic_ip"]


def test_requests_come_in_alcors_dependency_order(cloud):
    kinds = [r.kind for r in cloud.translate().requests]
    first_seen = list(dict.fromkeys(kinds))
    assert first_seen == ORDER
    # each kind forms one block: nothing of an earlier stage comes after a later stage starts
    assert kinds == sorted(kinds, key=ORDER.index)
    assert cloud.translate().requests[0].path == "/segments/createDefaultTable"


def test_rules_come_after_every_group_so_remote_groups_exist(cloud):
    requests = cloud.translate().requests
    last_group = max(i for i, r in enumerate(requests) if r.kind == "security_group")
    first_rule = min(i for i, r in enumerate(requests) if r.kind == "security_group_rule")
    assert last_group < first_rule
    remote = [b for b in bodies(cloud.translate(), "security_group_rule") if b["remote_group_id"]]
    assert remote, "the sample has rules with a remote group"


def test_vpcs_and_subnets_one_request_each_never_the_stub_bulk(cloud):
    t = cloud.translate()
    for kind, wrapper in (("vpc", "network"), ("subnet", "subnet")):
        requests = [r for r in t.requests if r.kind == kind]
        assert requests and all(not r.path.endswith("/bulk") and r.method == "POST" for r in requests)
        assert all(list(r.body) == [wrapper] for r in requests)
    assert len([r for r in t.requests if r.kind == "vpc"]) == 2  # app, db; public is external: EIP ranges


def test_ports_groups_rules_nodes_go_through_bulk_in_chunks_of_the_configured_size():
    net = s.network()
    sub = s.subnet(net, "10.1.0.0/24")
    groups = [s.group(name=f"g{i}") for i in range(5)]
    rules = [s.rule(g, protocol="tcp", port_range_min=80 + i, port_range_max=80 + i) for i, g in enumerate(groups)]
    ports = [s.port(net, sub, f"10.1.0.{10 + i}", [groups[0]["id"]], **{"binding:host_id": f"h{i}"})
             for i in range(5)]
    agents = [s.agent(f"h{i}", f"192.0.2.{i + 1}") for i in range(5)]
    snap = s.snapshot(net, sub, *groups, *rules, *ports, *agents)
    from wizard.translate.context import Options

    t = translate(snap, Options(bulk_size=2))
    for kind, wrapper, endpoint in (("port", "ports", paths.PORT), ("security_group", "security_groups",
                                    paths.SECURITY_GROUP), ("security_group_rule", "security_group_rules",
                                    paths.SECURITY_GROUP_RULE), ("node", "host_infos", paths.NODE)):
        posts = [r for r in t.requests if r.kind == kind and r.method == "POST"]
        assert [len(r.body[wrapper]) for r in posts] == [2, 2, 1], kind
        assert all(r.path == endpoint.bulk_path("proj-a" if kind != "node" else None) for r in posts)
    in_pairs = translate(snap, Options(bulk_size=2))
    assert {r.key for r in t.requests if r.kind == "port"} == {r.key for r in in_pairs.requests if r.kind == "port"}


def test_without_bulk_every_port_group_rule_and_node_is_one_create():
    net = s.network()
    sub = s.subnet(net, "10.1.0.0/24")
    groups = [s.group(name=f"g{i}") for i in range(3)]
    rules = [s.rule(g, protocol="tcp", port_range_min=80, port_range_max=80) for g in groups]
    ports = [s.port(net, sub, f"10.1.0.{10 + i}", [groups[0]["id"]], **{"binding:host_id": f"h{i}"})
             for i in range(3)]
    agents = [s.agent(f"h{i}", f"192.0.2.{i + 1}") for i in range(3)]
    from wizard.translate.context import Options

    t = translate(s.snapshot(net, sub, *groups, *rules, *ports, *agents), Options(bulk=False))
    for kind in ("port", "security_group", "security_group_rule", "node"):
        endpoint = paths.KINDS[kind]
        posts = [r for r in t.requests if r.kind == kind and r.method == "POST"]
        assert len(posts) == 3, kind
        assert all(r.path == endpoint.collection_path("proj-a" if kind != "node" else None)
                   and list(r.body) == [endpoint.wrapper] for r in posts), kind
    ports_ = [r for r in t.requests if r.kind == "port"]
    assert all(r.key == f"port:{r.neutron[0].id}" for r in ports_)
    assert all(f"subnet:{sub['id']}" in r.depends_on for r in ports_)
    group = next(r for r in t.requests if r.kind == "security_group" and r.body["security_group"]["name"] == "g0")
    assert {learn.path for learn in group.learns} == {("security_group", "security_group_rules")}


def test_every_boolean_alcor_would_default_is_sent_even_when_neutron_omits_it(cloud):
    bare_net = {k: v for k, v in s.network().items() if k not in ("shared", "router:external", "is_default",
                                                                  "vlan_transparent", "admin_state_up")}
    bare_router = {k: v for k, v in s.router().items() if k not in ("distributed", "ha", "admin_state_up")}
    bare_sub = s.subnet(bare_net, "10.9.0.0/24")
    t = translate(s.snapshot(bare_net, bare_sub, bare_router))
    (vpc,) = bodies(t, "vpc")
    assert (vpc["admin_state_up"], vpc["shared"], vpc["router:external"], vpc["is_default"],
            vpc["vlan_transparent"], vpc["port_security_enabled"], vpc["mtu"]) == (True, False, False, False, False,
                                                                                   True, 1450)
    (router,) = bodies(t, "router")
    assert (router["admin_state_up"], router["distributed"], router["ha"]) == (True, False, False)
    (subnet,) = bodies(t, "subnet")
    assert subnet["dns_publish_fixed_ip"] is False and subnet["enable_dhcp"] is True


def test_explicit_false_from_neutron_stays_false(cloud):
    net = s.network(admin_state_up=False, port_security_enabled=False)
    (vpc,) = bodies(translate(s.snapshot(net)), "vpc")
    assert vpc["admin_state_up"] is False and vpc["port_security_enabled"] is False


def test_neutron_uuids_are_kept_where_alcor_honours_a_client_id(cloud):
    t = cloud.translate()
    assert {b["id"] for b in bodies(t, "vpc")} == {cloud.net["id"], cloud.net2["id"]}
    assert {b["id"] for b in bodies(t, "subnet")} == {cloud.sub["id"], cloud.sub2["id"]}
    assert [b["id"] for b in bodies(t, "elastic_ip_range")] == [floatingips.RANGE_ID]  # no Neutron id: one range
    assert {b["id"] for b in bodies(t, "port")} == {cloud.vm["id"], cloud.sriov["id"]}
    assert cloud.web["id"] in {b["id"] for b in bodies(t, "security_group")}
    assert {cloud.web_rules[2]["id"], cloud.web_rules[3]["id"]} <= {b["id"] for b in bodies(t, "security_group_rule")}
    assert [b["id"] for b in bodies(t, "router")] == [cloud.router["id"]]
    assert [b["id"] for b in bodies(t, "elastic_ip")] == [cloud.fip["id"]]


def test_the_project_in_each_path_is_the_resources_own(cloud):
    t = cloud.translate()
    admin_rule = cloud.web_rules[3]  # a rule owned by "admin" on a proj-a group
    (chunk,) = [r for r in t.requests if r.kind == "security_group_rule" and admin_rule["id"] in
                {ref.id for ref in r.neutron}]
    assert chunk.path == "/project/admin/security-group-rules/bulk"
    assert all(b["project_id"] == "admin" for b in chunk.body["security_group_rules"])
    admin_net = s.network("admin")
    (vpc,) = [r for r in translate(s.snapshot(admin_net)).requests if r.kind == "vpc"]
    assert vpc.path == "/project/admin/vpcs"
    (eip,) = [r for r in t.requests if r.kind == "elastic_ip"]
    assert eip.path == "/project/proj-a/elasticips"


def test_translation_is_deterministic(cloud):
    first = [r.to_json(i) for i, r in enumerate(cloud.translate().requests)]
    again = [r.to_json(i) for i, r in enumerate(cloud.translate().requests)]
    assert first == again and len({r["key"] for r in first}) == len(first)


def test_dependents_name_the_keys_of_what_they_need(cloud):
    t = cloud.translate()
    keys = {r.key for r in t.requests}
    vpc_key = f"vpc:{cloud.net['id']}"
    (subnet,) = [r for r in t.requests if r.kind == "subnet" and r.body["subnet"]["id"] == cloud.sub["id"]]
    assert vpc_key in subnet.depends_on
    ports = [r for r in t.requests if r.kind == "port"]
    assert all(set(r.depends_on) <= keys for r in t.requests)
    assert any(vpc_key in r.depends_on for r in ports)
    assert any(k.startswith("security_group-bulk:") for r in ports for k in r.depends_on)
