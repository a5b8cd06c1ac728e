"""The sample clouds: a small one with every feature the migration must carry, one with the traps
Alcor sets a real cloud, and generated fleets. Each one's snapshot, exported from a real neutron-server
(scripts/build_sample_clouds.py), ships in sample_configs/ next to this module."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any

from wizard.lab.topology import Topology, device_id

FILES = Path(__file__).with_name("sample_configs")  # <name>.json: the snapshot of SAMPLES[name]()

# The sample clouds need these to hold segments and segment ranges (the harness default has neither).
SERVICE_PLUGINS = ("router", "segments", "network_segment_range")


def _vm_port(name: str, network: str, host: str, security_groups: list[str] | None, **extra) -> dict:
    """A VM's port bound to HOST; security_groups None leaves the project's default group."""
    port = {"name": name, "network": network, "binding:host_id": host, "device_owner": "compute:nova",
            "device_id": device_id(name), **extra}
    if security_groups is not None:
        port["security_groups"] = security_groups
    return port


def _ingress(group: str, protocol: str, port: int | None = None, **source) -> dict:
    rule: dict[str, Any] = {"security_group": group, "direction": "ingress", "ethertype": "IPv4", "protocol": protocol}
    if port is not None:
        rule.update(port_range_min=port, port_range_max=port)
    return {**rule, **source}


def _public_network() -> dict:
    return {"name": "public", "router:external": True, "provider:network_type": "flat",
            "provider:physical_network": "ext"}


def small() -> Topology:
    """Two projects (red, blue) on 3 hosts: external flat and VLAN provider networks,
    overlapping tenant VXLAN networks (one dual-stack), routers with a gateway, interfaces and
    an extra route, remote-group rules, bound and unbound ports, port security off, floating IPs."""
    return Topology(
        name="small",
        agents={"compute-1": "192.0.2.11", "compute-2": "192.0.2.12", "compute-3": "192.0.2.13"},
        networks=[
            _public_network(),
            {"name": "provider-vlan", "shared": True, "provider:network_type": "vlan",
             "provider:physical_network": "physnet1", "provider:segmentation_id": 120},
            {"name": "red-web", "project": "red", "description": "dual-stack web tier"},
            {"name": "red-db", "project": "red", "mtu": 1400},
            {"name": "blue-app", "project": "blue"},
        ],
        subnets=[
            {"name": "public-v4", "network": "public", "ip_version": 4, "cidr": "198.51.100.0/24",
             "gateway_ip": "198.51.100.1", "enable_dhcp": False,
             "allocation_pools": [{"start": "198.51.100.10", "end": "198.51.100.250"}]},
            {"name": "provider-v4", "network": "provider-vlan", "ip_version": 4, "cidr": "203.0.113.0/24",
             "dns_nameservers": ["203.0.113.2"]},
            {"name": "red-web-v4", "network": "red-web", "project": "red", "ip_version": 4,
             "cidr": "10.0.0.0/24", "dns_nameservers": ["10.0.0.2", "10.0.0.3"]},
            {"name": "red-web-v6", "network": "red-web", "project": "red", "ip_version": 6,
             "cidr": "fd00:10::/64", "ipv6_ra_mode": "slaac", "ipv6_address_mode": "slaac"},
            {"name": "red-db-v4", "network": "red-db", "project": "red", "ip_version": 4,
             "cidr": "10.0.1.0/24", "host_routes": [{"destination": "192.168.50.0/24",
                                                     "nexthop": "10.0.1.254"}]},
            {"name": "blue-app-v4", "network": "blue-app", "project": "blue", "ip_version": 4,
             "cidr": "10.0.0.0/24", "allocation_pools": [{"start": "10.0.0.10", "end": "10.0.0.200"}]},
        ],
        security_groups=[
            {"name": "red-web", "project": "red", "description": "HTTP(S) from anywhere"},
            {"name": "red-db", "project": "red", "description": "PostgreSQL from the web tier"},
            {"name": "blue-app", "project": "blue"},
        ],
        security_group_rules=[
            _ingress("red-web", "tcp", 80, remote_ip_prefix="0.0.0.0/0"),
            _ingress("red-web", "tcp", 443, remote_ip_prefix="0.0.0.0/0"),
            {**_ingress("red-web", "tcp", 443, remote_ip_prefix="::/0"), "ethertype": "IPv6"},
            _ingress("red-db", "tcp", 5432, remote_group="red-web"),
            _ingress("red-db", "icmp", remote_group="red-db"),
            _ingress("blue-app", "tcp", 22, remote_ip_prefix="192.0.2.0/24"),
            {**_ingress("blue-app", "tcp", remote_group="blue-app"), "port_range_min": 8000,
             "port_range_max": 8099},
            _ingress("blue-app", "udp", 53, remote_ip_prefix="10.0.0.0/8"),
        ],
        routers=[
            {"name": "red-router", "project": "red",
             "external_gateway_info": {"network": "public", "external_fixed_ips": [
                 {"subnet": "public-v4", "ip_address": "198.51.100.10"}]},
             "interfaces": ["red-web-v4", "red-db-v4"],
             "routes": [{"destination": "172.16.0.0/16", "nexthop": "10.0.1.254"}]},
            {"name": "blue-router", "project": "blue", "external_gateway_info": {"network": "public"},
             "interfaces": ["blue-app-v4"]},
        ],
        ports=[
            _vm_port("red-web-1", "red-web", "compute-1", ["red-web"], project="red",
                     fixed_ips=[{"subnet": "red-web-v4", "ip_address": "10.0.0.11"}]),
            _vm_port("red-web-2", "red-web", "compute-2", ["red-web"], project="red",
                     fixed_ips=[{"subnet": "red-web-v4", "ip_address": "10.0.0.12"}]),
            _vm_port("red-db-1", "red-db", "compute-3", ["red-db"], project="red",
                     fixed_ips=[{"subnet": "red-db-v4", "ip_address": "10.0.1.21"}],
                     allowed_address_pairs=[{"ip_address": "10.0.1.100"}]),
            {"name": "red-spare", "network": "red-web", "project": "red",
             "description": "reserved address, not bound to any host",
             "fixed_ips": [{"subnet": "red-web-v4", "ip_address": "10.0.0.50"}]},
            _vm_port("blue-app-1", "blue-app", "compute-1", ["blue-app"], project="blue",
                     fixed_ips=[{"subnet": "blue-app-v4", "ip_address": "10.0.0.11"}]),
            _vm_port("blue-app-2", "blue-app", "compute-3", [], project="blue",
                     port_security_enabled=False, description="appliance, port security off",
                     fixed_ips=[{"subnet": "blue-app-v4", "ip_address": "10.0.0.12"}]),
            _vm_port("blue-provider-1", "provider-vlan", "compute-2", None, project="blue",
                     fixed_ips=[{"subnet": "provider-v4", "ip_address": "203.0.113.21"}]),
        ],
        floatingips=[
            {"description": "red-web-1", "project": "red", "floating_network": "public",
             "floating_ip_address": "198.51.100.101", "port": "red-web-1"},
            {"description": "blue-app-1", "project": "blue", "floating_network": "public",
             "floating_ip_address": "198.51.100.102", "port": "blue-app-1"},
            {"description": "red spare", "project": "red", "floating_network": "public",
             "floating_ip_address": "198.51.100.103"},
        ],
    )


def _psec_off(name: str, network: str, host: str, **extra) -> dict:
    """A firewall appliance's port: port security off, so no security groups."""
    return _vm_port(name, network, host, [], port_security_enabled=False, **extra)


def traps() -> Topology:
    """What real clouds hold and Alcor cannot take as is, on the 3 hosts of small(): a /29 transfer
    net on a router and a /12 provider range (Alcor takes /16 to /28), ports with port security off
    in the same networks (and bulk chunks) as ports with groups, none naming the default group, two
    external networks with floating IPs on both, and extra routes on a one-network router."""
    return Topology(
        name="traps",
        agents=small().agents,
        networks=[
            {**_public_network(), "name": "ext-a"},
            {"name": "ext-b", "router:external": True, "provider:network_type": "vlan",
             "provider:physical_network": "physnet1", "provider:segmentation_id": 110},
            {"name": "provider-wide", "shared": True, "provider:network_type": "vlan",
             "provider:physical_network": "physnet1", "provider:segmentation_id": 130},
            {"name": "acme-app", "project": "acme"},
            {"name": "acme-transit", "project": "acme", "description": "/29 transfer net to the edge router"},
            {"name": "globex-web", "project": "globex"},
        ],
        subnets=[
            {"name": "ext-a-v4", "network": "ext-a", "ip_version": 4, "cidr": "198.51.100.0/24",
             "enable_dhcp": False, "allocation_pools": [{"start": "198.51.100.10", "end": "198.51.100.250"}]},
            {"name": "ext-b-v4", "network": "ext-b", "ip_version": 4, "cidr": "203.0.113.0/24",
             "enable_dhcp": False, "allocation_pools": [{"start": "203.0.113.10", "end": "203.0.113.250"}]},
            {"name": "provider-wide-v4", "network": "provider-wide", "ip_version": 4, "cidr": "172.16.0.0/12"},
            {"name": "acme-app-v4", "network": "acme-app", "project": "acme", "ip_version": 4,
             "cidr": "10.1.0.0/24"},
            {"name": "acme-transit-v4", "network": "acme-transit", "project": "acme", "ip_version": 4,
             "cidr": "10.255.0.0/29"},
            {"name": "globex-web-v4", "network": "globex-web", "project": "globex", "ip_version": 4,
             "cidr": "10.1.0.0/24"},
        ],
        security_groups=[
            {"name": "acme-app", "project": "acme"},
            {"name": "globex-web", "project": "globex"},
        ],
        security_group_rules=[
            _ingress("acme-app", "tcp", 80, remote_ip_prefix="0.0.0.0/0"),
            _ingress("acme-app", "tcp", 22, remote_group="acme-app"),
            _ingress("globex-web", "tcp", 443, remote_ip_prefix="0.0.0.0/0"),
        ],
        routers=[
            {"name": "acme-router", "project": "acme", "external_gateway_info": {"network": "ext-a"},
             "interfaces": ["acme-app-v4"],
             "routes": [{"destination": "10.99.0.0/16", "nexthop": "10.1.0.254"}]},
            {"name": "acme-edge", "project": "acme", "external_gateway_info": {"network": "ext-b"},
             "interfaces": ["acme-transit-v4"]},
            {"name": "globex-router", "project": "globex", "external_gateway_info": {"network": "ext-b"},
             "interfaces": ["globex-web-v4"]},
        ],
        ports=[
            _vm_port("acme-app-1", "acme-app", "compute-1", ["acme-app"], project="acme",
                     fixed_ips=[{"subnet": "acme-app-v4", "ip_address": "10.1.0.11"}]),
            _psec_off("acme-app-2", "acme-app", "compute-2", project="acme",
                      fixed_ips=[{"subnet": "acme-app-v4", "ip_address": "10.1.0.12"}]),
            _vm_port("acme-app-3", "acme-app", "compute-3", ["acme-app"], project="acme",
                     fixed_ips=[{"subnet": "acme-app-v4", "ip_address": "10.1.0.13"}]),
            _psec_off("fw-1-app", "acme-app", "compute-1", project="acme", device_id=device_id("fw-1"),
                      description="firewall appliance", fixed_ips=[{"subnet": "acme-app-v4",
                                                                    "ip_address": "10.1.0.254"}]),
            _psec_off("fw-1-transit", "acme-transit", "compute-1", project="acme", device_id=device_id("fw-1"),
                      description="firewall appliance", fixed_ips=[{"subnet": "acme-transit-v4",
                                                                    "ip_address": "10.255.0.4"}]),
            _vm_port("acme-wide-1", "provider-wide", "compute-3", ["acme-app"], project="acme",
                     fixed_ips=[{"subnet": "provider-wide-v4", "ip_address": "172.20.0.21"}]),
            _vm_port("globex-web-1", "globex-web", "compute-1", ["globex-web"], project="globex",
                     fixed_ips=[{"subnet": "globex-web-v4", "ip_address": "10.1.0.11"}]),
            _psec_off("globex-web-2", "globex-web", "compute-3", project="globex",
                      fixed_ips=[{"subnet": "globex-web-v4", "ip_address": "10.1.0.12"}]),
            _psec_off("globex-wide-1", "provider-wide", "compute-2", project="globex",
                      fixed_ips=[{"subnet": "provider-wide-v4", "ip_address": "172.20.0.22"}]),
        ],
        floatingips=[
            {"description": "acme-app-1", "project": "acme", "floating_network": "ext-a",
             "floating_ip_address": "198.51.100.101", "port": "acme-app-1"},
            {"description": "fw-1", "project": "acme", "floating_network": "ext-a",
             "floating_ip_address": "198.51.100.102", "port": "fw-1-app"},
            {"description": "globex-web-1", "project": "globex", "floating_network": "ext-b",
             "floating_ip_address": "203.0.113.101", "port": "globex-web-1"},
            {"description": "acme spare", "project": "acme", "floating_network": "ext-b",
             "floating_ip_address": "203.0.113.102"},
        ],
    )


def fleet(name: str, projects: int, networks_per_project: int, ports_per_network: int, hosts: int,
          floatingips_per_project: int = 0) -> Topology:
    """Many VMs: per project a router, a web security group and networks with
    overlapping CIDRs across projects; VM ports bound round-robin to the hosts."""
    host_names = [f"compute-{index:02d}" for index in range(1, hosts + 1)]
    underlay = ipaddress.ip_address("172.31.0.10")
    prefix = 32 - (ports_per_network + 4).bit_length()  # room for network, gateway, broadcast
    topology = Topology(
        name=name,
        agents={host: str(underlay + index) for index, host in enumerate(host_names)},
        networks=[_public_network()],
        subnets=[{"name": "public-v4", "network": "public", "ip_version": 4, "cidr": "198.18.0.0/16",
                  "enable_dhcp": False}],
    )
    vm = 0
    for p in range(1, projects + 1):
        project = f"tenant-{p:02d}"
        group = f"{project}-web"
        topology.security_groups.append({"name": group, "project": project})
        topology.security_group_rules += [
            _ingress(group, "tcp", 80, remote_ip_prefix="0.0.0.0/0"),
            _ingress(group, "tcp", 22, remote_group=group),
        ]
        interfaces = []
        for n in range(1, networks_per_project + 1):
            network = f"{project}-net-{n}"
            cidr = ipaddress.ip_network(f"10.{n}.0.0/{prefix}")
            topology.networks.append({"name": network, "project": project})
            topology.subnets.append({"name": f"{network}-v4", "network": network, "project": project,
                                     "ip_version": 4, "cidr": str(cidr)})
            interfaces.append(f"{network}-v4")
            for k in range(1, ports_per_network + 1):
                topology.ports.append(_vm_port(f"{network}-vm-{k}", network, host_names[vm % hosts],
                                               [group], project=project))
                vm += 1
        topology.routers.append({"name": f"{project}-router", "project": project,
                                 "external_gateway_info": {"network": "public"},
                                 "interfaces": interfaces})
        topology.floatingips += [
            {"description": f"{project}-net-1-vm-{k}", "project": project, "floating_network": "public",
             "port": f"{project}-net-1-vm-{k}"}
            for k in range(1, min(floatingips_per_project, ports_per_network) + 1)]
    return topology


def medium() -> Topology:
    """400 VM ports in 4 projects, 8 networks and 4 routers, on 10 hosts, with 20 floating IPs."""
    return fleet("medium", projects=4, networks_per_project=2, ports_per_network=50, hosts=10,
                 floatingips_per_project=5)


SAMPLES = {"small": small, "medium": medium, "traps": traps}


def cloud_file(cloud: str) -> Path:
    """The snapshot file `lab.cloud` names: that file, or if there is none, the shipped sample cloud of
    that name (a plan's default `sample_configs/small.json` holds wherever the plan is)."""
    path = Path(cloud)
    shipped = FILES / path.name
    return path if path.is_file() or path.stem not in SAMPLES else shipped
