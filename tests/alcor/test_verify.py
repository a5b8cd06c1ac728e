"""Verify against the emulator: zero drift after convert, real drift after tampering, and what is not
drift (order, what Alcor keeps for itself)."""

from __future__ import annotations

import json

import pytest

from tests.alcor.conftest import SMALL
from tests.alcor.test_convert import convert
from wizard.alcor.client import RowCapReached
from wizard.alcor.paths import EXTRA_ROUTES_WRAPPER
from wizard.alcor.request import AlcorRequest
from wizard.alcor.verify import differences, same, verify
from wizard.cli import main
from wizard.core.engine import Engine
from wizard.neutron import snapshot as snapshot_module
from wizard.phases.verify import VerifyPhase
from wizard.translate.translation import translate


def test_tampering_with_alcor_shows_as_missing_unexpected_and_different(world, cloud):
    convert(world, cloud)
    assert verify(cloud.requests, world.client, world.state.mapped_id).total == 0
    http = world.client._http
    base = world.emulator.url_for("vpc")
    port = next(r for r in cloud.requests if r.kind == "port").body["ports"][0]
    vpc = next(r for r in cloud.requests if r.kind == "vpc").body["network"]
    router_routes = next(r for r in cloud.requests if r.kind == "extraroutes")
    project = port["project_id"]
    assert http.delete(f"{base}/project/{project}/ports/{port['id']}").status_code == 200
    assert http.put(f"{base}/project/{project}/vpcs/{vpc['id']}", json={"network": {"name": "renamed"}}).is_success
    assert http.post(f"{base}/project/{project}/vpcs", json={"network": {"id": "stray-vpc"}}).status_code == 201
    removed = router_routes.path.replace("add_extraroutes", "remove_extraroutes")
    assert http.put(base + removed, json=router_routes.body).is_success

    drift = verify(cloud.requests, world.client, world.state.mapped_id)
    kinds = {k.kind: k for k in drift.kinds}
    assert kinds["port"].missing == [port["id"]] and kinds["port"].actual == kinds["port"].expected - 1
    assert kinds["vpc"].unexpected == ["stray-vpc"]
    found = {(d.kind, d.id, d.field): d for k in drift.kinds for d in k.differences}
    assert found[("vpc", vpc["id"], "name")].actual == "renamed"
    assert found[("vpc", vpc["id"], "name")].expected == vpc["name"]
    router_id = router_routes.path.split("/")[-2]
    assert found[("router", router_id, "routes")].actual == []
    assert drift.total == 4


def test_list_order_alcor_defaults_and_alcors_own_resources_are_not_drift(world, cloud):
    assert same([{"start": "10.0.0.2", "end": "10.0.0.9"}, {"start": "10.0.0.20", "end": "10.0.0.29"}],
                [{"start": "10.0.0.20", "end": "10.0.0.29"}, {"start": "10.0.0.2", "end": "10.0.0.9"}],
                "allocation_pools")
    assert same([{"subnet_id": "s", "ip_address": "10.0.0.9"}, {"subnet_id": "s", "ip_address": "10.0.0.3"}],
                [{"subnet_id": "s", "ip_address": "10.0.0.3"}, {"subnet_id": "s", "ip_address": "10.0.0.9"}],
                "fixed_ips")
    assert not same(["8.8.8.8", "1.1.1.1"], ["1.1.1.1", "8.8.8.8"], "dns_nameservers")  # order means something
    assert not same([{"destination": "0.0.0.0/0", "nexthop": "10.0.0.1"}],
                    [{"destination": "0.0.0.0/0", "nexthop": "10.0.0.2"}], "host_routes")
    # a port sent without groups gets its project's default group; a sent MTU is kept, a missing one filled
    assert differences("port", "p", {"security_groups": [], "name": "a"},
                       {"security_groups": ["default-id"], "name": "a", "status": "ACTIVE"}) == []
    assert [d.field for d in differences("vpc", "v", {"mtu": 1400, "status": "DOWN", "provider:segmentation_id": 7},
                                         {"mtu": 1450, "status": "ACTIVE", "provider:segmentation_id": 9})] == ["mtu"]
    convert(world, cloud)
    drift = verify(cloud.requests, world.client, world.state.mapped_id)
    subnets = next(k for k in drift.kinds if k.kind == "subnet")
    ports = next(k for k in drift.kinds if k.kind == "port")
    gateway_ports = len(world.client.list("port", None, device_owner="network:router_interface"))
    assert gateway_ports >= subnets.expected and ports.unexpected == []  # gateway ports are Alcor's own
    assert drift.total == 0


def test_the_phase_puts_the_drift_in_the_run_state_and_fails_on_drift(world, cloud):
    convert(world, cloud)
    engine = Engine(world.plan, [VerifyPhase()], world.state)
    engine.ctx.run.translation = cloud
    assert engine.run().ok
    assert engine.ctx.run.drift.total == 0
    assert world.state.phase("verify")["summary"]["drift"] == 0
    world.client._http.post(world.emulator.url_for("vpc") + "/project/x/vpcs", json={"network": {"id": "extra"}})
    result = engine.run()
    assert result.failed == "verify" and "extra" in result.error
    assert engine.ctx.run.drift.total == 1


def test_verify_command_exit_codes_and_json(world, tmp_path, capsys):
    translation = translate(snapshot_module.load(SMALL))
    convert(world, translation)
    args = ["verify", "--snapshot", str(SMALL), "--alcor-url", world.emulator.url_for("vpc"),
            "--state-dir", str(world.plan.state_dir)]
    world.state.close()
    assert main(args) == 0
    assert "no drift" in capsys.readouterr().out
    world.client._http.post(world.emulator.url_for("vpc") + "/project/x/vpcs", json={"network": {"id": "extra"}})
    assert main(args + ["--json"]) == 1
    drift = json.loads(capsys.readouterr().out)
    assert drift["total"] == 1
    assert next(k for k in drift["kinds"] if k["kind"] == "vpc")["unexpected"] == ["extra"]
    assert main(["verify", "--alcor-url", "http://127.0.0.1:9"]) == 2


def test_drift_rows_flatten_missing_unexpected_and_differences():
    from wizard.alcor.verify import Difference, Drift, KindDrift

    drift = Drift([KindDrift("port", expected=2, actual=2, missing=["p1"], unexpected=["p9"],
                             differences=[Difference("port", "p2", "name", "a", "b")])])
    assert drift.rows() == [("port", "p1", "(missing)", "present", None),
                            ("port", "p9", "(unexpected)", None, "present"),
                            ("port", "p2", "name", "a", "b")]
    assert drift.total == 3


P = "/project/p1"


def request(kind: str, service: str, path: str, body: dict, key: str) -> AlcorRequest:
    return AlcorRequest(key=key, kind=kind, service=service, method="POST", path=P + path, body=body)


def test_extra_routes_are_read_by_a_get_of_each_router_and_routes_beyond_the_translation_are_drift(world, cloud):
    convert(world, cloud)
    assert all(not router.get("routetable") for router in world.client.list("router", None))  # Alcor's list
    assert verify(cloud.requests, world.client, world.state.mapped_id).total == 0
    # a router the translation gives no routes: routes Alcor holds for it are drift
    requests = [request("vpc", "vpc", "/vpcs", {"network": {"id": "net-r"}}, "vpc:net-r"),
                request("router", "route", "/routers", {"router": {"id": "router-r", "name": "r"}}, "router:r")]
    assert all(world.client.send(r).ok for r in requests)
    route = {"destination": "172.16.0.0/24", "nexthop": "10.9.0.1"}
    added = world.client._http.put(world.emulator.url_for("route") + P + "/routers/router-r/add_extraroutes",
                                   json={EXTRA_ROUTES_WRAPPER: {"routes": [route]}})
    assert added.is_success
    drift = verify(requests, world.client, world.state.mapped_id)
    found = [d for k in drift.kinds for d in k.differences]
    assert [(d.kind, d.id, d.field, d.expected, d.actual) for d in found] == [
        ("router", "router-r", "routes", [], [route])]


def test_a_kind_over_alcors_row_cap_is_verified_in_slices(world):
    sizes = {"net-a": 60_000, "net-b": 45_000}  # 105,000 ports expected: over the cap in one list
    requests = [request("vpc", "vpc", "/vpcs", {"network": {"id": net}}, f"vpc:{net}") for net in [*sizes, "net-c"]]
    assert all(world.client.send(r).ok for r in requests)
    store = world.emulator.model.store["port"]
    for net, count in sizes.items():
        ports = [{"id": f"{net}-{i}", "network_id": net, "project_id": "p1", "name": f"vm-{i}"} for i in range(count)]
        requests.append(request("port", "port", "/ports/bulk", {"ports": ports}, f"ports:{net}"))
        store.update((port["id"], dict(port)) for port in ports)
    with pytest.raises(RowCapReached):
        world.client.list("port", "p1")
    drift = verify(requests, world.client, world.state.mapped_id)
    assert drift.total == 0 and next(k for k in drift.kinds if k.kind == "port").actual == 105_000
    # 60,000 ports the translation does not expect share a slice with net-b: the slice is split, not refused
    store.update((f"net-c-{i}", {"id": f"net-c-{i}", "network_id": "net-c", "project_id": "p1"})
                 for i in range(60_000))
    drift = verify(requests, world.client, world.state.mapped_id)
    assert len(next(k for k in drift.kinds if k.kind == "port").unexpected) == 60_000 == drift.total
