"""Alcor's named errors: the exception classes a migration meets, their status and reason.

Alcor answers errors in Spring Boot's default JSON shape
`{"timestamp", "status", "error", "message", "path"}`; for `@ResponseStatus(reason=...)`
exceptions `message` is the reason, except on services built with Spring Boot >= 2.3,
which hide it (reference/alcor-api.md §3). `identify` maps an answer back to a name.
"""

from __future__ import annotations

from dataclasses import dataclass
from http import HTTPStatus
from typing import Any


@dataclass(frozen=True)
class AlcorException:
    """One exception class of Alcor's services and how it reaches the client."""

    name: str
    status: int
    reason: str
    detailed: bool = False  # the message is the reason followed by a detail (the CIDR...)

    @property
    def error(self) -> str:
        return HTTPStatus(self.status).phrase

    def with_detail(self, detail: str) -> AlcorException:
        """The exception as Alcor answers it for one request: the reason, then the detail."""
        return AlcorException(self.name, self.status, self.reason + detail)


def _e(name: str, status: int, reason: str, detailed: bool = False) -> AlcorException:
    return AlcorException(name, status, reason, detailed)


# Any service: unmapped exceptions are 500 with the exception's own message.
RESOURCE_NOT_VALID = _e("ResourceNotValidException", 500, "request resource is invalid")
NULL_POINTER = _e("NullPointerException", 500, "No message available")
# A list whose scan matches 100,000 rows or more (LIB/db/ignite/IgniteClientDbCache.getAll).
TOO_MANY_ROWS = _e("CacheException", 500, "too many rows found!")
BAD_BODY = _e("HttpMessageNotReadableException", 400, "JSON parse error")

# VPC manager (Spring Boot 2.1.6)
VPC_NOT_FOUND = _e("ResourceNotFoundException", 404, "Vpc not found")
SUBNETS_NOT_EMPTY = _e("SubnetsNotEmptyException", 500, "the vpc has subnets")
NETWORK_KEY_NOT_ENOUGH = _e("NetworkKeyNotEnoughException", 412, "network key not enough")
EMPTY_RESOURCE_ID = _e("ResourceNullException", 400, "Empty resource id")
NETWORK_RANGE_EXIST = _e("NetworkRangeExistException", 409, "network range already exists")

# Subnet manager
CIDR_INVALID = _e("IllegalArgumentException", 500, "Could not parse cidr")
GATEWAY_IP_UNSUPPORTED = _e("GatewayIpUnsupported", 500, "GatewayIp is unsupported")
CIDR_OVERLAP = _e("CidrOverlapWithOtherSubnets", 500, "cidr overlap with other subnets in the same network")
CIDR_NOT_WITHIN_NETWORK = _e("CidrNotWithinNetworkCidr", 500, "cidr is not within network cidr")
VPC_FALLBACK = _e("FallbackException", 500, "fallback request")
# A prefix outside /16../28 (SubnetServiceImp.verifyCidrBlock): thrown as is by the gateway check
# (SubnetManagementUtil.checkGatewayIpInputSupported), or, with no gateway, from allocateIpRange's future,
# which SubnetController.createSubnetState wraps twice in CompletionException and once in Exception.
CIDR_BLOCK_INVALID = _e("FallbackException", 500, "cidr is invalid : ", detailed=True)
CIDR_BLOCK_INVALID_ASYNC = _e(
    "FallbackException", 500,
    "java.util.concurrent.CompletionException: java.util.concurrent.CompletionException: "
    "com.futurewei.alcor.common.exception.FallbackException: cidr is invalid : ", detailed=True)
HAVE_PORT_IN_SUBNET = _e("HavePortInSubnet", 409, "subnet has ports")
SUBNET_BIND_ROUTER = _e("SubnetBindRouter", 409, "subnet is bound to a router")
SUBNET_NOT_FOUND = _e("SubnetEntityNotFound", 404, "Subnet not found")

# Port manager
NETWORK_ID_REQUIRED = _e("NetworkIdRequired", 412, "Network id is required")
FIXED_IPS_INVALID = _e("FixedIpsInvalid", 412, "Fixed ips invalid")
MAC_ADDRESS_INVALID = _e("MacAddressInvalid", 412, "Mac address invalid")
VIF_TYPE_INVALID = _e("VifTypeInvalid", 412, "Vif type invalid")
VNIC_TYPE_INVALID = _e("VnicTypeInvalid", 412, "Vnic type invalid")
IP_ALLOCATION_INVALID = _e("IpAllocationInvalid", 412, "Ip allocation invalid")
PORT_NOT_FOUND = _e("PortEntityNotFound", 404, "Port not found")
VPC_ENTITY_NOT_FOUND = _e("VpcEntityNotFound", 500, "Vpc entity not found")
SUBNET_ENTITY_NOT_FOUND = _e("GetSubnetEntityException", 500, "Get SubnetEntity exception")
ALLOCATE_IP_FAILED = _e("AllocateIpAddrException", 500, "Allocate ip address error")
ALLOCATE_MAC_FAILED = _e("AllocateMacAddrException", 500, "Allocate mac address error")
SECURITY_GROUP_ENTITY_NOT_FOUND = _e("SecurityGroupEntityNotFound", 500, "Security group entity not found")
GET_SECURITY_GROUP = _e("GetSecurityGroupException", 500, "Get SecurityGroupEntity exception")
GET_NODE_INFO = _e("GetNodeInfoException", 500, "Get node information exception")

# Security group manager (Spring Boot 2.3.0: messages hidden)
SECURITY_GROUP_NOT_FOUND = _e("SecurityGroupNotFound", 412, "Security group not found")
SECURITY_GROUP_RULE_NOT_FOUND = _e("SecurityGroupRuleNotFound", 412, "Security group rule not found")
SECURITY_GROUP_ID_REQUIRED = _e("SecurityGroupIdRequired", 412, "Security group id is required")
DIRECTION_REQUIRED = _e("DirectionRequired", 412, "Direction is required")
DEFAULT_SG_EXISTS = _e("DefaultSecurityGroupExists", 412, "Default security group exists")
DEFAULT_SG_NOT_UNIQUE = _e("DefaultSecurityGroupNotUnique", 412, "Default security group not unique")
REMOTE_SG_NOT_FOUND = _e("RemoteSecurityGroupNotFound", 412, "Can not get remote group")
PORT_RANGE_INVALID = _e("PortRangeInvalid", 412, "Port range invalid")
PROTOCOL_INVALID = _e("ProtocolInvalidException", 412, "Protocol invalid")
REMOTE_IP_PREFIX_INVALID = _e("RemoteIpPrefixInvalid", 412, "Remote ip prefix invalid")
ETHERTYPE_PREFIX_CONFLICT = _e(
    "EtherTypeRemoteIpPrefixConflict", 409, "The Ip version of remote_ip_prefix conflict with ether_type")
PROTOCOL_ETHERTYPE_CONFLICT = _e("ProtocolEtherTypeConflict", 409, "The protocol conflict with ether_type")
PREFIX_REMOTE_GROUP_CONFLICT = _e(
    "RemoteIpPrefixRemoteGroupIdConflict", 409, "The remote ip prefix conflict with remote group id")

# Route manager
ROUTER_HAS_MULTIPLE_VPCS = _e(
    "RouterHasMultipleVPCs", 409, "the router cannot attached interfaces from different VPC/Network")
PORT_ALREADY_IN_USE = _e("PortIsAlreadyInUse", 409, "the port is already in use by other router")
ROUTER_HAS_INTERFACES = _e(
    "RouterHasAttachedInterfaces", 409,
    "the router has attached interfaces, please remove all router interfaces before you delete the router")
SPECIFY_BOTH_SUBNET_AND_PORT = _e("SpecifyBothSubnetIDAndPortID", 400, "request body specify both subnet ID and portID")
ROUTER_UNAVAILABLE = _e("RouterUnavailable", 500, "can not find router by router id")
ROUTER_OR_SUBNET_NOT_VISIBLE = _e(
    "RouterOrSubnetAndPortNotExistOrNotVisible", 404,
    "the router or the subnet and port do not exist or are not visible")
PORT_NOT_SUBNET_GATEWAY = _e(
    "AttachedPortsNotMatchPortId", 409, "the router or the subnet and port do not exist or are not visible")
INTERFACE_NOT_ATTACHED = _e("ResourceNotFoundException", 404, "the subnet is not attached to a router")
INTERFACE_USED_BY_ROUTES = _e(
    "RouterInterfaceAreUsedByRoutes", 409, "the router interface for subnets that are used by one or more routes")
DESTINATION_OR_NEXTHOP_NULL = _e("DestinationOrNexthopCanNotBeNull", 409, "destination or nexthop can not be null")
DESTINATION_SAME = _e("DestinationSame", 409, "destinations are same")

# Elastic IP manager
EIP_IN_USE = _e("ElasticIpInUseException", 406, "The elastic ip is in use")
EIP_NOT_FOUND = _e("ElasticIpNotFoundException", 404, "The elastic ip is not found")
EIP_NO_PROPER_RANGE = _e("ElasticIpNoProperRangeException", 400, "There is no proper elastic ip range")
EIP_ALLOCATION_FAILED = _e("ElasticIpAllocationException", 400, "Allocate elastic ip failed")
EIP_ADDRESS_INVALID = _e("ElasticIpEipAddressException", 400, "Parameter elastic_ip is invalid")
EIP_PROJECT_CONFLICT = _e(
    "ElasticIpProjectIdConflictException", 400, "Parameter project_id is not same with the path variable")
EIP_PRIVATE_IP_WITHOUT_PORT = _e(
    "ElasticIpNoPortIdException", 400, "Should not config private_ip or private_ip_version while port_id is null")
EIP_PORT_NOT_FOUND = _e("ElasticIpPipNotFound", 404, "The associated port or the specified private ip is not found ")
EIP_RANGE_EXISTS = _e("ElasticIpRangeExistsException", 409, "The elastic ip range has already exist")
EIP_RANGE_NOT_FOUND = _e("ElasticIpRangeNotFoundException", 404, "The elastic ip range is not found")
EIP_RANGE_BAD_RANGES = _e("ElasticIpRangeBadRangesException", 400, "Parameter allocation_ranges is invalid")

# Node manager
NODE_IP_INVALID = _e("InvalidDataException", 500, "invalid ip address format")
NODE_ID_REQUIRED = _e("ParameterNullOrEmptyException", 500, "node id is required")

# Services built with Spring Boot >= 2.3 leave `message` empty in error bodies.
MESSAGE_HIDDEN = frozenset({"security_group"})

ALL: tuple[AlcorException, ...] = tuple(v for v in globals().values() if isinstance(v, AlcorException))


def identify(status: int, body: Any) -> str | None:
    """The name of the Alcor exception an error answer stands for, when its reason says so."""
    message = body.get("message") if isinstance(body, dict) else None
    for known in ALL:
        if known.status == status and message and (
                known.reason == message or (known.detailed and message.startswith(known.reason))):
            return known.name
    return None
