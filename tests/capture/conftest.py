"""Fixtures for the capture tests: a small real upstream HTTP server on loopback,
the proxy in front of it, and TLS certificates made for 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import gzip
import ipaddress
import json
import re
import resource
import signal
import ssl
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiohttp import web

from wizard.capture.config import ProxyConfig
from wizard.capture.proxy import CaptureProxy
from wizard.capture.writelog import LOG_FILE, WriteLog
from wizard.core.events import EventBus
from wizard.core.tinylog import open_db


@dataclass
class Received:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    peer: tuple
    logged_state: str | None  # the write log's entry for this request when it arrived upstream


@dataclass
class Upstream:
    """A Neutron stand-in speaking real HTTP on loopback. It remembers every request,
    and what the write log held (read from disk) when each one arrived."""

    state_dir: Path | None = None
    tls: ssl.SSLContext | None = None
    received: list[Received] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    disconnected: threading.Event = field(default_factory=threading.Event)
    port: int = 0

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def start(self) -> None:
        ready = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._serve(ready)), daemon=True)
        self._thread.start()
        assert ready.wait(10)

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    async def _serve(self, ready: threading.Event) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=self.tls)
        await site.start()
        self.port = runner.addresses[0][1]
        ready.set()
        await self._stop.wait()
        await runner.cleanup()

    def _logged_state(self) -> str | None:
        if self.state_dir is None or not (self.state_dir / LOG_FILE).exists():
            return None
        entries = open_db(self.state_dir / LOG_FILE, readonly=True).table("writes").all()
        return entries[-1]["state"] if entries else None

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        self.received.append(
            Received(
                request.method,
                request.path,
                request.rel_url.raw_query_string,
                dict(request.headers),
                body,
                request.transport.get_extra_info("peername"),
                self._logged_state(),
            )
        )
        headers = {"X-Openstack-Request-Id": f"req-{uuid.uuid4()}", "X-Upstream": "yes"}
        path = request.path
        if path == "/slow":
            await asyncio.sleep(float(request.query.get("seconds", "5")))
        if path.startswith("/v2.0/hang"):
            await self._loop.run_in_executor(None, self.release.wait, 10)
        if path == "/big":
            return await self._big(request, int(request.query["size"]), headers)
        if path == "/gzip":
            compressed = gzip.compress(b'{"networks": []}')
            return web.Response(body=compressed, headers={**headers, "Content-Encoding": "gzip"})
        if path == "/echo":
            return web.json_response({"headers": dict(request.headers), "body": body.decode()}, headers=headers)
        if request.method == "POST" and path.startswith("/v2.0/networks"):
            sent = json.loads(body)["network"]
            created = {**sent, "id": str(uuid.uuid4()), "status": "ACTIVE"}
            return web.json_response({"network": created}, status=201, headers=headers)
        if path.startswith("/v2.0/conflict"):
            error = {"NeutronError": {"type": "NetworkInUse", "message": "in use", "detail": ""}}
            return web.json_response(error, status=409, headers=headers)
        if request.method == "DELETE":
            return web.Response(status=204, headers=headers)
        return web.json_response({"networks": [], "path": path, "query": request.query_string}, headers=headers)

    async def _big(self, request: web.Request, size: int, headers: dict) -> web.StreamResponse:
        """A chunked answer: the first MiB at once, the rest after `release` is set."""
        response = web.StreamResponse(headers=headers)
        response.enable_chunked_encoding()
        await response.prepare(request)
        chunk = b"x" * 65536
        sent = 0
        try:
            while sent < size:
                if sent == 1024 * 1024:
                    await self._loop.run_in_executor(None, self.release.wait, 10)
                await response.write(chunk[: size - sent])
                sent += min(len(chunk), size - sent)
            await response.write_eof()
        except ConnectionError:  # the proxy dropped the connection
            self.disconnected.set()
        return response


@pytest.fixture
def state_dir(tmp_path) -> Path:
    return tmp_path / "state"


@pytest.fixture
def upstream(state_dir):
    server = Upstream(state_dir=state_dir)
    server.start()
    yield server
    server.release.set()
    server.stop()


@dataclass
class Capture:
    proxy: CaptureProxy
    log: WriteLog
    events: list

    @property
    def url(self) -> str:
        return self.proxy.url


def start_capture(state_dir: Path, upstream_url: str, **config) -> Capture:
    log = WriteLog(state_dir)
    bus = EventBus()
    events: list = []
    bus.subscribe(events.append)
    proxy = CaptureProxy(ProxyConfig(upstream=upstream_url, listen="127.0.0.1:0", **config), log, bus)
    proxy.start()
    return Capture(proxy, log, events)


@contextlib.contextmanager
def captures_in(directories: list[Path], upstream_url: str) -> Iterator[list[Capture]]:
    """Captures in front of `upstream_url`, one per state directory, stopped when the block ends."""
    running = [start_capture(directory, upstream_url) for directory in directories]
    try:
        yield running
    finally:
        for capture in running:
            capture.proxy.stop()
            capture.log.close()


@pytest.fixture
def captures(tmp_path, upstream):
    """Two captures in front of the upstream (capture-1 and capture-2 in tmp_path), as API nodes have."""
    with captures_in([tmp_path / f"capture-{n}" for n in (1, 2)], upstream.url) as running:
        yield running


@pytest.fixture
def capture(state_dir, upstream):
    running = start_capture(state_dir, upstream.url, timeout=2.0, stats_interval=0.05)
    yield running
    running.proxy.stop()
    running.log.close()


def eventually(check, seconds: float = 10.0) -> bool:
    """Whether `check()` holds within `seconds` (polled)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return check()


# -- `alcor-migrate capture` as its own process --------------------------------
ALCOR_MIGRATE = [sys.executable, "-m", "wizard"]


class CaptureProcess:
    """`alcor-migrate capture` in a child process, stopped with SIGTERM (or another signal)."""

    def __init__(self, *args: str, file_size_limit: int | None = None):
        def limit_files() -> None:  # a real "disk full" for this process: writes past the limit fail (EFBIG)
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_size_limit, resource.RLIM_INFINITY))

        self.process = subprocess.Popen(
            [*ALCOR_MIGRATE, "capture", "--listen", "127.0.0.1:0", *args],
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=limit_files if file_size_limit else None,
        )
        first = self.process.stderr.readline()
        found = re.match(r"capture: (\S+) -> ", first)
        assert found, first + self.process.stderr.read()
        self.url = found.group(1)
        feed = re.search(r"; feed (\S+)$", first)
        self.feed_url = feed.group(1) if feed else None

    def stop(self, signum: int = signal.SIGTERM) -> tuple[int, str]:
        self.process.send_signal(signum)
        rest = self.process.stderr.read()
        return self.process.wait(10), rest


@pytest.fixture
def capture_process():
    started: list[CaptureProcess] = []

    def start(*args: str, **kwargs) -> CaptureProcess:
        started.append(CaptureProcess(*args, **kwargs))
        return started[-1]

    yield start
    for process in started:
        if process.process.poll() is None:
            process.process.kill()
            process.process.wait()


# -- TLS -------------------------------------------------------------------------
@dataclass(frozen=True)
class TlsFiles:
    ca: Path
    cert: Path
    key: Path


def _make_tls(directory: Path, name: str) -> TlsFiles:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{name} test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    files = TlsFiles(directory / f"{name}-ca.pem", directory / f"{name}.pem", directory / f"{name}.key")
    files.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    files.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    files.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return files


@pytest.fixture
def make_tls(tmp_path):
    return lambda name: _make_tls(tmp_path, name)
