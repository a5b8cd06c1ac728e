"""What translation produces: Alcor requests, findings and the id map.

Convert, replay, preview and verify all consume these types.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class Severity(str, Enum):
    BLOCKER = "blocker"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class NeutronRef:
    """The Neutron resource a request (or finding) comes from."""

    kind: str  # snapshot collection name: "networks", "ports", ...
    id: str


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

    def to_json(self, seq: int) -> dict[str, Any]:
        """The line written to requests.jsonl."""
        refs = [{"kind": ref.kind, "id": ref.id} for ref in self.neutron]
        return {
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


@dataclass(frozen=True)
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


@dataclass
class Translation:
    """The whole translation of a snapshot: requests in execution order, findings, id map."""

    requests: list[AlcorRequest] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    id_map: dict[tuple[str, str], str] = field(default_factory=dict)  # (kind, neutron id) -> alcor id

    @property
    def blockers(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.BLOCKER]
