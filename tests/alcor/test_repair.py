"""Repair against the emulator: a cloud converted, then changed behind the captures' back (a snapshot
of Neutron later), is repaired by sending only the difference; a dry run and a second pass send nothing;
what the migration did not make is kept."""

from __future__ import annotations

import copy
import uuid

from tests.alcor.test_convert import convert
from wizard.alcor.repair import CREATED, DELETED, UPDATED, made_by_migration, repair
from wizard.alcor.verify import verify
from wizard.lab.synth import CloudSize, SyntheticCloud
from wizard.neutron.snapshot import Snapshot
from wizard.translate.context import Options
from wizard.translate.translation import translate

OPTIONS = Options(bulk_size=20)


def writes(world) -> int:
    """Requests the emulator took that change something (reads are verify's)."""
    return sum(n for endpoint, n in world.emulator.ledger.summary()["requests"].items()
               if not endpoint.startswith("GET "))


def behind_the_back(before: Snapshot) -> tuple[Snapshot, dict[str, str]]:
    """Neutron after writes no capture saw: a port renamed, a port deleted, a network with a subnet and
    a port made, a group with its rules made, a router's extra route changed."""
    after = Snapshot(copy.deepcopy(before.source), copy.deepcopy(before.collections))
    vms = [p for p in after["ports"] if p.get("device_owner") == "compute:nova"]
    with_fip = {f.get("port_id") for f in after["floatingips"]}
    renamed, gone = [p for p in vms if p["id"] not in with_fip][:2]
    renamed["name"] = "renamed-behind-the-back"
    after["ports"].remove(gone)
    project = renamed["project_id"]
    net, sub, port, group = (str(uuid.uuid4()) for _ in range(4))
    after["networks"].append({"id": net, "name": "bypass-net", "project_id": project, "tenant_id": project,
                              "subnets": [sub], "admin_state_up": True, "mtu": 1450, "status": "ACTIVE",
                              "provider:network_type": "vxlan", "router:external": False, "shared": False})
    after["subnets"].append({"id": sub, "network_id": net, "name": "bypass-sub", "cidr": "10.99.0.0/24",
                             "ip_version": 4, "gateway_ip": "10.99.0.1", "project_id": project,
                             "tenant_id": project, "enable_dhcp": False,
                             "allocation_pools": [{"start": "10.99.0.2", "end": "10.99.0.254"}]})
    rules = [{"id": str(uuid.uuid4()), "security_group_id": group, "direction": direction, "ethertype": ethertype,
              "protocol": protocol, "port_range_min": low, "port_range_max": low, "remote_ip_prefix": None,
              "remote_group_id": None, "project_id": project, "tenant_id": project}
             for direction, ethertype, protocol, low in (("egress", "IPv4", None, None), ("egress", "IPv6", None, None),
                                                         ("ingress", "IPv4", "tcp", 22))]
    after["security_groups"].append({"id": group, "name": "bypass-sg", "project_id": project, "tenant_id": project,
                                     "stateful": True, "security_group_rules": copy.deepcopy(rules)})
    after["security_group_rules"].extend(rules)
    after["ports"].append({**copy.deepcopy(renamed), "id": port, "name": "bypass-vm", "network_id": net,
                           "mac_address": "fa:16:3e:99:00:01", "device_id": str(uuid.uuid4()),
                           "fixed_ips": [{"subnet_id": sub, "ip_address": "10.99.0.10"}],
                           "security_groups": [group]})
    router = after["routers"][0]
    router["routes"] = [{**router["routes"][0], "destination": "172.31.9.0/24"}]
    return after, {"renamed": renamed["id"], "gone": gone["id"], "network": net, "subnet": sub, "port": port,
                   "group": group, "router": router["id"]}


def converted(world):
    before = SyntheticCloud(CloudSize(ports=300)).snapshot()
    run = translate(before, OPTIONS)
    assert convert(world, run).complete
    return before, run


def fresh(after: Snapshot, world):
    from wizard.translate import idmap

    translation = translate(after, OPTIONS)
    idmap.restore(world.state, translation)
    return translation


def test_repair_sends_only_the_difference_and_ends_at_zero_drift(world):
    before, run = converted(world)
    after, ids = behind_the_back(before)
    now = fresh(after, world)
    assert verify(now.requests, world.client, world.state.mapped_id).total > 0
    made = made_by_migration(run.requests, world.state)
    sent_before = writes(world)
    result = repair(now.requests, world.client, world.state, made, concurrency=4)
    assert result.complete and result.drift is not None and result.drift.total == 0, result.drift.to_json(most=3)
    assert writes(world) - sent_before == len(result.patch.requests) == result.sent.applied
    changes = {(c.action, c.kind, c.id) for c in result.patch.changes}
    assert {(UPDATED, "port", ids["renamed"]), (DELETED, "port", ids["gone"]), (CREATED, "vpc", ids["network"]),
            (CREATED, "subnet", ids["subnet"]), (CREATED, "port", ids["port"]),
            (CREATED, "security_group", ids["group"]), (UPDATED, "router", ids["router"])} <= changes
    assert world.client.get("port", ids["gone"]) is None
    assert world.client.get("port", ids["renamed"])["name"] == "renamed-behind-the-back"
    counts = result.patch.counts()
    assert counts["port"] == {CREATED: 1, UPDATED: 1, DELETED: 1}
    assert result.patch.kept == [] and world.emulator.ledger.duplicates() == {}

    made = made_by_migration(run.requests, world.state)
    again = repair(fresh(after, world).requests, world.client, world.state, made)
    assert again.patch.requests == [] and again.sent is None and again.drift.total == 0
    assert writes(world) - sent_before == len(result.patch.requests)  # the second pass sent nothing


def test_a_dry_run_computes_the_difference_and_sends_nothing(world):
    before, run = converted(world)
    after, ids = behind_the_back(before)
    sent_before = writes(world)
    made = made_by_migration(run.requests, world.state)
    result = repair(fresh(after, world).requests, world.client, world.state, made,
                    dry_run=True)
    assert result.sent is None and result.drift is None and len(result.patch.requests) > 0
    assert (DELETED, "port", ids["gone"]) in {(c.action, c.kind, c.id) for c in result.patch.changes}
    assert writes(world) == sent_before and world.client.get("port", ids["gone"]) is not None


def test_a_deleted_network_goes_with_its_ports_and_subnets_and_what_the_migration_did_not_make_is_kept(world):
    before, run = converted(world)
    after = Snapshot(copy.deepcopy(before.source), copy.deepcopy(before.collections))
    hops = {route["nexthop"].rsplit(".", 1)[0] for router in after["routers"] for route in router["routes"]}
    network = next(n for n in after["networks"] if not n.get("router:external") and not any(
        s["network_id"] == n["id"] and s["cidr"].rsplit(".", 1)[0] in hops for s in after["subnets"]))
    ports = {p["id"] for p in after["ports"] if p["network_id"] == network["id"]}
    after.collections["floatingips"] = [f for f in after["floatingips"] if f.get("port_id") not in ports]
    for name in ("ports", "subnets"):
        after.collections[name] = [r for r in after[name] if r.get("network_id") != network["id"]]
    after["networks"].remove(network)
    stray = world.client._http.post(world.emulator.url_for("vpc") + "/project/other/vpcs",
                                    json={"network": {"id": "not-ours"}})
    assert stray.status_code == 201
    made = made_by_migration(run.requests, world.state)
    result = repair(fresh(after, world).requests, world.client, world.state, made)
    assert result.complete and result.patch.kept == [("vpc", "not-ours")]
    assert world.client.get("vpc", network["id"]) is None and world.client.get("vpc", "not-ours") is not None
    deleted = {c.kind for c in result.patch.changes if c.action == DELETED}
    assert {"vpc", "subnet", "port"} <= deleted
    assert result.drift.total == 1  # the stray VPC, which repair leaves alone


def test_the_repair_command_dry_run_then_repair_then_nothing_left(world, tmp_path, capsys):
    from wizard.cli import main
    from wizard.neutron import snapshot as snapshot_module

    before, _ = converted(world)
    after, ids = behind_the_back(before)
    snapshot_module.save(before, tmp_path / "state" / snapshot_module.STATE_FILE)  # what the run converted
    snapshot_module.save(after, tmp_path / "now.json")
    world.state.close()
    args = ["repair", "--snapshot", str(tmp_path / "now.json"), "--alcor-url", world.emulator.url_for("vpc"),
            "--state-dir", str(world.plan.state_dir)]
    sent_before = writes(world)
    assert main(args + ["--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "nothing sent (dry run)" in out and f"deleted  port {ids['gone']}" in out
    assert writes(world) == sent_before

    assert main(args + ["--json"]) == 0
    result = __import__("json").loads(capsys.readouterr().out)
    assert result["repaired"]["port"] == {"created": 1, "updated": 1, "deleted": 1}
    assert result["drift_after"]["total"] == 0 and writes(world) - sent_before == result["requests"]

    assert main(args) == 0
    assert "0 request(s) sent; no drift" in capsys.readouterr().out
    assert writes(world) - sent_before == result["requests"]
    assert main(["repair", "--snapshot", str(tmp_path / "now.json")]) == 2  # no Alcor to repair


def test_a_plan_can_turn_the_repair_phase_off(world):
    from wizard.core.engine import Engine
    from wizard.phases.repair import RepairPhase

    before, run = converted(world)
    vm_port = next(port for port in before["ports"] if port["device_owner"] == "compute:nova")  # one Alcor holds
    world.client._http.delete(world.emulator.url_for("vpc") + "/project/x/ports/" + vm_port["id"])
    world.plan.repair.enabled = False
    sent_before = writes(world)
    engine = Engine(world.plan, [RepairPhase()], world.state)
    engine.ctx.run.translation = run
    assert engine.run().ok
    assert world.state.phase("repair")["summary"] == {"enabled": False} and writes(world) == sent_before
    world.plan.repair.enabled = True
    assert engine.run().ok
    assert world.state.phase("repair")["summary"]["repaired"] == {"port": {"created": 1, "updated": 0, "deleted": 0}}
