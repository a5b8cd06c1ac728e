"""A small cloud with one of everything translation must handle, in Neutron's shapes."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.translate import shapes as s
from wizard.neutron import snapshot as snapshot_module
from wizard.translate.context import Options
from wizard.translate.translation import translate

DATA = Path(__file__).parent / "data"


@dataclass
class Cloud:
    """Named resources of the sample below, and its snapshot."""

    items: dict[str, Any] = field(default_factory=dict)
    snapshot: Any = None

    def __getattr__(self, name: str) -> Any:
        try:
            return self.items[name]
        except KeyError:
            raise AttributeError(name) from None

    def translate(self, **options: Any):
        return translate(self.snapshot, Options(**options))


def build_cloud() -> Cloud:
    c: dict[str, Any] = {}
    c["net"] = s.network(name="app")
    c["sub"] = s.subnet(c["net"], "10.20.0.0/24")
    c["net2"] = s.network(name="db", **{"provider:segmentation_id": 162})
    c["sub2"] = s.subnet(c["net2"], "10.30.0.0/24")
    c["ext"] = s.network("admin", name="public", **{"router:external": True, "provider:network_type": "vlan",
                                                     "provider:physical_network": "physnet1",
                                                     "provider:segmentation_id": 100})
    c["ext_sub"] = s.subnet(c["ext"], "198.51.100.0/24", enable_dhcp=False)
    c["default"], default_rules = s.neutron_default_group("proj-a")
    c["web"] = s.group("proj-a", "web")
    web_rules = [s.rule(c["web"], "egress", "IPv4"), s.rule(c["web"], "egress", "IPv6"),
                 s.rule(c["web"], "ingress", protocol="tcp", port_range_min=22, port_range_max=22,
                        remote_ip_prefix="0.0.0.0/0"),
                 s.rule(c["web"], "ingress", protocol="icmp", remote_group_id=c["default"]["id"],
                        project="admin")]
    c["web_rules"], c["default_rules"] = web_rules, default_rules
    c["vm"] = s.port(c["net"], c["sub"], "10.20.0.10", [c["web"]["id"], c["default"]["id"]],
                     device_owner="compute:nova", device_id="vm-1", **{
                         "binding:host_id": "compute-1", "binding:vif_type": "ovs",
                         "binding:vif_details": {"port_filter": True, "ovs_hybrid_plug": False,
                                                 "bridge_name": "br-int"},
                         "binding:profile": {"pci_slot": "0000:05:00.1"}})
    c["sriov"] = s.port(c["net2"], c["sub2"], "10.30.0.20", [c["default"]["id"]],
                        **{"binding:vnic_type": "direct-physical", "binding:vif_type": "binding_failed"})
    c["dhcp"] = s.port(c["net"], c["sub"], "10.20.0.2", device_owner="network:dhcp", device_id="dhcp-x")
    c["router"] = s.router("proj-a", routes=[{"destination": "10.99.0.0/16", "nexthop": "10.20.0.7"}],
                           external_gateway_info={"network_id": c["ext"]["id"], "enable_snat": True,
                                                  "external_fixed_ips": [{"subnet_id": c["ext_sub"]["id"],
                                                                          "ip_address": "198.51.100.40"}]})
    c["gw_port"] = s.port(c["ext"], c["ext_sub"], "198.51.100.40", device_owner="network:router_gateway",
                          device_id=c["router"]["id"], project="")
    c["rif"] = s.interface(c["router"], c["net"], c["sub"])
    c["fip"] = s.floatingip(c["ext"], "198.51.100.124", c["vm"])
    c["fip_port"] = s.port(c["ext"], c["ext_sub"], "198.51.100.124", device_owner="network:floatingip",
                           device_id=c["fip"]["id"], project="")
    c["agent"] = s.agent("compute-1", "192.0.2.11")
    resources = [v for v in c.values() if isinstance(v, dict)] + web_rules + default_rules
    return Cloud(c, s.snapshot(*resources))


@pytest.fixture
def cloud() -> Cloud:
    return build_cloud()


@pytest.fixture
def real_snapshot():
    """Read from a real neutron 29 server (networks, IPv6, a flat external network, a router...)."""
    return snapshot_module.load(DATA / "neutron29-small.json")


def bodies(translation, kind: str) -> list[dict[str, Any]]:
    """Every Alcor body of one request kind, bulk bodies unrolled."""
    out = []
    for request in translation.requests:
        if request.kind != kind or request.body is None:
            continue
        (value,) = request.body.values()
        out.extend(value if isinstance(value, list) else [value])
    return out
