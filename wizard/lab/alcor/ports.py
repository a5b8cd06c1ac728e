"""The emulated port manager (with the MAC and private-IP managers behind it).

Traps kept from Alcor: vif and vnic types are enum-checked (Neutron's `unbound`,
`binding_failed`, `bridge`, `direct-physical` fail with 412); a single create needs
`network_id` (412) and gets `binding:vif_type` ovs when none is sent, the bulk create
does neither; MACs are unique across all networks; a repeated create of a port that
names its MAC or IPs fails (500) while one that names neither silently overwrites it
with new addresses; errors of the managers behind the port manager reach the client as
500s. Security groups: only a port sent without the key (null) asks for the tenant's
default group; a `[]` port gets the default only when a group fetched for the same request
is named `default`, else the whole request fails (GetSecurityGroupException, 500), and a
request that names no group and has no null list fetches nothing, so its `[]` ports keep
`[]`; any update leaves a port without groups with the tenant's default. An update that
does not send `port_security_enabled` sets it true. A `binding:host_id` must name exactly
one node, `""` included, on create, update and delete (GetNodeInfoException, 500), so no
update can clear a host (null keeps it). Goal states (wizard.lab.alcor.goalstate): create
to the host's node, update to the new host only (the old node keeps the port), delete to
the host's node.
"""

from __future__ import annotations

import ipaddress

from wizard.alcor import errors, values
from wizard.lab.alcor import security_groups
from wizard.lab.alcor.calls import Call, Rejected, handles, merged, owned
from wizard.lab.alcor.goalstate import deliveries_for


@handles("port", "create")
def create_port(call: Call) -> dict:
    port = _created(call, [call.item()], single=True)[0]
    return {"port": port}


@handles("port", "bulk_create")
def create_ports(call: Call) -> dict:
    return {"ports": _created(call, call.items("ports"), single=False)}


def _created(call: Call, items: list[dict], single: bool) -> list[dict]:
    """Check every port, then allocate all or nothing (one processor chain per request)."""
    model = call.model
    for item in items:
        _check(item, require_network=single)
    ports = []
    try:
        for item in items:
            port = _prepared(call, owned(call, item), single)
            _allocate(model, port, None, exclusive=True)
            ports.append(port)
        _create_groups(model, ports, call.project_id)
    except Rejected:
        for port in ports:
            model.release_addresses(port)
        raise
    for port in ports:
        call.deliveries += deliveries_for(model, "create", port)
        model.store["port"][port["id"]] = port
        model.ledger.created("port", port["id"])
    return ports


def _check(item: dict, require_network: bool) -> None:
    """RestParameterValidator.checkPort (412s)."""
    if require_network and not item.get("network_id"):
        raise Rejected(errors.NETWORK_ID_REQUIRED)
    mac = item.get("mac_address")
    if mac is not None and not values.MAC_PATTERN.fullmatch(mac):
        raise Rejected(errors.MAC_ADDRESS_INVALID, mac)
    for fixed in item.get("fixed_ips") or []:
        subnet_id, ip = fixed.get("subnet_id"), fixed.get("ip_address")
        if (subnet_id is None and ip is None) or subnet_id == "" or (ip is not None and not _is_ip(ip)):
            raise Rejected(errors.FIXED_IPS_INVALID, str(fixed))
    if item.get("binding:vif_type") is not None and item["binding:vif_type"] not in values.VIF_TYPES:
        raise Rejected(errors.VIF_TYPE_INVALID, item["binding:vif_type"])
    if item.get("binding:vnic_type") is not None and item["binding:vnic_type"] not in values.VNIC_TYPES:
        raise Rejected(errors.VNIC_TYPE_INVALID, item["binding:vnic_type"])
    if item.get("ip_allocation") is not None and item["ip_allocation"] not in values.IP_ALLOCATIONS:
        raise Rejected(errors.IP_ALLOCATION_INVALID, item["ip_allocation"])


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        return False


def _prepared(call: Call, port: dict, single: bool) -> dict:
    model = call.model
    port["id"] = port.get("id") or model.new_id()
    if port.get("network_id") not in model.store["vpc"]:
        raise Rejected(errors.VPC_ENTITY_NOT_FOUND, str(port.get("network_id")))
    if single and port.get("binding:vif_type") is None:
        port["binding:vif_type"] = values.DEFAULT_VIF_TYPE
    port.setdefault("port_security_enabled", True)  # WE/port/PortEntity: the field initializer is true
    _check_host(model, port)
    port["create_at"] = port["update_at"] = model.now()
    return port


def _create_groups(model, ports: list[dict], project_id: str | None) -> None:
    """PM/processor/SecurityGroupProcessor.createProcess: one fetch for the request, if any.

    The groups the ports name, and the tenant's default for each port whose list is null,
    are fetched once; a request with neither fetches nothing, so its `[]` ports keep `[]`.
    """
    named = list(dict.fromkeys(g for p in ports if p.get("security_groups") is not None for g in p["security_groups"]))
    tenants = list(dict.fromkeys(p["tenant_id"] for p in ports if p.get("security_groups") is None))
    if named or tenants:
        _give_default(ports, _fetched(model, named, tenants, project_id))


def _update_groups(model, port: dict, project_id: str | None) -> None:
    """PM/processor/SecurityGroupProcessor.updateProcess, on the merged port: whatever the branch,
    its groups are fetched when it has some and the tenant's default is fetched when it has none."""
    named = port.get("security_groups") or []
    _give_default([port], _fetched(model, named, [] if named else [port["tenant_id"]], project_id))


def _fetched(model, group_ids: list[str], tenants: list[str], project_id: str | None) -> list[dict]:
    """PM/request/FetchSecurityGroupRequest.send: the named groups, then each tenant's default group
    (SG getDefaultSecurityGroup creates it when missing; the tenant-keyed copy, same id)."""
    groups = []
    for group_id in group_ids:
        group = security_groups.find(model, group_id)
        if group is None:
            raise Rejected(errors.SECURITY_GROUP_ENTITY_NOT_FOUND, group_id)
        groups.append(group)
    return groups + [security_groups.default_group(model, tenant, project_id) for tenant in tenants]


def _give_default(ports: list[dict], fetched: list[dict]) -> None:
    """PM/processor/SecurityGroupProcessor.fetchSecurityGroupCallback: a port with a null or empty
    list gets the first fetched group named `default`; with none fetched, the request fails."""
    default_id = next((g["id"] for g in fetched if g.get("name") == values.DEFAULT_SG_NAME), None)
    for port in ports:
        if not port.get("security_groups"):
            if default_id is None:
                raise Rejected(errors.GET_SECURITY_GROUP, f"port {port['id']} has no group and none is `default`")
            port["security_groups"] = [default_id]


def _check_host(model, port: dict) -> None:
    """PM/processor/NodeProcessor and PM/request/FetchNodeRequest: a non-null host, `""` too, is
    looked up by `node_name=` and must match exactly one node (WR/NodeManagerRestClient.getNodeInfo
    answers nothing otherwise): GetNodeInfoException (500)."""
    host = port.get("binding:host_id")
    if host is not None and len(model.nodes_named(host)) != 1:
        raise Rejected(errors.GET_NODE_INFO, f"{len(model.nodes_named(host))} nodes named {host!r}")


def _allocate(model, port: dict, old: dict | None, exclusive: bool) -> None:
    """MAC and fixed IPs for a new port, or for an update that changes them (old kept on failure)."""
    taken_mac = taken_ips = None
    try:
        if old is None or port.get("mac_address") != old.get("mac_address"):
            taken_mac = model.take_mac(port.get("mac_address"), port["id"], exclusive)
            port["mac_address"] = taken_mac
        if old is None or port.get("fixed_ips") != old.get("fixed_ips"):
            taken_ips = []
            for fixed in _wanted_ips(model, port):
                subnet = model.store["subnet"][fixed["subnet_id"]]
                taken_ips.append({"subnet_id": subnet["id"],
                                  "ip_address": model.take_ip(subnet, fixed.get("ip_address"), port["id"], exclusive)})
            port["fixed_ips"] = taken_ips
    except Rejected:
        model.release_addresses({"mac_address": taken_mac or "", "fixed_ips": taken_ips or []})
        raise
    if old is not None:
        model.release_addresses({
            "mac_address": old["mac_address"] if taken_mac else "",
            "fixed_ips": [f for f in old.get("fixed_ips") or [] if taken_ips is not None and f not in taken_ips],
        })


def _wanted_ips(model, port: dict) -> list[dict]:
    """Each fixed IP with its subnet; none asked for means one IP from the network's first subnet."""
    subnets = model.subnets_of(port["network_id"])
    wanted = port.get("fixed_ips") or []
    if not wanted:
        return [{"subnet_id": subnets[0]["id"]}] if subnets and port.get("ip_allocation") != "none" else []
    found = []
    for fixed in wanted:
        subnet_id = fixed.get("subnet_id")
        if subnet_id is None:
            address = ipaddress.ip_address(fixed["ip_address"])
            owners = [s["id"] for s in subnets if address in ipaddress.ip_network(s["cidr"])]
            if not owners:
                raise Rejected(errors.ALLOCATE_IP_FAILED, f"no subnet of {port['network_id']} holds {address}")
            subnet_id = owners[0]
        elif subnet_id not in model.store["subnet"]:
            raise Rejected(errors.SUBNET_ENTITY_NOT_FOUND, subnet_id)
        found.append({"subnet_id": subnet_id, "ip_address": fixed.get("ip_address")})
    return found


@handles("port", "update")
def update_port(call: Call) -> dict:
    model = call.model
    old = call.stored(errors.PORT_NOT_FOUND)
    changes = call.item()
    _check(changes, require_network=False)
    port = merged(old, changes, keep=("id", "network_id", "project_id"))  # PM/processor/PortProcessor.updateProcess
    if "port_security_enabled" not in changes:  # WE/port/PortEntity: the initializer makes it true, not null
        port["port_security_enabled"] = True
    _update_groups(model, port, call.project_id)
    _check_host(model, port)
    _allocate(model, port, old, exclusive=False)
    port["update_at"] = model.now()
    call.deliveries += deliveries_for(model, "update", port)
    model.store["port"][call.id] = port
    return {"port": port}


@handles("port", "delete")
def delete_port(call: Call) -> None:
    model = call.model
    port = call.stored(errors.PORT_NOT_FOUND)
    _check_host(model, port)  # PM/processor/NodeProcessor.deleteProcess: a bound port's node is fetched
    del model.store["port"][call.id]
    model.release_addresses(port)
    call.deliveries += deliveries_for(model, "delete", port)
    return None


@handles("port", "get")
def get_port(call: Call) -> dict:
    return {"port": call.stored(errors.PORT_NOT_FOUND)}


@handles("port", "list")
def list_ports(call: Call) -> dict:
    return call.listing()
