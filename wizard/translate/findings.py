"""The catalogue of findings: each stable code with its severity and remedy.

A finding says what Alcor will do differently from Neutron for one resource, and what
the operator can do about it. Codes are stable: plans, reports and tests refer to them.
Some codes take their severity from the plan (`translate.ipv6`, `translate.flat_networks`,
`translate.unsupported_subnets`); `translate.multi_network_routers` and `translate.port_security_off`
choose between two codes (a blocker, or a warning saying what the migration does instead).
"""

from __future__ import annotations

from dataclasses import dataclass

from wizard.translate.model import Severity

B, W, INFO = Severity.BLOCKER, Severity.WARNING, Severity.INFO


@dataclass(frozen=True)
class Kind:
    severity: Severity
    remedy: str


CATALOGUE: dict[str, Kind] = {
    # networks and segments
    "flat-network": Kind(B, "Move the workloads to a VXLAN or VLAN network, or set translate.flat_networks: "
                            "skip to leave this network (and its subnets and ports) out."),
    "external-network-as-eip-ranges": Kind(INFO, "Nothing to do: floating IPs become elastic IPs in these ranges, "
                                                 "and routers keep naming this network in their (stored-only) "
                                                 "external gateway."),
    "port-on-external-network": Kind(B, "Alcor has no network for an external network's ports: move the VM "
                                        "to a tenant network (with a floating IP), or delete the port, before "
                                        "migrating."),
    "unsupported-network-type": Kind(B, "Alcor creates only vxlan, vlan and gre networks; move the workloads "
                                        "to one of those before migrating."),
    "network-type-converted": Kind(W, "Check that the compute hosts can carry VXLAN tunnels."),
    "segmentation-id-reallocated": Kind(INFO, "Nothing to do: node cutover moves each network's VMs to the new "
                                              "id; the wave planner shows which networks a wave splits."),
    "vlan-id-reallocated": Kind(W, "Alcor picks a new VLAN id (1-4094): trunk it to every compute host, and "
                                   "move anything outside the cloud on the old VLAN (physical routers, bare "
                                   "metal) to the new one after convert, or keep this network in Neutron."),
    "multi-segment-network": Kind(W, "Alcor uses one segment per network; keep one segment in Neutron."),
    "segment-range-not-migrated": Kind(INFO, "Nothing to do: Alcor allocates keys from its own default table."),
    "skipped-with-parent": Kind(W, "Resolve the finding of the parent resource to migrate this one."),
    # subnets
    "ipv6-subnet": Kind(W, "Alcor handles IPv4 only; keep IPv6 in Neutron, or set translate.ipv6: block "
                           "to stop until it is removed."),
    "ipv6-fixed-ip": Kind(W, "The port keeps only its IPv4 addresses in Alcor."),
    "subnet-without-gateway": Kind(W, "Alcor reserves a gateway port on the first usable address anyway; "
                                      "keep that address free."),
    "gateway-ip-taken": Kind(B, "Give this port another address in Neutron: Alcor's gateway port takes it."),
    "allocation-pools-ignored": Kind(W, "Alcor allocates from the whole CIDR; new ports may get addresses "
                                        "Neutron kept out of its pools."),
    "subnet-prefix-unsupported": Kind(B, "Alcor takes IPv4 subnets of /16 to /28 only: renumber the subnet in "
                                         "Neutron into that range (a /12 as /16s, a /29 as a /28), or set "
                                         "translate.unsupported_subnets: skip to leave it out, with its router "
                                         "interfaces and the ports (or port addresses) on it."),
    "subnetpool": Kind(INFO, "Alcor has no subnet pools; the subnet keeps its CIDR."),
    "address-scope": Kind(INFO, "Alcor has no address scopes."),
    # routers
    "router-multiple-networks": Kind(B, "Alcor refuses (409) a router joining subnets of several networks: "
                                        "split it into one router per network before migrating, or set "
                                        "translate.multi_network_routers: split to let the migration do it."),
    "router-split": Kind(W, "If workloads on these networks talk to each other, move them onto one network "
                            "(several subnets are fine) or route through a VM with a port on each, before "
                            "migrating; or set translate.multi_network_routers: block to stop instead."),
    "router-interface-not-gateway": Kind(W, "Alcor attaches routers through the subnet's gateway port, so the "
                                            "router's address on this subnet becomes the gateway IP."),
    "subnet-on-several-routers": Kind(B, "A subnet's gateway port can serve one router in Alcor: detach the "
                                         "subnet from all routers but one."),
    "router-gateway-stored-only": Kind(W, "Alcor stores the external gateway but programs no SNAT: plan "
                                          "external connectivity (floating IPs, provider routing)."),
    "extraroutes-dropped": Kind(W, "Add the routes in Alcor once the router's networks are resolved."),
    # ports
    "unsupported-vnic-type": Kind(B, "Alcor rejects this vnic type (412): recreate the port as normal, "
                                     "direct, macvtap, baremetal or direct-physical."),
    "vif-type-not-sent": Kind(INFO, "Nothing to do: Alcor sets the VIF type when the port is bound."),
    "binding-profile-keys-dropped": Kind(W, "Alcor keeps only local_link_information in binding:profile."),
    "vif-details-keys-dropped": Kind(INFO, "Nothing to do: ACA describes the VIF itself after cutover."),
    "mac-reused-across-networks": Kind(B, "Alcor's MAC addresses are unique across all networks: give one "
                                          "of these ports a new MAC in Neutron before migrating."),
    "port-security-off": Kind(B, "Alcor holds no port without a security group, and its bind turns port "
                                 "security back on: set translate.port_security_off: allow_all_group to give each "
                                 "such port its project's allow-all group, or turn port security on in Neutron "
                                 "with the groups the port needs."),
    "port-security-off-allow-all": Kind(W, "Nothing to do: the group alcor-migrate-allow-all lets every IPv4 "
                                           "packet in and Alcor's own egress rules let everything out. Give the "
                                           "port real groups (and port security) once it should be filtered."),
    "port-without-security-groups": Kind(B, "Neutron drops all this port's traffic (port security on, no group); "
                                            "Alcor would give it the project's default group or refuse it. "
                                            "Attach a group without rules in Neutron to keep it closed, or turn "
                                            "its port security off."),
    "dhcp-port-not-migrated": Kind(INFO, "Nothing to do: ACA answers DHCP itself."),
    "l3-port-not-migrated": Kind(INFO, "Nothing to do: Alcor has no DVR/HA router internals."),
    "trunk": Kind(W, "Alcor has no trunks: the subports are migrated as ordinary ports."),
    "qos-policy": Kind(W, "Alcor has no QoS service: the policy is not enforced."),
    "resource-request-dropped": Kind(W, "Alcor has no placement-backed QoS: the request is not kept."),
    "feature-dropped": Kind(W, "Alcor has no such attribute; the value is not kept."),
    # security groups
    "default-group-new-id": Kind(INFO, "Nothing to do: the id map links Neutron's id to Alcor's."),
    "project-default-group-missing": Kind(W, "Alcor will create a default group that allows all ingress: "
                                             "create the default group in Neutron before migrating."),
    "address-group-rule": Kind(W, "Alcor has no address groups: the rule is left out; add one rule per "
                                  "address range."),
    "rule-rejected-by-alcor": Kind(W, "Rewrite the rule in a form Alcor accepts."),
    "remote-group-unknown": Kind(W, "The rule names a group Neutron does not hold (deleted, or another "
                                    "project's the snapshot did not read): delete the rule in Neutron, or "
                                    "snapshot again as an admin of every project."),
    "stateless-security-group": Kind(W, "Alcor groups are stateful: return traffic is allowed."),
    "shared-security-group": Kind(W, "Alcor has no RBAC for groups: share it again after migration."),
    # floating IPs
    "floatingip-outside-ranges": Kind(B, "Alcor gives out only addresses of its elastic-IP range, which holds "
                                         "the external subnets' allocation pools: widen the pool in Neutron to "
                                         "take this address, or release the floating IP."),
    "port-forwarding": Kind(W, "Alcor has no port forwarding: recreate it outside Alcor."),
    # nodes
    "node-unknown-host": Kind(B, "Add the host under `nodes:` in the plan with its local_ip (tunnel IP), or "
                                 "start its Neutron L2 agent so its tunneling_ip is known."),
    "node-mac-missing": Kind(W, "Add the host's mac_address under `nodes:` in the plan."),
    "agent-not-migrated": Kind(INFO, "Nothing to do: ACA replaces the Neutron agents at cutover."),
    # features and drift
    "extension-unsupported": Kind(INFO, "Alcor lacks this Neutron feature; check that nothing depends on it."),
    "tags-dropped": Kind(INFO, "Alcor keeps no tags on this kind of resource."),
    "unknown-field": Kind(INFO, "This Neutron field is not in the translation tables; check what it means."),
    # replay of captured writes
    "write-not-replayed": Kind(W, "Alcor gets nothing for this kind of write: make the same change in Alcor "
                                  "after the migration, or undo it in Neutron."),
}

# Codes whose severity a plan policy sets: "block" makes them blockers, "skip" warnings.
POLICY_CODES = {"ipv6-subnet": "ipv6", "ipv6-fixed-ip": "ipv6", "flat-network": "flat_networks",
                "subnet-prefix-unsupported": "unsupported_subnets"}
