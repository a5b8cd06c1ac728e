"""The emulated subnet manager.

Traps kept from Alcor: a create makes a gateway port (random id, device_owner
network:router_interface) on the gateway IP, and on the first usable IP when
gateway_ip is null; that port asks for the project's default security group, so a
subnet create makes the project's default group when it has none; the IP range covers the whole
CIDR whatever the allocation pools;
only IPv4 works; a prefix shorter than /16 or longer than /28 fails (FallbackException,
500, "cidr is invalid : <cidr>" from the gateway check, or that message wrapped in
CompletionExceptions when there is no gateway); a repeated create fails the CIDR-overlap
check against itself (500); CIDR and gateway errors are 500s; a missing subnet reads as
`{"subnet": null}` with 200; the bulk endpoint creates nothing.
"""

from __future__ import annotations

import ipaddress

from wizard.alcor import errors, values
from wizard.lab.alcor import security_groups
from wizard.lab.alcor.calls import Call, Rejected, handles, merged, owned
from wizard.lab.alcor.model import usable_range

LIST_FIELDS = ("tags", "dns_nameservers", "host_routes", "service_types")


@handles("subnet", "create")
def create_subnet(call: Call) -> dict:
    model = call.model
    subnet = owned(call, call.item())
    subnet["id"] = subnet.get("id") or model.new_id()
    _check_subnet(subnet)
    cidr = str(subnet["cidr"])
    gateway = subnet.get("gateway_ip") or ""
    if gateway:  # SM/utils/SubnetManagementUtil.checkGatewayIpInputSupported
        if not _octets(gateway):
            raise Rejected(errors.GATEWAY_IP_UNSUPPORTED, gateway)
        if not cidr_block_valid(cidr):
            raise Rejected(errors.CIDR_BLOCK_INVALID.with_detail(cidr))
        low, high = usable_range(str(_network(cidr)))
        if not low <= ipaddress.IPv4Address(gateway) <= high:
            raise Rejected(errors.GATEWAY_IP_UNSUPPORTED, gateway)
    vpc = model.store["vpc"].get(subnet["network_id"])
    if vpc is None:
        raise Rejected(errors.VPC_FALLBACK, f"vpc {subnet['network_id']} not found")
    network = _network(cidr)
    within = ipaddress.ip_network(vpc["cidr"], strict=False) if vpc.get("cidr") else None
    if within is not None and not (isinstance(within, ipaddress.IPv4Network) and network.subnet_of(within)):
        raise Rejected(errors.CIDR_NOT_WITHIN_NETWORK, f"{network} not in {vpc['cidr']}")
    for sibling in model.subnets_of(vpc["id"]):
        if network.overlaps(ipaddress.ip_network(sibling["cidr"])):
            raise Rejected(errors.CIDR_OVERLAP, f"{network} overlaps subnet {sibling['id']}")
    if not cidr_block_valid(cidr):  # SM/service/implement/SubnetServiceImp.allocateIpRange, in a future
        raise Rejected(errors.CIDR_BLOCK_INVALID_ASYNC.with_detail(cidr))
    low, high = usable_range(str(network))
    subnet["gateway_ip"] = gateway or str(low)
    subnet["cidr"] = str(network)
    port = _gateway_port(call, subnet)
    subnet.update(
        gateway_port_detail={"gateway_macAddress": port["mac_address"], "gateway_port_id": port["id"]},
        gatewayPortId=port["id"],
        ipV4_rangeId=model.new_id(),
        ip_version=4,
        enable_dhcp=subnet.get("enable_dhcp") is not False,
        allocation_pools=subnet.get("allocation_pools") or [{"start": str(low), "end": str(high)}],
        dns_publish_fixed_ip=bool(subnet.get("dns_publish_fixed_ip")),
        revision_number=max(subnet.get("revision_number") or 1, 1),
        attached_router_id=None,
    )
    subnet["created_at"] = subnet["updated_at"] = model.now()
    for name in LIST_FIELDS:
        subnet[name] = subnet.get(name) or []
    model.store["subnet"][subnet["id"]] = subnet
    model.subnet_ids.setdefault(subnet["network_id"], []).append(subnet["id"])
    model.ledger.created("subnet", subnet["id"])
    return {"subnet": subnet}


def _check_subnet(subnet: dict) -> None:
    modes = (subnet.get("ipv6_address_mode"), subnet.get("ipv6_ra_mode"))
    valid = (
        subnet.get("network_id") is not None
        and subnet.get("cidr") is not None
        and subnet.get("ip_version") in (None, *values.IP_VERSIONS)
        and all(mode is None or mode in values.IPV6_MODES for mode in modes)
    )
    if not valid:
        raise Rejected(errors.RESOURCE_NOT_VALID, "network_id, cidr, ip_version or ipv6 modes")


def _network(cidr: str) -> ipaddress.IPv4Network:
    """Apache SubnetUtils: IPv4 only, host bits allowed (prefixes are checked by cidr_block_valid)."""
    try:
        return ipaddress.IPv4Network(cidr, strict=False)
    except ValueError:
        raise Rejected(errors.CIDR_INVALID, cidr) from None


def cidr_block_valid(cidr: str) -> bool:
    """SM/service/implement/SubnetServiceImp.verifyCidrBlock: a /16../28 prefix on four 0..255 numbers."""
    address, _, prefix = cidr.partition("/")
    if cidr.count("/") > 1 or ("/" in cidr and _number(prefix, 3) not in values.SUBNET_PREFIXES):
        return False
    return _octets(address, 3)


def _octets(address: str, digits: int | None = None) -> bool:
    """Four dot-separated numbers, each 0..255 (SM/utils/SubnetManagementUtil.checkIpIsValid for a gateway)."""
    numbers = [_number(o, digits) for o in address.split(".")]
    return len(numbers) == 4 and all(n is not None and n <= 255 for n in numbers)


def _number(text: str, digits: int | None = None) -> int | None:
    """ASCII digits as a number (at most `digits` of them: ControllerUtil.isPositive), else None."""
    if not text or not (text.isascii() and text.isdigit()) or (digits and len(text) > digits):
        return None
    return int(text)


def _gateway_port(call: Call, subnet: dict) -> dict:
    """The port SM/service/implement/SubnetToPortManagerServiceImpl.createGatewayPort creates through
    the port manager, sent without tenant or groups (SubnetServiceImp.constructPortEntity): its tenant
    is the project, and its null list fetches that tenant's default group (PM SecurityGroupProcessor),
    which the security group manager creates when missing."""
    model = call.model
    port_id = model.new_id()
    project = subnet["project_id"]
    port = {
        "id": port_id,
        "project_id": project,
        "tenant_id": project,
        "name": "",
        "network_id": subnet["network_id"],
        "device_id": "",
        "device_owner": values.GATEWAY_DEVICE_OWNER,
        "mac_address": model.take_mac(None, port_id),
        "fixed_ips": [{"subnet_id": subnet["id"], "ip_address": model.take_ip(subnet, subnet["gateway_ip"], port_id)}],
        "security_groups": [security_groups.default_group(model, project, project)["id"]],
        "admin_state_up": True,
        "binding:host_id": None,
    }
    model.store["port"][port_id] = port
    return port


@handles("subnet", "bulk_create")
def create_subnets_stub(call: Call) -> dict:
    return {"subnets": None}  # SubnetController.createSubnetStateBulk returns an empty SubnetsWebJson


@handles("subnet", "get")
def get_subnet(call: Call) -> dict:
    return {"subnet": call.model.store["subnet"].get(call.id)}


@handles("subnet", "list")
def list_subnets(call: Call) -> dict:
    return call.listing()


@handles("subnet", "update")
def update_subnet(call: Call) -> dict:
    old = call.stored(errors.SUBNET_NOT_FOUND)
    subnet = merged(old, call.item(), keep=("id", "cidr", "network_id", "gateway_ip", "gatewayPortId"))
    subnet["revision_number"] = (old.get("revision_number") or 0) + 1
    subnet["updated_at"] = call.model.now()
    call.model.store["subnet"][call.id] = subnet
    return {"subnet": subnet}


@handles("subnet", "delete")
def delete_subnet(call: Call) -> dict:
    model = call.model
    subnet = call.stored(errors.SUBNET_NOT_FOUND)
    users = set(model.ips.get(call.id, {}).values()) - {subnet["gatewayPortId"]}
    if users:
        raise Rejected(errors.HAVE_PORT_IN_SUBNET, f"ports {sorted(users)}")
    if subnet.get("attached_router_id"):
        raise Rejected(errors.SUBNET_BIND_ROUTER, subnet["attached_router_id"])
    gateway_port = model.store["port"].pop(subnet["gatewayPortId"], None)
    if gateway_port:
        model.release_addresses(gateway_port)
    model.ips.pop(call.id, None)
    del model.store["subnet"][call.id]
    model.subnet_ids[subnet["network_id"]].remove(call.id)
    return {"id": call.id}
