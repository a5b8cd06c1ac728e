"""Alcor's side of a node's cutover, through the Alcor client: register the node, bind and unbind ports."""

from __future__ import annotations

from typing import Any

from wizard.alcor import errors
from wizard.alcor.client import AlcorClient, Outcome
from wizard.alcor.paths import KINDS
from wizard.cutover.inventory import PortBinding
from wizard.errors import MigrateError
from wizard.translate.model import AlcorRequest

HOST_FIELD = "binding:host_id"
# Alcor keeps a field's old value when an update sends it as null: unbinding sends "".
UNBOUND = ""
# Alcor's lists ignore the path's project (reference §4), so any project id lists every port.
ANY_PROJECT = "all"


class AlcorNodeControl:
    """NodeControl on a real (or emulated) Alcor."""

    def __init__(self, client: AlcorClient):
        self.client = client

    def register_node(self, info: dict[str, Any]) -> None:
        """Create the node, or update it when Alcor holds it with other facts."""
        nodes = KINDS["node"]
        node_id = info["node_id"]
        current = self.client.get("node", node_id)
        if current is not None and all(current.get(k) == v for k, v in info.items()):
            return
        if current is None:
            method, path = "POST", nodes.collection_path()
        else:
            method, path = "PUT", nodes.item_path(node_id)
        self._send(AlcorRequest(key=f"cutover:node:{node_id}", kind="node", service=nodes.service, method=method,
                                path=path, body={nodes.wrapper: info}))

    def bind_port(self, binding: PortBinding) -> bool:
        return self._set_host(binding, binding.host)

    def unbind_port(self, binding: PortBinding) -> bool:
        return self._set_host(binding, UNBOUND)

    def ports_on(self, host: str) -> set[str]:
        return {port["id"] for port in self.client.list("port", ANY_PROJECT, **{HOST_FIELD: host})}

    def _set_host(self, binding: PortBinding, host: str) -> bool:
        """False when the port is gone from Alcor (deleted since the snapshot)."""
        ports = KINDS["port"]
        outcome = self._send(AlcorRequest(
            key=f"cutover:bind:{binding.port_id}", kind="port", service=ports.service, method="PUT",
            path=ports.item_path(binding.port_id, binding.project_id), body={ports.wrapper: {HOST_FIELD: host}}),
            absent_ok=True)
        return outcome.ok

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
