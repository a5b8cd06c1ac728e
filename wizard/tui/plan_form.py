"""The plan fields the wizard edits, each with its parser, so the form validates as you type."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable
from urllib.parse import urlparse

from wizard.plan import Plan


def required(text: str) -> str:
    if not text.strip():
        raise ValueError("required")
    return text.strip()


def optional(text: str) -> str | None:
    return text.strip() or None


def url(text: str) -> str | None:
    text = text.strip()
    if not text:
        return None
    parsed = urlparse(text)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ValueError("not a URL (http://host:port)")
    return text


def host_port(text: str) -> str:
    host, sep, port = text.strip().rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError("expected HOST:PORT")
    return text.strip()


def seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError("not a number") from None
    if value < 0:
        raise ValueError("must be ≥ 0")
    return value


def count(text: str) -> int:
    if not text.strip().isdigit() or int(text) < 1:
        raise ValueError("a whole number ≥ 1")
    return int(text)


def names(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


@dataclass(frozen=True)
class Field:
    path: str  # dotted attribute path in the Plan
    label: str
    parse: Callable[[str], Any] = optional
    choices: tuple[str, ...] = ()

    def read(self, plan: Plan) -> str:
        value = _walk(plan, self.path)
        if isinstance(value, list):
            return ", ".join(value)
        return "" if value is None else str(value)

    def write(self, plan: Plan, text: str) -> None:
        """Set the field from `text`; raises ValueError with the reason when it does not parse."""
        *parents, attribute = self.path.split(".")
        owner = plan
        for name in parents:
            owner = getattr(owner, name)
        setattr(owner, attribute, self.parse(text))


def _walk(plan: Plan, path: str) -> Any:
    value: Any = plan
    for name in path.split("."):
        value = getattr(value, name)
    return value


FIELDS = (
    Field("name", "Name", required),
    Field("state_dir", "State directory", required),
    Field("neutron.url", "Neutron URL", url),
    Field("neutron.cloud", "Neutron cloud (clouds.yaml)"),
    Field("neutron.snapshot", "Neutron snapshot file"),
    Field("alcor.url", "Alcor URL", url),
    Field("capture.listen", "Capture proxy listens on", host_port),
    Field("translate.ipv6", "IPv6 subnets", required, ("skip", "block")),
    Field("translate.flat_networks", "Flat networks", required, ("skip", "block")),
    Field("cutover.endpoint.method", "Endpoint switch", required, ("keystone", "none")),
    Field("cutover.drain.min", "Drain at least (s)", seconds),
    Field("cutover.drain.max", "Drain at most (s)", seconds),
    Field("cutover.waves.canary", "Canary nodes (comma separated)", names),
    Field("cutover.waves.batch_size", "Nodes per wave", count),
    Field("cutover.executor.kind", "Node executor", required, ("ssh", "local", "lab")),
)


def plan_problems(plan: Plan) -> list[str]:
    """What is wrong with the plan as a whole, once each field parses."""
    problems = []
    neutron = plan.neutron
    if not (neutron.url or neutron.cloud or neutron.snapshot) and plan.lab is None:
        problems.append("neutron: set a URL, a cloud or a snapshot file")
    if not (plan.alcor.url or plan.alcor.endpoints) and plan.lab is None:
        problems.append("alcor: set a URL")
    if plan.cutover.drain.min > plan.cutover.drain.max:
        problems.append("cutover.drain: at least is more than at most")
    return problems
