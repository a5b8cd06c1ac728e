"""The plan fields the wizard edits; each is checked as you type with the plan schema's own check."""

from __future__ import annotations

import dataclasses
import os
import types
import typing
from dataclasses import dataclass
from typing import Any

from wizard.plan import Plan, relations
from wizard.plan.values import PATH


@dataclass(frozen=True)
class Field:
    path: str  # dotted attribute path in the Plan
    label: str

    def _owner(self, plan: Plan) -> tuple[Any, str]:
        *parents, name = self.path.split(".")
        owner: Any = plan
        for parent in parents:
            owner = getattr(owner, parent)
        return owner, name

    def _schema(self, plan: Plan) -> tuple[Any, Any]:
        """The key's Python type and its kind (wizard.plan.values.Kind, or None)."""
        owner, name = self._owner(plan)
        spec = {f.name: f for f in dataclasses.fields(owner)}[name]
        return typing.get_type_hints(type(owner))[name], spec.metadata.get("kind")

    def choices(self, plan: Plan) -> tuple[str, ...]:
        """The values a choice key takes (its kind reads "a | b | c"), else ()."""
        kind = self._schema(plan)[1]
        return tuple(kind.name.split(" | ")) if kind is not None and " | " in kind.name else ()

    def read(self, plan: Plan) -> str:
        """The value as the plan file holds it (a path relative to the file's folder)."""
        owner, name = self._owner(plan)
        value = getattr(owner, name)
        if isinstance(value, list):
            return ", ".join(value)
        if self._schema(plan)[1] is PATH and value and os.path.isabs(value) and plan.source_file:
            relative = os.path.relpath(value, plan.source_file.parent.absolute())
            return value if relative.startswith("..") else relative
        return "" if value is None else str(value)

    def write(self, plan: Plan, text: str) -> None:
        """Set the field from `text`; raises ValueError saying what is wrong."""
        owner, name = self._owner(plan)
        setattr(owner, name, self.parse(plan, text))

    def parse(self, plan: Plan, text: str) -> Any:
        hint, kind = self._schema(plan)
        text = text.strip()
        optional = isinstance(hint, types.UnionType) and type(None) in typing.get_args(hint)
        if not text:
            if optional:
                return None
            if hint is str:
                raise ValueError("required")
        if typing.get_origin(hint) is list:
            return [item.strip() for item in text.split(",") if item.strip()]
        value: Any = text
        if kind is PATH and plan.source_file and not os.path.isabs(text):
            value = str(plan.source_file.parent.absolute() / text)  # as the loader resolves it
        elif hint is int:
            if not text.lstrip("-").isdigit():
                raise ValueError(f"not a whole number: {text!r}")
            value = int(text)
        elif hint is float and not (kind and kind.accepts and str in kind.accepts):
            value = float(text)
        return kind.check(value) if kind is not None else value


FIELDS = (
    Field("name", "Name"),
    Field("state_dir", "State directory"),
    Field("neutron.auth", "Neutron auth"),
    Field("neutron.url", "Neutron URL"),
    Field("neutron.cloud", "Neutron cloud (clouds.yaml)"),
    Field("neutron.snapshot", "Neutron snapshot file"),
    Field("alcor.url", "Alcor URL"),
    Field("capture.listen", "Capture proxy listens on"),
    Field("translate.ipv6", "IPv6 subnets"),
    Field("translate.flat_networks", "Flat networks"),
    Field("translate.unsupported_subnets", "Subnets outside /16-/28"),
    Field("translate.port_security_off", "Ports with port security off"),
    Field("cutover.endpoint.method", "Endpoint switch"),
    Field("cutover.drain.min", "Drain at least (s, 10m...)"),
    Field("cutover.drain.max", "Drain at most"),
    Field("cutover.waves.canary", "Canary nodes (comma separated)"),
    Field("cutover.waves.batch_size", "Nodes per wave"),
    Field("cutover.executor.kind", "Node executor"),
)


def plan_problems(plan: Plan) -> list[str]:
    """What is wrong with the plan as a whole, once each field parses (the schema's rules)."""
    return [f"{key}: {problem}" for key, problem, _ in relations(plan)]
