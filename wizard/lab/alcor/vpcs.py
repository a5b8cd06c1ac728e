"""The emulated VPC manager: VPCs, segments and the segment table.

Traps kept from Alcor: the segmentation id sent is replaced by a newly allocated key;
a repeated create overwrites the VPC and allocates another key; a `flat` VPC is stored
and then the create fails (NullPointerException in registerVpc); omitted primitive
booleans become false; a missing VPC reads as `{"network": null}` with 200; the bulk
endpoint creates nothing; lists are not filtered by project; a VXLAN (or GRE) VPC creates
key partitions lazily, and `POST /segments/createDefaultTable` answers 409
(NetworkRangeExistException) once any VXLAN partition exists, a repeat included.
"""

from __future__ import annotations

from wizard.alcor import errors, values
from wizard.lab.alcor.calls import Call, Rejected, filtered, handles, merged, owned

PRIMITIVE_FALSE = ("admin_state_up", "shared", "router:external", "vlan_transparent", "is_default")


@handles("segment", "segment_table")
def create_segment_table(call: Call) -> None:
    """Every VXLAN partition, then every GRE partition, each refused if any of its kind exists.

    Alcor: VM/service/Impl/SegmentServiceImpl.createDefaultNetworkTypeTable, then
    VxlanRangeRepository.createRange / GreRangeRepository.createRange: NetworkRangeExistException
    (409) when one of the ranges is already there. The VXLAN table is committed before the GRE one
    is tried, so after a GRE VPC the call creates the VXLAN table and still answers 409.
    """
    for kind in ("vxlan", "gre"):
        partitions = call.model.partitions[kind]
        if partitions:
            raise Rejected(errors.NETWORK_RANGE_EXIST, f"{len(partitions)} {kind} partitions exist")
        partitions.update(range(values.KEY_PARTITIONS))
    return None


@handles("vpc", "create")
def create_vpc(call: Call) -> dict:
    model = call.model
    vpc = owned(call, call.item())
    vpc["id"] = vpc.get("id") or model.new_id()
    _check_vpc(vpc)
    for name in PRIMITIVE_FALSE:
        vpc[name] = bool(vpc.get(name))
    vpc.setdefault("port_security_enabled", True)
    vpc["availability_zones"] = vpc.get("availability_zones") or list(values.DEFAULT_AVAILABILITY_ZONES)
    vpc["created_at"] = vpc["updated_at"] = model.now()
    vpc["revision_number"] = max(vpc.get("revision_number") or 1, 1)
    vpc["tags"] = vpc.get("tags") or []
    vpc["status"] = vpc.get("status") or "ACTIVE"
    vpc["mtu"] = vpc.get("mtu") if (vpc.get("mtu") or 0) > 0 else values.DEFAULT_MTU
    network_type = vpc.get("provider:network_type") or values.DEFAULT_NETWORK_TYPE
    vpc["provider:network_type"] = network_type
    vpc["provider:segmentation_id"] = model.allocate_key(network_type) if network_type != "flat" else None
    vpc.pop("subnets", None)
    model.store["vpc"][vpc["id"]] = vpc  # stored before registerVpc, which fails for flat
    model.ledger.created("vpc", vpc["id"])
    if vpc["provider:segmentation_id"] is None:
        raise Rejected(errors.NULL_POINTER, "registerVpc: segmentation id is null (flat network)")
    return {"network": _shown(call, vpc)}


def _check_vpc(vpc: dict) -> None:
    mtu, status = vpc.get("mtu"), vpc.get("status")
    network_type, key = vpc.get("provider:network_type"), vpc.get("provider:segmentation_id")
    valid = (
        (mtu is None or mtu >= values.MIN_MTU)
        and (network_type in values.VPC_NETWORK_TYPES or (network_type is None and key is None))
        and (status is None or status in values.NETWORK_STATUSES)
    )
    if not valid:
        raise Rejected(errors.RESOURCE_NOT_VALID, "mtu, provider:network_type or status")


@handles("vpc", "bulk_create")
def create_vpcs_stub(call: Call) -> dict:
    return {"vpcs": None}  # VpcController.createVpcStateBulk returns an empty VpcsWebJson


@handles("vpc", "get")
def get_vpc(call: Call) -> dict:
    vpc = call.model.store["vpc"].get(call.id)
    return {"network": _shown(call, vpc) if vpc else None}


@handles("vpc", "list")
def list_vpcs(call: Call) -> dict:
    return call.listing([_shown(call, v) for v in call.model.store["vpc"].values()])


@handles("vpc", "update")
def update_vpc(call: Call) -> dict:
    old = call.stored(errors.VPC_NOT_FOUND)
    vpc = merged(old, call.item())
    vpc["revision_number"] = (old.get("revision_number") or 0) + 1
    call.model.store["vpc"][call.id] = vpc
    return {"network": _shown(call, vpc)}


@handles("vpc", "delete")
def delete_vpc(call: Call) -> dict:
    vpc = call.model.store["vpc"].get(call.id)
    if vpc is None:
        return {"id": None}
    if _subnet_ids(call, call.id):
        raise Rejected(errors.SUBNETS_NOT_EMPTY, call.id)
    del call.model.store["vpc"][call.id]
    call.model.release_key(vpc)
    return {"id": call.id}


def _subnet_ids(call: Call, vpc_id: str) -> list[str]:
    return list(call.model.subnet_ids.get(vpc_id, ()))


def _shown(call: Call, vpc: dict) -> dict:
    return {**vpc, "subnets": _subnet_ids(call, vpc["id"])}


@handles("segment", "create")
def create_segment(call: Call) -> dict:
    model = call.model
    segment = owned(call, call.item())
    if not segment.get("id"):
        raise Rejected(errors.EMPTY_RESOURCE_ID)
    vpc = model.store["vpc"].get(segment.get("network_id"))
    if vpc is None:
        raise Rejected(errors.NULL_POINTER, f"vpc {segment.get('network_id')!r} not found")
    old = model.store["segment"].get(segment["id"])
    if old:
        model.release_key(old)
    network_type = segment.get("network_type")
    segment["segmentation_id"] = model.allocate_key(network_type) if network_type in model.keys else None
    segment["revision_number"] = 1
    segment["created_at"] = segment["updated_at"] = model.now()
    model.store["segment"][segment["id"]] = segment
    model.ledger.created("segment", segment["id"])
    return {"segment": segment}


@handles("segment", "get")
def get_segment(call: Call) -> dict:
    return {"segment": call.model.store["segment"].get(call.id)}


@handles("segment", "list")
def list_segments(call: Call) -> dict:
    return {s["id"]: s for s in filtered(list(call.model.store["segment"].values()), call.query)}


@handles("segment", "delete")
def delete_segment(call: Call) -> dict:
    segment = call.model.store["segment"].pop(call.id, None)
    if segment:
        call.model.release_key(segment)
    return {"id": call.id if segment else None}
