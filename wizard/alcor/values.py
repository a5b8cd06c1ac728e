"""Values Alcor accepts and the defaults it fills in (reference/alcor-api.md §2, §6)."""

from __future__ import annotations

import re

# VPC (VpcManagementUtil.checkVpcRequestResourceIsValid, ConstantsConfig)
VPC_NETWORK_TYPES = frozenset({"flat", "vlan", "vxlan", "gre"})  # flat passes validation, then fails
NETWORK_STATUSES = frozenset({"ACTIVE", "DOWN", "BUILD", "ERROR"})
MIN_MTU = 68
DEFAULT_MTU = 1450
DEFAULT_NETWORK_TYPE = "vxlan"
DEFAULT_AVAILABILITY_ZONES = ("Nova",)

# Segment keys: VXLAN/GRE in 4096 partitions of 4096 keys, one picked at random; VLAN 1..4094.
KEY_PARTITIONS = 4096
KEY_PARTITION_SIZE = 4096
VLAN_KEYS = (1, 4094)

# Subnet
IP_VERSIONS = frozenset({4, 6})
IPV6_MODES = frozenset({"slaac", "dhcpv6-stateful", "dhcpv6-stateless"})
GATEWAY_DEVICE_OWNER = "network:router_interface"  # the port a subnet create makes for its gateway
SUBNET_PREFIXES = range(16, 29)  # SubnetServiceImp.verifyCidrBlock: IPv4 prefixes /16 to /28

# Port (port_manager RestParameterValidator.checkPort)
VIF_TYPES = frozenset({"ovs", "macvtap", "hw_veb", "hostdev_physical", "vhostuser", "distributed", "other"})
VNIC_TYPES = frozenset({"normal", "macvtap", "direct", "baremetal", "directphysical"})
VNIC_TYPE_FROM_NEUTRON = {"direct-physical": "directphysical"}  # Neutron spelling -> Alcor's
IP_ALLOCATIONS = frozenset({"deferred", "immediate", "none"})
DEFAULT_VIF_TYPE = "ovs"  # alcor.vif_type, set on single create only
MAC_PATTERN = re.compile(r"([A-Fa-f0-9]{2}[-,:]){5}[A-Fa-f0-9]{2}")
MAC_OUI = "aa:bb:cc"  # macmanager.oui: the prefix of MACs Alcor generates
# Typed sub-objects: the only keys Alcor's Jackson classes keep (others are dropped).
BINDING_PROFILE_KEYS = frozenset({"local_link_information"})
LOCAL_LINK_INFORMATION_KEYS = frozenset({"port_id", "switch_id", "switch_info"})
VIF_DETAILS_KEYS = frozenset({"ovs_hybrid_plug", "port_filter"})

# Security group rules
DIRECTIONS = frozenset({"ingress", "egress"})
ETHERTYPES = frozenset({"IPv4", "IPv6"})
DEFAULT_SG_NAME = "default"
GROUP_RULES_FIELD = "security_group_rules"  # where a group create's answer lists the rules Alcor made
# Rules Alcor creates by itself, as (direction, ethertype), with random ids: every new group
# gets egress allow-all; the `default` group gets ingress allow-all instead (and no egress).
AUTO_RULES_DEFAULT_GROUP = (("ingress", "IPv4"), ("ingress", "IPv6"))
AUTO_RULES_OTHER_GROUP = (("egress", "IPv4"), ("egress", "IPv6"))

# Elastic IPs
DEFAULT_EIP_VERSION = 4

# Lists: a scan whose filter matches this many rows or more fails (IgniteClientDbCache.RESULT_THRESHOLD_SIZE).
SCAN_ROW_LIMIT = 100_000

# Nodes and ACA
ACA_GRPC_PORT = 50001  # what `POST /nodes/upload` forces as server_port
ACA_NETWORK_TYPES = frozenset({"vxlan", "vxlan_gpe", "gre", "geneve", "vlan"})  # aca_validate_tunnel_id
MAX_VNI = 16777215
# ACA (non-demo mode) tags a VM's tap device "tap" + port id, cut to Nova's 14 characters
# (aca_get_port_name, TAP_PREFIX, PORT_NAME_LEN).
ACA_TAP_PREFIX = "tap"
ACA_PORT_NAME_LEN = 14


def aca_tap_name(port_id: str) -> str:
    """The OVS port name ACA programs for a port id."""
    return (ACA_TAP_PREFIX + port_id)[:ACA_PORT_NAME_LEN]

# What Alcor decides by itself, whatever a create sends (reading it back is not drift):
# bookkeeping fields, keys it allocates, and fields it fills when a create leaves them empty.
SERVER_FIELDS = frozenset({"status", "revision_number", "created_at", "updated_at", "create_at", "update_at"})
ALLOCATED_FIELDS = {"vpc": frozenset({"provider:segmentation_id", "segments"})}  # VNIs are re-allocated
FILLED_WHEN_EMPTY = {
    "vpc": frozenset({"mtu", "provider:network_type", "availability_zones"}),
    "subnet": frozenset({"gateway_ip", "allocation_pools"}),
    "port": frozenset({"security_groups", "mac_address", "fixed_ips", "binding:vif_type"}),
    "elastic_ip": frozenset({"elastic_ip"}),
}
