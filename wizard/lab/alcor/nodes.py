"""The emulated node manager: compute hosts, each with the address of its ACA.

Traps kept from Alcor: `node_id` is required and a repeated create overwrites; `local_ip`
must be IPv4 (else 500); `server_port` is a primitive int, so a node sent without it has
port 0 and its goal states cannot be delivered; bulk create answers a bare JSON array
with 200; a missing node reads as `{"host_info": null}`; the list key is `nodeInfos`.
"""

from __future__ import annotations

import ipaddress

from wizard.alcor import errors
from wizard.lab.alcor.calls import Call, Rejected, handles


def _checked(item: dict) -> dict:
    node = dict(item)
    if not node.get("node_id"):
        raise Rejected(errors.NODE_ID_REQUIRED)
    try:
        ipaddress.IPv4Address(node.get("local_ip"))
    except ValueError:
        raise Rejected(errors.NODE_IP_INVALID, str(node.get("local_ip"))) from None
    node["server_port"] = int(node.get("server_port") or 0)
    return node


def _store(call: Call, node: dict) -> None:
    call.model.store["node"][node["node_id"]] = node
    call.model.ledger.created("node", node["node_id"])


@handles("node", "create")
def create_node(call: Call) -> dict:
    node = _checked(call.item())
    _store(call, node)
    return {"host_info": node}


@handles("node", "bulk_create")
def create_nodes(call: Call) -> list:
    nodes = [_checked(item) for item in call.items("host_infos")]
    for node in nodes:
        _store(call, node)
    return nodes


@handles("node", "get")
def get_node(call: Call) -> dict:
    return {"host_info": call.model.store["node"].get(call.id)}


@handles("node", "list")
def list_nodes(call: Call) -> dict:
    return call.listing()


@handles("node", "update")
def update_node(call: Call) -> dict:
    node = _checked(call.item())
    if node["node_id"] != call.id or call.id not in call.model.store["node"]:
        raise Rejected(errors.NODE_ID_REQUIRED, f"node_id {node['node_id']} for path {call.id}")
    call.model.store["node"][call.id] = node
    return {"host_info": node}


@handles("node", "delete")
def delete_node(call: Call) -> str:
    call.model.store["node"].pop(call.id, None)
    return f"{{Node(Node) Id: {call.id}}}"
