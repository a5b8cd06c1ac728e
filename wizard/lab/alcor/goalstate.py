"""Port goal states and their delivery to the nodes' ACAs, as Alcor's data-plane manager does.

A port with a `binding:host_id` is pushed to the node whose `node_name` equals it, at
`http://{local_ip}:{server_port}/v1/goalstate` (wizard.lab.aca.LabAca), with the operation
of the port request, as Alcor's PM/processor/DataPlaneProcessor sends its network
configuration: `create` for a create, `update` for any update (to the port's host after the
update only: a port moved to another host stays on the old node), `delete` for a delete.
Ports without a host are never pushed. The port manager has checked the node exists.

Delivery happens before the port request is answered (Alcor's port manager waits for the
DPM), but a failed delivery does not fail the request: it is recorded in the DeliveryLog,
as Alcor's DPM only logs ACA errors. Callers check the log (or the ACA) to see the outcome.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import aiohttp


@dataclass
class Delivery:
    """One goal-state message for one node."""

    op: str  # create | update | delete
    node: dict[str, Any]
    ports: list[dict[str, Any]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://{self.node.get('local_ip')}:{self.node.get('server_port')}/v1/goalstate"

    def message(self) -> dict[str, Any]:
        return {"op": self.op, "node": self.node.get("node_name"), "ports": self.ports}


def goal_state(model: Any, port: dict[str, Any]) -> dict[str, Any]:
    """What ACA needs to program one port: ids, VNI (Alcor's re-allocated key), MAC, IPs, SGs."""
    vpc = model.store["vpc"].get(port.get("network_id")) or {}
    return {
        "id": port["id"],
        "name": port.get("name"),
        "project_id": port.get("project_id"),
        "network_id": port.get("network_id"),
        "network_type": vpc.get("provider:network_type"),
        "vni": vpc.get("provider:segmentation_id"),
        "mtu": vpc.get("mtu"),
        "mac": port.get("mac_address"),
        "fixed_ips": port.get("fixed_ips") or [],
        "security_groups": port.get("security_groups") or [],
        "device_id": port.get("device_id"),
        "device_owner": port.get("device_owner"),
        "admin_state_up": port.get("admin_state_up"),
        "host": port.get("binding:host_id"),
    }


def deliveries_for(model: Any, op: str, port: dict) -> list[Delivery]:
    """The message a port request (op create/update/delete) sends: to the port's host, if any.

    Alcor: PM/processor/DataPlaneProcessor.createProcess/updateProcess/deleteProcess build the
    configuration from the port as the request leaves it (PortProcessor keeps only bound ports).
    """
    host = port.get("binding:host_id")
    if host is None:
        return []
    return [Delivery(op, model.nodes_named(host)[0], [goal_state(model, port)])]


def grouped(deliveries: list[Delivery]) -> list[Delivery]:
    """One message per (op, node), as the DPM batches a bulk request per host."""
    groups: dict[tuple[str, str], Delivery] = {}
    for delivery in deliveries:
        key = (delivery.op, delivery.url)
        if key in groups:
            groups[key].ports += delivery.ports
        else:
            groups[key] = Delivery(delivery.op, delivery.node, list(delivery.ports))
    return list(groups.values())


class DeliveryLog:
    """Every goal-state delivery attempt and its outcome; readable from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[dict[str, Any]] = []

    def record(self, delivery: Delivery, ok: bool, outcome: str) -> None:
        entry = {
            "at": time.time(),
            "op": delivery.op,
            "node": delivery.node.get("node_name"),
            "url": delivery.url,
            "ports": [p["id"] for p in delivery.ports],
            "ok": ok,
            "outcome": outcome,
        }
        with self._lock:
            self._entries.append(entry)

    def entries(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._entries)

    def failures(self) -> list[dict[str, Any]]:
        return [e for e in self.entries() if not e["ok"]]

    def per_node(self) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for entry in self.entries():
            counts[entry["node"]] += len(entry["ports"])
        return dict(counts)


async def deliver(session: aiohttp.ClientSession, log: DeliveryLog, deliveries: list[Delivery],
                  timeout: float) -> None:
    """Send each message (concurrently per node); record, never raise."""
    await asyncio.gather(*(_send(session, log, d, timeout) for d in grouped(deliveries)))


async def _send(session: aiohttp.ClientSession, log: DeliveryLog, delivery: Delivery, timeout: float) -> None:
    try:
        async with session.post(delivery.url, json=delivery.message(),
                                timeout=aiohttp.ClientTimeout(total=timeout)) as response:
            text = await response.text()
            log.record(delivery, response.status == 200, f"{response.status} {text[:200]}")
    except (TimeoutError, aiohttp.ClientError, OSError) as exc:
        log.record(delivery, False, f"{type(exc).__name__}: {exc}")
