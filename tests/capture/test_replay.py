"""Replay against the real neutron-server (behind the capture proxy) and the Alcor emulator, on real
TinyDB write logs: every supported write reaches Alcor, idempotently, and the rest become findings."""

from __future__ import annotations

import pytest

from tests.capture.rig import Rig
from wizard.capture.replay import POSITION
from wizard.capture.writelog import REPLAYED, SKIPPED
from wizard.events import FindingRaised, LagChanged

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
