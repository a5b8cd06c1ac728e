"""Verify: read Alcor back and compare it with what the translation says should exist.

Expected: every resource the translation's creates make, with the fields they send
(deferred ids resolved through the state store's id map; the rules Alcor makes in each
group, learned at convert; router interfaces and extra routes applied; deletes removed).
Actual: Alcor's list of each kind (lists are not filtered by project). Router lists leave
out the route table (Alcor: RM NeutronRouterController.getNeutronRouters copies `Router`
beans, whose table is `neutronRouteTable`), so each router Alcor holds is read by a single
GET for its extra routes (NeutronRouterServiceImpl.getNeutronRouter): a router holding
routes the translation does not give it is drift too. Alcor refuses a list whose scan
matches 100,000 rows or more, so ports and subnets are read per network and rules per group
(`SLICED`: filters Alcor applies in the scan), many parents to a query while the translation
expects at most SLICE_ROWS rows in them; a query Alcor refuses anyway is split, and one
parent alone over the cap is an error naming it. A port or subnet of a network Alcor does
not hold, or a rule of a group it does not hold, is not read.

Not drift: fields Alcor keeps for itself (status, revision, timestamps), keys it
allocates (VNIs), fields it fills when a create leaves them empty (values.py), fields a
create did not send, list order where order means nothing (pools by start, routes by
destination, fixed IPs by address...), the gateway port Alcor makes with each subnet and
the default group Alcor makes for a project that had none.

The drift (ctx.artifacts["drift"], `verify --json`) is a `Drift`: per kind (`KindDrift`)
the counts expected and actual, the ids missing and unexpected, and the `Difference`s
(kind, id, field, expected, actual) of resources on both sides. `Drift.total` is the
number of findings; zero means Alcor holds exactly what the translation says.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from wizard.alcor import values
from wizard.alcor.client import IDS_PER_LOOKUP, AlcorClient, RowCapReached
from wizard.alcor.paths import (
    ADD_EXTRA_ROUTES,
    ADD_ROUTER_INTERFACE,
    BULK_CREATE,
    CREATE,
    DELETE,
    EXTRA_ROUTES_WRAPPER,
    KINDS,
    PORT,
    REMOVE_EXTRA_ROUTES,
    REMOVE_ROUTER_INTERFACE,
    ROUTER,
    SECURITY_GROUP,
    SECURITY_GROUP_RULE,
    SEGMENT,
    SUBNET,
    UPDATE,
    VPC,
    Kind,
    Operation,
    match,
)
from wizard.errors import MigrateError
from wizard.translate.model import AlcorRequest, resolve_ids

Lookup = Callable[[str, str], "str | None"]

# Lists compared as sets: sorted by this key of their elements (None: the elements themselves).
SORT_KEYS: dict[str, str | None] = {
    "allocation_pools": "start", "allocation_ranges": "start", "host_routes": "destination",
    "routes": "destination", "fixed_ips": "ip_address", "allowed_address_pairs": "ip_address",
    "external_fixed_ips": "ip_address", "extra_dhcp_opts": "opt_name", "security_groups": None, "tags": None,
    "subnet_ids": None, "availability_zone_hints": None,
}
ROUTES_FIELD = "routes"  # a router's extra routes, read from its route table
# Kinds read in slices under Alcor's row cap: the filter Alcor applies in its scan (a field of
# the entity, ControllerUtil.transformUrlPathParams) and the kind whose ids it takes.
SLICED: dict[str, tuple[str, str]] = {
    PORT.name: ("network_id", VPC.name), SUBNET.name: ("network_id", VPC.name),
    SECURITY_GROUP_RULE.name: ("security_group_id", SECURITY_GROUP.name),
}
SLICE_ROWS = values.SCAN_ROW_LIMIT // 2  # rows the translation expects in one slice, at most: room for what it does not


class DriftFound(MigrateError):
    """Alcor does not hold what the translation says it should."""


@dataclass(frozen=True)
class Difference:
    kind: str
    id: str
    field: str
    expected: Any
    actual: Any

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id, "field": self.field, "expected": self.expected,
                "actual": self.actual}


@dataclass
class KindDrift:
    """One kind: how many resources each side has, and what differs."""

    kind: str
    expected: int
    actual: int
    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    differences: list[Difference] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.missing) + len(self.unexpected) + len(self.differences)

    def to_json(self, most: int | None = None) -> dict[str, Any]:
        return {"kind": self.kind, "expected": self.expected, "actual": self.actual,
                "missing": self.missing[:most], "unexpected": self.unexpected[:most],
                "differences": [d.to_json() for d in self.differences[:most]]}


@dataclass
class Drift:
    kinds: list[KindDrift]

    @property
    def total(self) -> int:
        return sum(k.total for k in self.kinds)

    def to_json(self, most: int | None = None) -> dict[str, Any]:
        return {"total": self.total, "kinds": [k.to_json(most) for k in self.kinds]}

    def rows(self) -> list[tuple[str, str, str, Any, Any]]:
        """Every difference as (kind, id, field, expected, actual), for tables; a resource Alcor
        lacks has the field "(missing)", one Alcor holds beyond the translation "(unexpected)"."""
        out: list[tuple[str, str, str, Any, Any]] = []
        for kind in self.kinds:
            out += [(kind.kind, rid, "(missing)", "present", None) for rid in kind.missing]
            out += [(kind.kind, rid, "(unexpected)", None, "present") for rid in kind.unexpected]
            out += [(d.kind, d.id, d.field, d.expected, d.actual) for d in kind.differences]
        return out

    def summary(self) -> dict[str, Any]:
        """Counts only: what the phase record keeps."""
        return {"drift": self.total, "kinds": {
            k.kind: {"expected": k.expected, "actual": k.actual, "missing": len(k.missing),
                     "unexpected": len(k.unexpected), "different": len(k.differences)} for k in self.kinds}}


# -- what should exist ------------------------------------------------------------------------
class Expected:
    """Per kind, id -> the fields Alcor should hold, built by playing the requests forward."""

    def __init__(self, lookup: Lookup):
        self.lookup = lookup
        self.items: dict[str, dict[str, dict[str, Any]]] = {}
        self.projects: dict[str, str | None] = {}  # kind -> a project its collection path can name
        # (kind, id) -> the create request that makes it, and its item's place in a bulk body (None: single)
        self.origins: dict[tuple[str, str], tuple[AlcorRequest, int | None]] = {}

    def play(self, requests: Iterable[AlcorRequest]) -> Expected:
        for request in requests:
            op = match(request.method, request.path)
            if op is not None:
                self._apply(request, op)
        return self

    def _apply(self, request: AlcorRequest, op: Operation) -> None:
        kind, action = op.kind, op.action
        try:
            body = resolve_ids(request.body, self.lookup)
            resolved = match(request.method, resolve_ids(request.path, self.lookup))
        except KeyError:  # an id convert never learned: what it creates is missing
            if action in (CREATE, BULK_CREATE):
                self._add(kind, request.key, {}, op.project_id, (request, None))
            return
        op = resolved or op  # the same route, with the ids Alcor gave
        if action == CREATE:
            self._created(kind, request, body, kind.unwrap(body) or {}, op.project_id, None)
        elif action == BULK_CREATE:
            for index, item in enumerate(body.get(kind.bulk) or []):
                self._created(kind, request, body, item, op.project_id, index)
        elif action == UPDATE:
            current = self.items.get(kind.name, {}).get(op.params["id"])
            if current is not None:
                current.update({k: v for k, v in (kind.unwrap(body) or {}).items() if v is not None})
        elif action == DELETE:
            self.items.get(kind.name, {}).pop(op.params["id"], None)
        elif action in (ADD_ROUTER_INTERFACE, REMOVE_ROUTER_INTERFACE):
            subnet = self.items.get(SUBNET.name, {}).get(body.get("subnet_id"))
            if subnet is not None:
                subnet["attached_router_id"] = op.params["id"] if action == ADD_ROUTER_INTERFACE else None
        elif action in (ADD_EXTRA_ROUTES, REMOVE_EXTRA_ROUTES):
            router = self.items.get(ROUTER.name, {}).get(op.params["id"])
            routes = (body.get(EXTRA_ROUTES_WRAPPER) or {}).get("routes") or []
            if router is not None:
                kept = [r for r in router.get(ROUTES_FIELD) or [] if r not in routes]
                router[ROUTES_FIELD] = kept + routes if action == ADD_EXTRA_ROUTES else kept

    def _created(self, kind: Kind, request: AlcorRequest, body: Any, item: dict, project: str | None,
                 index: int | None) -> None:
        """One created resource, under the id Alcor gave it, and the rules Alcor made in it."""
        origin = (request, index)
        own = next((learn for learn in request.learns  # Alcor gave it an id of its own
                    if learn.path[-1] == kind.id_field and _at(body, learn.path[:-1]) is item), None)
        id = self.lookup(own.kind, own.neutron_id) if own else kind.id_of(item)
        if id is None:
            self._add(kind, request.key, {}, project, origin)
            return
        fields = {**item, kind.id_field: id}
        if kind is ROUTER:  # extra routes come later (add_extraroutes); none until then
            fields[ROUTES_FIELD] = []
        self._add(kind, id, fields, project, origin)
        for learn in request.learns:  # the rules Alcor made in a new group
            if learn.path[-1] == values.GROUP_RULES_FIELD and _at(body, learn.path[:-1]) is item:
                rule_id = self.lookup(learn.kind, learn.neutron_id)
                self._add(SECURITY_GROUP_RULE, rule_id or learn.neutron_id,
                          {"id": rule_id, "security_group_id": id, **dict(learn.match)}, project, origin)

    def _add(self, kind: Kind, id: str, fields: dict[str, Any], project: str | None,
             origin: tuple[AlcorRequest, int | None]) -> None:
        self.items.setdefault(kind.name, {})[id] = fields
        self.projects.setdefault(kind.name, project)
        self.origins[(kind.name, id)] = origin


def _at(body: Any, path: Sequence[str | int]) -> Any:
    node = body
    for step in path:
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            return None
    return node


# -- what Alcor holds --------------------------------------------------------------------------
def read_alcor(client: AlcorClient, kinds: dict[str, str | None],
               expected: dict[str, dict[str, dict[str, Any]]] | None = None) -> dict[str, dict[str, dict[str, Any]]]:
    """Per kind, id -> item as Alcor holds it (a router with its extra routes as `routes`).

    `kinds` in KINDS order, so a sliced kind's parents are read before it; `expected` (per
    kind, id -> fields) sizes the slices and adds the parents the translation names.
    """
    expected = expected or {}
    actual: dict[str, dict[str, dict[str, Any]]] = {}
    for name, project in kinds.items():
        kind = KINDS[name]
        if name in SLICED:
            key, parent = SLICED[name]
            rows = Counter(str(item[key]) for item in expected.get(name, {}).values() if item.get(key))
            parents = set(actual.get(parent, {})) | set(rows)
            listed = [item for ids in slices(parents, rows) for item in _read_slice(client, name, project, key, ids)]
        else:
            listed = client.list(name, project)
        items = {id: item for item in listed if (id := kind.id_of(item))}  # one per id
        if name == ROUTER.name:
            for id, router in items.items():
                table = ((client.get(name, id, project) or {}).get("routetable") or {}).get("routes") or []
                router[ROUTES_FIELD] = [{"destination": r.get("destination"), "nexthop": r.get("nexthop")}
                                        for r in table]
        actual[name] = items
    return actual


def slices(parents: Iterable[str], rows: Mapping[str, int]) -> list[list[str]]:
    """The parent ids in groups of at most IDS_PER_LOOKUP, holding at most SLICE_ROWS expected rows
    (a parent expected to hold more is a group of its own)."""
    groups: list[list[str]] = []
    held = 0
    for parent in sorted(parents):
        if not groups or len(groups[-1]) == IDS_PER_LOOKUP or held + rows.get(parent, 0) > SLICE_ROWS:
            groups.append([])
            held = 0
        groups[-1].append(parent)
        held += rows.get(parent, 0)
    return groups


def _read_slice(client: AlcorClient, kind: str, project: str | None, key: str, ids: list[str]) -> list[dict]:
    """The items whose `key` is one of `ids`; a query Alcor refuses for its row cap is split in two."""
    try:
        return client.list(kind, project, **{key: ids})
    except RowCapReached:
        if len(ids) == 1:
            raise
        half = len(ids) // 2
        first, second = ids[:half], ids[half:]
        return _read_slice(client, kind, project, key, first) + _read_slice(client, kind, project, key, second)


def alcors_own(actual: dict[str, dict[str, dict[str, Any]]], expected: dict[str, dict[str, dict]]) -> set[str]:
    """Ids of what Alcor made by itself: each subnet's gateway port, a project's default group
    that the translation did not create, and that group's rules."""
    own = {port for s in actual.get(SUBNET.name, {}).values() if (port := s.get("gatewayPortId"))}
    groups = {id for id, g in actual.get(SECURITY_GROUP.name, {}).items()
              if g.get("name") == values.DEFAULT_SG_NAME and id not in expected.get(SECURITY_GROUP.name, {})}
    own |= groups
    own |= {id for id, r in actual.get(SECURITY_GROUP_RULE.name, {}).items() if r.get("security_group_id") in groups}
    return own


# -- comparing ----------------------------------------------------------------------------------
def compare(expected: Expected, actual: dict[str, dict[str, dict[str, Any]]]) -> Drift:
    own = alcors_own(actual, expected.items)
    kinds = []
    for name in KINDS:
        want, have = expected.items.get(name, {}), actual.get(name, {})
        if not want and not have:
            continue
        ignored = {id for id in have if id in own and id not in want}
        drift = KindDrift(name, len(want), len(have) - len(ignored))
        drift.missing = sorted(id for id in want if id not in have)
        drift.unexpected = sorted(id for id in have if id not in want and id not in ignored)
        for id in sorted(set(want) & set(have)):
            drift.differences += differences(name, id, want[id], have[id])
        kinds.append(drift)
    return Drift(kinds)


def differences(kind: str, id: str, expected: dict[str, Any], actual: dict[str, Any]) -> list[Difference]:
    """The fields sent that Alcor holds otherwise (Alcor's own decisions excepted)."""
    skipped = values.SERVER_FIELDS | values.ALLOCATED_FIELDS.get(kind, frozenset())
    filled = values.FILLED_WHEN_EMPTY.get(kind, frozenset())
    found = []
    for name, want in expected.items():
        if name in skipped or want is None or (name in filled and want in ([], "", {})):
            continue
        if not same(want, actual.get(name), name):
            found.append(Difference(kind, id, name, want, actual.get(name)))
    return found


def same(want: Any, got: Any, name: str | None = None) -> bool:
    """Whether Alcor's value means what was sent: dicts by the keys sent, lists in a canonical order."""
    if isinstance(want, dict):
        return isinstance(got, dict) and all(v is None or same(v, got.get(k), k) for k, v in want.items())
    if isinstance(want, list):
        if not isinstance(got, list) or len(want) != len(got):
            return False
        return all(same(w, g) for w, g in zip(_ordered(name, want), _ordered(name, got), strict=True))
    return want == got


def _ordered(name: str | None, items: list[Any]) -> list[Any]:
    if name not in SORT_KEYS:
        return items
    key = SORT_KEYS[name]
    return sorted(items, key=lambda i: json.dumps(i.get(key) if key and isinstance(i, dict) else i,
                                                   sort_keys=True, default=str))


def verify(requests: Sequence[AlcorRequest], client: AlcorClient, lookup: Lookup) -> Drift:
    """Read Alcor and compare it with what `requests` should have made."""
    return compare(*observe(requests, client, lookup))


def observe(requests: Sequence[AlcorRequest], client: AlcorClient,
            lookup: Lookup) -> tuple[Expected, dict[str, dict[str, dict[str, Any]]]]:
    """What `requests` should have made, and what Alcor holds (the two sides verify compares)."""
    expected = Expected(lookup).play(requests)
    some_project = next((p for p in expected.projects.values() if p), None)
    kinds = {name: expected.projects.get(name) or some_project for name in KINDS if name != SEGMENT.name}
    return expected, read_alcor(client, kinds, expected.items)


class VerifyPhase:
    """The engine's verify phase: puts the Drift in ctx.artifacts["drift"]; raises DriftFound
    when Alcor differs from the translation (of Neutron now when writes were captured and
    replayed since the snapshot: `current_translation`)."""

    name = "verify"

    def run(self, ctx) -> dict[str, Any]:
        from wizard.translate_phase import current_translation  # that module's phase runs before this one

        translation = current_translation(ctx)
        with AlcorClient.from_plan(ctx.plan) as client:
            drift = verify(translation.requests, client, ctx.state.mapped_id)
        ctx.artifacts["drift"] = drift
        if drift.total:
            raise DriftFound(describe(drift))
        return drift.summary()


def describe(drift: Drift, most: int = 10) -> str:
    """A few lines an operator reads: the total and the first findings."""
    lines = [f"verify: {drift.total} difference(s) between Alcor and the translation"]
    for k in drift.kinds:
        lines += [f"  {k.kind} {id}: missing in Alcor" for id in k.missing[:most]]
        lines += [f"  {k.kind} {id}: in Alcor, not in the translation" for id in k.unexpected[:most]]
        lines += [f"  {d.kind} {d.id}: {d.field}: expected {d.expected!r}, Alcor has {d.actual!r}"
                  for d in k.differences[:most]]
    return "\n".join(lines)
