"""YAML to the plan's dataclasses, keeping every key's position so a problem reads
`FILE:LINE:COL: dotted.key: what is wrong`. Every problem is collected, not just the first."""

from __future__ import annotations

import contextlib
import math
import types
import typing
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from wizard.plan.values import Kind, did_you_mean

MAX_DEPTH = 64  # nested mappings and lists; a plan needs a handful, YAML's composer recurses


@dataclass
class Reading:
    """What `read` made of a document: the value (None if unusable) and its problems."""

    filename: str
    value: Any = None
    problems: list[str] = field(default_factory=list)
    locations: dict[str, str] = field(default_factory=dict)  # dotted key -> FILE:LINE:COL
    present: set[str] = field(default_factory=set)  # dotted keys the document sets
    bad: set[str] = field(default_factory=set)  # dotted keys with a problem

    def where(self, dotted: str) -> str:
        """The position of a key's value, else of the nearest section holding it."""
        while dotted:
            if dotted in self.locations:
                return self.locations[dotted]
            dotted = dotted.rpartition(".")[0]
        return f"{self.filename}:1:1"


class _Bad(Exception):
    """A value was reported as a problem; its key keeps the default."""


def read(text: str, cls: type, filename: str) -> Reading:
    """Parse `text` and map it onto the dataclass `cls`."""
    reading = Reading(filename)
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{filename}:{mark.line + 1}:{mark.column + 1}" if mark else filename
        if isinstance(exc, _TooDeep):
            reading.problems.append(f"{where}: {exc.problem}")
        else:
            context = f" ({exc.context})" if exc.context and exc.problem else ""
            reading.problems.append(f"{where}: not valid YAML: {exc.problem or exc.context}{context}")
        return reading
    except yaml.YAMLError as exc:
        reading.problems.append(f"{filename}: not valid YAML: {exc}")
        return reading
    builder = _Builder(reading)
    if root is None or _is_null(root):
        reading.value = cls()
    elif not isinstance(root, MappingNode):
        reading.problems.append(f"{builder.at(root)}: the plan must be a mapping of keys, "
                                f"found {_found(builder, root)}")
    else:
        reading.value = builder.section(cls, root, "")
    return reading


class _Builder:
    def __init__(self, reading: Reading):
        self.reading = reading
        self.constructor = SafeConstructor()

    def at(self, node: Node) -> str:
        mark = node.start_mark
        return f"{self.reading.filename}:{mark.line + 1}:{mark.column + 1}"

    def problem(self, node: Node, dotted: str, message: str) -> _Bad:
        self.reading.problems.append(f"{self.at(node)}: {dotted}: {message}")
        self.reading.bad.add(dotted)
        return _Bad()

    def section(self, cls: type, node: MappingNode, prefix: str) -> Any:
        """A dataclass from a mapping; unknown, duplicate and badly typed keys are problems."""
        schema = {f.name: f for f in fields(cls) if not f.metadata.get("internal")}
        hints = typing.get_type_hints(cls)
        values = {}
        for name, key_node, value_node in self.entries(node, prefix):
            dotted = f"{prefix}{name}"
            if name not in schema:
                self.problem(key_node, dotted, "unknown key" + did_you_mean(name, schema))
                continue
            with contextlib.suppress(_Bad):
                values[name] = self.value(hints[name], schema[name].metadata, value_node, dotted)
        return cls(**values)

    def entries(self, node: MappingNode, prefix: str):
        """(key, key node, value node) of a mapping; keys must be strings and unique."""
        self.constructor.flatten_mapping(node)  # YAML merge keys (<<)
        seen: dict[str, Node] = {}
        for key_node, value_node in node.value:
            name = self.scalar(key_node)
            if not isinstance(name, str):
                self.problem(key_node, f"{prefix}{name}", "a key must be a string")
                continue
            dotted = f"{prefix}{name}"
            if name in seen:
                self.problem(key_node, dotted,
                             f"duplicate key (also at line {seen[name].start_mark.line + 1})")
                continue
            seen[name] = key_node
            self.reading.present.add(dotted)
            self.reading.locations[dotted] = self.at(value_node)
            yield name, key_node, value_node

    def value(self, hint: Any, meta: typing.Mapping, node: Node, dotted: str) -> Any:
        kind: Kind | None = meta.get("kind")
        inner = _optional(hint)
        if inner is not None:
            if _is_null(node):
                return None
            hint = inner
        if isinstance(hint, type) and is_dataclass(hint):
            if _is_null(node):
                return hint()
            return self.section(hint, self.mapping(node, dotted), dotted + ".")
        origin = typing.get_origin(hint)
        if origin is dict:
            value_hint = typing.get_args(hint)[1]
            allowed = meta.get("keys")
            out = {}
            for name, key_node, value_node in self.entries(self.mapping(node, dotted), dotted + "."):
                if allowed and name not in allowed:
                    self.problem(key_node, f"{dotted}.{name}",
                                 f"unknown key; expected one of {', '.join(allowed)}"
                                 + did_you_mean(name, allowed))
                    continue
                with contextlib.suppress(_Bad):
                    out[name] = self.value(value_hint, meta, value_node, f"{dotted}.{name}")
            return out
        if origin is list:
            if not isinstance(node, SequenceNode):
                raise self.problem(node, dotted, f"expected a list, found {_found(self, node)}")
            items = []
            for index, item in enumerate(node.value):
                with contextlib.suppress(_Bad):
                    items.append(self.value(typing.get_args(hint)[0], {}, item, f"{dotted}[{index}]"))
            return items
        return self.leaf(hint, kind, node, dotted)

    def leaf(self, hint: type, kind: Kind | None, node: Node, dotted: str) -> Any:
        """A scalar of the expected type, then the key's own check (URL, duration...)."""
        accepts = kind.accepts if kind and kind.accepts else _ACCEPTS[hint]
        value = self.scalar(node) if isinstance(node, ScalarNode) else node
        if isinstance(value, Node) or not _is_instance(value, accepts):
            expected = f"a {kind.name}" if kind and kind.accepts else _EXPECTED[hint]
            quote = " (quote it)" if hint is str and value is not None and not isinstance(value, Node) else ""
            raise self.problem(node, dotted, f"expected {expected}, found {_found(self, node)}{quote}")
        if isinstance(value, float) and not math.isfinite(value):
            raise self.problem(node, dotted, f"expected a finite number, found {value}")
        if kind:
            try:
                value = kind.check(value)
            except ValueError as exc:
                raise self.problem(node, dotted, str(exc)) from None
        return float(value) if hint is float else value

    def mapping(self, node: Node, dotted: str) -> MappingNode:
        if not isinstance(node, MappingNode):
            raise self.problem(node, dotted, f"expected a mapping, found {_found(self, node)}")
        return node

    def scalar(self, node: Node) -> Any:
        return self.constructor.construct_object(node, deep=True)


_ACCEPTS = {str: (str,), int: (int,), float: (int, float), bool: (bool,)}
_EXPECTED = {str: "a string", int: "an integer", float: "a number", bool: "true or false"}


class _TooDeep(yaml.MarkedYAMLError):
    """The document nests deeper than MAX_DEPTH."""


class _Loader(yaml.SafeLoader):
    """YAML's safe loader, stopping at the first mapping or list past MAX_DEPTH before its
    composer (which recurses once per level) runs out of stack."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if not self.check_event(yaml.CollectionStartEvent):
            return super().compose_node(parent, index)
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _TooDeep(problem=f"nested deeper than {MAX_DEPTH} levels",
                               problem_mark=self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _is_instance(value: Any, types_: tuple[type, ...]) -> bool:
    if isinstance(value, bool):
        return bool in types_
    return isinstance(value, types_)


def _optional(hint: Any) -> Any:
    """T for `T | None`, else None."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(args) == 1 and len(typing.get_args(hint)) == 2:
            return args[0]
    return None


def _is_null(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.tag == "tag:yaml.org,2002:null"


def _found(builder: _Builder, node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    value = builder.scalar(node)
    if value is None:
        return "nothing (null)"
    name = {bool: "a boolean", int: "an integer", float: "a number", str: "a string"}.get(
        type(value), type(value).__name__)
    return f"{name} ({value!r})"
