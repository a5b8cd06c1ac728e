"""The capture proxy's settings: where it listens, where Neutron is, and the TLS on each side."""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from wizard.capture.connections import ConnectionLimits
from wizard.errors import InputError


@dataclass(frozen=True)
class ProxyConfig:
    upstream: str  # Neutron's URL, http:// or https://; a path prefix is kept
    listen: str = "127.0.0.1:9797"
    tls_cert: str | None = None
    tls_key: str | None = None
    upstream_ca: str | None = None
    verify_upstream: bool = True
    timeout: float = 60.0  # connecting to Neutron, and between two reads of its answer
    max_body_size: int = 114688  # bytes: a larger write is refused with 413 before it is logged
    stats_interval: float = 2.0
    connections: ConnectionLimits = ConnectionLimits()  # read timeouts and the cap on open connections
    name: str = field(default_factory=socket.gethostname)  # the capture's name in its health check and feed
    reuse_port: bool = False  # SO_REUSEPORT: one of several workers listening on the same port

    @classmethod
    def from_plan(cls, plan, upstream: str) -> ProxyConfig:
        """The plan's capture settings, forwarding to `upstream` (Neutron's recorded endpoint)."""
        capture = plan.capture
        return cls(
            upstream=upstream,
            listen=capture.listen,
            tls_cert=capture.tls.cert,
            tls_key=capture.tls.key,
            upstream_ca=capture.upstream_ca,
            verify_upstream=plan.neutron.verify_tls,
            timeout=capture.upstream_timeout,
            connections=ConnectionLimits(capture.header_timeout, capture.body_timeout, capture.max_connections),
            max_body_size=capture.max_body_size,
        )

    def host_port(self) -> tuple[str, int]:
        """The listen address, `HOST:PORT` or `[IPV6]:PORT`."""
        return host_port(self.listen, "capture.listen")

    def server_tls(self) -> ssl.SSLContext | None:
        if not (self.tls_cert or self.tls_key):
            return None
        if not (self.tls_cert and self.tls_key):
            raise InputError("capture.tls: give both cert and key, or neither")
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        try:
            context.load_cert_chain(self.tls_cert, self.tls_key)
        except (OSError, ssl.SSLError) as exc:
            raise InputError(f"capture.tls: cannot load {self.tls_cert} / {self.tls_key}: {exc}") from None
        return context

    def upstream_tls(self) -> ssl.SSLContext | bool:
        if urlsplit(self.upstream).scheme != "https":
            return False
        try:
            context = ssl.create_default_context(cafile=self.upstream_ca)
        except (OSError, ssl.SSLError) as exc:
            raise InputError(f"capture.upstream_ca: cannot load {self.upstream_ca}: {exc}") from None
        if not self.verify_upstream:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context


def host_port(listen: str, key: str) -> tuple[str, int]:
    """A listen address, `HOST:PORT` or `[IPV6]:PORT`; InputError naming `key` if it is not one."""
    host, sep, port = listen.rpartition(":")
    if not sep or not host or not port.isdigit() or int(port) > 65535:
        raise InputError(f"{key}: {listen!r} is not HOST:PORT")
    return host.strip("[]"), int(port)


def url_of(host: str, port: int, tls: bool) -> str:
    """The URL of a listen address."""
    return f"{'https' if tls else 'http'}://{f'[{host}]' if ':' in host else host}:{port}"
