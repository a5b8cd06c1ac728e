"""The lab's simulated Alcor Control Agent: an HTTP server that receives port goal states.

Real ACA receives goal states over gRPC from Alcor's data-plane manager and programs OVS.
LabAca stands in for it on one simulated compute node: the Alcor emulator POSTs each
port's goal state to `/v1/goalstate` when the port gains (or loses) a `binding:host_id`
on this node, and LabAca keeps the ports it holds. Like ACA (`aca_validate_tunnel_id`)
it rejects a goal state whose network type it cannot program or whose VNI is invalid.

    POST /v1/goalstate  {"op": "create|update|delete", "node": name, "ports": [goal state, ...]}
    GET  /v1/ports      {"ports": [goal state, ...]}
    GET  /health        {"status": "ok", "node": name, "ports": n}

A stopped LabAca refuses connections; `start()` again listens on the same port and
keeps the ports it held (real ACA asks the NCM for its full state after a restart).
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from wizard.alcor.values import ACA_NETWORK_TYPES, MAX_VNI, VLAN_KEYS

OPS = ("create", "update", "delete")


class LabAca:
    """One simulated ACA on 127.0.0.1; `ports` maps port id -> the goal state it holds."""

    def __init__(self, node: str | None = None, host: str = "127.0.0.1", port: int = 0):
        self.node = node
        self.host = host
        self.server_port = port
        self.ports: dict[str, dict[str, Any]] = {}
        self.received: list[dict[str, Any]] = []  # every accepted goal-state message, in order
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.server_port}"

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self) -> LabAca:
        if self._server:
            return self
        self._server = ThreadingHTTPServer((self.host, self.server_port), _handler_for(self))
        self._server.daemon_threads = True
        self.server_port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), name=f"lab-aca-{self.node}",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        thread, self._thread = self._thread, None
        if server:
            server.shutdown()
            server.server_close()
        if thread:
            thread.join(timeout=5)

    def __enter__(self) -> LabAca:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def apply(self, message: Any) -> str | None:
        """Take one goal-state message; the reason it is refused, or None when applied."""
        problem = _check_message(message, self.node)
        if problem:
            return problem
        with self._lock:
            for port in message["ports"]:
                if message["op"] == "delete":
                    self.ports.pop(port["id"], None)
                else:
                    self.ports[port["id"]] = port
            self.received.append(message)
        return None

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.ports.values())


def _check_message(message: Any, node: str | None) -> str | None:
    if not isinstance(message, dict) or message.get("op") not in OPS:
        return f"op must be one of {', '.join(OPS)}"
    if node and message.get("node") != node:
        return f"goal state for node {message.get('node')!r} delivered to {node!r}"
    ports = message.get("ports")
    if not isinstance(ports, list) or not all(isinstance(p, dict) and p.get("id") for p in ports):
        return "ports must be a list of objects with an id"
    if message["op"] != "delete":
        for port in ports:
            problem = _check_tunnel(port)
            if problem:
                return f"port {port['id']}: {problem}"
    return None


def _check_tunnel(port: dict) -> str | None:
    """ACA's aca_validate_tunnel_id: known network type, VNI in range and not 0."""
    network_type = str(port.get("network_type") or "").lower()
    vni = port.get("vni")
    if network_type not in ACA_NETWORK_TYPES:
        return f"unknown network type {network_type or None!r}"
    if not isinstance(vni, int) or isinstance(vni, bool):
        return f"invalid tunnel id {vni!r}"
    low, high = VLAN_KEYS if network_type == "vlan" else (1, MAX_VNI)
    if not low <= vni <= high:
        return f"invalid tunnel id {vni} for {network_type}"
    return None


def _handler_for(aca: LabAca) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"  # one request per connection: a stopped ACA serves nothing more

        def do_GET(self) -> None:
            if self.path == "/v1/ports":
                self._reply(200, {"ports": aca.snapshot()})
            elif self.path == "/health":
                self._reply(200, {"status": "ok", "node": aca.node, "ports": len(aca.ports)})
            else:
                self._reply(404, {"error": f"no such path {self.path}"})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            if self.path != "/v1/goalstate":
                self._reply(404, {"error": f"no such path {self.path}"})
                return
            try:
                message = json.loads(raw or b"null")
            except ValueError:
                self._reply(400, {"error": "body is not JSON"})
                return
            problem = aca.apply(message)
            if problem:
                self._reply(400, {"error": problem})
            else:
                self._reply(200, {"status": "ok", "ports": len(message["ports"])})

        def _reply(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # quiet: the lab has its own logs
            pass

    return Handler
