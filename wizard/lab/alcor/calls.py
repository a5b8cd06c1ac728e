"""How the emulator's service modules take requests: the Call they get and the errors they raise.

Each service module registers one function per (kind, action) of wizard.alcor.paths with
`@handles`. A handler reads the Call, changes the model, and returns the JSON body to
answer (or a Reply for another status); it raises Rejected with one of Alcor's named
errors (wizard.alcor.errors) to answer as Alcor would.

Trap kept from Alcor, for every list: a query whose filter matches 100,000 stored rows or
more fails (CacheException "too many rows found!", 500), except where Alcor reads without
the limit (elastic-IP ranges, segments, a node or router query on indexed fields alone) or
swallows it (elastic IPs: an empty list). See Call.scan.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from wizard.alcor import errors, values
from wizard.alcor.errors import AlcorException
from wizard.alcor.paths import Operation


class Rejected(Exception):
    """Alcor refuses the request with one of its named errors."""

    def __init__(self, exception: AlcorException, detail: str | None = None):
        self.exception = exception
        self.detail = detail  # extra words for logs; the answer carries Alcor's own reason
        super().__init__(f"{exception.name}: {detail or exception.reason}")


@dataclass
class Reply:
    status: int
    body: Any


@dataclass
class Call:
    """One request as a handler sees it."""

    model: Any  # wizard.lab.alcor.model.AlcorModel
    op: Operation
    body: Any
    query: Mapping[str, list[str]]
    deliveries: list[Any] = field(default_factory=list)  # goal states to push before answering

    @property
    def project_id(self) -> str | None:
        return self.op.project_id

    @property
    def id(self) -> str:
        return self.op.params["id"]

    def item(self, wrapper: str | None = None) -> dict:
        """The object inside the body's wrapper; Alcor NPEs (500) when it is missing."""
        wrapper = wrapper or self.op.kind.wrapper
        item = self.body.get(wrapper) if isinstance(self.body, dict) else None
        if not isinstance(item, dict):
            raise Rejected(errors.NULL_POINTER, f"body has no {wrapper!r} object")
        return item

    def stored(self, missing: AlcorException) -> dict:
        """The stored item the path names, or Alcor's error for a missing one."""
        item = self.model.store[self.op.kind.name].get(self.id)
        if item is None:
            raise Rejected(missing, self.id)
        return item

    def listing(self, items: list[dict] | None = None) -> dict:
        """The list answer: every stored item of the kind (or those given), as the query's scan finds them."""
        kind = self.op.kind
        items = list(self.model.store[kind.name].values()) if items is None else items
        return {kind.list_wrapper: self.scan(items)}

    def scan(self, rows: list[dict]) -> list[dict]:
        """The rows the query matches, within the row limit of Alcor's cache scans.

        Alcor: LIB/db/ignite/IgniteClientDbCache.getAll(filterParams) scans with the query as a
        MapPredicate and counts the rows it matches, after the filter: 100,000 or more throw
        CacheException("too many rows found!"), a 500 from every list but those below.
        """
        found = filtered(rows, self.query)
        kind = self.op.kind.name
        if len(found) < values.SCAN_ROW_LIMIT or kind in UNLIMITED_LISTS or _sql_query(kind, self.query):
            return found
        if kind in LIMIT_SWALLOWED:
            return []
        raise Rejected(errors.TOO_MANY_ROWS, f"{len(found)} {kind} rows")

    def items(self, wrapper: str) -> list[dict]:
        items = self.body.get(wrapper) if isinstance(self.body, dict) else None
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise Rejected(errors.NULL_POINTER, f"body has no {wrapper!r} list")
        return items


Handler = Callable[[Call], Any]
HANDLERS: dict[tuple[str, str], Handler] = {}


def handles(kind: str, action: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        HANDLERS[kind, action] = handler
        return handler

    return register


IGNORED_QUERY_KEYS = frozenset({"fields", "sort_key", "sort_dir", "limit", "marker"})
# Lists read with IgniteClientDbCache.getAll(), which has no row limit: ElasticIpRangeServiceImpl
# .getElasticIpRanges (findAllItems()) and SegmentController.getSegmentsByProjectId (getAllSegments()).
UNLIMITED_LISTS = frozenset({"elastic_ip_range", "segment"})
# EM/dao/RepoResource.findAllItems(queryParams) catches the CacheException: the list answers empty, 200.
LIMIT_SWALLOWED = frozenset({"elastic_ip"})
# @QuerySqlField fields (WE/node/NodeInfo, WE/route/Router.owner): a query on these alone runs as SQL
# (IgniteClientDbCache.checkForSqlFieldsQuery), which has no row limit.
SQL_FIELDS = {"node": frozenset({"node_name", "local_ip", "mac_address", "ncm_id"}), "router": frozenset({"owner"})}


def filtered(items: list[dict], query: Mapping[str, list[str]]) -> list[dict]:
    """Alcor's list filters: each query key must equal one of its values (fields, sort ignored)."""
    wanted = {k: set(v) for k, v in query.items() if k not in IGNORED_QUERY_KEYS}
    return [i for i in items if all(str(i.get(k)) in allowed for k, allowed in wanted.items())]


def _sql_query(kind: str, query: Mapping[str, list[str]]) -> bool:
    keys = set(query) - IGNORED_QUERY_KEYS
    return bool(keys) and keys <= SQL_FIELDS.get(kind, frozenset())


def owned(call: Call, item: dict) -> dict:
    """The item with the path's project id (Alcor overwrites the body's) and tenant id defaulted."""
    item = dict(item)
    if call.project_id is not None:
        item["project_id"] = call.project_id
    if not item.get("tenant_id"):
        item["tenant_id"] = item.get("project_id")
    return item


def merged(old: dict, changes: dict, keep: tuple[str, ...] = ("id",)) -> dict:
    """An update as Alcor does it: fields sent as null keep their old values."""
    new = dict(old)
    new.update({k: v for k, v in changes.items() if v is not None and k not in keep})
    return new
