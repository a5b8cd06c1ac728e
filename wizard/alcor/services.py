"""Alcor's microservices and their default ports (each service's application.properties)."""

from __future__ import annotations

# Service name (as plans and requests name it) -> Alcor's default port.
DEFAULT_PORTS: dict[str, int] = {
    "vpc": 9001,
    "subnet": 9002,
    "route": 9003,
    "port": 9006,
    "node": 9007,
    "security_group": 9008,
    "elastic_ip": 9011,
}

# Service -> what Alcor calls it, for messages.
MANAGERS: dict[str, str] = {
    "vpc": "VPC manager",
    "subnet": "subnet manager",
    "route": "route manager",
    "port": "port manager",
    "node": "node manager",
    "security_group": "security group manager",
    "elastic_ip": "elastic IP manager",
}

API_GATEWAY_PORT = 9009

SERVICES = tuple(DEFAULT_PORTS)
