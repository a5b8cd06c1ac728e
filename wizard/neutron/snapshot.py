"""The snapshot file: every Neutron network resource exactly as the v2.0 API returns it.

Format `neutron-snapshot/1`, one JSON document:

    {"format": "neutron-snapshot/1",
     "source": {"endpoint": "...", "taken_at": "2026-11-25T15:00:00Z", "extensions": ["router", ...]},
     "networks": [...], "subnets": [...], "ports": [...], "routers": [...],
     "security_groups": [...], "security_group_rules": [...], "floatingips": [...],
     "agents": [...], "segments": [...], "network_segment_ranges": [...]}

Each list holds resources with the same keys and values Neutron's API gives. A collection
Neutron serves only with an extension (REQUIRED_EXTENSION) may be absent when
`source.extensions` lacks that extension, and reads as empty.
A document nested deeper than MAX_DEPTH levels, or holding NaN or an infinity, is refused
with the place named (no Alcor body may carry them; json and translation recurse).
"""

from __future__ import annotations

import gc
import json
import math
import operator
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import chain, repeat
from pathlib import Path
from typing import Any

import msgspec

from wizard.core.collector import collector_paused
from wizard.core.errors import InputError
from wizard.neutron import shallow_json

FORMAT = "neutron-snapshot/1"
STATE_FILE = "snapshot.json"  # the run's snapshot, in its state directory
TAKEN_KEY = "snapshot"  # state meta: {"source", "taken_at", "counts"} once STATE_FILE is complete
MAX_DEPTH = 64  # nested objects and lists; Neutron's resources need a handful, json and translation recurse

# Collection name -> the Neutron API path it is read from.
COLLECTIONS: dict[str, str] = {
    "networks": "/v2.0/networks",
    "subnets": "/v2.0/subnets",
    "ports": "/v2.0/ports",
    "routers": "/v2.0/routers",
    "security_groups": "/v2.0/security-groups",
    "security_group_rules": "/v2.0/security-group-rules",
    "floatingips": "/v2.0/floatingips",
    "agents": "/v2.0/agents",
    "segments": "/v2.0/segments",
    "network_segment_ranges": "/v2.0/network_segment_ranges",
}
# Collections Neutron serves only when it has this extension; others are always there.
REQUIRED_EXTENSION = {"segments": "segment", "network_segment_ranges": "network-segment-range"}
# The key around one resource of each collection in Neutron's answers ({"network": {...}}).
SINGULAR: dict[str, str] = {
    "networks": "network", "subnets": "subnet", "ports": "port", "routers": "router",
    "security_groups": "security_group", "security_group_rules": "security_group_rule",
    "floatingips": "floatingip", "agents": "agent", "segments": "segment",
    "network_segment_ranges": "network_segment_range",
}

_LIST, _DICT, _STR, _INT, _BOOL = list, dict, str, int, bool
_OPT_STR = (str, type(None))
_OPT_DICT = (dict, type(None))

# Fields whose type the loader checks, per collection; others are carried as they are.
FIELD_TYPES: dict[str, dict[str, Any]] = {
    "networks": {"name": _OPT_STR, "project_id": _STR, "subnets": _LIST, "admin_state_up": _BOOL},
    "subnets": {"network_id": _STR, "cidr": _STR, "ip_version": _INT, "allocation_pools": _LIST,
                "gateway_ip": _OPT_STR, "project_id": _STR},
    "ports": {"network_id": _STR, "fixed_ips": _LIST, "mac_address": _STR, "security_groups": _LIST,
              "device_owner": _OPT_STR, "project_id": _STR},
    "routers": {"external_gateway_info": _OPT_DICT, "routes": _LIST, "project_id": _STR},
    "security_groups": {"name": _OPT_STR, "project_id": _STR},
    "security_group_rules": {"security_group_id": _STR, "direction": _STR, "ethertype": _STR},
    "floatingips": {"floating_network_id": _STR, "floating_ip_address": _STR, "project_id": _STR},
    "agents": {"host": _STR, "agent_type": _STR, "configurations": _DICT},
    "segments": {"network_id": _STR},
    "network_segment_ranges": {"network_type": _STR},
}


@dataclass
class Snapshot:
    """A loaded snapshot: the source facts and one list per collection."""

    source: dict[str, Any] = field(default_factory=dict)
    collections: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: {name: [] for name in COLLECTIONS}
    )

    def __getitem__(self, name: str) -> list[dict[str, Any]]:
        return self.collections[name]

    @property
    def extensions(self) -> list[str]:
        return list(self.source.get("extensions", []))

    def counts(self) -> dict[str, int]:
        return {name: len(items) for name, items in self.collections.items()}

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "source": self.source, **self.collections}


def save(snapshot: Snapshot, path: str | os.PathLike) -> None:
    """Write the snapshot atomically (temp file, fsync, rename)."""
    write(path, snapshot.source, snapshot.collections)


def write(path: str | os.PathLike, source: dict[str, Any],
          collections: Mapping[str, Iterable[dict[str, Any]]], indent: int | None = 1) -> dict[str, int]:
    """Stream a snapshot to PATH one resource at a time, atomically; returns the counts.

    Collections missing from COLLECTIONS' order are written empty. The text is
    what `json.dump(document, indent=1)` gives, without holding the document;
    `indent=None` puts each resource on one line, twice as fast to write.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    counts = {}
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            os.fchmod(fh.fileno(), 0o600)  # the cloud's inventory: its owner's only, like the state directory
            fh.write(f'{{\n "format": {json.dumps(FORMAT)},\n "source": {_nested(source, 1, indent)}')
            for name in COLLECTIONS:
                fh.write(f",\n {json.dumps(name)}: [")
                counts[name] = 0
                for item in collections.get(name, ()):
                    fh.write(("," if counts[name] else "") + "\n  " + _nested(item, 2, indent))
                    counts[name] += 1
                fh.write("\n ]" if counts[name] else "]")
            fh.write("\n}\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return counts


def _nested(value: Any, depth: int, indent: int | None) -> str:
    """VALUE as json.dump(indent=INDENT) writes it DEPTH levels deep."""
    text = json.dumps(value, indent=indent)
    return text.replace("\n", "\n" + " " * depth) if indent is not None else text


def load(path: str | os.PathLike) -> Snapshot:
    """Read and validate a snapshot file; bad input raises InputError naming each place.

    msgspec parses it, in about 60 % of json's time, into the same objects, and where it can,
    proves while parsing that the document is not nested too deep (shallow_json). What msgspec
    refuses, json reads as before: its errors name the line and column, and it takes what
    Neutron's API may hold and msgspec does not (NaN and infinities, reported below; lone
    surrogates)."""
    path = Path(path)
    try:
        data = path.read_bytes()
        with collector_paused():
            try:
                (document, shallow), finite = shallow_json.decode(data, MAX_DEPTH), True  # no NaN, no infinity
            except msgspec.DecodeError:
                (document, finite), shallow = _json_document(data, path), False
            return from_document(document, origin=str(path), finite=finite, shallow=shallow)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}") from None
    except RecursionError:
        raise InputError(f"{path}:{_too_deep_at(path)}: nested deeper than {MAX_DEPTH} levels") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read: {exc}") from None


def _json_document(data: bytes, path: Path) -> tuple[Any, bool]:
    """The document as json reads it, and whether it holds no NaN or infinity."""
    non_finite: list[str] = []  # NaN, Infinity or a float too large, as the file writes it

    def number(text: str) -> float:
        value = float(text)
        if not math.isfinite(value):
            non_finite.append(text)
        return value

    text = data.decode("utf-8")
    try:
        document = json.loads(text, parse_float=number, parse_constant=number)
    except json.JSONDecodeError:
        raise
    except ValueError:  # Python converts no integer of more digits than sys.get_int_max_str_digits()
        raise InputError(f"{path}: not valid JSON: an integer of more than {sys.get_int_max_str_digits()} "
                         "digits") from None
    return document, not non_finite


def from_document(document: Any, origin: str = "snapshot", finite: bool = False, shallow: bool = False) -> Snapshot:
    """Validate a parsed snapshot document and wrap it (`finite`: its parser saw no NaN or infinity;
    `shallow`: nor anything nested deeper than MAX_DEPTH)."""
    problems = validate(document, finite, shallow)
    if problems:
        shown = problems[:25]
        if len(problems) > len(shown):
            shown.append(f"... and {len(problems) - len(shown)} more problems")
        raise InputError([f"{origin}: {problem}" for problem in shown])
    return Snapshot(
        source=document.get("source", {}),
        collections={name: document.get(name, []) for name in COLLECTIONS},
    )


def validate(document: Any, finite: bool = False, shallow: bool = False) -> list[str]:
    """Every problem in a snapshot document, each as `json.path: what is wrong` (`finite`: the
    document is known to hold no NaN or infinity; `shallow`: nothing nested deeper than MAX_DEPTH)."""
    if not isinstance(document, dict):
        return ["$: a snapshot is a JSON object"]
    problems = []
    if document.get("format") != FORMAT:
        problems.append(f"format: expected {FORMAT!r}, found {document.get('format')!r}")
    source = document.get("source", {})
    if not isinstance(source, dict):
        problems.append("source: expected an object")
    extensions = source.get("extensions") if isinstance(source, dict) else None
    extensions = extensions if isinstance(extensions, list) else []
    for name in COLLECTIONS:
        if name not in document:
            extension = REQUIRED_EXTENSION.get(name)
            if extension is None:
                problems.append(f"{name}: missing collection")
            elif extension in extensions:
                problems.append(f"{name}: missing collection (source.extensions lists {extension!r})")
            continue
        items = document[name]
        if not isinstance(items, list):
            problems.append(f"{name}: expected a list, found {_type_name(items)}")
            continue
        problems.extend(_validate_items(name, items))
    if finite and (shallow or not _may_nest_too_deep(document)):
        return problems
    return problems + _unsafe_values(document)


def _validate_items(name: str, items: list) -> list[str]:
    if _plainly_valid(items, FIELD_TYPES[name]):
        return []
    problems = []
    seen: set[str] = set()
    types = FIELD_TYPES[name]
    for index, item in enumerate(items):
        where = f"{name}[{index}]"
        if not isinstance(item, dict):
            problems.append(f"{where}: expected an object, found {_type_name(item)}")
            continue
        rid = item.get("id")
        if not isinstance(rid, str) or not rid:
            problems.append(f"{where}.id: missing or not a string")
        elif rid in seen:
            problems.append(f"{where}.id: duplicate id {rid}")
        else:
            seen.add(rid)
        for key, expected in types.items():
            if key in item and not _is_type(item[key], expected):
                problems.append(
                    f"{where}.{key}: expected {_expected_name(expected)}, found {_type_name(item[key])}"
                )
    return problems


class _Missing:
    """What `dict.get` gives below for a field a resource does not have."""


_MISSING = _Missing()


def _plainly_valid(items: list, types: dict[str, Any]) -> bool:
    """Whether every item is an object with its own non-empty string id and each checked field
    absent or of its type: one pass per field at C speed. False sends the items to the check
    that names every problem."""
    if not items:
        return True
    if set(map(type, items)) != {dict}:
        return False
    ids = list(map(dict.get, items, repeat("id")))
    unique = set(ids)
    if len(unique) != len(ids) or "" in unique or set(map(type, unique)) != {str}:
        return False
    for key, expected in types.items():
        allowed = {*(expected if isinstance(expected, tuple) else (expected,)), _Missing}
        if not set(map(type, map(dict.get, items, repeat(key), repeat(_MISSING)))) <= allowed:
            return False
    return True


_CHILDREN: dict[type, Callable[[Any], Iterable[Any]]] = {dict: dict.values, list: list.__iter__}  # what it holds


def _may_nest_too_deep(document: dict[str, Any]) -> bool:
    """Whether the document may hold an object or list deeper than MAX_DEPTH: a pass at C
    speed, one level at a time, each object or list read once. Only the objects and lists the
    garbage collector tracks are followed: one holding no object or list is not tracked."""
    level: list[Any] = [document]
    depth = 1
    while level:
        contents: Iterator[Iterable[Any]] = map(operator.call, map(_CHILDREN.__getitem__, map(type, level)), level)
        children = chain.from_iterable(contents)
        depth += 1
        if depth > MAX_DEPTH:
            return any(type(child) is dict or type(child) is list for child in children)
        level = list(filter(gc.is_tracked, children))
    return False


def _unsafe_values(document: dict[str, Any]) -> list[str]:
    """Where the document nests deeper than MAX_DEPTH or holds NaN or an infinity (no Alcor
    body may carry them), walked without recursion."""
    problems = []
    stack: list[tuple[Any, str, int]] = [(value, key, 2) for key, value in document.items()]
    while stack:
        value, where, depth = stack.pop()
        if isinstance(value, float) and not math.isfinite(value):
            problems.append(f"{where}: {value} is not a number Alcor accepts")
        elif isinstance(value, (dict, list)) and depth > MAX_DEPTH:
            problems.append(f"{where}: nested deeper than {MAX_DEPTH} levels")
        elif isinstance(value, dict):
            stack.extend((item, f"{where}.{key}", depth + 1) for key, item in value.items())
        elif isinstance(value, list):
            stack.extend((item, f"{where}[{index}]", depth + 1) for index, item in enumerate(value))
    return sorted(problems)


_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def _too_deep_at(path: Path) -> str:
    """LINE:COL of the first bracket past MAX_DEPTH in a file json could not parse for depth."""
    text = path.read_text(encoding="utf-8")
    depth = 0
    for token in _JSON_TOKEN.finditer(text):
        depth += {"[": 1, "{": 1, "]": -1, "}": -1}.get(token[0], 0)
        if depth > MAX_DEPTH:
            line_start = text.rfind("\n", 0, token.start()) + 1
            return f"{text.count(chr(10), 0, line_start) + 1}:{token.start() - line_start + 1}"
    return "1:1"


def _is_type(value: Any, expected: Any) -> bool:
    options = expected if isinstance(expected, tuple) else (expected,)
    if isinstance(value, bool) and bool not in options:
        return False
    return isinstance(value, options)


def _expected_name(expected: Any) -> str:
    options = expected if isinstance(expected, tuple) else (expected,)
    return " or ".join(_TYPE_NAMES[option] for option in options)


_TYPE_NAMES = {list: "a list", dict: "an object", str: "a string", int: "an integer",
               bool: "a boolean", type(None): "null", float: "a number"}


def _type_name(value: Any) -> str:
    return _TYPE_NAMES.get(type(value), type(value).__name__)
