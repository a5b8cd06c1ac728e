"""The Alcor emulator's state: resources per kind, and the MACs, IPs and segment keys they hold.

Resources are kept as the JSON objects Alcor returns. Allocations (global MAC
uniqueness, IPs per subnet, VNIs per network type, elastic IPs per range) are derived
from the resources, so a saved state holds resources, each tenant's default group and the
VXLAN/GRE key partitions the VPC manager created, and is re-indexed on load.
"""

from __future__ import annotations

import ipaddress
import json
import os
import random
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from wizard.alcor import errors, values
from wizard.alcor.paths import KINDS
from wizard.lab.alcor.calls import Rejected
from wizard.lab.alcor.ledger import Ledger

FORMAT = "alcor-emulator-state/1"


class AlcorModel:
    """Everything the emulated Alcor services hold. Used from the emulator's event loop only."""

    def __init__(self, seed: int | None = None):
        self.rng = random.Random(seed)
        self.ledger = Ledger()
        self.store: dict[str, dict[str, dict[str, Any]]] = {kind: {} for kind in KINDS}
        self.default_sg: dict[str, str] = {}  # tenant id -> id of its default security group
        # Network type -> the key partitions (ranges) the VPC manager holds; created lazily by
        # allocations and all at once by POST /segments/createDefaultTable (vpcs.py).
        self.partitions: dict[str, set[int]] = {"vxlan": set(), "gre": set()}
        self.reindex()

    # --- persistence -------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "partitions": {kind: sorted(found) for kind, found in self.partitions.items()},
            "default_sg": self.default_sg,
            "resources": self.store,
        }

    def save(self, path: str | Path) -> None:
        path = Path(path)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(self.to_json(), sort_keys=True), encoding="utf-8")
        os.replace(tmp, path)

    def load(self, path: str | Path) -> None:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            raise ValueError(f"{path}: not an {FORMAT} file")
        self.store = {kind: dict(document["resources"].get(kind, {})) for kind in KINDS}
        self.default_sg = dict(document.get("default_sg", {}))
        saved = document.get("partitions", {})
        self.partitions = {kind: set(saved.get(kind, ())) for kind in self.partitions}
        self.reindex()

    def reindex(self) -> None:
        self.macs: dict[str, str] = {}  # normalised MAC -> port id (unique across all networks)
        self.ips: dict[str, dict[str, str]] = {}  # subnet id -> {ip: port id}
        self.keys: dict[str, set[int]] = {"vxlan": set(), "gre": set(), "vlan": set()}
        self.eips: dict[str, set[str]] = {}  # elastic IP range id -> addresses in use
        self.subnet_ids: dict[str, list[str]] = {}  # VPC id -> its subnets' ids, oldest first
        for subnet in self.store["subnet"].values():
            self.subnet_ids.setdefault(subnet["network_id"], []).append(subnet["id"])
        for port in self.store["port"].values():
            self.macs[_mac_key(port["mac_address"])] = port["id"]
            for fixed in port.get("fixed_ips") or []:
                self.ips.setdefault(fixed["subnet_id"], {})[fixed["ip_address"]] = port["id"]
        for item in [*self.store["vpc"].values(), *self.store["segment"].values()]:
            kind, key = segment_key(item)
            if key is not None and kind in self.keys:
                self.keys[kind].add(key)
                if kind in self.partitions:
                    self.partitions[kind].add(key // values.KEY_PARTITION_SIZE)
        for eip in self.store["elastic_ip"].values():
            self.eips.setdefault(eip["range_id"], set()).add(eip["elastic_ip"])

    # --- identifiers and time ----------------------------------------------------------

    def new_id(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    @staticmethod
    def now() -> str:
        return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")

    # --- segment keys (VNIs) -----------------------------------------------------------

    def allocate_key(self, network_type: str) -> int:
        """A new key the way the VPC manager picks one: VXLAN/GRE in a random partition.

        Alcor: VM/service/Impl/SegmentServiceImpl.addVxlanEntity (addGreEntity alike) creates a
        partition's range the first time a round picks it, so allocations fill `partitions`.
        """
        used = self.keys[network_type]
        if network_type == "vlan":
            candidates = [range(values.VLAN_KEYS[0], values.VLAN_KEYS[1] + 1)]
        else:
            partitions = self.rng.sample(range(values.KEY_PARTITIONS), 5)  # ConstantsConfig.MAX_ROUNDS
            candidates = [range(p * values.KEY_PARTITION_SIZE, (p + 1) * values.KEY_PARTITION_SIZE) for p in partitions]
        for keys in candidates:
            if network_type in self.partitions:
                self.partitions[network_type].add(keys.start // values.KEY_PARTITION_SIZE)
            for key in keys:
                if key not in used:
                    used.add(key)
                    return key
        raise Rejected(errors.NETWORK_KEY_NOT_ENOUGH, network_type)

    def release_key(self, item: dict) -> None:
        kind, key = segment_key(item)
        if kind is not None:
            self.keys.get(kind, set()).discard(key)

    # --- MAC and IP addresses ----------------------------------------------------------

    def take_mac(self, mac: str | None, port_id: str, exclusive: bool = False) -> str:
        """Reserve the given MAC (globally unique, as in Alcor's MAC manager) or a new one.

        `exclusive`: a MAC already held fails even when held by the same port id (a create).
        """
        if mac is None:
            while True:
                mac = values.MAC_OUI + "".join(f":{self.rng.randrange(256):02x}" for _ in range(3))
                if _mac_key(mac) not in self.macs:
                    break
        owner = self.macs.get(_mac_key(mac))
        if owner is not None and (exclusive or owner != port_id):
            raise Rejected(errors.ALLOCATE_MAC_FAILED, f"MAC {mac} is used by port {owner}")
        self.macs[_mac_key(mac)] = port_id
        return mac

    def take_ip(self, subnet: dict, ip: str | None, port_id: str, exclusive: bool = False) -> str:
        """Reserve an exact IP of the subnet, or the first free one (`exclusive` as for MACs)."""
        used = self.ips.setdefault(subnet["id"], {})
        low, high = usable_range(subnet["cidr"])
        if ip is None:
            for number in range(int(low), int(high) + 1):
                if str(ipaddress.ip_address(number)) not in used:
                    ip = str(ipaddress.ip_address(number))
                    break
            else:
                raise Rejected(errors.ALLOCATE_IP_FAILED, f"subnet {subnet['id']} is full")
        address = _ip(ip)
        if address is None or address.version != 4 or not low <= address <= high:
            raise Rejected(errors.ALLOCATE_IP_FAILED, f"{ip} is not in subnet {subnet['id']}")
        if ip in used and (exclusive or used[ip] != port_id):
            raise Rejected(errors.ALLOCATE_IP_FAILED, f"{ip} is used by port {used[ip]}")
        used[ip] = port_id
        return ip

    def release_addresses(self, port: dict) -> None:
        self.macs.pop(_mac_key(port["mac_address"]), None)
        for fixed in port.get("fixed_ips") or []:
            self.ips.get(fixed["subnet_id"], {}).pop(fixed["ip_address"], None)

    # --- lookups -------------------------------------------------------------------------

    def subnets_of(self, vpc_id: str) -> list[dict]:
        return [self.store["subnet"][id] for id in self.subnet_ids.get(vpc_id, ())]

    def nodes_named(self, name: str) -> list[dict]:
        return [n for n in self.store["node"].values() if n.get("node_name") == name]


def segment_key(item: dict) -> tuple[str | None, int | None]:
    """(network type, key) of a VPC (provider:* names) or a segment (plain names)."""
    if "provider:network_type" in item:
        return item.get("provider:network_type"), item.get("provider:segmentation_id")
    return item.get("network_type"), item.get("segmentation_id")


def usable_range(cidr: str) -> tuple[ipaddress.IPv4Address, ipaddress.IPv4Address]:
    """The addresses Alcor hands out in a subnet: SubnetUtils' low and high address."""
    network = ipaddress.IPv4Network(cidr, strict=False)  # SubnetUtils: IPv4 only
    return network.network_address + 1, network.broadcast_address - 1


def _ip(text: Any) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _mac_key(mac: str) -> str:
    return mac.lower().replace("-", ":").replace(",", ":")
