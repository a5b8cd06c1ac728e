"""Replay against the real neutron-server (behind the capture proxy) and the Alcor emulator, on real
TinyDB write logs: every supported write reaches Alcor, idempotently, and the rest become findings."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.capture.rig import Rig
from wizard.capture.replay import POSITION
from wizard.capture.writelog import REPLAYED, SKIPPED
from wizard.core.events import FindingRaised, LagChanged

pytestmark = pytest.mark.neutron


@pytest.fixture
def rig(neutron_server, tmp_path):
    rig = Rig(neutron_server.url, tmp_path).start()
    yield rig
    rig.stop()


def base(rig: Rig) -> dict:
    """A network with a subnet, made before the snapshot."""
    net = rig.create("networks", name="base")
    rig.create("subnets", network_id=net["id"], cidr="10.1.0.0/24", ip_version=4, name="base-sub")
    return net


def test_writes_after_the_snapshot_reach_alcor_and_leave_zero_drift(rig):
    net = base(rig)
    snapshot = rig.snapshot()
    translation = rig.convert(snapshot)
    start = len(rig.capture.log)

    other = rig.create("networks", name="app")
    sub = rig.create("subnets", network_id=other["id"], cidr="10.2.0.0/24", ip_version=4, name="app-sub")
    group = rig.create("security-groups", name="web")
    rule = rig.create("security-group-rules", security_group_id=group["id"], direction="ingress",
                      protocol="tcp", port_range_min=80, port_range_max=80, ethertype="IPv4")
    port = rig.create("ports", network_id=other["id"], name="vm1", security_groups=[group["id"]])
    rig.write("PUT", f"networks/{net['id']}", {"network": {"name": "base-renamed"}})
    rig.write("PUT", f"ports/{port['id']}/tags/blue")
    rig.write("PUT", f"networks/{other['id']}/tags", {"tags": ["a", "b"]})
    router = rig.create("routers", name="r1")
    rig.write("PUT", f"routers/{router['id']}/add_router_interface", {"subnet_id": sub["id"]})
    rig.write("PUT", f"routers/{router['id']}", {"router": {"routes": [
        {"destination": "192.168.50.0/24", "nexthop": "10.2.0.20"}]}})
    rig.write("DELETE", f"security-group-rules/{rule['id']}")
    doomed = rig.create("ports", network_id=net["id"], name="doomed")
    rig.write("DELETE", f"ports/{doomed['id']}")

    replayer = rig.replayer(snapshot, translation)
    result = replayer.replay()
    entries = rig.capture.log.entries()[start:]
    assert [e["state"] for e in entries] == [REPLAYED] * len(entries), [(e["path"], e.get("reason"),
                                                                          e.get("alcor")) for e in entries]
    assert result.position == entries[-1]["seq"] == rig.world.state.get_meta(POSITION)
    drift = rig.drift()
    assert drift.total == 0, [(k.missing, k.unexpected, k.differences[:3]) for k in drift.kinds if k.total]
    assert rig.world.emulator.ledger.duplicates() == {}
    lag = [e for e in rig.events if isinstance(e, LagChanged)]
    assert lag and lag[-1].waiting == 0


def test_writes_already_in_the_snapshot_replay_without_duplicates(rig):
    """Capture starts before the snapshot: a create Alcor already holds becomes an update, a delete
    of what Alcor lacks is done."""
    net = base(rig)
    port = rig.create("ports", network_id=net["id"], name="p1")
    rig.write("PUT", f"ports/{port['id']}", {"port": {"name": "p1-renamed"}})
    gone = rig.create("ports", network_id=net["id"], name="gone")
    rig.write("DELETE", f"ports/{gone['id']}")
    group = rig.create("security-groups", name="db")
    snapshot = rig.snapshot()
    translation = rig.convert(snapshot)
    before = rig.world.emulator.ledger.summary()["requests"]

    result = rig.replayer(snapshot, translation).replay()
    assert result.failed == 0 and result.position == rig.capture.log.entries()[-1]["seq"]
    assert rig.drift().total == 0
    assert rig.world.emulator.ledger.duplicates() == {}
    after = summary_of(rig)["requests"]
    assert writes_sent(rig, after) > writes_sent(rig, before)  # it looked and updated what Alcor held
    assert after.get("PUT /project/{project_id}/ports/{id}", 0) >= 1, after
    del group

    # a new replayer on the same state (a resumed run) folds the log into its index and sends nothing
    assert rig.replayer(snapshot, translation).replay().replayed == 0
    assert writes_sent(rig) == writes_sent(rig, after)
    assert summary_of(rig)["repeated_create_requests"] == 0


def summary_of(rig: Rig) -> dict:
    return rig.world.emulator.ledger.summary()


def writes_sent(rig: Rig, requests: dict | None = None) -> int:
    requests = summary_of(rig)["requests"] if requests is None else requests
    return sum(count for endpoint, count in requests.items() if not endpoint.startswith("GET"))


def test_an_unsupported_write_is_skipped_with_a_finding_naming_the_entry(rig):
    base(rig)
    snapshot = rig.snapshot()
    translation = rig.convert(snapshot)
    pool = rig.write("POST", "subnetpools", {"subnetpool": {"name": "pool", "prefixes": ["10.80.0.0/16"],
                                                             "project_id": rig.project}})["subnetpool"]
    result = rig.replayer(snapshot, translation).replay()
    entry = rig.capture.log.entries()[-1]
    assert entry["state"] == SKIPPED and "subnetpools" in entry["reason"]
    assert result.skipped == 1 and result.position == entry["seq"]
    findings = [e for e in rig.events if isinstance(e, FindingRaised)]
    assert [(f.code, f.kind, f.id) for f in findings] == [("write-not-replayed", "writes", str(entry["seq"]))]
    assert "POST /v2.0/subnetpools" in findings[0].message
    rig.write("DELETE", f"subnetpools/{pool['id']}")


def log_unknown(rig: Rig, method: str, path: str, body: dict | None = None) -> int:
    """An entry as a capture leaves it when Neutron's answer was lost: Neutron may have applied it."""
    raw = json.dumps(body).encode() if body is not None else b""
    seq, _ = rig.capture.log.begin(method, path, "", raw, [("Content-Type", "application/json")])
    rig.capture.log.record_failure(seq, 502, "connection reset by Neutron", reached=True)
    rig.capture.log.sync()
    return seq


def test_unknown_entries_are_settled_by_reading_neutron(rig, neutron_server):
    net = base(rig)
    kept = rig.create("ports", network_id=net["id"], name="kept")
    snapshot = rig.snapshot()
    translation = rig.convert(snapshot)
    direct = httpx.Client(base_url=f"{neutron_server.url}/v2.0", timeout=30)  # writes whose answers were "lost"
    made = {"network": {"name": "made", "project_id": rig.project}}
    direct.post("/networks", json=made).raise_for_status()
    made_seq = log_unknown(rig, "POST", "/v2.0/networks", made)
    ghost_seq = log_unknown(rig, "POST", "/v2.0/networks", {"network": {"name": "ghost", "project_id": rig.project}})
    direct.put(f"/networks/{net['id']}", json={"network": {"name": "renamed"}}).raise_for_status()
    rename_seq = log_unknown(rig, "PUT", f"/v2.0/networks/{net['id']}", {"network": {"name": "renamed"}})
    undone_seq = log_unknown(rig, "DELETE", f"/v2.0/ports/{kept['id']}")  # Neutron never did it
    direct.close()

    replayer = rig.replayer(snapshot, translation)
    replayer.replay()
    state = {e["seq"]: e for e in rig.capture.log.entries()}
    assert state[made_seq]["state"] == state[rename_seq]["state"] == state[undone_seq]["state"] == REPLAYED
    assert state[ghost_seq]["state"] == SKIPPED and "no resource" in state[ghost_seq]["reason"]
    assert rig.drift().total == 0
    vpcs = {v["id"]: v for v in rig.world.client.list("vpc")}
    assert vpcs[net["id"]]["name"] == "renamed" and "made" in {v["name"] for v in vpcs.values()}
    assert rig.world.client.exists("port", kept["id"], rig.project)


def test_a_failed_entry_holds_the_checkpoint_and_is_retried_by_the_next_run(rig):
    base(rig)
    snapshot = rig.snapshot()
    translation = rig.convert(snapshot)
    rig.world.emulator.faults.script("500", method="POST", path_prefix=f"/project/{rig.project}/vpcs", count=50)
    first = rig.create("networks", name="refused")
    rig.create("networks", name="after")  # also refused: both POST vpcs
    group = rig.create("security-groups", name="independent")
    replayer = rig.replayer(snapshot, translation)
    result = replayer.replay()
    entries = rig.capture.log.entries()
    failed = [e for e in entries if e["state"] == "failed"]
    assert [e["seq"] for e in failed] == [e["seq"] for e in entries[-3:-1]]
    refused = failed[0]["alcor"][0]
    assert refused["status"] == 500 and refused["key"] == f"replay:{failed[0]['seq']}:vpc:{first['id']}"
    assert entries[-1]["state"] == REPLAYED and rig.world.client.exists("security_group", group["id"], rig.project)
    assert result.failed == 2 and result.position == failed[0]["seq"] - 1  # the last applied before the failure
    assert replayer.lag().waiting == 0

    rig.world.emulator.faults.scripted.clear()
    again = replayer.replay(retry_failed=True)
    assert again.replayed == 2 and again.position == entries[-1]["seq"]
    assert rig.drift().total == 0


def test_an_unknown_create_already_in_the_snapshot_is_skipped_as_carried(rig):
    net = base(rig)
    snapshot = rig.snapshot()
    translation = rig.convert(snapshot)
    seq = log_unknown(rig, "POST", "/v2.0/networks", {"network": {"name": "base", "project_id": rig.project}})
    rig.replayer(snapshot, translation).replay()
    entry = rig.capture.log.get(seq)
    assert entry["state"] == SKIPPED
    assert entry["reason"] == f"already carried: the networks Neutron made ({net['id']}) are in the snapshot or " \
                              "an earlier write"


def test_an_interface_answer_without_its_port_is_skipped_with_a_finding(rig):
    """A log whose answer to add_router_interface lost its port_id (Neutron always sends it): named, not replayed."""
    net = base(rig)
    router = rig.create("routers", name="r1")
    snapshot = rig.snapshot()
    translation = rig.convert(snapshot)
    (sub,) = [s for s in snapshot["subnets"] if s["network_id"] == net["id"]]
    path = f"/v2.0/routers/{router['id']}/add_router_interface"
    seq, _ = rig.capture.log.begin("PUT", path, "", json.dumps({"subnet_id": sub["id"]}).encode(), [])
    answer = {"id": router["id"], "subnet_id": sub["id"], "network_id": net["id"], "project_id": rig.project}
    rig.capture.log.record_answer(seq, 200, json.dumps(answer).encode(), None)
    rig.capture.log.sync()
    result = rig.replayer(snapshot, translation).replay()
    entry = rig.capture.log.get(seq)
    assert entry["state"] == SKIPPED and "no port_id" in entry["reason"] and result.skipped == 1
    findings = [e for e in rig.events if isinstance(e, FindingRaised)]
    assert [(f.code, f.kind, f.id) for f in findings] == [("write-not-replayed", "writes", str(seq))]
    assert f"PUT {path}" in findings[0].message
