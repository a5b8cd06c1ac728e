"""Alcor's side of a node's cutover, through the Alcor client: register the node, bind and unbind ports.

Bind: `PUT …/ports/{id}` with `binding:host_id` and the fields Alcor's update would
otherwise reset. An update keeps the stored value of every field the request leaves
null (Alcor: PM processor/PortProcessor.updateProcess), but `port_security_enabled` is
initialised to true (Alcor: WE port/PortEntity.portSecurityEnabled), so an update that
leaves it out turns port security back on. The bind sends it and `security_groups` as
Alcor holds them, read just before: the translated body's values, or what a replayed
write or a change made in Alcor since the switch left there (a value from the snapshot
would undo those). No other field of PortEntity (or CustomerResource, Resource) has an
initializer.

Unbind (node rollback): no PUT clears a host. `""` is looked up as a node name and fails
(Alcor: PM processor/NodeProcessor.getNodeInfo, request/FetchNodeRequest: GetNodeInfoException
500); null keeps the old host. So an unbind deletes the port and creates it again, unbound,
as Alcor held it: the same id, MAC, fixed IPs, groups and fields. The delete sends the old
node a DELETE goal state (Alcor: PM PortProcessor.deleteProcess keeps the bound port,
DataPlaneProcessor.deleteNetworkConfig) and releases the MAC and IPs
(MacProcessor/FixedIpsProcessor.deleteProcess), which the create takes again. Each unbind
reads the port first, so one that died between the two steps resumes: a port Alcor has on
this node is deleted and created, an absent one is created from its translated body
(deferred ids resolved to the `default` group Alcor holds for the port's project), one
Alcor holds unbound (or on another node since) is left alone. Nothing refuses or follows a
port delete: the elastic-IP manager keeps an association by port id and reads the port only
when an EIP is created or updated (Alcor: EM ElasticIpServiceImpl), so the EIP is whole again
once the port is; router interfaces use each subnet's gateway port (Alcor: RM
NeutronRouterServiceImpl), which no node binds. The catch: an absent port is created again
even if someone deleted it in Alcor after the switch, as Alcor cannot tell that from a
rollback that died between its two steps.
"""

from __future__ import annotations

from typing import Any

from wizard.alcor import errors
from wizard.alcor.client import AlcorClient, Outcome
from wizard.alcor.paths import NODE, PORT, SECURITY_GROUP
from wizard.alcor.request import AlcorRequest, resolve_ids
from wizard.alcor.values import DEFAULT_SG_NAME
from wizard.core.errors import MigrateError
from wizard.cutover.inventory import PortBinding
from wizard.translate.security_groups import KIND as GROUPS

HOST_FIELD = "binding:host_id"
# What the bind sends besides the host: a port update resets port security unless it sends it
# (PortEntity.portSecurityEnabled = true); the groups go with it.
BIND_FIELDS = ("port_security_enabled", "security_groups")
# Alcor's lists ignore the path's project (reference §4), so any project id lists every port.
ANY_PROJECT = "all"


class AlcorNodeControl:
    """NodeControl on a real (or emulated) Alcor."""

    def __init__(self, client: AlcorClient):
        self.client = client
        self._default_groups: dict[str, str | None] = {}  # project -> its default group's Alcor id

    def register_node(self, info: dict[str, Any]) -> None:
        """Create the node, or update it when Alcor holds it with other facts."""
        node_id = info["node_id"]
        current = self.client.get(NODE.name, node_id)
        if current is not None and all(current.get(k) == v for k, v in info.items()):
            return
        if current is None:
            method, path = "POST", NODE.collection_path()
        else:
            method, path = "PUT", NODE.item_path(node_id)
        self._send(AlcorRequest(key=f"cutover:node:{node_id}", kind=NODE.name, service=NODE.service, method=method,
                                path=path, body={NODE.wrapper: info}))

    def bind_port(self, binding: PortBinding) -> bool:
        """The host, with the fields an update would reset; False when the port is gone from Alcor."""
        current = self.client.get(PORT.name, binding.port_id, binding.project_id)
        if current is None:
            return False
        change = {HOST_FIELD: binding.host, **{k: current[k] for k in BIND_FIELDS if k in current}}
        return self._send(self._port_request(binding, "bind", "PUT", change), absent_ok=True).ok

    def unbind_port(self, binding: PortBinding) -> bool:
        """Delete the port and create it again without a host (see the module's docstring)."""
        current = self.client.get(PORT.name, binding.port_id, binding.project_id)
        if current is not None and current.get(HOST_FIELD) != binding.host:
            return True
        if current is not None:
            port = {k: v for k, v in current.items() if k != HOST_FIELD}
            self._send(self._port_request(binding, "unbind-delete", "DELETE", None), absent_ok=True)
        elif binding.body:
            port = self._body(binding)
        else:
            raise MigrateError(f"port {binding.port_id}: not in Alcor, and the translation has no body to "
                               "create it again from")
        self._send(self._port_request(binding, "unbind-create", "POST", port))
        return True

    def ports_on(self, host: str) -> set[str]:
        return {port["id"] for port in self.client.list(PORT.name, ANY_PROJECT, **{HOST_FIELD: host})}

    def _port_request(self, binding: PortBinding, step: str, method: str, port: dict | None) -> AlcorRequest:
        path = (PORT.collection_path(binding.project_id) if method == "POST"
                else PORT.item_path(binding.port_id, binding.project_id))
        return AlcorRequest(key=f"cutover:{step}:{binding.port_id}", kind=PORT.name, service=PORT.service,
                            method=method, path=path, body=None if port is None else {PORT.wrapper: port})

    def _body(self, binding: PortBinding) -> dict[str, Any]:
        """The translated body with its deferred ids resolved (a project's default group)."""
        def alcor_id(kind: str, neutron_id: str) -> str | None:
            return self._default_group(binding.project_id) if kind == GROUPS else None

        try:
            return resolve_ids(dict(binding.body), alcor_id)
        except KeyError as exc:
            raise MigrateError(f"port {binding.port_id}: {exc.args[0]} (Alcor holds no default group for "
                               f"project {binding.project_id})") from None

    def _default_group(self, project_id: str) -> str | None:
        if project_id not in self._default_groups:
            found = self.client.list(SECURITY_GROUP.name, project_id, name=DEFAULT_SG_NAME, tenant_id=project_id)
            self._default_groups[project_id] = SECURITY_GROUP.id_of(found[0]) if found else None
        return self._default_groups[project_id]

    def _send(self, request: AlcorRequest, absent_ok: bool = False) -> Outcome:
        outcome = self.client.send(request)
        if outcome.ok or (absent_ok and outcome.error == errors.PORT_NOT_FOUND.name):
            return outcome
        raise MigrateError(f"{request.method} {request.path}: {outcome.error or outcome.status}: "
                           f"{_message(outcome.body)}")


def _message(body: Any) -> str:
    if isinstance(body, dict):
        return str(body.get("message") or body.get("error") or "")[:200]
    return str(body or "")[:200]
