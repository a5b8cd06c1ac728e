"""The committed sample clouds load and hold what they promise."""

from pathlib import Path

import pytest

from wizard.neutron import snapshot

SAMPLES = Path(__file__).resolve().parents[2] / "sample_configs"


@pytest.mark.parametrize("name, min_ports, min_hosts", [("small", 6, 3), ("medium", 400, 10)])
def test_sample_loads_with_bound_ports_on_its_hosts(name, min_ports, min_hosts):
    snap = snapshot.load(SAMPLES / f"{name}.json")
    vms = [p for p in snap["ports"] if p["device_owner"] == "compute:nova"]
    assert len(vms) >= min_ports
    hosts = {a["host"] for a in snap["agents"]}
    assert len(hosts) >= min_hosts
    assert {p["binding:host_id"] for p in vms} <= hosts
    assert all(p["binding:vif_type"] == "ovs" for p in vms)
    assert len({p["project_id"] for p in vms}) >= 2
    assert snap["segments"] and snap["floatingips"] and snap["routers"]
