"""Facts about the Alcor Control Agent (ACA) the cutover relies on (reference §6)."""

from __future__ import annotations

# ACA's gRPC server port (`-s`, default 50001); the node manager's upload forces it too.
GRPC_PORT = 50001

# ACA (non-demo mode) tags the VM's tap device "tap" + port id, cut to Nova's 14 characters.
TAP_PREFIX = "tap"
PORT_NAME_LEN = 14


def tap_name(port_id: str) -> str:
    """The OVS port name ACA programs for a Neutron port id (`aca_get_port_name`)."""
    return (TAP_PREFIX + port_id)[:PORT_NAME_LEN]
