"""Alcor's REST contract as data: paths, wrapper keys, bulk endpoints and enum spellings.

Read from Alcor's code (reference/alcor-api.md), not its stale docs. Translation builds
requests from these facts; the emulator serves them. Nothing here performs I/O.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Endpoint:
    """One Alcor resource collection: which service serves it and how bodies are wrapped."""

    kind: str
    service: str
    collection: str  # path template; "{project_id}" where the path names a project
    wrapper: str  # key of the single-resource body: {"port": {...}}
    list_wrapper: str  # key of the list (and bulk) body: {"ports": [...]}
    bulk: bool = False  # POST {collection}/bulk really creates (VPC/subnet bulk are stubs)
    bulk_stub: bool = False  # POST {collection}/bulk exists but creates nothing
    id_field: str = "id"

    def collection_path(self, project_id: str | None = None) -> str:
        return self.collection.format(project_id=project_id)

    def item_path(self, item_id: str, project_id: str | None = None) -> str:
        return f"{self.collection_path(project_id)}/{item_id}"

    def bulk_path(self, project_id: str | None = None) -> str:
        return f"{self.collection_path(project_id)}/bulk"


SEGMENT_TABLE_PATH = "/segments/createDefaultTable"  # VPC manager; pre-creates the VXLAN key table

VPC = Endpoint("vpc", "vpc", "/project/{project_id}/vpcs", "network", "vpcs", bulk_stub=True)
SUBNET = Endpoint("subnet", "subnet", "/project/{project_id}/subnets", "subnet", "subnets", bulk_stub=True)
PORT = Endpoint("port", "port", "/project/{project_id}/ports", "port", "ports", bulk=True)
SECURITY_GROUP = Endpoint("security_group", "security_group", "/project/{project_id}/security-groups",
                          "security_group", "security_groups", bulk=True)
SECURITY_GROUP_RULE = Endpoint("security_group_rule", "security_group", "/project/{project_id}/security-group-rules",
                               "security_group_rule", "security_group_rules", bulk=True)
ROUTER = Endpoint("router", "route", "/project/{project_id}/routers", "router", "routers")
ELASTIC_IP = Endpoint("elastic_ip", "elastic_ip", "/project/{project_id}/elasticips", "elasticip", "elasticips")
ELASTIC_IP_RANGE = Endpoint("elastic_ip_range", "elastic_ip", "/elasticip-ranges",
                            "elasticip-range", "elasticip-ranges")
NODE = Endpoint("node", "node", "/nodes", "host_info", "host_infos", bulk=True, id_field="node_id")

ENDPOINTS: dict[str, Endpoint] = {e.kind: e for e in (
    VPC, SUBNET, PORT, SECURITY_GROUP, SECURITY_GROUP_RULE, ROUTER, ELASTIC_IP, ELASTIC_IP_RANGE, NODE)}

# Router actions: PUT {router item path}/{action}. Interfaces take an UNWRAPPED body
# ({"subnet_id": ...} or {"port_id": ...}, never both); extra routes take EXTRAROUTES_WRAPPER.
ADD_ROUTER_INTERFACE = "add_router_interface"
REMOVE_ROUTER_INTERFACE = "remove_router_interface"
ADD_EXTRAROUTES = "add_extraroutes"
REMOVE_EXTRAROUTES = "remove_extraroutes"
EXTRAROUTES_WRAPPER = "newRoutesWebRequest"  # {"newRoutesWebRequest": {"routes": [...]}}

# -- enum spellings Alcor validates (412 otherwise) -------------------------------------------
VIF_TYPES = frozenset({"ovs", "macvtap", "hw_veb", "hostdev_physical", "vhostuser", "distributed", "other"})
VNIC_TYPES = frozenset({"normal", "macvtap", "direct", "baremetal", "directphysical"})
VNIC_TYPE_FROM_NEUTRON = {"direct-physical": "directphysical"}  # Neutron spelling -> Alcor's
IP_ALLOCATIONS = frozenset({"immediate", "deferred", "none"})
NETWORK_TYPES = frozenset({"flat", "vlan", "vxlan", "gre"})  # VPC validation
SEGMENTED_NETWORK_TYPES = frozenset({"vlan", "vxlan", "gre"})  # flat gets no key: NPE in registerVpc
STATUSES = frozenset({"ACTIVE", "DOWN", "BUILD", "ERROR"})  # VPC and router status validation

# Typed sub-objects: the only keys Alcor's Jackson classes keep (others are dropped).
BINDING_PROFILE_KEYS = frozenset({"local_link_information"})
LOCAL_LINK_INFORMATION_KEYS = frozenset({"port_id", "switch_id", "switch_info"})
VIF_DETAILS_KEYS = frozenset({"ovs_hybrid_plug", "port_filter"})

# Ports whose device_owner Alcor gives to the subnet gateway port it creates by itself.
GATEWAY_PORT_OWNER = "network:router_interface"

# Security-group rules Alcor creates by itself, as (direction, ethertype), with random ids:
# every new group gets egress allow-all; the `default` group gets ingress allow-all instead.
DEFAULT_GROUP_NAME = "default"
GROUP_RULES_FIELD = "security_group_rules"  # where a group create's answer lists the rules Alcor made
AUTO_RULES_DEFAULT_GROUP = (("ingress", "IPv4"), ("ingress", "IPv6"))
AUTO_RULES_OTHER_GROUP = (("egress", "IPv4"), ("egress", "IPv6"))

# Defaults Alcor applies to an omitted field (so translation always sends a value).
DEFAULT_MTU = 1450
DEFAULT_NODE_SERVER_PORT = 50001
