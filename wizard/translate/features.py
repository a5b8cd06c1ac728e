"""Neutron features Alcor lacks, found in the extension list of the snapshot.

Features found in use (a port's QoS policy, a trunk, a floating IP's port forwarding, a
rule's address group) are reported by the module of that resource; this one reports
what the Neutron server offers, so the operator can check nothing else depends on it.
"""

from __future__ import annotations

from wizard.translate.context import Context

# Neutron extension alias -> the feature Alcor lacks.
UNSUPPORTED_EXTENSIONS: dict[str, str] = {
    "qos": "QoS policies",
    "trunk": "trunk ports",
    "floating-ip-port-forwarding": "floating-IP port forwarding",
    "address-group": "address groups",
    "segment": "routed networks (segments)",
    "subnet_allocation": "subnet pools",
    "address-scope": "address scopes",
    "dvr": "distributed routers",
    "l3-ha": "HA routers",
    "network-segment-range": "network segment ranges",
    "rbac-policies": "RBAC policies",
    "bgp": "BGP dynamic routing",
    "bgpvpn": "BGP VPN",
    "vpnaas": "VPN as a service",
    "fwaas_v2": "firewall as a service",
    "metering": "L3 metering",
    "logging": "security-group logging",
    "taas": "tap as a service",
    "local_ip": "local IPs",
    "l3-ndp-proxy": "NDP proxy",
    "auto-allocated-topology": "auto-allocated topology",
}


def check_extensions(context: Context) -> None:
    for alias in sorted(set(context.index.extensions) & set(UNSUPPORTED_EXTENSIONS)):
        context.find("extension-unsupported", "extensions", alias,
                 f"Neutron offers {UNSUPPORTED_EXTENSIONS[alias]} ({alias}); Alcor has no equivalent")
