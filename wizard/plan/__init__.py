"""The Plan: what to migrate and how, read from a versioned YAML file.

The dataclasses below are the plan's schema: every key a plan file may hold, its
type, default, kind (URL, duration, path...) and a one-line doc, from which the
commented template and the reference in docs/plan.md are made. `load` reads a file and
reports every problem as `FILE:LINE:COL: dotted.key: what is wrong`; `dump` and
`save` write a plan back. Relative paths in a plan file (written or default)
resolve against the plan file's directory; paths given on the command line
against the current directory.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any, NamedTuple

from wizard.alcor.services import SERVICES as ALCOR_SERVICES
from wizard.core.errors import InputError
from wizard.plan import reader as plan_reader
from wizard.plan import writer as plan_writer
from wizard.plan.values import DURATION, IP, LISTEN, MAC, PATH, PORT, URL, at_least, one_of, setting

VERSION = 1
NODE_NAME = re.compile(r"[A-Za-z0-9._-]+")  # a capture's name in capture.nodes (a state key part)


@dataclass
class NeutronSource:
    """Where Neutron is: a clouds.yaml cloud, a URL with auth none, or a snapshot file."""

    cloud: str | None = setting("a clouds.yaml cloud to log in with (`envvars`: the OS_* variables)",
                                None, example="production")
    url: str | None = setting("Neutron's endpoint; with auth keystone it replaces the catalog's",
                              None, URL, example="http://neutron.example.net:9696")
    auth: str = setting("how to reach Neutron: keystone (via cloud) or none (url, no token)",
                        "keystone", one_of("keystone", "none"))
    interface: str = setting("the catalog interface Neutron's endpoint is taken from (without url)",
                             "public", one_of("public", "internal", "admin"))
    snapshot: str | None = setting("read Neutron from this snapshot file instead of the live API",
                                   None, PATH, example="cloud.json")
    page_size: int = setting("resources per page when reading Neutron", 1000, at_least(1))
    verify_tls: bool = setting("check Neutron's TLS certificate", True)


@dataclass
class AlcorTarget:
    """Alcor's services: one base URL (its API gateway), and a URL per service the gateway does not route."""

    url: str | None = setting("base URL of the services endpoints does not name (Alcor's API gateway routes "
                              "neither nodes nor segments)", None, URL,
                              example="http://alcor.example.net:9009")
    endpoints: dict[str, str] = setting(
        "a base URL per service, overriding url; services: " + ", ".join(ALCOR_SERVICES),
        kind=URL, factory=dict, keys=ALCOR_SERVICES,
        example={"vpc": "http://alcor.example.net:9001", "node": "http://alcor.example.net:9007"})
    gateway_url: str | None = setting("Alcor's API gateway, where clients are switched to", None, URL,
                                      example="http://alcor.example.net:9009")
    timeout: float = setting("timeout of one request to Alcor", 30.0, DURATION)
    concurrency: int = setting("requests in flight at once", 8, at_least(1))
    retries: int = setting("retries of a failed request (with backoff)", 5, at_least(0))


@dataclass
class TlsConfig:
    """The capture proxy's own certificate (both or neither)."""

    cert: str | None = setting("certificate file (PEM) the proxy serves", None, PATH,
                               example="tls/proxy.crt")
    key: str | None = setting("its private key file (PEM)", None, PATH, example="tls/proxy.key")


@dataclass
class HaproxyConfig:
    """The HAProxy in front of Neutron's API nodes, when it sends Neutron's traffic to the captures."""

    config: str | None = setting("HAProxy's configuration file (on this machine) that holds Neutron's backend", None,
                                 PATH, example="/etc/haproxy/haproxy.cfg")
    backend: str = setting("the backend Neutron's frontend sends to (kolla-ansible: neutron_server_back)",
                           "neutron_server_back")
    captures: dict[str, str] = setting("the captures, by the name HAProxy shows for each, and where each listens "
                                       "(one `alcor-migrate capture` per API node)", kind=LISTEN, factory=dict,
                                       example={"capture-1": "10.0.0.11:9797", "capture-2": "10.0.0.12:9797"})
    neutron: dict[str, str] = setting("Neutron's own servers (the backend's today), by name: the backups when "
                                      "failing open", kind=LISTEN, factory=dict,
                                      example={"neutron-1": "10.0.0.11:9696", "neutron-2": "10.0.0.12:9696"})
    fail_open: bool = setting("no capture up: Neutron's servers take the traffic (the cloud stays up; repair carries "
                              "the writes made then), else 503 until a capture is back", True)
    check_path: str = setting("the captures' health check, which HAProxy requests", "/.alcor-migrate/health")
    reload: str = setting("the shell command that reloads HAProxy once its configuration changed",
                          "systemctl reload haproxy")
    binary: str = setting("the haproxy program, which checks a configuration before it is used", "haproxy")


@dataclass
class FeedConfig:
    """The capture's log feed, which the migration host reads each API node's logs from (read-only) and
    holds its writes through at the cut-over."""

    listen: str | None = setting("where the feed listens (a separate address from the proxy's); unset: no feed",
                                 None, LISTEN, example="0.0.0.0:9798")
    token_file: str | None = setting("the feed's bearer token, one line in a file of mode 0600 (created with a "
                                     "random token if absent; default: feed.token in the state directory)",
                                     None, PATH, example="/etc/alcor-migrate/feed.token")


@dataclass
class CaptureNode:
    """One capture whose write log replay reads, beside the others (one per API node, or per worker)."""

    feed: str | None = setting("the capture's log feed, read over HTTP with a token", None, URL,
                               example="https://api-1.example.net:9798")
    token_file: str | None = setting("file holding the feed's token (mode 0600)", None, PATH,
                                     example="feed-token")
    log: str | None = setting("instead of a feed: a standalone capture's write log on this machine (its "
                              "writes.db, or its state directory)", None, PATH,
                              example="/var/lib/alcor-migrate/api-2/writes.db")


@dataclass
class CaptureConfig:
    """The proxy in front of Neutron that logs every write during the migration."""

    enabled: bool = setting("run the capture proxy (off: writes during the migration are lost)", True)
    mode: str = setting("embedded: `run` starts the proxy; separate: an `alcor-migrate capture --plan` process "
                        "captures into the state directory and `run` replays its log read-only",
                        "embedded", one_of("embedded", "separate"))
    listen: str = setting("where the proxy listens", "127.0.0.1:9797", LISTEN)
    tls: TlsConfig = setting("serve TLS", factory=TlsConfig)
    upstream_ca: str | None = setting("CA bundle to check Neutron's certificate", None, PATH,
                                      example="/etc/ssl/certs/ca-certificates.crt")
    upstream_timeout: float = setting("timeout of a request forwarded to Neutron", 60.0, DURATION)
    header_timeout: float = setting("a client's request head must arrive within this (from the connection's start, "
                                    "or a later request's first byte), else 408 and the connection closes; 0: none",
                                    30.0, DURATION)
    body_timeout: float = setting("a request's body must arrive within this after its head, else 408, the "
                                  "connection closes, and nothing is logged or sent; 0: none", 60.0, DURATION)
    max_connections: int = setting("client connections open at once (at most half the open-file limit, which the "
                                   "capture raises to its hard limit); past it, 503 with Retry-After",
                                   10000, at_least(1))
    max_body_size: int = setting("the largest write body passed to Neutron, in bytes; a larger one is refused with "
                                 "413 before it is logged (oslo.middleware's max_request_body_size)", 114688,
                                 at_least(1))
    insertion: str = setting("how clients reach the proxy: keystone (the catalog's network endpoints named by "
                             "cutover.endpoint point at it until the switch), haproxy (capture.haproxy's backend "
                             "is sent to the captures until the run ends) or none (the operator points them)",
                             "none", one_of("keystone", "haproxy", "none"))
    haproxy: HaproxyConfig = setting("with insertion haproxy: the HAProxy to send Neutron's traffic through the "
                                        "captures", factory=HaproxyConfig)
    token_lifetime: float = setting("Keystone's token lifetime ([token] expiration): tokens issued before the "
                                    "insertion keep Neutron's URL this long, so the switch waits it out",
                                    3600.0, DURATION)
    advertise: str | None = setting("the URL clients reach the proxy at (default: the listen address, which "
                                    "must then not be 0.0.0.0 or ::)", None, URL,
                                    example="http://capture.example.net:9797")
    workers: int = setting("capture processes on the one listen address (SO_REUSEPORT), each with its own write "
                           "log under the state directory's worker-K/", 1, at_least(1))
    feed: FeedConfig = setting("the log feed (the logs, read-only; the cut-over's write hold)",
                               factory=FeedConfig)
    nodes: dict[str, CaptureNode] = setting(
        "the captures whose logs replay merges and whose writes the cut-over holds (all or none), by name "
        "(empty: the one capture of this run or state directory)",
        factory=dict, example={"api-1": CaptureNode(feed="https://api-1.example.net:9798", token_file="feed-token"),
                               "api-2": CaptureNode(log="/var/lib/alcor-migrate/api-2/writes.db")})


@dataclass
class TranslateConfig:
    """Choices of the translation from Neutron to Alcor."""

    bulk_size: int = setting("resources per bulk request", 500, at_least(1))
    ipv6: str = setting("IPv6 subnets: skip (warn, leave out) or block (stop the run)", "skip",
                        one_of("skip", "block"))
    flat_networks: str = setting("flat networks (not external ones, which become elastic-IP ranges): "
                                 "skip or block", "block", one_of("skip", "block"))
    multi_network_routers: str = setting("a router joining several networks (Alcor takes one): block, or split "
                                         "it into one router per network (no routing between them)", "block",
                                         one_of("block", "split"))
    unsupported_subnets: str = setting("IPv4 subnets whose prefix Alcor refuses (outside /16 to /28): block, or "
                                       "skip (leave them, and what only they hold, out)", "block",
                                       one_of("block", "skip"))
    port_security_off: str = setting("ports with port security off: block, or allow_all_group (each gets its "
                                     "project's allow-all security group, as Alcor holds no port without one)",
                                     "block", one_of("block", "allow_all_group"))


@dataclass
class RepairConfig:
    """Repair after replay: what bypassed the captures, carried to Alcor."""

    enabled: bool = setting("after replay, send Alcor the difference from a fresh translation of Neutron (off: "
                            "verify stops the run on any drift)", True)


@dataclass
class EndpointSwitch:
    """How the cloud's network endpoint moves from Neutron to Alcor."""

    method: str = setting("keystone (rewrite the catalog) or none (the operator does it)", "none",
                          one_of("keystone", "none"))
    alcor_url: str | None = setting("URL put into the catalog (default alcor.gateway_url)", None, URL,
                                    example="http://alcor.example.net:9009")
    regions: list[str] = setting("catalog regions to switch (empty: all)", factory=list,
                                 example=["RegionOne"])
    interfaces: list[str] = setting("catalog interfaces to switch (empty: public, internal and admin)",
                                    factory=list, example=["public", "internal"])
    cloud: str | None = setting("clouds.yaml cloud with admin rights on Keystone (default neutron.cloud)",
                                None, example="production-admin")
    service_type: str = setting("the catalog service whose endpoints move", "network")


@dataclass
class GateConfig:
    """When the endpoint may switch: the write log nearly replayed."""

    max_lag: int = setting("writes not yet replayed that still allow holding writes for the switch", 20,
                           at_least(0))
    hold_timeout: float = setting("how long writes are held while the log drains and the switch happens",
                                  30.0, DURATION)
    writes: str = setting("during the hold: hold new writes, or reject them (503 + Retry-After)", "hold",
                          one_of("hold", "reject"))
    retries: int = setting("attempts before the cut-over gives up", 3, at_least(1))
    retry_delay: float = setting("wait between attempts", 10.0, DURATION)
    postpone_file: str | None = setting("the cut-over waits while this file exists "
                                        "(default <state_dir>/postpone-cutover)", None, PATH,
                                        example="state/postpone-cutover")


@dataclass
class DrainConfig:
    """The timed wait for Neutron's pipeline to go quiet after the switch."""

    min: float = setting("wait at least this long", 30.0, DURATION)
    max: float = setting("give up waiting after this long", 600.0, DURATION)
    poll: float = setting("how often to look", 2.0, DURATION)


@dataclass
class WaveConfig:
    """Which compute nodes move to ACA together."""

    canary: list[str] = setting("hosts moved first, alone, as the canary wave", factory=list,
                                example=["compute-01"])
    batch_size: int = setting("hosts per wave after the canary", 10, at_least(1))
    lists: list[list[str]] = setting("explicit waves (lists of hosts) instead of batch_size",
                                     factory=list, example=[["compute-02", "compute-03"]])
    all_at_once: bool = setting("one wave with every host (lab and small clouds)", False)
    parallel: int = setting("hosts of a wave worked on at once", 5, at_least(1))
    on_failure: str = setting("a host fails: stop (after rolling it back) or continue",
                              "stop", one_of("stop", "continue"))
    order: str = setting("batches by host name, or by networks (hosts sharing networks move together)",
                         "name", one_of("name", "networks"))
    node_seconds: float = setting("expected time of one host's cutover, for the split-network windows",
                                  30.0, DURATION)


@dataclass
class ExecutorConfig:
    """How commands reach the compute nodes."""

    kind: str = setting("ssh, local (this machine) or lab (simulated nodes)", "ssh",
                        one_of("ssh", "local", "lab"))
    user: str = setting("ssh user", "root")
    key: str | None = setting("ssh private key file (default: the ssh agent)", None, PATH,
                              example="~/.ssh/id_ed25519")
    port: int = setting("ssh port", 22, PORT)
    known_hosts: str | None = setting("known_hosts file to check host keys", None, PATH,
                                      example="~/.ssh/known_hosts")
    connect_timeout: float = setting("ssh connection timeout", 10.0, DURATION)


@dataclass
class NodeCommands:
    """The shell commands run on each compute node; {host}, {address}, {local_ip}, {server_port} are filled in."""

    stop_agents: str = setting("stop the Neutron agents", "systemctl stop neutron-openvswitch-agent")
    start_agents: str = setting("start them again (rollback)", "systemctl start neutron-openvswitch-agent")
    start_aca: str = setting("start the Alcor Control Agent", "systemctl start alcor-control-agent")
    stop_aca: str = setting("stop it (rollback)", "systemctl stop alcor-control-agent")
    aca_health: str = setting("exits 0 when ACA is healthy", "systemctl is-active alcor-control-agent")
    aca_ports: str = setting("prints the ports ACA programmed, a port id or tap name a line "
                             "(empty: check Alcor's side only)", "",
                             example="ovs-vsctl --bare --columns=name find Port 'tag>=1'")


@dataclass
class StepTimeouts:
    """How long each step of a node's cutover may take."""

    register: float = setting("register the node in Alcor", 30.0, DURATION)
    stop_agents: float = setting("stop the Neutron agents", 60.0, DURATION)
    start_aca: float = setting("start ACA", 60.0, DURATION)
    aca_health: float = setting("ACA becomes healthy", 60.0, DURATION)
    bind_ports: float = setting("bind the node's ports in Alcor", 120.0, DURATION)
    check: float = setting("check ACA holds exactly the node's ports", 60.0, DURATION)
    unbind_ports: float = setting("unbind the node's ports (rollback)", 120.0, DURATION)
    stop_aca: float = setting("stop ACA (rollback)", 60.0, DURATION)
    start_agents: float = setting("start the Neutron agents again (rollback)", 60.0, DURATION)
    poll: float = setting("interval of the health and check polls", 0.5, DURATION)


@dataclass
class CutoverConfig:
    """Switching the endpoint and handing the compute nodes to ACA."""

    postpone: bool = setting("wait before the switch until the operator removes the postpone file", False)
    endpoint: EndpointSwitch = setting("the endpoint switch", factory=EndpointSwitch)
    gate: GateConfig = setting("when the switch may happen", factory=GateConfig)
    drain: DrainConfig = setting("the drain after the switch", factory=DrainConfig)
    waves: WaveConfig = setting("node waves", factory=WaveConfig)
    executor: ExecutorConfig = setting("how nodes are reached", factory=ExecutorConfig)
    commands: NodeCommands = setting("commands run on each node", factory=NodeCommands)
    timeouts: StepTimeouts = setting("time limit per step", factory=StepTimeouts)


@dataclass
class NodeOverride:
    """Facts about one compute host that Neutron does not hold (or that the plan corrects)."""

    local_ip: str | None = setting("tunnel IP (default: the OVS agent's tunneling_ip)", None, IP,
                                   example="192.0.2.11")
    mac_address: str | None = setting("MAC of the tunnel interface", None, MAC,
                                      example="52:54:00:12:34:56")
    veth: str | None = setting("interface ACA uses", None, example="eth1")
    address: str | None = setting("where the executor reaches the host (default: its name)", None,
                                  example="10.0.0.11")
    server_port: int = setting("ACA's gRPC port on the host", 50001, PORT)


@dataclass
class LabConfig:
    """The embedded lab: a real neutron-server, the Alcor emulator and simulated nodes."""

    cloud: str = setting("the snapshot the lab Neutron is seeded from", "sample_configs/small.json", PATH)
    user_writes: int = setting("simulated user writes during the migration", 20, at_least(0))
    keystone: bool = setting("a real Keystone: Neutron checks tokens, the users write with their own, the switch "
                             "moves the catalog to Alcor's API gateway with its Keystone filter on", False)
    haproxy: bool = setting("the lab as production looks: a real HAProxy in front of two `alcor-migrate capture` "
                            "processes in front of neutron-server (capture.insertion haproxy); one capture is killed "
                            "(SIGKILL) halfway through the users' writes and restarted", False)
    bypass_writes: int = setting("writes made straight to neutron-server during the migration, around the "
                                 "captures (repair carries them)", 0, at_least(0))


@dataclass
class Plan:
    """A whole plan file."""

    version: int = setting(f"plan format version (this alcor-migrate reads {VERSION})", VERSION)
    name: str = setting("a name for this migration (TUI, report)", "migration")
    state_dir: str = setting("where state, logs, snapshots and reports go", "state", PATH)
    neutron: NeutronSource = setting("the source", factory=NeutronSource)
    alcor: AlcorTarget = setting("the target", factory=AlcorTarget)
    capture: CaptureConfig = setting("the capture proxy", factory=CaptureConfig)
    translate: TranslateConfig = setting("translation choices", factory=TranslateConfig)
    repair: RepairConfig = setting("repair after replay", factory=RepairConfig)
    cutover: CutoverConfig = setting("switch, drain and node waves", factory=CutoverConfig)
    nodes: dict[str, NodeOverride] = setting("per-host facts, by host name", factory=dict,
                                             example={"compute-01": NodeOverride()})
    lab: LabConfig | None = setting("run on the embedded lab instead of a real cloud", None,
                                    example=LabConfig())
    source_file: Path | None = field(default=None, repr=False, compare=False,
                                     metadata={"internal": True})

    def alcor_url(self, service: str) -> str | None:
        """The base URL of one Alcor service."""
        return self.alcor.endpoints.get(service) or self.alcor.url


class Override(NamedTuple):
    """A plan key set from the command line, named by its option in errors."""

    key: str
    value: Any
    option: str


def load(path: str | os.PathLike, overrides: Sequence[Override] = ()) -> Plan:
    """Read, check and resolve a plan file, then apply overrides; InputError lists every problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read: {exc}") from None
    reading = plan_reader.read(text, Plan, str(path))
    plan = reading.value
    if plan is None:
        raise InputError(reading.problems)
    plan.source_file = path
    _resolve_paths(plan, path.parent.absolute())
    problems = reading.problems
    if "version" not in reading.present:
        problems.append(f"{reading.where('version')}: version: missing; "
                        f"write `version: {VERSION}` at the top of the plan")
    elif plan.version != VERSION:
        problems.append(f"{reading.where('version')}: version: unsupported version "
                        f"{plan.version!r}; this alcor-migrate reads version {VERSION}")
    problems += _apply(plan, overrides, reading.where, reading.bad, complete=True)
    problems.sort(key=_position)
    if problems:
        raise InputError(problems)
    return plan


def _position(problem: str) -> tuple[int, int]:
    """(line, column) of a `FILE:LINE:COL: ...` problem, to list problems in file order
    (those named by a command-line option last)."""
    match = re.match(r".*?:(\d+):(\d+): ", problem)
    return (int(match[1]), int(match[2])) if match else (1 << 30, 0)


def from_overrides(overrides: Sequence[Override]) -> Plan:
    """The default plan with the command line's overrides (no plan file)."""
    plan = Plan()
    problems = _apply(plan, overrides, lambda dotted: "defaults", set(), complete=False)
    if problems:
        raise InputError(problems)
    return plan


def _apply(plan: Plan, overrides, where, bad: set[str], complete: bool) -> list[str]:
    """Set the overrides (each checked like the key it sets), then check the relations."""
    problems, options = [], {}
    for override in overrides:
        section, _, name = override.key.rpartition(".")
        owner = _get(plan, section)
        kind = {f.name: f for f in fields(owner)}[name].metadata.get("kind")
        try:
            value = kind.check(override.value) if kind and override.value is not None else override.value
        except ValueError as exc:
            problems.append(f"{override.option}: {exc}")
            bad.add(override.key)
            continue
        setattr(owner, name, value)
        options[override.key] = override.option
        bad.discard(override.key)
    for dotted, message, about in relations(plan, complete):
        if not any(_related(key, b) for key in about for b in bad):
            problems.append(f"{options.get(dotted) or where(dotted)}: {dotted}: {message}")
    return problems


def _related(a: str, b: str) -> bool:
    """One dotted key is the other or holds it (a problem in one explains one in the other)."""
    return a == b or a.startswith(b + ".") or b.startswith(a + ".")


def relations(plan: Plan, complete: bool = True) -> list[tuple[str, str, tuple[str, ...]]]:
    """Rules between keys: (the key a problem is reported on, the problem, the keys it is about).
    `complete`: a whole plan, which must name its Neutron and its Alcor."""
    out = []

    def rule(broken: bool, dotted: str, message: str, *about: str) -> None:
        if broken:
            out.append((dotted, message, (dotted, *about)))

    neutron, alcor, cutover = plan.neutron, plan.alcor, plan.cutover
    if complete and plan.lab is None:
        rule(neutron.auth == "keystone" and not (neutron.cloud or neutron.url or neutron.snapshot),
             "neutron",
             "say where Neutron is: cloud (a clouds.yaml entry, or envvars for the OS_* variables), "
             "url (with auth: none) or snapshot")
        absent = [s for s in ALCOR_SERVICES if s not in alcor.endpoints]
        rule(not alcor.url and bool(absent), "alcor.url", "missing: give url, or endpoints for every "
             f"service (missing: {', '.join(absent)})", "alcor.endpoints")
    rule(neutron.auth == "none" and bool(neutron.cloud), "neutron.cloud",
         "a clouds.yaml login needs auth: keystone (auth is none)", "neutron.auth")
    rule(neutron.auth == "none" and not neutron.url and not neutron.snapshot, "neutron.auth",
         "auth: none needs neutron.url", "neutron.url", "neutron.snapshot")
    rule(neutron.auth == "keystone" and bool(neutron.url) and not neutron.cloud, "neutron.url",
         "with auth: keystone, url needs a cloud to log in with (or set auth: none)",
         "neutron.auth", "neutron.cloud")
    tls = plan.capture.tls
    haproxy = plan.capture.haproxy
    inserting = plan.capture.insertion == "haproxy"
    rule(inserting and not haproxy.config, "capture.haproxy.config",
         "missing: the HAProxy configuration file to send Neutron's backend to the captures in", "capture.insertion")
    rule(inserting and not haproxy.captures, "capture.haproxy.captures",
         "missing: the captures (name: HOST:PORT) HAProxy is to send Neutron's traffic to", "capture.insertion")
    rule(inserting and haproxy.fail_open and not haproxy.neutron, "capture.haproxy.neutron",
         "missing: Neutron's own servers (name: HOST:PORT), the backups when failing open (or set fail_open: false)",
         "capture.haproxy.fail_open", "capture.insertion")
    rule(bool(tls.cert) != bool(tls.key), "capture.tls", "give both cert and key, or neither")
    for name, node in plan.capture.nodes.items():
        where = f"capture.nodes.{name}"
        rule(not NODE_NAME.fullmatch(name) or name == "embedded", where,
             "a name of letters, digits, '.', '_' or '-' (not embedded: the run's own capture's log)")
        rule(bool(node.feed) == bool(node.log), where, "give feed (with token_file) or log, one of them")
        rule(bool(node.feed) and not node.token_file, f"{where}.token_file", "missing: a feed needs its token",
             f"{where}.feed")
    keystone_switch = cutover.endpoint.method == "keystone"
    rule(keystone_switch and neutron.auth != "keystone", "cutover.endpoint.method",
         "a keystone switch needs neutron.auth: keystone", "neutron.auth")
    rule(keystone_switch and not (cutover.endpoint.alcor_url or alcor.gateway_url or plan.lab),  # the lab's gateway
         "cutover.endpoint.alcor_url",
         "missing: the URL to put into the catalog (or set alcor.gateway_url)", "alcor.gateway_url")
    lab = plan.lab
    rule(lab is not None and lab.haproxy and lab.keystone, "lab.haproxy",
         "the HAProxy lab runs without Keystone: set one of haproxy and keystone", "lab.keystone")
    drain = cutover.drain
    rule(drain.min > drain.max, "cutover.drain.min",
         f"{drain.min:g}s is more than drain.max ({drain.max:g}s)", "cutover.drain.max")
    rule(drain.poll <= 0, "cutover.drain.poll", "must be more than 0")
    waves = cutover.waves
    rule(waves.all_at_once and bool(waves.lists), "cutover.waves.all_at_once",
         "conflicts with waves.lists; keep one", "cutover.waves.lists")
    hosts = [*waves.canary, *(h for wave in waves.lists for h in wave)]
    repeated = sorted(host for host, times in Counter(hosts).items() if times > 1)
    rule(bool(repeated), "cutover.waves", f"hosts in more than one wave: {', '.join(repeated)}")
    return out


def dump(plan: Plan, base: str | os.PathLike | None = None) -> str:
    """The plan as YAML; absolute paths under `base` are written relative to it."""
    return plan_writer.dump(plan, Path(base).absolute() if base is not None else None)


def save(plan: Plan, path: str | os.PathLike) -> None:
    """Write the plan file atomically; `load` reads it back to an equal Plan."""
    path = Path(path)
    text = dump(plan, path.parent)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def template() -> str:
    """A plan file with a comment on every key, for `alcor-migrate plan new`."""
    plan = Plan()
    plan.neutron.cloud = "production"
    plan.alcor.url = "http://alcor.example.net:9009"
    plan.alcor.endpoints = {"vpc": "http://alcor.example.net:9001", "node": "http://alcor.example.net:9007"}
    return plan_writer.template(plan, header=TEMPLATE_HEADER)


TEMPLATE_HEADER = """\
# An alcor-migrate plan: what to migrate from Neutron to Alcor, and how.
# Check it with `alcor-migrate plan check FILE`; run it with `alcor-migrate run --plan FILE`.
# Relative paths resolve against this file's directory. Durations are seconds, or
# strings such as 30s, 10m, 1h30m. Commented-out keys show an example value.
"""


def _get(obj: Any, dotted: str) -> Any:
    for name in filter(None, dotted.split(".")):
        obj = getattr(obj, name)
    return obj


def _resolve_paths(obj: Any, base: Path) -> None:
    """Every PATH key made absolute against `base` (the plan file's directory)."""
    for f in fields(obj):
        value = getattr(obj, f.name)
        if f.metadata.get("kind") is PATH and value is not None:
            expanded = os.path.expanduser(value)
            setattr(obj, f.name, os.path.normpath(os.path.join(base, expanded)))
        elif is_dataclass(value):
            _resolve_paths(value, base)
        elif isinstance(value, dict):
            for inner in value.values():
                if is_dataclass(inner):
                    _resolve_paths(inner, base)
