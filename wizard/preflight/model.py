"""What a preflight check is and what it finds."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from wizard.alcor.request import NeutronRef
from wizard.core.state import StateStore
from wizard.plan import Plan
from wizard.translate.model import Finding, Severity


@dataclass(frozen=True)
class CheckInputs:
    """What a check looks at: the plan, the state store, the capture this run started (None when
    the capture is a process of its own, or not running), and whether the run goes as far as a phase."""

    plan: Plan
    state: StateStore
    capture: Any = None
    reaches: Callable[[str], bool] = lambda phase: True


@dataclass
class CheckResult:
    """What one check found: a one-line detail and its findings."""

    detail: str = ""
    findings: list[Finding] = field(default_factory=list)

    def find(self, severity: Severity, code: str, about: tuple[str, str], message: str, remedy: str) -> None:
        """Add a finding; `about` is (kind, id) of what it is about, e.g. ("state_dir", path)."""
        self.findings.append(Finding(severity, code, NeutronRef(*about), message, remedy))

    @property
    def status(self) -> str:
        severities = {finding.severity for finding in self.findings}
        if Severity.BLOCKER in severities:
            return "failed"
        return "warning" if Severity.WARNING in severities else "ok"


@dataclass(frozen=True)
class Check:
    name: str
    run: Callable[[CheckInputs], CheckResult]


@dataclass
class CheckOutcome:
    """A check's result with its name and how long it took."""

    name: str
    seconds: float
    result: CheckResult

    @property
    def status(self) -> str:
        return self.result.status

    def to_json(self) -> dict[str, Any]:
        return {"check": self.name, "status": self.status, "seconds": round(self.seconds, 3),
                "detail": self.result.detail, "findings": [f.to_json() for f in self.result.findings]}


def size(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"
