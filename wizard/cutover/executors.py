"""Where a node's commands run: over OpenSSH, on this machine, or on a simulated lab node."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import time
from dataclasses import dataclass
from typing import Protocol

from wizard.core.errors import InputError, MigrateError
from wizard.cutover.inventory import ComputeNode
from wizard.plan import ExecutorConfig

EXECUTOR_KINDS = ("ssh", "local", "lab")


@dataclass(frozen=True)
class CommandResult:
    rc: int | None  # None: killed at its timeout
    stdout: str
    stderr: str
    seconds: float

    @property
    def ok(self) -> bool:
        return self.rc == 0

    def summary(self) -> str:
        """One line for an event or a report."""
        if self.rc is None:
            return f"timed out after {self.seconds:.1f}s"
        last = (self.stderr.strip() or self.stdout.strip()).splitlines()[-1:] or [""]
        return f"exit {self.rc}" + (f": {last[0][:200]}" if last[0] else "")


class Executor(Protocol):
    def run(self, node: ComputeNode, command: str, timeout: float) -> CommandResult:
        """Run one shell command on the node, killing it at `timeout` seconds."""

    def describe(self, node: ComputeNode, command: str) -> str:
        """The command line as the dry-run shows it."""


def run_process(argv: list[str], timeout: float) -> CommandResult:
    """Run argv in its own session; at the timeout, kill the whole process group."""
    started = time.monotonic()
    process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, start_new_session=True)
    try:
        stdout, stderr = process.communicate(timeout=timeout)
        rc: int | None = process.returncode
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        rc = None
    return CommandResult(rc=rc, stdout=stdout, stderr=stderr, seconds=time.monotonic() - started)


class LocalExecutor:
    """Runs commands with /bin/sh on this machine (a one-host cloud, or commands that reach nodes themselves)."""

    def run(self, node: ComputeNode, command: str, timeout: float) -> CommandResult:
        return run_process(["/bin/sh", "-c", command], timeout)

    def describe(self, node: ComputeNode, command: str) -> str:
        return f"sh -c {shlex.quote(command)}"


class SshExecutor:
    """Runs commands through the OpenSSH client: batch mode, host keys checked, user and key from the plan."""

    def __init__(self, config: ExecutorConfig):
        self.config = config

    def argv(self, node: ComputeNode, command: str) -> list[str]:
        options = ["-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes",
                   "-o", f"ConnectTimeout={max(1, round(self.config.connect_timeout))}"]
        if self.config.known_hosts:
            options += ["-o", f"UserKnownHostsFile={self.config.known_hosts}"]
        if self.config.key:
            options += ["-o", "IdentitiesOnly=yes", "-i", self.config.key]
        return ["ssh", *options, "-p", str(self.config.port), "-l", self.config.user, node.address, "--", command]

    def run(self, node: ComputeNode, command: str, timeout: float) -> CommandResult:
        return run_process(self.argv(node, command), timeout)

    def describe(self, node: ComputeNode, command: str) -> str:
        return f"ssh {self.config.user}@{node.address}:{self.config.port} -- {command}"


class LabExecutor:
    """Runs commands on the lab's simulated nodes (each a Neutron agent and an ACA)."""

    def __init__(self, nodes=None):
        self.nodes = nodes  # host name -> wizard.lab.nodes.LabNode; None: describe only (dry run)

    def run(self, node: ComputeNode, command: str, timeout: float) -> CommandResult:
        if self.nodes is None:
            raise MigrateError("the lab's nodes are not running (lab executor without a lab)")
        started = time.monotonic()
        rc, output = self.nodes[node.name].shell(command, timeout)
        return CommandResult(rc=rc, stdout=output if rc == 0 else "", stderr="" if rc == 0 else output,
                             seconds=time.monotonic() - started)

    def describe(self, node: ComputeNode, command: str) -> str:
        return f"lab {node.name}: {command}"


def executor_for(config: ExecutorConfig, lab_nodes=None) -> Executor:
    """The executor the plan names; `lab` runs on the lab's simulated nodes (without them: describe only)."""
    if config.kind == "ssh":
        return SshExecutor(config)
    if config.kind == "local":
        return LocalExecutor()
    if config.kind == "lab":
        return LabExecutor(lab_nodes)
    raise InputError(f"cutover.executor.kind: {config.kind!r} is not one of {', '.join(EXECUTOR_KINDS)}")
