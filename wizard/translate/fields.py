"""Field tables: what happens to every Neutron field of a resource, stated as data.

Each translate module declares a `FIELDS` table, one entry per Neutron field:

    "admin_state_up": keep(default=True)          sent under the same name
    "created_at": rename("create_at")             sent under Alcor's name
    "binding:vnic_type": convert(vnic_type)       sent after a conversion
    "qos_policy_id": drop("no QoS in Alcor", finding="qos-policy")
    "routes": carried("add_extraroutes")          sent by another request

Every kept, renamed or converted field is always in the body: when Neutron lacks it (an
extension not loaded) or holds null, the `default` is sent (Neutron's meaning of absent),
or null. Bodies share their default values: treat them as read-only. A dropped field with a
finding code raises that finding when its value is meaningful (not null, empty or false). Fields
the table does not know are reported by `unknown_fields`, so a newer Neutron never loses data
without a word.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Field:
    fate: str  # "keep", "rename", "convert", "drop", "carried"
    to: str | None = None  # Alcor's name (keep/rename/convert)
    default: Any = None
    converter: Callable[[Any], Any] | None = None
    reason: str = ""  # why a field is dropped or carried elsewhere
    finding: str | None = None  # finding code raised when a dropped value is meaningful

    @property
    def sent(self) -> bool:
        return self.fate in ("keep", "rename", "convert")


def keep(default: Any = None) -> Field:
    return Field("keep", default=default)


def rename(to: str, default: Any = None) -> Field:
    return Field("rename", to=to, default=default)


def convert(converter: Callable[[Any], Any], to: str | None = None, default: Any = None) -> Field:
    """Sent as `converter(value)`; the converter also receives the default for a missing value.
    It may return OMIT to leave the field out of the body."""
    return Field("convert", to=to, default=default, converter=converter)


def drop(reason: str, finding: str | None = None) -> Field:
    return Field("drop", reason=reason, finding=finding)


def carried(reason: str) -> Field:
    """Not in this body: another request carries it (e.g. a router's routes)."""
    return Field("carried", reason=reason)


OMIT = object()  # a converter's answer for "leave this field out"


class Table:
    """A compiled field table: builds Alcor bodies from Neutron resources quickly."""

    def __init__(self, kind: str, fields: dict[str, Field]):
        self.kind = kind
        self.fields = fields
        sent = {name: f for name, f in fields.items() if f.sent}
        self._names = list(sent)
        self._targets = [(f.to or name, f.default) for name, f in sent.items()]
        self._tos = [to for to, _ in self._targets]
        self._defaults = [default for _, default in self._targets]
        self._defaulted = [(to, default) for to, default in self._targets if default is not None]
        self._defaulted_tos = [to for to, _ in self._defaulted]
        self._by_name = dict(zip(self._names, self._targets, strict=True))
        self._converted = [(f.to or name, f.converter) for name, f in sent.items() if f.converter is not None]
        if len(set(self._tos)) != len(self._tos):
            raise ValueError(f"{kind}: two fields are sent under one name")
        self._flagged = [(name, f.finding) for name, f in fields.items() if f.fate == "drop" and f.finding]
        self._flagged_names = [name for name, _ in self._flagged]
        self._known = frozenset(fields)

    def body(self, resource: dict[str, Any], overrides: dict[str, Any] | None = None) -> dict[str, Any]:
        """Every sent field, under Alcor's name; `overrides` (Neutron names) replace values first."""
        # Built at C speed: a missing field gets its default here, a null one below (rare).
        body = dict(zip(self._tos, map(resource.get, self._names, self._defaults), strict=True))
        if None in map(body.__getitem__, self._defaulted_tos):
            for to, default in self._defaulted:
                if body[to] is None:
                    body[to] = default
        for name, value in (overrides or {}).items():
            if name in self._by_name:
                to, default = self._by_name[name]
                body[to] = default if value is None else value
        for to, converter in self._converted:
            value = converter(body[to])
            if value is OMIT:
                del body[to]
            else:
                body[to] = value
        return body

    def dropped_with_meaning(self, resource: dict[str, Any]) -> list[tuple[str, str]]:
        """(field, finding code) for each dropped field whose value means something."""
        get = resource.get
        if not any(map(get, self._flagged_names)):  # JSON's meaningless values are exactly its false ones
            return []
        return [(name, code) for name, code in self._flagged if get(name) is not None and meaningful(get(name))]

    def unknown_fields(self, resource: dict[str, Any]) -> set[str]:
        return resource.keys() - self._known

    def unknown_in(self, resources: Iterable[dict[str, Any]]) -> set[str]:
        """The fields any of `resources` has that the table does not know (one pass at C speed)."""
        return set().union(*resources) - self._known

    def rows(self) -> list[tuple[str, str, str]]:
        """(Neutron field, fate, detail) for documentation and the preview."""
        out = []
        for name, f in self.fields.items():
            if f.fate in ("drop", "carried"):
                detail = f.reason + (f" (finding {f.finding})" if f.finding else "")
            else:
                detail = f.to or name
            out.append((name, f.fate, detail))
        return out


def meaningful(value: Any) -> bool:
    """A value whose loss changes something: not null, empty or false."""
    return value not in (None, False, "", [], {})


# Rows most tables share: what Alcor's CustomerResource base class holds.
IDENTITY: dict[str, Field] = {
    "id": keep(),
    "name": keep(default=""),
    "description": keep(default=""),
    "project_id": keep(),
    "tenant_id": keep(),
}
SET_BY_ALCOR: dict[str, Field] = {"created_at": drop("set by Alcor"), "updated_at": drop("set by Alcor")}
