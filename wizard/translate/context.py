"""What translating one resource needs to know: options, an index over Neutron, and sinks.

`Index` answers the cross-references (a port's subnets, a project's default group, a
router's interfaces). It is built from a snapshot, and replay keeps it current with
`put`/`remove` as logged writes arrive, so one resource translates alone exactly as it
does inside a whole snapshot. `Context` adds the plan's options and collects findings,
id-map entries and bindings.
"""

from __future__ import annotations

import functools
import ipaddress
import operator
import socket
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from wizard.alcor.request import AlcorRequest, NeutronRef
from wizard.neutron.snapshot import COLLECTIONS, Snapshot
from wizard.plan import NodeOverride, Plan
from wizard.translate.findings import CATALOGUE, POLICY_CODES
from wizard.translate.model import Finding, Severity

# Neutron network type -> the type Alcor is asked for; missing types are not created.
NETWORK_TYPE_TO_ALCOR = {"vxlan": "vxlan", "vlan": "vlan", "gre": "gre", "geneve": "vxlan", None: "vxlan"}

ROUTER_INTERFACE_OWNERS = frozenset({
    "network:router_interface", "network:router_interface_distributed", "network:ha_router_replicated_interface"})

ROUTER_GATEWAY_OWNER = "network:router_gateway"
FLOATINGIP_OWNER = "network:floatingip"
DHCP_OWNER = "network:dhcp"
L3_INTERNAL_OWNERS = frozenset({"network:router_centralized_snat", "network:router_ha_interface"})
# Ports Neutron makes for its own routers, floating IPs and DHCP: never created as Alcor ports.
NOT_PORT_OWNERS = ROUTER_INTERFACE_OWNERS | L3_INTERNAL_OWNERS | {ROUTER_GATEWAY_OWNER, FLOATINGIP_OWNER, DHCP_OWNER}


@dataclass
class Options:
    """The plan's translate options (plan.translate) plus per-node facts (plan.nodes)."""

    bulk_size: int = 500
    bulk: bool = True  # off: one create per resource even where Alcor has a bulk create
    ipv6: str = "skip"  # "skip" or "block"
    flat_networks: str = "block"  # "skip" or "block"
    multi_network_routers: str = "block"  # "block" or "split"
    unsupported_subnets: str = "block"  # "block" or "skip"
    port_security_off: str = "block"  # "block" or "allow_all_group"
    nodes: dict[str, NodeOverride] = field(default_factory=dict)

    @classmethod
    def from_plan(cls, plan: Plan) -> Options:
        t = plan.translate
        return cls(bulk_size=t.bulk_size, ipv6=t.ipv6, flat_networks=t.flat_networks,
                   multi_network_routers=t.multi_network_routers, unsupported_subnets=t.unsupported_subnets,
                   port_security_off=t.port_security_off, nodes=dict(plan.nodes))

    @property
    def chunk(self) -> int | None:
        """Resources per bulk create, or None for one create per resource."""
        return self.bulk_size if self.bulk else None


_ID = operator.itemgetter("id")


class Index:
    """Neutron resources by id, and the reverse references translation follows."""

    def __init__(self, snapshot: Snapshot | None = None):
        self.by_id: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in COLLECTIONS}
        self.extensions: list[str] = snapshot.extensions if snapshot else []
        if snapshot:
            for name in COLLECTIONS:
                self.by_id[name] = dict(zip(map(_ID, snapshot[name]), snapshot[name], strict=True))
        self._derived: dict[str, Any] | None = None
        self._ordered: dict[str, list[dict[str, Any]]] = {}  # kind -> in_id_order(kind), until it changes

    def put(self, kind: str, resource: dict[str, Any]) -> None:
        self.by_id[kind][resource["id"]] = resource
        self._derived = None
        self._ordered.pop(kind, None)

    def remove(self, kind: str, resource_id: str) -> None:
        self.by_id[kind].pop(resource_id, None)
        self._derived = None
        self._ordered.pop(kind, None)

    def get(self, kind: str, resource_id: str | None) -> dict[str, Any] | None:
        return self.by_id[kind].get(resource_id) if resource_id else None

    def all(self, kind: str) -> Iterable[dict[str, Any]]:
        return self.by_id[kind].values()

    def in_id_order(self, kind: str) -> list[dict[str, Any]]:
        """The resources of a kind, sorted by id (sorted once until the kind changes: do not modify)."""
        ordered = self._ordered.get(kind)
        if ordered is None:
            by_id = self.by_id[kind]
            ordered = self._ordered[kind] = list(map(by_id.__getitem__, sorted(by_id)))
        return ordered

    # -- derived views (rebuilt after a change) ----------------------------------------------
    @property
    def _views(self) -> dict[str, Any]:
        if self._derived is None:
            self._derived = self._build_views()
        return self._derived

    def _build_views(self) -> dict[str, Any]:
        default_group: dict[str, str] = {}
        for group in self.all("security_groups"):
            if group.get("name") == "default":
                default_group.setdefault(_project(group), group["id"])
        interfaces: dict[str, list[dict[str, Any]]] = defaultdict(list)
        routers_of_subnet: dict[str, set[str]] = defaultdict(set)
        fip_ports: dict[str, dict[str, Any]] = {}
        gateway_ports: dict[str, list[str]] = defaultdict(list)
        addresses: dict[tuple[str, str], str] = {}
        for port in self.all("ports"):
            owner = port.get("device_owner") or ""
            if owner in ROUTER_INTERFACE_OWNERS:
                router_id = port.get("device_id") or ""
                interfaces[router_id].append(port)
                for fixed in port.get("fixed_ips") or ():
                    routers_of_subnet[fixed.get("subnet_id") or ""].add(router_id)
            elif owner == FLOATINGIP_OWNER:
                fip_ports[port.get("device_id") or ""] = port
            elif owner == ROUTER_GATEWAY_OWNER:
                gateway_ports[port.get("device_id") or ""].append(port["id"])
            for fixed in port.get("fixed_ips") or ():
                addresses[(fixed.get("subnet_id"), fixed.get("ip_address"))] = port["id"]
        segments: dict[str, list[str]] = defaultdict(list)
        for segment in self.all("segments"):
            segments[segment.get("network_id") or ""].append(segment["id"])
        external = sorted((s for s in self.all("subnets") if self.is_external(s.get("network_id"))),
                          key=lambda s: s["id"])
        for ports in interfaces.values():
            ports.sort(key=lambda p: p["id"])
        return {"default_group": default_group, "default_ids": set(default_group.values()),
                "interfaces": interfaces, "routers_of_subnet": routers_of_subnet,
                "fip_ports": fip_ports, "addresses": addresses, "segments": segments,
                "gateway_ports": gateway_ports, "external_subnets": external}

    def default_group(self, project_id: str) -> str | None:
        """The id of a project's Neutron `default` security group."""
        return self._views["default_group"].get(project_id)

    def is_default_group(self, group_id: str | None) -> bool:
        """Whether a group is its project's default group."""
        return group_id in self._views["default_ids"]

    def default_group_ids(self) -> set[str]:
        """The ids of the projects' default groups."""
        return self._views["default_ids"]

    def segments_of(self, network_id: str) -> list[str]:
        return self._views["segments"].get(network_id, [])

    def router_interfaces(self, router_id: str) -> list[dict[str, Any]]:
        return self._views["interfaces"].get(router_id, [])

    def routers_of_subnet(self, subnet_id: str) -> set[str]:
        return self._views["routers_of_subnet"].get(subnet_id, set())

    def external_subnets(self) -> list[dict[str, Any]]:
        """Subnets of external networks, by id."""
        return self._views["external_subnets"]

    def is_external(self, network_id: str | None) -> bool:
        """Whether a network is external (`router:external`): Alcor holds it as elastic-IP ranges."""
        return bool((self.get("networks", network_id) or {}).get("router:external"))

    def gateway_ports(self, router_id: str) -> list[str]:
        return sorted(self._views["gateway_ports"].get(router_id, []))

    def floatingip_port(self, floatingip_id: str) -> dict[str, Any] | None:
        return self._views["fip_ports"].get(floatingip_id)

    def port_holding(self, subnet_id: str, ip_address: str) -> str | None:
        return self._views["addresses"].get((subnet_id, ip_address))


def _project(resource: dict[str, Any]) -> str:
    return resource.get("project_id") or resource.get("tenant_id") or ""


def ip_version(address: str) -> int:
    """4 or 6 for an address or CIDR."""
    return 6 if ":" in address else 4


def ip_int(address: str) -> int:
    """An IPv4 or IPv6 address as an integer (much faster than the ipaddress module)."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    return int.from_bytes(socket.inet_pton(family, address), "big")


def in_cidr(address: str, cidr: str) -> bool:
    """Whether an address lies in a CIDR of the same IP version."""
    base, length = cidr.split("/")
    if ip_version(address) != ip_version(base):
        return False
    shift = (32 if ip_version(base) == 4 else 128) - int(length)
    return ip_int(address) >> shift == ip_int(base) >> shift


# The IPv4 prefixes Alcor takes for a subnet (Alcor: SM/service/implement/SubnetServiceImp.java:verifyCidrBlock).
ALCOR_PREFIXES = range(16, 29)


@functools.lru_cache(maxsize=65536)  # asked of each subnet twice: by its own translation, and its ports'
def cidr_problem(cidr: str | None) -> str | None:
    """Why Alcor refuses an IPv4 subnet's CIDR ("has a /29 prefix"), or None if it takes it."""
    try:
        network = ipaddress.IPv4Network(cidr or "", strict=False)
    except ValueError:
        return "is not a valid IPv4 CIDR"
    if "/" not in (cidr or "") or network.prefixlen not in ALCOR_PREFIXES:
        return f"has a /{network.prefixlen} prefix"
    return None


def first_usable(cidr: str) -> str:
    """The address Alcor gives a subnet's gateway port when the subnet has none."""
    return str(next(ipaddress.ip_network(cidr, strict=False).hosts()))


class Context:
    """One translation's options, index and outputs (findings, id map, bindings)."""

    def __init__(self, index: Index, options: Options | None = None):
        self.index = index
        self.options = options or Options()
        self.findings: list[Finding] = []
        self.id_map: dict[tuple[str, str], str] = {}
        self.bindings: dict[str, str] = {}
        self.created_by: dict[tuple[str, str], str] = {}  # (kind, neutron id) -> key of its create
        self._derived: dict[Any, Any] = {}  # what is worked out from the index, until it changes
        self._networks_created: dict[str | None, bool] = {}  # the same, asked of every port
        self._subnets_created: dict[str | None, bool] = {}

    def put(self, kind: str, resource: dict[str, Any]) -> None:
        """A resource as Neutron now holds it (replay): into the index, forgetting what was derived from it."""
        self.index.put(kind, resource)
        self._forget_derived()

    def remove(self, kind: str, resource_id: str) -> None:
        """A resource Neutron no longer holds (replay)."""
        self.index.remove(kind, resource_id)
        self._forget_derived()

    def _forget_derived(self) -> None:
        for derived in (self._derived, self._networks_created, self._subnets_created):
            derived.clear()

    def find(self, code: str, kind: str, resource_id: str, message: str) -> Finding:
        """Record a finding of a catalogued code against one Neutron resource."""
        entry = CATALOGUE[code]
        severity = entry.severity
        policy = POLICY_CODES.get(code)
        if policy is not None:
            severity = Severity.BLOCKER if getattr(self.options, policy) == "block" else Severity.WARNING
        finding = Finding(severity, code, NeutronRef(kind, resource_id), message, entry.remedy)
        self.findings.append(finding)
        return finding

    def key_of(self, need: tuple[str, str]) -> str | None:
        """The key of the request that creates a Neutron resource, if this translation has one."""
        return self.created_by.get(need)

    def needs(self, *wanted: tuple[str, str]) -> list[str]:
        """Keys of the requests creating `wanted` resources (those this translation creates)."""
        return [k for k in map(self.created_by.get, wanted) if k is not None]

    def record(self, requests: Iterable[AlcorRequest]) -> None:
        """Remember which request creates each Neutron resource it names."""
        for request in requests:
            if request.method == "POST":
                for ref in request.neutron:
                    self.created_by.setdefault((ref.kind, ref.id), request.key)

    @staticmethod
    def project(resource: dict[str, Any]) -> str:
        """The project a resource belongs to: its path segment in Alcor."""
        return _project(resource)

    def derived(self, key: Any, make: Callable[[], Any]) -> Any:
        """`make()`, worked out once until the index changes."""
        if key not in self._derived:
            self._derived[key] = make()
        return self._derived[key]

    # -- what is left out, so that children follow their parents -----------------------------
    def network_created(self, network_id: str | None) -> bool:
        """Whether translation creates this network as a VPC (external, flat and unknown types are not)."""
        created = self._networks_created.get(network_id)
        if created is None:
            network = self.index.get("networks", network_id)
            created = self._networks_created[network_id] = (
                network is not None and not network.get("router:external")
                and network.get("provider:network_type") in NETWORK_TYPE_TO_ALCOR)
        return created

    def subnet_created(self, subnet_id: str) -> bool:
        """Whether translation creates this subnet (IPv4 with a prefix Alcor takes, on a created network)."""
        created = self._subnets_created.get(subnet_id)
        if created is None:
            subnet = self.index.get("subnets", subnet_id)
            created = self._subnets_created[subnet_id] = (
                subnet is not None and subnet.get("ip_version") == 4 and cidr_problem(subnet.get("cidr")) is None
                and self.network_created(subnet.get("network_id")))
        return created
