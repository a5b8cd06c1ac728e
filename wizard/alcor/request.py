"""One request to Alcor as translation makes it and convert sends it, and the ids only Alcor knows.

Some Alcor ids are only known once Alcor answers (each project's `default` security
group and the rules Alcor creates by itself get random UUIDs). Translation then puts a
deferred id, `deferred_id(kind, neutron_id)`, wherever that id belongs (bodies, paths,
the id map); the request whose response carries the id names it in `learns`, and
convert replaces the placeholders with `resolve_ids` before sending a dependent.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple


class NeutronRef(NamedTuple):
    """The Neutron resource a request (or finding) comes from (a named tuple: a large cloud's
    translation makes hundreds of thousands, at a quarter of a frozen dataclass's cost)."""

    kind: str  # snapshot collection name: "networks", "ports", ...
    id: str


_DEFERRED = re.compile(r"\{alcor-id:([a-z_]+):([^}]+)\}")


def deferred_id(kind: str, neutron_id: str) -> str:
    """A placeholder for the Alcor id of a Neutron resource, known once Alcor answers."""
    return f"{{alcor-id:{kind}:{neutron_id}}}"


def is_deferred(value: Any) -> bool:
    """Whether a value is (or holds) a deferred id."""
    return isinstance(value, str) and "{alcor-id:" in value


def parse_deferred(value: str) -> tuple[str, str] | None:
    """(kind, neutron id) if `value` is exactly a deferred id, else None."""
    found = _DEFERRED.fullmatch(value)
    return (found.group(1), found.group(2)) if found else None


def resolve_ids(value: Any, lookup: Callable[[str, str], str | None]) -> Any:
    """`value` (a string or a JSON document) with every deferred id replaced by
    `lookup(kind, neutron_id)`; KeyError if one is unknown.

    A document is rewritten as JSON text: a bulk body of thousands of items in one pass.
    """
    def replace(found: re.Match[str]) -> str:
        alcor_id = lookup(found.group(1), found.group(2))
        if alcor_id is None:
            raise KeyError(f"no Alcor id learned yet for {found.group(1)} {found.group(2)}")
        return alcor_id if isinstance(value, str) else json.dumps(alcor_id)[1:-1]

    text = value if isinstance(value, str) else json.dumps(value)
    if "{alcor-id:" not in text:
        return value
    replaced = _DEFERRED.sub(replace, text)
    return replaced if isinstance(value, str) else json.loads(replaced)


@dataclass(frozen=True, slots=True)
class Learn:
    """Where a create response carries the Alcor id of a Neutron resource (or of a rule
    Alcor made by itself). `path` walks the response (keys and list indexes); if it ends
    on a list, the id is that of the first element whose fields equal `match`."""

    kind: str
    neutron_id: str
    path: tuple[str | int, ...]
    match: tuple[tuple[str, Any], ...] = ()

    def find(self, response: Any) -> str | None:
        """The learned id in a response body, or None if it is not there."""
        node = response
        for step in self.path:
            try:
                node = node[step]
            except (KeyError, IndexError, TypeError):
                return None
        if isinstance(node, list):
            wanted = dict(self.match)
            for element in node:
                if isinstance(element, dict) and all(element.get(k) == v for k, v in wanted.items()):
                    return element.get("id")
            return None
        return node if isinstance(node, str) else None

    def within(self, *steps: str | int) -> Learn:
        """The same learn, for a response that holds this one's under `steps`."""
        return Learn(self.kind, self.neutron_id, (*steps, *self.path), self.match)

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.neutron_id, "path": list(self.path), "match": dict(self.match)}


@dataclass(frozen=True)
class AlcorRequest:
    """One HTTP request to one Alcor service, with every parameter spelled out.

    `key` is stable across runs for the same snapshot and options, so the state
    store can checkpoint it; `depends_on` names the keys that must be applied first.
    """

    key: str
    kind: str  # Alcor kind: "segment_table", "node", "vpc", "subnet", "security_group", ...
    service: str  # one of wizard.alcor.services.SERVICES
    method: str
    path: str
    body: dict[str, Any] | None
    neutron: tuple[NeutronRef, ...] = ()
    depends_on: tuple[str, ...] = ()
    learns: tuple[Learn, ...] = ()  # ids this request's response carries
    deferred: bool = False  # body or path holds deferred ids: resolve_ids before sending

    def to_json(self, seq: int) -> dict[str, Any]:
        """The line written to requests.jsonl."""
        refs = [{"kind": ref.kind, "id": ref.id} for ref in self.neutron]
        line = {
            "seq": seq,
            "key": self.key,
            "kind": self.kind,
            "service": self.service,
            "method": self.method,
            "path": self.path,
            "body": self.body,
            "neutron": refs[0] if len(refs) == 1 else refs,
            "depends_on": list(self.depends_on),
        }
        if self.learns:
            line["learns"] = [learn.to_json() for learn in self.learns]
        return line
