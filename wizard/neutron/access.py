"""Whether Neutron was read whole: it lists other projects' resources and the agents to admins
only, so a login without the admin role, or a snapshot without agents, misses part of the cloud."""

from __future__ import annotations

from typing import TYPE_CHECKING

from wizard.core.errors import InputError
from wizard.neutron.snapshot import Snapshot

if TYPE_CHECKING:  # the reader pulls in openstacksdk, which `preview` never needs
    from wizard.neutron.reader import NeutronReader

ADMIN_ROLE = "admin"


def not_admin(reader: NeutronReader) -> str | None:
    """Why the reader's login cannot read every project (None: its token has the admin role, or
    it sends no token)."""
    roles = reader.roles()
    if roles is None or ADMIN_ROLE in roles:
        return None
    return (f"{reader.where} logs in without the {ADMIN_ROLE} role (roles: {', '.join(roles) or 'none'}): "
            "Neutron lists other projects' resources and the agents to admins only, so the migration "
            "would miss them; use an admin account")


def no_agents(snapshot: Snapshot) -> str | None:
    """Why a snapshot may be partial (None: it lists agents)."""
    if snapshot["agents"]:
        return None
    return ("the snapshot lists no agents: it was taken by an account without the admin role (then other "
            "projects' resources are missing too), or the cloud runs no agent; the cutover needs each "
            "compute host's agent. Take it again with an admin account")


def require_admin(reader: NeutronReader) -> None:
    """Refuse (bad input, exit 2) a login without the admin role."""
    refused = not_admin(reader)
    if refused:
        raise InputError(f"neutron.cloud: {refused}")
