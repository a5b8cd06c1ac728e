"""Building AlcorRequests from Alcor's kinds: single create, update, delete and bulk chunks.

Keys are stable for the same snapshot and options: `<kind>:<neutron id>` for one
resource, `<kind>-bulk:<project>:<first id>+<count>` for a chunk.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from operator import attrgetter
from typing import Any

from wizard.alcor.paths import Kind
from wizard.alcor.request import AlcorRequest, Learn, NeutronRef


def key(kind: str, resource_id: str) -> str:
    return f"{kind}:{resource_id}"


def create(endpoint: Kind, project: str | None, body: dict[str, Any], ref: NeutronRef,
           depends_on: Iterable[str] = (), learns: Sequence[Learn] = (), deferred: bool = False,
           extra_refs: Sequence[NeutronRef] = ()) -> AlcorRequest:
    """POST one resource to its collection."""
    return AlcorRequest(
        key=key(endpoint.name, ref.id), kind=endpoint.name, service=endpoint.service, method="POST",
        path=endpoint.collection_path(project), body={endpoint.wrapper: body},
        neutron=(ref, *extra_refs), depends_on=tuple(sorted(set(depends_on))), learns=tuple(learns),
        deferred=deferred)


def update(endpoint: Kind, project: str | None, alcor_id: str, body: dict[str, Any], ref: NeutronRef,
           depends_on: Iterable[str] = (), deferred: bool = False) -> AlcorRequest:
    """PUT one resource (Alcor merges: a null field keeps its old value)."""
    return AlcorRequest(
        key=key(f"{endpoint.name}-update", ref.id), kind=endpoint.name, service=endpoint.service, method="PUT",
        path=endpoint.item_path(alcor_id, project), body={endpoint.wrapper: body}, neutron=(ref,),
        depends_on=tuple(sorted(set(depends_on))), deferred=deferred)


def delete(endpoint: Kind, project: str | None, alcor_id: str, ref: NeutronRef,
           deferred: bool = False) -> AlcorRequest:
    return AlcorRequest(
        key=key(f"{endpoint.name}-delete", ref.id), kind=endpoint.name, service=endpoint.service,
        method="DELETE", path=endpoint.item_path(alcor_id, project), body=None, neutron=(ref,),
        deferred=deferred)


class BulkItem:
    """One resource's body waiting for its bulk chunk; `needs` are the (kind, neutron id)
    of resources that must exist first."""

    __slots__ = ("ref", "project", "body", "needs", "learns", "deferred", "extra_refs")

    def __init__(self, ref: NeutronRef, project: str | None, body: dict[str, Any],
                 needs: Iterable[tuple[str, str]] = (), learns: Sequence[Learn] = (), deferred: bool = False,
                 extra_refs: Sequence[NeutronRef] = ()):
        self.ref, self.project, self.body = ref, project, body
        self.needs, self.learns, self.deferred, self.extra_refs = needs, learns, deferred, extra_refs


def bulk(endpoint: Kind, items: list[BulkItem], size: int | None,
         key_of: Callable[[tuple[str, str]], str | None]) -> list[AlcorRequest]:
    """POST {collection}/bulk in chunks of `size`, one project per chunk (the path names it);
    with `size` None, one single create per item instead.

    Items keep their order within a project; projects come in sorted order.
    A learn path is rewritten to point at the item's place in the chunk's response;
    `key_of` names the request that creates a needed resource.
    """
    if size is None:
        return [create(endpoint, item.project, item.body, item.ref,
                       depends_on={key for need in item.needs if (key := key_of(need))},
                       learns=[learn.within(endpoint.wrapper) for learn in item.learns],
                       deferred=item.deferred, extra_refs=item.extra_refs) for item in items]
    bulk_key = endpoint.bulk
    if bulk_key is None:
        raise ValueError(f"{endpoint.name}: Alcor has no working bulk create")
    by_project: dict[str | None, list[BulkItem]] = {}
    for item in items:
        by_project.setdefault(item.project, []).append(item)
    requests = []
    for project in sorted(by_project, key=lambda p: p or ""):
        group = by_project[project]
        for start in range(0, len(group), size):
            chunk = group[start:start + size]
            learns = tuple(learn.within(bulk_key, index) for index, item in enumerate(chunk)
                           for learn in item.learns) if any(map(_LEARNS, chunk)) else ()
            needs = {key for need in set().union(*map(_NEEDS, chunk)) if (key := key_of(need))}
            requests.append(AlcorRequest(
                key=f"{endpoint.name}-bulk:{project or '-'}:{chunk[0].ref.id}+{len(chunk)}",
                kind=endpoint.name, service=endpoint.service, method="POST",
                path=endpoint.bulk_path(project),
                body={bulk_key: list(map(_BODY, chunk))}, neutron=_refs(chunk),
                depends_on=tuple(sorted(needs)), learns=learns, deferred=any(map(_DEFERRED, chunk))))
    return requests


# What bulk reads of every item, at C speed (a large cloud's chunks hold hundreds of thousands).
_BODY, _NEEDS, _LEARNS, _DEFERRED, _REF, _EXTRA_REFS = map(
    attrgetter, ("body", "needs", "learns", "deferred", "ref", "extra_refs"))


def _refs(chunk: list[BulkItem]) -> tuple[NeutronRef, ...]:
    """The Neutron resources a chunk names: each item's, then the ones it carries along."""
    if not any(map(_EXTRA_REFS, chunk)):
        return tuple(map(_REF, chunk))
    return tuple(ref for item in chunk for ref in (item.ref, *item.extra_refs))
