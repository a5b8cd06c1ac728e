"""Repair: make Alcor hold what a fresh translation of Neutron says, sending only the difference.

Writes that bypassed the captures (a client talking to neutron-server directly, an outage in
fail-open mode, agents' changes) leave Alcor behind Neutron, and verify finds the drift. Like
pt-table-sync after pt-table-checksum, repair reads both sides as verify does (`observe`) and
sends, through convert's Converter (each request checkpointed; refusals reported as convert's):

1. detaches and route removals: a subnet on a router the translation does not put it on, a
   router's extra routes the translation does not give it;
2. deletes of what Alcor holds beyond the translation, children first, and only what the
   migration made (`made_by_migration`); anything else Alcor holds (what Alcor makes by itself,
   what another tool put there) is left alone and listed as `kept`;
3. the creates of what Alcor lacks: the translation's own requests, a bulk create cut down to
   the missing items, with the deletes of Alcor's own rules the translation asks for in a new group;
4. attaches and route additions the translation expects;
5. updates: a PUT of the differing fields (a rule, which Alcor cannot update, is deleted and
   created again).

A pass keys its requests `repair:N:...` (N counts the passes that sent something), so a later
pass may send the same change again. The difference is computed afresh from both sides every
time: a pass killed midway is repaired by the next, and a pass after a clean one sends nothing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from wizard.alcor.client import AlcorClient
from wizard.alcor.convert import Converter, ConvertSummary
from wizard.alcor.paths import (
    ADD_EXTRA_ROUTES,
    ADD_ROUTER_INTERFACE,
    ELASTIC_IP,
    ELASTIC_IP_RANGE,
    EXTRA_ROUTES_WRAPPER,
    KINDS,
    NODE,
    PORT,
    REMOVE_EXTRA_ROUTES,
    REMOVE_ROUTER_INTERFACE,
    ROUTER,
    SECURITY_GROUP,
    SECURITY_GROUP_RULE,
    SUBNET,
    VPC,
    Kind,
    match,
)
from wizard.alcor.request import AlcorRequest, Learn
from wizard.alcor.verify import ROUTES_FIELD, Drift, Expected, compare, observe
from wizard.core.errors import MigrateError
from wizard.core.state import StateStore
from wizard.neutron.snapshot import COLLECTIONS

PHASE = "repair"
PASSES = "repair.passes"  # state meta: passes that sent something
MADE = "repair.made"  # state meta: ids of the resources repair created
ATTACHED = "attached_router_id"
CREATED, UPDATED, DELETED = "created", "updated", "deleted"
# Deletes, children before parents (a subnet goes once its ports and router are gone; a group takes its rules).
DELETE_ORDER = (ELASTIC_IP, PORT, ROUTER, SECURITY_GROUP_RULE, SECURITY_GROUP, SUBNET, VPC, ELASTIC_IP_RANGE, NODE)

Items = dict[str, dict[str, dict[str, Any]]]  # kind -> id -> fields


class RepairIncomplete(MigrateError):
    """Some repair requests failed or were held back; running again retries them."""


@dataclass(frozen=True)
class Change:
    """One resource repair changes in Alcor: created, updated (which fields) or deleted."""

    action: str
    kind: str
    id: str
    fields: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"action": self.action, "kind": self.kind, "id": self.id, "fields": list(self.fields)}


@dataclass
class Patch:
    """The difference to send: the changes, the requests that make them (in order), what Alcor
    holds beyond the translation that the migration did not make (`kept`), and what repair
    cannot send (`unrepairable`: resources Alcor makes by itself, missing while their parent is not)."""

    drift: Drift
    changes: list[Change] = field(default_factory=list)
    requests: list[AlcorRequest] = field(default_factory=list)
    kept: list[tuple[str, str]] = field(default_factory=list)
    unrepairable: list[tuple[str, str]] = field(default_factory=list)

    def counts(self) -> dict[str, dict[str, int]]:
        """Per kind, how many resources are created, updated and deleted."""
        out: dict[str, dict[str, int]] = {}
        for change in self.changes:
            kind = out.setdefault(change.kind, {CREATED: 0, UPDATED: 0, DELETED: 0})
            kind[change.action] += 1
        return out

    def to_json(self, most: int | None = None) -> dict[str, Any]:
        return {"drift": self.drift.total, "requests": len(self.requests), "repaired": self.counts(),
                "changes": [c.to_json() for c in self.changes[:most]],
                "kept": [list(k) for k in self.kept[:most]],
                "unrepairable": [list(u) for u in self.unrepairable[:most]]}


@dataclass
class RepairResult:
    """One repair pass: the patch, what sending it did (None when nothing was sent), and the drift
    left afterwards (None for a dry run, or when not verified again)."""

    patch: Patch
    sent: ConvertSummary | None = None
    drift: Drift | None = None

    @property
    def complete(self) -> bool:
        return self.sent is None or self.sent.complete

    def summary(self) -> dict[str, Any]:
        """What the phase record and the report keep (`drift`: what is left, when verified again)."""
        out = {"drift_before": self.patch.drift.total, "requests": len(self.patch.requests),
               "sent": self.sent.applied if self.sent else 0,
               "failed": len(self.sent.failures) + len(self.sent.held_back) if self.sent else 0,
               "repaired": self.patch.counts(), "kept": len(self.patch.kept),
               "changes": [c.to_json() for c in self.patch.changes[:SHOWN]]}
        return out if self.drift is None else {**out, "drift": self.drift.total}

    def describe(self) -> str:
        """One line an operator reads (after the phase's name)."""
        counts = self.patch.counts()
        done = ", ".join(f"{kind} {'/'.join(str(n[a]) for a in (CREATED, UPDATED, DELETED))}"
                         for kind, n in sorted(counts.items()))
        what = f"repaired (created/updated/deleted) {done}" if counts else "nothing to repair"
        kept = f"; {len(self.patch.kept)} resource(s) Alcor holds that the migration did not make, kept" \
            if self.patch.kept else ""
        return f"{what} in {len(self.patch.requests)} request(s){kept}"


SHOWN = 50  # changes kept in a phase summary


# -- what the migration made --------------------------------------------------------------------
def made_by_migration(run_requests: Sequence[AlcorRequest], state: StateStore) -> set[str]:
    """Ids of the Alcor resources the migration made: those the run's translation creates, those a
    request it sent names (replay's and repair's single creates: `kind:neutron id`, and the ids
    Alcor gave them), and those repair created."""
    made = {id for items in Expected(state.mapped_id).play(run_requests).items.values() for id in items}
    for key in state.sent_keys():
        tail = key.rsplit(":", 1)[-1]
        made.add(tail)
        made.update(alcor for kind in COLLECTIONS if (alcor := state.mapped_id(kind, tail)))
    made.update(state.get_meta(MADE, []))
    return made


def _is_made(kind: str, id: str, item: dict[str, Any], made: set[str]) -> bool:
    """Made by the migration; a rule also when it is in a group the migration made (Alcor's own rules)."""
    return id in made or (kind == SECURITY_GROUP_RULE.name and item.get("security_group_id") in made)


# -- the difference -----------------------------------------------------------------------------
def patch(requests: Sequence[AlcorRequest], expected: Expected, actual: Items, made: set[str]) -> Patch:
    """What to send so that Alcor holds what `requests` (a translation) make: see the module's steps."""
    out = Patch(compare(expected, actual))
    missing = {(k.kind, id) for k in out.drift.kinds for id in k.missing}
    doomed: dict[str, set[str]] = {}
    for k in out.drift.kinds:
        for id in k.unexpected:
            if _is_made(k.kind, id, actual[k.kind][id], made):
                doomed.setdefault(k.kind, set()).add(id)
            else:
                out.kept.append((k.kind, id))
    wanted_subnets, wanted_routers = expected.items.get(SUBNET.name, {}), expected.items.get(ROUTER.name, {})
    have_subnets, have_routers = actual.get(SUBNET.name, {}), actual.get(ROUTER.name, {})
    changed: dict[tuple[str, str], set[str]] = {}  # updates: (kind, id) -> fields

    first: list[AlcorRequest] = []  # detaches and route removals
    for id, subnet in sorted(have_subnets.items()):
        on, want = subnet.get(ATTACHED), (wanted_subnets.get(id) or {}).get(ATTACHED)
        if on and on != want and (id in wanted_subnets or id in doomed.get(SUBNET.name, ())):
            first.append(_router_action(REMOVE_ROUTER_INTERFACE, on, _project(have_routers.get(on), subnet),
                                        {"subnet_id": id}, f"repair-detach:{on}:{id}"))
            if id in wanted_subnets:  # else it is deleted next
                changed.setdefault((SUBNET.name, id), set()).add(ATTACHED)
    last: list[AlcorRequest] = []  # attaches and route additions
    for id, subnet in sorted(wanted_subnets.items()):
        want = subnet.get(ATTACHED)
        if want and (have_subnets.get(id) or {}).get(ATTACHED) != want:
            last.append(_router_action(ADD_ROUTER_INTERFACE, want, _project(wanted_routers.get(want), subnet),
                                       {"subnet_id": id}, f"repair-attach:{want}:{id}"))
            if (SUBNET.name, id) not in missing:
                changed.setdefault((SUBNET.name, id), set()).add(ATTACHED)
    for id, router in sorted(wanted_routers.items()):
        want, have = router.get(ROUTES_FIELD) or [], (have_routers.get(id) or {}).get(ROUTES_FIELD) or []
        gone, new = [r for r in have if r not in want], [r for r in want if r not in have]
        project = _project(have_routers.get(id), router)
        if gone:
            first.append(_routes(REMOVE_EXTRA_ROUTES, id, project, gone))
        if new:
            last.append(_routes(ADD_EXTRA_ROUTES, id, project, new))
        if (gone or new) and (ROUTER.name, id) not in missing:
            changed.setdefault((ROUTER.name, id), set()).add(ROUTES_FIELD)

    deletes: list[AlcorRequest] = []
    groups_gone = doomed.get(SECURITY_GROUP.name, set())
    for kind in DELETE_ORDER:
        for id in sorted(doomed.get(kind.name, ())):
            item = actual[kind.name][id]
            out.changes.append(Change(DELETED, kind.name, id))
            if kind is SECURITY_GROUP_RULE and item.get("security_group_id") in groups_gone:
                continue  # deleted with its group
            deletes.append(_delete(kind, id, _project(item)))

    rules_again: set[tuple[str, str]] = set()  # rules on both sides that differ: deleted, created again
    updates: list[AlcorRequest] = []
    for k in out.drift.kinds:
        for d in k.differences:
            if d.field in (ROUTES_FIELD, ATTACHED):
                continue
            if d.kind == SECURITY_GROUP_RULE.name:
                if not _made_by_alcor(expected, (d.kind, d.id)):
                    rules_again.add((d.kind, d.id))
            else:
                changed.setdefault((d.kind, d.id), set()).add(d.field)
    for name, id in sorted(changed):
        fields = changed[(name, id)] - {ROUTES_FIELD, ATTACHED}
        if fields:
            want = expected.items[name][id]
            updates.append(_update(KINDS[name], id, _project(actual[name][id], want),
                                   {f: want[f] for f in sorted(fields)}))
        out.changes.append(Change(UPDATED, name, id, tuple(sorted(changed[(name, id)]))))
    for name, id in sorted(rules_again):
        deletes.append(_delete(SECURITY_GROUP_RULE, id, _project(actual[name][id])))
        out.changes.append(Change(UPDATED, name, id, ("(deleted and created again)",)))

    creates = _creates(requests, expected, missing | rules_again, out)
    out.requests = first + deletes + creates + last + updates
    return out


def _creates(requests: Sequence[AlcorRequest], expected: Expected, missing: set[tuple[str, str]],
             out: Patch) -> list[AlcorRequest]:
    """The translation's creates of what is missing, cut down to it, in translation order, and the
    translation's deletes (of Alcor's own rules) in the groups they create."""
    wanted: dict[str, set[int] | None] = {}  # request key -> bulk items wanted (None: all of it)
    by_origin: dict[tuple[str, int | None], list[tuple[str, str]]] = {}
    for kind, id in missing:
        request, index = expected.origins[(kind, id)]
        by_origin.setdefault((request.key, index), []).append((kind, id))
    for (key, index), resources in by_origin.items():
        if all(_made_by_alcor(expected, resource) for resource in resources):
            out.unrepairable += sorted(resources)  # rules Alcor makes in a group it holds already
            continue
        out.changes += [Change(CREATED, kind, id) for kind, id in sorted(resources)]
        if index is None:
            wanted[key] = None
        elif (indexes := wanted.setdefault(key, set())) is not None:
            indexes.add(index)
    sent: list[AlcorRequest] = []
    created_refs: set[str] = set()
    for request in requests:
        if request.key in wanted:
            cut = _only(request, wanted[request.key])
            sent.append(cut)
            created_refs.update(ref.id for ref in cut.neutron)
        elif request.method == "DELETE" and any(ref.id in created_refs for ref in request.neutron):
            sent.append(request)
    keys = {r.key for r in sent}
    return [dataclasses.replace(r, depends_on=tuple(d for d in r.depends_on if d in keys)) for r in sent]


def _made_by_alcor(expected: Expected, resource: tuple[str, str]) -> bool:
    """A rule Alcor makes by itself in a new group (the group's create is its origin)."""
    return resource[0] == SECURITY_GROUP_RULE.name and expected.origins[resource][0].kind != resource[0]


def _only(request: AlcorRequest, indexes: set[int] | None) -> AlcorRequest:
    """A bulk create cut down to the items at `indexes` (their learns renumbered); the request itself
    when every item is wanted."""
    op = match(request.method, request.path)
    bulk = op.kind.bulk if op is not None else None
    items = (request.body or {}).get(bulk) if bulk else None
    if bulk is None or indexes is None or not isinstance(items, list) or len(indexes) == len(items):
        return request
    keep = sorted(indexes)
    place = {old: new for new, old in enumerate(keep)}
    ids = {items[i].get("id") for i in keep}
    learns = tuple(Learn(learn.kind, learn.neutron_id, (learn.path[0], place[learn.path[1]], *learn.path[2:]),
                         learn.match)
                   for learn in request.learns if isinstance(learn.path[1], int) and learn.path[1] in place)
    return dataclasses.replace(request, body={bulk: [items[i] for i in keep]}, learns=learns,
                               neutron=tuple(ref for ref in request.neutron if ref.id in ids))


def _project(item: dict[str, Any] | None, other: dict[str, Any] | None = None) -> str | None:
    for source in (item or {}, other or {}):
        project = source.get("project_id") or source.get("tenant_id")
        if project:
            return str(project)
    return None


def _request(kind: Kind, method: str, path: str, body: dict[str, Any] | None, key: str) -> AlcorRequest:
    return AlcorRequest(key=key, kind=kind.name, service=kind.service, method=method, path=path, body=body)


def _delete(kind: Kind, id: str, project: str | None) -> AlcorRequest:
    return _request(kind, "DELETE", kind.item_path(id, project), None, f"repair-delete:{kind.name}:{id}")


def _update(kind: Kind, id: str, project: str | None, fields: dict[str, Any]) -> AlcorRequest:
    return _request(kind, "PUT", kind.item_path(id, project), {kind.wrapper: fields}, f"repair-update:{kind.name}:{id}")


def _router_action(action: str, router_id: str, project: str | None, body: dict[str, Any], key: str) -> AlcorRequest:
    request = _request(ROUTER, "PUT", f"{ROUTER.item_path(router_id, project)}/{action}", body, key)
    return dataclasses.replace(request, kind="router_interface")


def _routes(action: str, router_id: str, project: str | None, routes: list[dict[str, Any]]) -> AlcorRequest:
    body = {EXTRA_ROUTES_WRAPPER: {"routes": [{"destination": r.get("destination"), "nexthop": r.get("nexthop")}
                                              for r in routes]}}
    request = _request(ROUTER, "PUT", f"{ROUTER.item_path(router_id, project)}/{action}", body,
                       f"repair-{action}:{router_id}")
    return dataclasses.replace(request, kind="extraroutes")


# -- one pass -------------------------------------------------------------------------------------
def repair(requests: Sequence[AlcorRequest], client: AlcorClient, state: StateStore, made: set[str], *,
           dry_run: bool = False, verify_after: bool = True, concurrency: int = 8,
           emit: Callable[[Any], None] = lambda event: None,
           checkpoint: Callable[[], None] = lambda: None) -> RepairResult:
    """Compute the difference between `requests` (a translation of Neutron now, learned ids restored)
    and Alcor, send it (unless `dry_run`) and verify again (unless not `verify_after`: the run's
    verify phase follows). `made`: made_by_migration's ids."""
    expected, actual = observe(requests, client, state.mapped_id)
    diff = patch(requests, expected, actual, made)
    if dry_run or not diff.requests:
        return RepairResult(diff, None, None if dry_run else diff.drift)
    passes = state.get_meta(PASSES, 0) + 1
    state.set_meta(PASSES, passes)
    state.set_meta(MADE, sorted(set(state.get_meta(MADE, [])) | {c.id for c in diff.changes if c.action == CREATED}))
    prefix = f"repair:{passes}:"
    keyed = [dataclasses.replace(r, key=prefix + r.key, depends_on=tuple(prefix + d for d in r.depends_on))
             for r in diff.requests]
    converter = Converter(client, state, concurrency=concurrency, emit=emit, checkpoint=checkpoint, phase=PHASE)
    sent = converter.run(keyed)
    after = compare(*observe(requests, client, state.mapped_id)) if verify_after else None
    return RepairResult(diff, sent, after)
