"""One node's handover from the Neutron agents to ACA, step by step, and its rollback.

Steps, each with its timeout and measured duration: register the node in Alcor's
node manager, stop the Neutron agents, start ACA, wait until ACA is healthy, bind
the node's ports in Alcor (`binding:host_id`, which makes Alcor push their goal
states to this node's ACA), and check that ACA holds exactly the ports Alcor has
on this host. When a step fails, the node is rolled back: its ports unbound, ACA
stopped, the agents started again (only what was attempted is undone). Ports found gone
from Alcor when binding are left out of the unbind, which would create them again.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from wizard.alcor.values import aca_tap_name
from wizard.core.errors import InputError
from wizard.core.events import Event, NodeStep
from wizard.cutover.executors import CommandResult, Executor
from wizard.cutover.inventory import ComputeNode, PortBinding
from wizard.plan import NodeCommands, StepTimeouts

STEPS = ("register", "stop_agents", "start_aca", "aca_health", "bind_ports", "check")
# Rollback steps in the order they run, each with the forward step whose effect it undoes.
ROLLBACK = (("unbind_ports", "bind_ports"), ("stop_aca", "start_aca"), ("start_agents", "stop_agents"))


class NodeControl(Protocol):
    """What a node's cutover needs from Alcor."""

    def register_node(self, info: dict[str, Any]) -> None:
        """Create the node in the node manager, or bring it up to date (idempotent)."""

    def bind_port(self, binding: PortBinding) -> bool:
        """Set the port's `binding:host_id` to its host (idempotent); False if the port is gone."""

    def unbind_port(self, binding: PortBinding) -> bool:
        """Leave the port in Alcor without a host (idempotent, resumable); False if the port is gone."""

    def ports_on(self, host: str) -> set[str]:
        """Ids of the ports Alcor has bound to this host."""


class StepFailed(Exception):
    pass


@dataclass(frozen=True)
class StepRecord:
    step: str
    ok: bool
    seconds: float
    detail: str = ""


@dataclass
class NodeOutcome:
    node: str
    status: str = "pending"  # done | rolled_back | rollback_failed
    failed_step: str | None = None
    error: str = ""
    steps: list[StepRecord] = field(default_factory=list)
    rollback: list[StepRecord] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return sum(record.seconds for record in self.steps + self.rollback)

    def to_dict(self) -> dict[str, Any]:
        return {"node": self.node, "status": self.status, "failed_step": self.failed_step, "error": self.error,
                "steps": [vars(r) for r in self.steps], "rollback": [vars(r) for r in self.rollback]}


def render(commands: NodeCommands, step: str, node: ComputeNode) -> str:
    """The plan's command template for a step, filled in for the node."""
    template = getattr(commands, step)
    values = node.template_values()
    try:
        return template.format_map(values)
    except KeyError as exc:
        raise InputError(f"cutover.commands.{step}: unknown placeholder {{{exc.args[0]}}} "
                         f"(known: {', '.join('{' + k + '}' for k in values)})") from None
    except (ValueError, IndexError) as exc:
        raise InputError(f"cutover.commands.{step}: not a valid template: {exc}") from None


def listed_ports(output: str, candidates: Iterable[str]) -> tuple[set[str], int]:
    """The candidate port ids an `aca_ports` listing names (by id or tap name), and how many lines name none."""
    lines = {line.strip() for line in output.splitlines() if line.strip()}
    names = {name: port for port in candidates for name in (port, aca_tap_name(port))}
    return {names[line] for line in lines if line in names}, sum(1 for line in lines if line not in names)


class NodeCutover:
    """Runs the steps for one node, rolls it back on failure, and reports each step as an event."""

    def __init__(self, node: ComputeNode, executor: Executor, control: NodeControl, commands: NodeCommands,
                 timeouts: StepTimeouts, emit: Callable[[Event], None] = lambda e: None,
                 sleep: Callable[[float], None] = time.sleep):
        self.node, self.executor, self.control = node, executor, control
        self.commands, self.timeouts, self.emit, self.sleep = commands, timeouts, emit, sleep
        self.gone: set[str] = set()  # ports deleted from Alcor since the snapshot

    def run(self) -> NodeOutcome:
        outcome = NodeOutcome(node=self.node.name)
        attempted: list[str] = []
        for step in STEPS:
            attempted.append(step)
            record = self._step(step, rollback=False)
            outcome.steps.append(record)
            if not record.ok:
                outcome.failed_step, outcome.error = step, record.detail
                outcome.rollback = self.roll_back(attempted)
                ok = all(r.ok for r in outcome.rollback)
                outcome.status = "rolled_back" if ok else "rollback_failed"
                return outcome
        outcome.status = "done"
        return outcome

    def undo(self) -> NodeOutcome:
        """Roll a node that was moved (wholly or partly) back to the Neutron agents."""
        undo = self.roll_back()
        return NodeOutcome(node=self.node.name, rollback=undo,
                           status="rolled_back" if all(r.ok for r in undo) else "rollback_failed",
                           error="; ".join(r.detail for r in undo if not r.ok))

    def roll_back(self, attempted: Iterable[str] = STEPS) -> list[StepRecord]:
        """Undo what the attempted steps did; every undo runs even if an earlier one fails."""
        attempted = set(attempted)
        return [self._step(undo, rollback=True) for undo, forward in ROLLBACK if forward in attempted]

    # -- steps ---------------------------------------------------------------------
    def _step(self, step: str, rollback: bool) -> StepRecord:
        name = self.node.name
        self.emit(NodeStep(node=name, step=step, status="started", rollback=rollback))
        started = time.monotonic()
        try:
            detail = getattr(self, f"_{step}")(started + getattr(self.timeouts, step))
            ok = True
        except StepFailed as exc:
            detail, ok = str(exc), False
        except Exception as exc:  # an Alcor or executor error fails the step, not the run
            detail, ok = f"{type(exc).__name__}: {exc}", False
        record = StepRecord(step=step, ok=ok, seconds=time.monotonic() - started, detail=detail)
        self.emit(NodeStep(node=name, step=step, status="ok" if ok else "failed", seconds=record.seconds,
                           detail=detail, rollback=rollback))
        return record

    def _command(self, step: str, deadline: float) -> CommandResult:
        command = render(self.commands, step, self.node)
        return self.executor.run(self.node, command, max(deadline - time.monotonic(), 0.1))

    def _run_command(self, step: str, deadline: float) -> str:
        if not getattr(self.commands, step):
            return "no command in the plan"
        result = self._command(step, deadline)
        if not result.ok:
            raise StepFailed(result.summary())
        return f"{result.seconds:.2f}s"

    def _poll(self, deadline: float, attempt: Callable[[], str | None]) -> str:
        """Call `attempt` until it returns None (success) or the deadline passes; raises with its last answer."""
        while True:
            problem = attempt()
            if problem is None:
                return "ok"
            if time.monotonic() + self.timeouts.poll > deadline:
                raise StepFailed(problem)
            self.sleep(self.timeouts.poll)

    def _register(self, deadline: float) -> str:
        self.control.register_node(self.node.node_info())
        return f"node_id {self.node.node_id}"

    def _stop_agents(self, deadline: float) -> str:
        return self._run_command("stop_agents", deadline)

    def _start_aca(self, deadline: float) -> str:
        return self._run_command("start_aca", deadline)

    def _stop_aca(self, deadline: float) -> str:
        return self._run_command("stop_aca", deadline)

    def _start_agents(self, deadline: float) -> str:
        return self._run_command("start_agents", deadline)

    def _aca_health(self, deadline: float) -> str:
        if not self.commands.aca_health:
            return "no command in the plan"

        def healthy() -> str | None:
            result = self._command("aca_health", deadline)
            return None if result.ok else f"ACA not healthy: {result.summary()}"

        return self._poll(deadline, healthy)

    def _bind_ports(self, deadline: float) -> str:
        return self._each_port(self.control.bind_port, deadline, "bound")

    def _unbind_ports(self, deadline: float) -> str:
        return self._each_port(self.control.unbind_port, deadline, "unbound")

    def _each_port(self, action: Callable[[PortBinding], bool], deadline: float, verb: str) -> str:
        ports = [binding for binding in self.node.ports if binding.port_id not in self.gone]
        for done, binding in enumerate(ports):
            if time.monotonic() > deadline:
                raise StepFailed(f"timed out after {done} of {len(ports)} ports {verb}")
            if not action(binding):
                self.gone.add(binding.port_id)
        gone = f", {len(self.gone)} gone from Alcor since the snapshot" if self.gone else ""
        return f"{len(self.node.ports) - len(self.gone)} ports {verb}{gone}"

    def _check(self, deadline: float) -> str:
        mine = {binding.port_id for binding in self.node.ports} - self.gone
        host = self.node.name

        def holds_its_ports() -> str | None:
            in_alcor = self.control.ports_on(host)
            if missing := mine - in_alcor:
                return f"Alcor lacks the binding of {len(missing)} ports to {host}: {', '.join(sorted(missing)[:5])}"
            if not self.commands.aca_ports:
                return None
            result = self._command("aca_ports", deadline)
            if not result.ok:
                return f"cannot list ACA's ports: {result.summary()}"
            listed, foreign = listed_ports(result.stdout, in_alcor)
            if missing := in_alcor - listed:
                return f"ACA lacks {len(missing)} of {len(in_alcor)} ports: {', '.join(sorted(missing)[:5])}"
            if foreign:
                return f"ACA holds {foreign} ports Alcor did not bind to {host}"
            return None

        self._poll(deadline, holds_its_ports)
        return f"{len(mine)} ports held by ACA" if self.commands.aca_ports else f"{len(mine)} ports bound in Alcor"
