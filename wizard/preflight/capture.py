"""Check the capture: never silently off. It can run (Neutron's endpoint is known, no other
process writes the run's write log, the listen address is free, its TLS files load), or, with
`capture.mode: separate`, an `alcor-migrate capture` process writes the run's write log; or the
operator is told that writes will not be carried."""

from __future__ import annotations

import socket
from pathlib import Path

from wizard.capture.config import SEPARATE, ProxyConfig
from wizard.capture.feed_client import CaptureUnreachable, node_client
from wizard.capture.writelog import LOG_FILE, log_directory
from wizard.core.errors import MigrateError
from wizard.core.tinylog import held_for_writing
from wizard.neutron.endpoint import is_live, pinned, pinned_url
from wizard.plan import CaptureNode
from wizard.preflight.model import CheckInputs, CheckResult
from wizard.translate.model import Severity

PROBE_SECONDS = 5.0  # a capture node's feed that takes longer to answer is unreachable for preflight


def capture(given: CheckInputs) -> CheckResult:
    """With capture.enabled and a live Neutron, the capture can start in front of Neutron's recorded
    endpoint (a blocker if not); off, or with only a snapshot file, a finding says so."""
    plan, result = given.plan, CheckResult()
    if not plan.capture.enabled:
        result.find(Severity.WARNING, "capture-off", ("capture", "enabled"),
                    "capture.enabled is false: writes made in Neutron during the migration are not carried "
                    "to Alcor", "set capture.enabled: true, unless the cloud takes no writes until the switch")
        return result
    if not is_live(plan.neutron):
        result.detail = "the plan reads a snapshot file: there is no live Neutron to capture"
        return result
    running = given.capture
    if running is not None:
        result.detail = f"capture on {running.url}, forwarding to {running.config.upstream}"
        return result
    log = Path(given.state.dir) / LOG_FILE
    if plan.capture.mode == SEPARATE:
        return _separate(given, log, result)
    if held_for_writing(log):
        result.find(Severity.BLOCKER, "capture-log-busy", ("capture", str(log)),
                    f"{log}: another capture (an `alcor-migrate capture` process?) is writing this run's "
                    "write log, and one process writes it",
                    "set capture.mode: separate to let that process capture and this run replay its log; or "
                    "stop it (its log stays; this run's capture goes on with it); then run again")
        return result
    try:
        config = ProxyConfig.from_plan(plan, pinned_url(plan.neutron, given.state))
        config.server_tls()
        config.upstream_tls()
    except MigrateError as exc:
        result.find(Severity.BLOCKER, "capture-cannot-run", ("capture", plan.capture.listen), str(exc),
                    "fix the plan's neutron and capture sections so that the capture can start, or set "
                    "capture.enabled: false to accept losing the writes made during the migration")
        return result
    problem = _cannot_listen(config)
    if problem:
        result.find(Severity.BLOCKER, "capture-cannot-listen", ("capture", config.listen),
                    f"capture.listen {config.listen}: {problem}",
                    "free that address, or set capture.listen to one this machine can listen on")
        return result
    result.detail = f"capture on {config.listen}, forwarding to {config.upstream}"
    return result


def _separate(given: CheckInputs, log: Path, result: CheckResult) -> CheckResult:
    """capture.mode separate: an `alcor-migrate capture` process must be writing the run's log (or the
    captures are those capture.nodes lists), and clients are pointed at it by the operator or HAProxy
    (the run points the catalog only at a capture it runs)."""
    if given.plan.neutron.cloud and given.plan.capture.insertion == "keystone":
        result.find(Severity.BLOCKER, "capture-insertion-separate", ("capture", "insertion"),
                    "capture.mode is separate but capture.insertion is keystone: `run` points the catalog only "
                    "at a capture it runs itself, and would leave clients going around the capture process",
                    "set capture.insertion: none and point the clients at the capture process, or set "
                    "capture.mode: embedded")
        return result
    nodes = given.plan.capture.nodes
    if not nodes and not held_for_writing(log):
        result.find(Severity.BLOCKER, "capture-not-running", ("capture", str(log)),
                    f"capture.mode is separate, but no `alcor-migrate capture` process writes {log}",
                    "start `alcor-migrate capture --plan <this plan>` (same state_dir) before the snapshot, "
                    "then run again; or set capture.mode: embedded to let `run` start the capture")
        return result
    for name, node in nodes.items():
        _probe_node(name, node, result)
    pinned(given.plan.neutron, given.state)  # replay and verify read Neutron where the capture forwards
    result.detail = (f"captures of their own ({', '.join(nodes)}); this run replays their logs and holds their "
                     "writes for the switch" if nodes else
                     f"capture runs as its own process, writing {log}; this run replays it read-only")
    return result


def _probe_node(name: str, node: CaptureNode, result: CheckResult) -> None:
    """A capture.nodes entry the run will need: its log file is there, or its feed takes the token and
    answers. A wrong token, URL or path is a blocker, found before anything is converted or switched; a
    capture that does not answer now is a warning (replay waits for it; the cut-over cannot hold it)."""
    where = ("capture", f"nodes.{name}")
    if node.log:
        if not (log_directory(node.log) / LOG_FILE).is_file():
            result.find(Severity.BLOCKER, "capture-node-no-log", where,
                        f"capture.nodes.{name}.log: no write log at {node.log}",
                        "give the state directory of that node's `alcor-migrate capture`, started before the "
                        "snapshot")
        return
    try:
        with node_client(node, timeout=PROBE_SECONDS) as feed:
            feed.status()
    except CaptureUnreachable as exc:
        result.find(Severity.WARNING, "capture-node-unreachable", where, f"capture.nodes.{name}: {exc}",
                    "start that node's capture (its log keeps the writes it took); replay waits for it, and "
                    "the cut-over fails before the switch while it cannot be held")
    except MigrateError as exc:  # a token file that cannot be read, a token or path the feed refuses
        result.find(Severity.BLOCKER, "capture-node-refused", where, f"capture.nodes.{name}: {exc}",
                    f"correct capture.nodes.{name} (feed URL, token_file) so that its feed answers")


def _cannot_listen(config: ProxyConfig) -> str | None:
    """Why the capture could not listen on its address now (None: it can)."""
    host, port = config.host_port()
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            return exc.strerror or str(exc)
    return None
