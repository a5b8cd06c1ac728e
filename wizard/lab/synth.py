"""Synthetic Neutron clouds of any size, in Neutron 29's exact API shapes (neutron-snapshot/1).

The world is small and decided up front (projects, networks with their subnets,
routers, security groups, hosts); every port, rule and floating IP is a pure
function of the seed and its index. Each collection is listed in id order, as
Neutron's paginated API lists it (and so a snapshot holds it); ports are made one
at a time in that order, so `write` produces 100,000 ports without holding them.

What a cloud of `CloudSize(ports=N, ...)` holds:
- one admin project owning a flat external network `public` (physnet `ext`) and its
  subnet (no DHCP); `projects` tenant projects, each with one router (gateway on
  `public`, SNAT, sometimes an extra route) and a `default` security group;
- `networks` tenant networks (vxlan, some vlan on `physnet1`), one IPv4 subnet each
  with its allocation pools, every one attached to its project's router;
- exactly N ports: per network a router interface (the gateway IP) and a DHCP port,
  one gateway port per router, one port per floating IP, and the rest VM ports
  (`compute:nova`, bound round-robin to the hosts; every 50th unbound, owner "");
- floating IPs on about one VM port in 20 (every 10th one unassociated);
- exactly `rules` security group rules: 4 per default group, 2 egress rules per
  other group, the rest tcp/udp/icmp rules from a CIDR or a remote group;
- an Open vSwitch agent per compute host (`configurations.tunneling_ip`), and a
  network node `network-1` with Open vSwitch, DHCP, L3 and metadata agents, which
  hosts the DHCP, router interface and router gateway ports.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import os
import random
import time
import uuid
from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from operator import itemgetter
from typing import Any

from wizard.core.errors import InputError
from wizard.neutron import snapshot
from wizard.neutron.snapshot import COLLECTIONS, Snapshot

# The extension aliases neutron 29 lists with ML2/openvswitch and the router plugin.
EXTENSIONS = (
    "aap-reject-multicast", "address-group", "address-scope", "agent", "agent-resources-synced", "agent_sort_key",
    "allowed-address-pairs", "auto-allocated-topology", "availability_zone", "availability_zone_filter", "binding",
    "binding-extended", "default-subnetpools", "dhcp_agent_scheduler", "dvr", "empty-string-filtering",
    "ext-gw-mode", "external-net", "extra_dhcp_opt", "extraroute", "extraroute-atomic", "filter-validation",
    "fip-port-details", "flavors", "floating-ip-port-forwarding-detail", "floating-ip-router-writable",
    "floatingip-pools", "ip-substring-filtering", "l3-flavors", "l3-ha", "l3-port-ip-change-not-allowed",
    "l3_agent_scheduler", "multi-provider", "net-mtu", "net-mtu-writable", "network-ip-availability",
    "network-ip-availability-details", "network_availability_zone", "network_ha", "pagination",
    "port-device-profile", "port-mac-address-regenerate", "port-mac-override", "port-numa-affinity-policy",
    "port-numa-affinity-policy-socket", "port-security", "port-security-groups-filtering", "project-id", "provider",
    "quota-check-limit", "quota-check-limit-default", "quota_details", "quotas", "rbac-address-group",
    "rbac-address-scope", "rbac-policies", "rbac-security-groups", "rbac-subnetpool", "revision-if-match", "router",
    "router-admin-state-down-before-update", "router_availability_zone", "security-group",
    "security-groups-default-rules", "security-groups-default-statefulness", "security-groups-normalized-cidr",
    "security-groups-remote-address-group", "security-groups-rules-belongs-to-default-sg",
    "security-groups-shared-filtering", "service-type", "sorting", "standard-attr-description",
    "standard-attr-revisions", "standard-attr-tag", "standard-attr-timestamp", "stateful-security-group",
    "subnet-external-network", "subnet-service-types", "subnet_allocation", "subnet_onboard",
    "subnetpool-prefix-ops", "tag-creation"
)

NETWORK_NODE = "network-1"
EPOCH = 1_740_816_000  # 2025-03-01T08:00:00Z: when the synthetic cloud was built
TENANT_SPACE = ipaddress.IPv4Network("10.0.0.0/8")
PUBLIC_SPACE = ipaddress.IPv4Network("100.64.0.0/10")
TUNNEL_BASE = int(ipaddress.IPv4Address("172.16.0.10"))
VXLAN_MTU, VLAN_MTU = 1450, 1500
VLAN_IDS = range(100, 4000)
UNBOUND_EVERY = 50  # every 50th VM port is unbound (device_owner "")
FIP_EVERY = 21  # of the ports left after the infrastructure ports, 1 in 21 is a floating IP's
UNASSOCIATED_EVERY = 10
# Custom rules, one per slot within a group, so no two rules of a group collide.
RULE_TEMPLATES = (("tcp", 22, 22, "ssh"), ("tcp", 443, 443, "https"), ("tcp", 80, 80, "http"),
                  ("icmp", None, None, ""), ("udp", 53, 53, "dns"), ("tcp", 3306, 3306, ""),
                  ("tcp", 5432, 5432, ""), ("tcp", 8080, 8080, ""), ("tcp", 6443, 6443, "k8s api"),
                  ("udp", 123, 123, "ntp"), ("tcp", 30000, 32767, "node ports"))
RULE_SOURCES = ("0.0.0.0/0", "10.0.0.0/8", "192.168.0.0/16", "203.0.113.0/24")
SG_ROLES = ("web", "db", "ssh", "app", "lb", "monitoring", "bastion", "cache")
NET_ROLES = ("web", "db", "app", "mgmt", "data", "k8s", "backend", "dmz")


@dataclass(frozen=True)
class CloudSize:
    """How big a synthetic cloud is; None means a default derived from `ports`."""

    ports: int
    networks: int | None = None
    rules: int | None = None
    projects: int | None = None
    hosts: int | None = None
    seed: int = 0

    def resolved(self) -> Dimensions:
        """Defaults filled in and the numbers checked; InputError names each bad option."""
        networks = self.networks if self.networks is not None else max(1, self.ports // 40)
        projects = self.projects if self.projects is not None else max(1, networks // 4)
        hosts = self.hosts if self.hosts is not None else max(1, self.ports // 30)
        rules = self.rules if self.rules is not None else 4 * (projects + 1) + 3 * networks
        problems = [f"--{name}: must be at least 1, got {value}"
                    for name, value in (("ports", self.ports), ("networks", networks),
                                        ("projects", projects), ("hosts", hosts)) if value < 1]
        least_ports = 2 * networks + projects
        if self.ports < least_ports:
            problems.append(
                f"--ports: {self.ports} is too few: {networks} networks need a router interface and "
                f"a DHCP port each, {projects} routers a gateway port each; at least {least_ports}")
        least_rules = 4 * (projects + 1)
        if rules < least_rules:
            problems.append(f"--rules: {rules} is too few: each project's default security group "
                            f"(admin included: {projects + 1}) has 4 rules; at least {least_rules}")
        if problems:
            raise InputError(problems)
        return Dimensions(self.ports, networks, rules, projects, hosts, self.seed)


@dataclass(frozen=True)
class Dimensions:
    """A CloudSize with its defaults filled in and checked."""

    ports: int
    networks: int
    rules: int
    projects: int
    hosts: int
    seed: int


@dataclass
class _Network:
    index: int
    id: str
    project: str
    name: str
    type: str
    physnet: str | None
    segment: int | None
    subnet_id: str
    cidr: ipaddress.IPv4Network
    pools: list[tuple[int, int]]
    host_routes: list[dict[str, str]]
    dns: list[str]
    router: int | None
    vms: int = 0  # VM ports in this network
    first_vm: int = 0  # index of its first VM port among all VM ports
    first_port: int = 0  # position of its first port among all ports

    @property
    def gateway(self) -> str:
        return str(self.cidr.network_address + 1)

    def pool_address(self, slot: int) -> str:
        """The slot-th address of the allocation pools."""
        for start, end in self.pools:
            if slot <= end - start:
                return str(ipaddress.IPv4Address(start + slot))
            slot -= end - start + 1
        raise ValueError(f"{self.cidr}: pools exhausted")


@dataclass
class _Router:
    index: int
    id: str
    project: str
    networks: list[int] = field(default_factory=list)


@dataclass
class _Group:
    index: int
    id: str
    project: str
    name: str
    default: bool
    first_rule: int = 0
    rules: int = 0


class SyntheticCloud:
    """A consistent Neutron cloud of a given size; see the module docstring for its contents."""

    def __init__(self, size: CloudSize):
        self.size = size.resolved()
        self._seed = self.size.seed
        self._rng = random.Random(self._seed)
        self._mac_offset = self._rng.getrandbits(24)
        self._host_offset = self._rng.randrange(self.size.hosts)
        self._layout()

    # -- identities -------------------------------------------------------------------------

    def _digest(self, kind: str, index: int) -> str:
        return hashlib.blake2b(f"{self._seed}:{kind}:{index}".encode(), digest_size=16).hexdigest()

    def _uuid(self, kind: str, index: int) -> str:
        h = self._digest(kind, index)
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"

    def _pick(self, kind: str, index: int, choices: int) -> int:
        return int(self._digest(kind, index)[:12], 16) % choices

    def _mac(self, position: int) -> str:
        # An odd multiplier makes position -> MAC a bijection on 24 bits: unique MACs.
        n = (position * 0x9E3779 + self._mac_offset) & 0xFFFFFF
        return f"fa:16:3e:{n >> 16:02x}:{(n >> 8) & 0xFF:02x}:{n & 0xFF:02x}"

    @staticmethod
    def _time(offset: int) -> str:
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(EPOCH + offset))

    # -- the small world, decided up front ---------------------------------------------------

    def _layout(self) -> None:
        size, rng = self.size, self._rng
        self.admin_project = rng.getrandbits(128).to_bytes(16, "big").hex()
        self.projects = [rng.getrandbits(128).to_bytes(16, "big").hex() for _ in range(size.projects)]
        self.hosts = [f"compute-{h:0{max(3, len(str(size.hosts)))}d}" for h in range(size.hosts)]
        self.routers = [_Router(r, self._uuid("router", r), p) for r, p in enumerate(self.projects)]
        infrastructure = 2 * size.networks + size.projects
        self.fips = (size.ports - infrastructure) // FIP_EVERY
        self.vms = size.ports - infrastructure - self.fips
        self._layout_networks()
        self._layout_public()
        self._layout_groups()
        self.vms_per_host = [0] * size.hosts
        for vm in range(self.vms):
            if not self._unbound(vm):
                self.vms_per_host[self._host_index(vm)] += 1

    def _layout_networks(self) -> None:
        size, rng = self.size, self._rng
        weights = [rng.lognormvariate(0, 0.8) for _ in range(size.networks)]
        total = sum(weights)
        counts = [int(w / total * self.vms) for w in weights]
        for k in range(self.vms - sum(counts)):
            counts[k % size.networks] += 1
        vlan_ids = iter(VLAN_IDS)
        cursor = int(TENANT_SPACE.network_address)
        self.networks: list[_Network] = []
        first_vm = first_port = 0
        for k, vms in enumerate(counts):
            project = k % size.projects
            vlan = next(vlan_ids, None) if rng.random() < 0.15 else None
            addresses = 2 ** max(8, math.ceil(math.log2(vms * 1.25 + 16)))
            cursor = -(-cursor // addresses) * addresses
            cidr = ipaddress.IPv4Network((cursor, 32 - int(math.log2(addresses))))
            cursor += addresses
            net = _Network(
                index=k, id=self._uuid("network", k), project=self.projects[project],
                name=f"{NET_ROLES[k % len(NET_ROLES)]}-{k}",
                type="vlan" if vlan else "vxlan", physnet="physnet1" if vlan else None,
                segment=vlan or 1000 + k, subnet_id=self._uuid("subnet", k), cidr=cidr,
                pools=[], host_routes=[], dns=["8.8.8.8", "8.8.4.4"] if k % 3 == 0 else [],
                router=project, vms=vms, first_vm=first_vm, first_port=first_port)
            self._layout_pools(net, split=k % 5 == 3, host_route=k % 4 == 1)
            self.routers[project].networks.append(k)
            self.networks.append(net)
            first_vm += vms
            first_port += 2 + vms
        self._first_vms = [net.first_vm for net in self.networks]

    @staticmethod
    def _layout_pools(net: _Network, split: bool, host_route: bool) -> None:
        first = int(net.cidr.network_address) + 2
        last = int(net.cidr.broadcast_address) - (2 if host_route else 1)
        if host_route:
            net.host_routes = [{"destination": f"192.168.{net.index % 256}.0/24",
                                "nexthop": str(ipaddress.IPv4Address(last + 1))}]
        middle = first + (last - first) // 2
        needed = net.vms + 1  # and the DHCP port
        if split and (middle - first + 1) + (last - middle - 16) >= needed:
            net.pools = [(first, middle), (middle + 17, last)]
        else:
            net.pools = [(first, last)]

    def _layout_public(self) -> None:
        addresses = 2 ** max(8, math.ceil(math.log2((self.size.projects + self.fips) * 1.25 + 16)))
        self.public_cidr = ipaddress.IPv4Network((int(PUBLIC_SPACE.network_address),
                                                  32 - int(math.log2(addresses))))
        self.public = _Network(
            index=-1, id=self._uuid("network", -1), project=self.admin_project, name="public",
            type="flat", physnet="ext", segment=None, subnet_id=self._uuid("subnet", -1),
            cidr=self.public_cidr, pools=[(int(self.public_cidr.network_address) + 2,
                                           int(self.public_cidr.broadcast_address) - 1)],
            host_routes=[], dns=[], router=None)

    def _layout_groups(self) -> None:
        size = self.size
        owners = [self.admin_project, *self.projects]
        self.groups = [_Group(g, self._uuid("sg", g), p, "default", True, rules=4)
                       for g, p in enumerate(owners)]
        spare = size.rules - 4 * len(owners)
        for s in range(spare // 8):
            g = len(self.groups)
            self.groups.append(_Group(g, self._uuid("sg", g), self.projects[s % size.projects],
                                      f"{SG_ROLES[s % len(SG_ROLES)]}-{s}", False, rules=2))
        custom = spare - 2 * (len(self.groups) - len(owners))
        targets = self.groups[len(owners):] or self.groups
        for c in range(custom):
            targets[c % len(targets)].rules += 1
        self.project_groups: dict[str, list[_Group]] = {p: [] for p in owners}
        first = 0
        for group in self.groups:
            group.first_rule, first = first, first + group.rules
            self.project_groups[group.project].append(group)
        self.default_group = {g.project: g for g in self.groups if g.default}

    # -- per-VM-port facts -------------------------------------------------------------------

    def _unbound(self, vm: int) -> bool:
        return vm % UNBOUND_EVERY == UNBOUND_EVERY - 1

    def _host_index(self, vm: int) -> int:
        return (vm + self._host_offset) % self.size.hosts

    def _router_of(self, net: _Network) -> _Router:
        """The router a tenant network hangs off (the public network has none)."""
        if net.router is None:
            raise ValueError(f"network {net.name} has no router")
        return self.routers[net.router]

    def _vm_network(self, vm: int) -> _Network:
        return self.networks[bisect_right(self._first_vms, vm) - 1]

    def _fip_port(self, fip: int) -> int | None:
        """The VM port a floating IP is associated with, or None."""
        if fip % UNASSOCIATED_EVERY == UNASSOCIATED_EVERY - 1:
            return None
        vm = fip * (self.vms // self.fips)
        return vm - 1 if self._unbound(vm) else vm

    # -- collections ---------------------------------------------------------------------------

    def collection(self, name: str) -> Iterator[dict[str, Any]]:
        """The resources of one snapshot collection in id order: ports made as they are read, the
        other collections (a few thousand resources each) made whole and sorted."""
        if name == "ports":
            return (make() for _, make in sorted(self._ports(), key=itemgetter(0)))
        return iter(sorted(getattr(self, f"_{name}")(), key=itemgetter("id")))

    def source(self) -> dict[str, Any]:
        return {"endpoint": f"synthetic:seed={self._seed}", "taken_at": self._time(86_400),
                "extensions": list(EXTENSIONS)}

    def snapshot(self) -> Snapshot:
        """The whole cloud in memory."""
        return Snapshot(source=self.source(),
                        collections={name: list(self.collection(name)) for name in COLLECTIONS})

    def _networks(self) -> Iterator[dict[str, Any]]:
        yield self._network(self.public)
        for net in self.networks:
            yield self._network(net)

    def _network(self, net: _Network) -> dict[str, Any]:
        external = net is self.public
        stamp = self._time(net.index + 10)
        body = {
            "id": net.id, "name": net.name, "tenant_id": net.project, "project_id": net.project,
            "admin_state_up": True, "mtu": VXLAN_MTU if net.type == "vxlan" else VLAN_MTU,
            "status": "ACTIVE", "subnets": [net.subnet_id], "shared": False,
            "availability_zone_hints": [], "availability_zones": [] if external else ["nova"],
            "ipv4_address_scope": None, "ipv6_address_scope": None, "router:external": external,
            "description": "", "port_security_enabled": True,
        }
        if external:
            body["is_default"] = False
        body.update({
            "tags": ["prod"] if net.index % 7 == 2 else [], "created_at": stamp, "updated_at": stamp,
            "revision_number": 2, "provider:network_type": net.type,
            "provider:physical_network": net.physnet, "provider:segmentation_id": net.segment,
        })
        return body

    def _subnets(self) -> Iterator[dict[str, Any]]:
        yield self._subnet(self.public)
        for net in self.networks:
            yield self._subnet(net)

    def _subnet(self, net: _Network) -> dict[str, Any]:
        external = net is self.public
        stamp = self._time(net.index + 11)
        return {
            "id": net.subnet_id, "name": f"{net.name}-subnet", "project_id": net.project,
            "network_id": net.id, "ip_version": 4, "subnetpool_id": None, "enable_dhcp": not external,
            "ipv6_ra_mode": None, "ipv6_address_mode": None, "gateway_ip": net.gateway,
            "cidr": str(net.cidr),
            "allocation_pools": [{"start": str(ipaddress.IPv4Address(start)),
                                  "end": str(ipaddress.IPv4Address(end))} for start, end in net.pools],
            "host_routes": [dict(route) for route in net.host_routes],
            "dns_nameservers": list(net.dns), "description": "", "router:external": external,
            "service_types": [], "tags": [], "created_at": stamp, "updated_at": stamp,
            "revision_number": 0, "tenant_id": net.project,
        }

    def _ports(self) -> Iterator[tuple[str, Callable[[], dict[str, Any]]]]:
        """(id, how to make the port) for every port, by network, then gateways and floating IPs."""
        for net in self.networks:
            router = self._router_of(net)
            yield self._made(net.first_port, net, "network:router_interface", router.id, net.gateway,
                             host=NETWORK_NODE)
            yield self._made(net.first_port + 1, net, "network:dhcp", self._dhcp_device(net),
                             net.pool_address(0), host=NETWORK_NODE)
            for vm in range(net.first_vm, net.first_vm + net.vms):
                yield self._uuid("port", self._vm_port_position(vm, net)), partial(self._vm_port, vm, net)
        gateways = self.networks[-1].first_port + 2 + self.networks[-1].vms
        for router in self.routers:
            yield self._made(gateways + router.index, self.public, "network:router_gateway", router.id,
                             self.public.pool_address(router.index), host=NETWORK_NODE, project="")
        for fip in range(self.fips):
            yield self._made(gateways + len(self.routers) + fip, self.public, "network:floatingip",
                             self._uuid("fip", fip), self._fip_address(fip), project="", status="N/A")

    def _made(self, position: int, *args: Any, **kwargs: Any) -> tuple[str, Callable[[], dict[str, Any]]]:
        """(id, how to make it) of the port at `position` (`_port`'s arguments)."""
        return self._uuid("port", position), partial(self._port, position, *args, **kwargs)

    def _dhcp_device(self, net: _Network) -> str:
        return f"dhcp{uuid.uuid5(uuid.NAMESPACE_DNS, NETWORK_NODE)}-{net.id}"

    def _vm_port_position(self, vm: int, net: _Network) -> int:
        return net.first_port + 2 + vm - net.first_vm

    def _vm_port(self, vm: int, net: _Network) -> dict[str, Any]:
        position = self._vm_port_position(vm, net)
        address = net.pool_address(1 + vm - net.first_vm)
        default = self.default_group[net.project]
        if self._unbound(vm):
            return self._port(position, net, "", "", address, groups=[default.id], status="DOWN")
        groups = [default.id]
        own = self.project_groups[net.project]
        pick = self._pick("port-sg", vm, 2 * len(own))
        if pick < len(own) and not own[pick].default:
            groups.append(own[pick].id)
        return self._port(position, net, "compute:nova", self._uuid("vm", vm), address,
                          host=self.hosts[self._host_index(vm)], groups=groups,
                          name=f"vm-{vm}-eth0" if vm % 3 == 0 else "")

    def _port(self, position: int, net: _Network, owner: str, device: str, address: str, *,
              host: str = "", groups: list[str] | None = None, project: str | None = None,
              status: str = "ACTIVE", name: str = "") -> dict[str, Any]:
        project = net.project if project is None else project
        stamp = self._time(100_000 + position)
        secured = groups is not None
        return {
            "id": self._uuid("port", position), "name": name, "network_id": net.id,
            "project_id": project, "mac_address": self._mac(position), "admin_state_up": True,
            "status": status, "device_id": device, "device_owner": owner,
            "fixed_ips": [{"subnet_id": net.subnet_id, "ip_address": address}],
            "allowed_address_pairs": [], "extra_dhcp_opts": [], "security_groups": groups or [],
            "description": "", "binding:vnic_type": "normal", "binding:profile": {},
            "binding:host_id": host, "binding:vif_type": "ovs" if host else "unbound",
            "binding:vif_details": _ovs_vif_details() if host else {},
            "port_security_enabled": secured, "tags": [], "created_at": stamp, "updated_at": stamp,
            "revision_number": 4 if host else 1, "tenant_id": project,
        }

    def _fip_address(self, fip: int) -> str:
        return self.public.pool_address(len(self.routers) + fip)

    def _routers(self) -> Iterator[dict[str, Any]]:
        for router in self.routers:
            stamp = self._time(50_000 + router.index)
            routes = []
            if router.networks and router.index % 3 == 0:
                net = self.networks[router.networks[0]]
                routes = [{"destination": f"172.31.{router.index % 256}.0/24",
                           "nexthop": str(net.cidr.broadcast_address - 1)}]
            yield {
                "id": router.id, "name": f"router-{router.index}", "project_id": router.project,
                "admin_state_up": True, "status": "ACTIVE",
                "external_gateway_info": {
                    "network_id": self.public.id,
                    "external_fixed_ips": [{"subnet_id": self.public.subnet_id,
                                            "ip_address": self.public.pool_address(router.index)}],
                    "enable_snat": True,
                },
                "description": "", "availability_zones": ["nova"], "distributed": False, "ha": False,
                "availability_zone_hints": [], "routes": routes, "flavor_id": None, "tags": [],
                "created_at": stamp, "updated_at": stamp, "revision_number": 3 + len(router.networks),
                "tenant_id": router.project,
            }

    def _security_groups(self) -> Iterator[dict[str, Any]]:
        for group in self.groups:
            stamp = self._time(20_000 + group.index)
            yield {
                "id": group.id, "name": group.name, "stateful": True, "tenant_id": group.project,
                "project_id": group.project,
                "description": "Default security group" if group.default else f"{group.name} servers",
                "shared": False,
                "security_group_rules": [self._rule(group, j, nested=True) for j in range(group.rules)],
                "tags": [], "created_at": stamp, "updated_at": stamp, "revision_number": group.rules,
            }

    def _security_group_rules(self) -> Iterator[dict[str, Any]]:
        for group in self.groups:
            for j in range(group.rules):
                yield self._rule(group, j, nested=False)

    def _rule(self, group: _Group, slot: int, nested: bool) -> dict[str, Any]:
        """The slot-th rule of a group; the copy nested in the group has two more keys."""
        index = group.first_rule + slot
        base = 4 if group.default else 2
        prefix = remote_group = None
        description: str | None = None
        if slot < base:
            direction, ethertype = ("egress", "ingress")[slot // 2], ("IPv4", "IPv6")[slot % 2]
            protocol = low = high = None
            remote_group = group.id if direction == "ingress" else None
        else:
            direction, ethertype = "ingress", "IPv4"
            custom = slot - base
            protocol, low, high, description = RULE_TEMPLATES[custom] if custom < len(RULE_TEMPLATES) \
                else ("tcp", 10_000 + custom, 10_000 + custom, "")
            pick = self._pick("rule", index, 4 * len(RULE_SOURCES))
            if pick < 4:
                peers = self.project_groups[group.project]
                remote_group = peers[pick % len(peers)].id
            else:
                prefix = RULE_SOURCES[pick % len(RULE_SOURCES)]
        stamp = self._time(20_000 + group.index)
        rule: dict[str, Any] = {
            "id": self._uuid("rule", index), "project_id": group.project,
            "security_group_id": group.id, "ethertype": ethertype, "direction": direction,
            "protocol": protocol, "port_range_min": low, "port_range_max": high,
            "remote_ip_prefix": prefix, "remote_address_group_id": None, "normalized_cidr": prefix,
            "remote_group_id": remote_group,
        }
        if nested:
            rule["standard_attr_id"] = 1 + index
        rule["belongs_to_default_sg"] = group.default
        rule["description"] = description
        if nested:
            rule["tags"] = []
        rule.update({"created_at": stamp, "updated_at": stamp, "revision_number": 0,
                     "tenant_id": group.project})
        return rule

    def _floatingips(self) -> Iterator[dict[str, Any]]:
        for fip in range(self.fips):
            vm = self._fip_port(fip)
            stamp = self._time(200_000 + fip)
            body: dict[str, Any] = {"id": self._uuid("fip", fip)}
            if vm is None:
                project = self.projects[fip % len(self.projects)]
                body.update({"tenant_id": project, "project_id": project,
                             "floating_ip_address": self._fip_address(fip),
                             "floating_network_id": self.public.id, "router_id": None,
                             "port_id": None, "fixed_ip_address": None, "status": "DOWN",
                             "description": "", "port_details": None})
            else:
                net = self._vm_network(vm)
                port = self._vm_port(vm, net)
                body.update({"tenant_id": net.project, "project_id": net.project,
                             "floating_ip_address": self._fip_address(fip),
                             "floating_network_id": self.public.id,
                             "router_id": self._router_of(net).id, "port_id": port["id"],
                             "fixed_ip_address": port["fixed_ips"][0]["ip_address"],
                             "status": "ACTIVE", "description": "",
                             "port_details": {key: port[key] for key in PORT_DETAILS}})
            body.update({"tags": [], "created_at": stamp, "updated_at": stamp, "revision_number": 1})
            yield body

    def _agents(self) -> Iterator[dict[str, Any]]:
        routers, interfaces = len(self.routers), len(self.networks)
        network_node_ports = 2 * len(self.networks) + routers
        yield self._agent(0, NETWORK_NODE, "Open vSwitch agent", "neutron-openvswitch-agent", "N/A",
                          None, _ovs_configuration(TUNNEL_BASE - 5, network_node_ports))
        yield self._agent(1, NETWORK_NODE, "DHCP agent", "neutron-dhcp-agent", "dhcp_agent", "nova", {
            "dhcp_driver": "neutron.agent.linux.dhcp.Dnsmasq", "dhcp_lease_duration": 86400,
            "log_agent_heartbeats": False, "networks": interfaces, "subnets": interfaces,
            "ports": interfaces})
        yield self._agent(2, NETWORK_NODE, "L3 agent", "neutron-l3-agent", "l3_agent", "nova", {
            "agent_mode": "legacy", "handle_internal_only_routers": True,
            "interface_driver": "openvswitch", "log_agent_heartbeats": False, "extensions": [],
            "routers": routers, "ex_gw_ports": routers, "interfaces": interfaces,
            "floating_ips": self.fips - self.fips // UNASSOCIATED_EVERY})
        yield self._agent(3, NETWORK_NODE, "Metadata agent", "neutron-metadata-agent", "N/A", None, {
            "metadata_proxy_socket": "/var/lib/neutron/metadata_proxy",
            "nova_metadata_host": "controller", "nova_metadata_port": 8775,
            "log_agent_heartbeats": False})
        for h, host in enumerate(self.hosts):
            yield self._agent(4 + h, host, "Open vSwitch agent", "neutron-openvswitch-agent", "N/A",
                              None, _ovs_configuration(TUNNEL_BASE + h, self.vms_per_host[h]))

    def _agent(self, index: int, host: str, kind: str, binary: str, topic: str, zone: str | None,
               configurations: dict[str, Any]) -> dict[str, Any]:
        started = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(EPOCH + index))
        return {
            "id": self._uuid("agent", index), "agent_type": kind, "binary": binary, "topic": topic,
            "host": host, "admin_state_up": True, "created_at": f"{started}.000000",
            "started_at": f"{started}.000000",
            "heartbeat_timestamp": time.strftime("%Y-%m-%d %H:%M:%S.000000",
                                                 time.gmtime(EPOCH + 86_000 + index % 30)),
            "description": None, "resources_synced": True, "availability_zone": zone, "alive": True,
            "configurations": configurations,
        }

    def _segments(self) -> Iterator[dict[str, Any]]:
        return iter(())  # the segments service plugin is not enabled in this cloud

    def _network_segment_ranges(self) -> Iterator[dict[str, Any]]:
        return iter(())  # nor network_segment_range


PORT_DETAILS = ("name", "network_id", "mac_address", "admin_state_up", "status", "device_id",
                "device_owner")


def _ovs_vif_details() -> dict[str, Any]:
    return {"connectivity": "l2", "port_filter": True, "ovs_hybrid_plug": False,
            "ovs_create_tap": True, "datapath_type": "system", "bridge_name": "br-int",
            "bound_drivers": {"0": "openvswitch"}}


def _ovs_configuration(tunneling_ip: int, devices: int) -> dict[str, Any]:
    return {
        "bridge_mappings": {"ext": "br-ex", "physnet1": "br-eth1"}, "tunnel_types": ["vxlan"],
        "tunneling_ip": str(ipaddress.IPv4Address(tunneling_ip)), "integration_bridge": "br-int",
        "datapath_type": "system", "ovs_hybrid_plug": False,
        "ovs_capabilities": {"datapath_types": ["system"], "iface_types": ["internal", "vxlan", "patch"]},
        "l2_population": False, "arp_responder_enabled": False,
        "enable_distributed_routing": False, "devices": devices, "extensions": [],
    }


def write(cloud: SyntheticCloud, path: str | os.PathLike) -> dict[str, int]:
    """Stream the cloud into a snapshot file, one resource per line; returns the counts."""
    return snapshot.write(path, cloud.source(),
                          {name: cloud.collection(name) for name in snapshot.COLLECTIONS}, indent=None)
