"""Port security off -> the project's allow-all security group (`translate.port_security_off: allow_all_group`).

Alcor holds no port without a group: one with `security_groups: []` gets the project's
default group, or fails a bulk create whole (Alcor: PM/processor/SecurityGroupProcessor.java:
fetchSecurityGroupCallback), and a bind PUT turns port security back on unless it says
otherwise (Alcor: WE/port/PortEntity.java:PortEntity.portSecurityEnabled). So such a port
keeps `port_security_enabled: false` and names this group, which lets every IPv4 packet
in; Alcor gives a new group egress allow-all rules itself (Alcor: SG/service/implement/
SecurityGroupServiceImpl.java:createSecurityGroup), learned like any group's so that
verify expects them.

The group and its rule have fixed ids per project, so every request that needs them
(a snapshot's ports, a replayed port create or update) sends the same two creates.
"""

from __future__ import annotations

import functools
import uuid

from wizard.alcor import paths
from wizard.alcor.request import AlcorRequest, NeutronRef
from wizard.translate import requests, security_groups
from wizard.translate.context import Context

NAME = "alcor-migrate-allow-all"
DESCRIPTION = "stands for Neutron's port security off: allows all traffic (made by alcor-migrate)"


@functools.cache
def group_id(project: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "alcor-migrate:allow-all:" + project))


@functools.cache
def rule_id(project: str) -> str:
    """The group's ingress rule (IPv4: Alcor holds IPv4 addresses only)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "alcor-migrate:allow-all:ingress:IPv4:" + project))


def group_create(project: str, context: Context) -> AlcorRequest:
    """The group, after the project's default group (else Alcor makes a default of its own and refuses ours)."""
    gid = group_id(project)
    body = {"id": gid, "name": NAME, "description": DESCRIPTION, "project_id": project, "tenant_id": project}
    learns = security_groups.learns({"id": gid}, context)
    default = context.index.default_group(project)
    return requests.create(paths.SECURITY_GROUP, project, body, NeutronRef(security_groups.KIND, gid),
                           depends_on=context.needs((security_groups.KIND, default)) if default else (),
                           learns=[learn.within(paths.SECURITY_GROUP.wrapper) for learn in learns])


def rule_create(project: str, after: AlcorRequest) -> AlcorRequest:
    body = {"id": rule_id(project), "description": DESCRIPTION, "project_id": project, "tenant_id": project,
            "security_group_id": group_id(project), "remote_group_id": None, "direction": "ingress",
            "ethertype": "IPv4", "protocol": None, "port_range_min": None, "port_range_max": None,
            "remote_ip_prefix": "0.0.0.0/0"}
    return requests.create(paths.SECURITY_GROUP_RULE, project, body,
                           NeutronRef(security_groups.RULE_KIND, rule_id(project)), depends_on=[after.key])


def creates(projects: list[str], context: Context) -> list[AlcorRequest]:
    """The groups of these projects, then their rules."""
    groups = [group_create(project, context) for project in projects]
    return groups + [rule_create(project, group) for project, group in zip(projects, groups, strict=True)]
