"""What translation produces: Alcor requests (wizard/alcor/request.py), findings and the id map.

Convert, replay, preview and verify all consume these types.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from wizard.alcor.request import AlcorRequest, NeutronRef


class Severity(str, Enum):  # noqa: UP042 -- StrEnum's str() is the value, not Severity.X; it may reach outputs
    BLOCKER = "blocker"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, slots=True)
class Finding:
    """Something Alcor will do differently from Neutron, with what to do about it."""

    severity: Severity
    code: str  # stable, e.g. "flat-network", "ipv6-subnet"
    neutron: NeutronRef
    message: str
    remedy: str

    def to_json(self) -> dict[str, Any]:
        return {
            "severity": self.severity.value,
            "code": self.code,
            "kind": self.neutron.kind,
            "id": self.neutron.id,
            "message": self.message,
            "remedy": self.remedy,
        }


def raised_anew(findings: Iterable[Finding], known: Iterable[Finding]) -> list[Finding]:
    """The findings not among `known` (the same code about the same resource)."""
    seen = {(f.code, f.neutron) for f in known}
    return [f for f in findings if (f.code, f.neutron) not in seen]


def describe(findings: list[Finding], shown: int = 3) -> str:
    """`N blocker(s): code kind id: message; ...; and M more`, for errors that name findings."""
    severity = findings[0].severity.value if findings else "finding"
    first = "; ".join(f"{f.code} {f.neutron.kind} {f.neutron.id}: {f.message}" for f in findings[:shown])
    more = f"; and {len(findings) - shown} more" if len(findings) > shown else ""
    return f"{len(findings)} {severity}(s): {first}{more}"


@dataclass
class Translation:
    """The whole translation of a snapshot: requests in execution order, findings, id map."""

    requests: list[AlcorRequest] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    # (kind, neutron id) -> Alcor id, or a deferred_id() learned when Alcor answers
    id_map: dict[tuple[str, str], str] = field(default_factory=dict)
    # port id -> Neutron's binding:host_id, left out of the port creates; node cutover binds it
    bindings: dict[str, str] = field(default_factory=dict)

    @property
    def blockers(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.BLOCKER]
