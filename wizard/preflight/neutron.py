"""Check Neutron: it answers, to an admin (or a snapshot file stands for it).

The check finds Neutron's endpoint and records it (wizard/neutron/endpoint.py) before
anything changes; on a resumed run it checks the recorded endpoint, not the catalog's."""

from __future__ import annotations

from pathlib import Path

from wizard.core.errors import MigrateError
from wizard.neutron.access import not_admin
from wizard.neutron.endpoint import pinned
from wizard.neutron.reader import NeutronReader, NeutronRefused
from wizard.neutron.snapshot import TAKEN_KEY
from wizard.preflight.model import CheckInputs, CheckResult, size
from wizard.translate.model import Severity

EXTENSIONS_KEY = "neutron.extensions"  # meta: the extension aliases Neutron offers, sorted


def neutron_api(given: CheckInputs) -> CheckResult:
    """Neutron answers as an admin of all projects (it lists its extensions and an agent; to others
    it lists no agent); with `neutron.snapshot`, the file is there instead."""
    source, result = given.plan.neutron, CheckResult()
    if source.snapshot:
        path = Path(source.snapshot)
        if given.state.get_meta(TAKEN_KEY):
            result.detail = f"this run's snapshot is in {given.state.dir}; Neutron is not contacted"
        elif path.is_file():
            result.detail = f"snapshot file {path} ({size(path.stat().st_size)}); Neutron is not contacted"
        else:
            result.find(Severity.BLOCKER, "snapshot-missing", ("snapshot", str(path)), f"no snapshot file {path}",
                        "check neutron.snapshot (or --snapshot), or read the live Neutron instead")
        return result
    try:
        with NeutronReader(pinned(source, given.state)) as reader:
            extensions = reader.extensions
            refused = not_admin(reader)
            agents = reader.first("agents")  # Neutron lists agents to admins only (others get none)
            endpoint = reader.endpoint
    except NeutronRefused as exc:
        code, remedy = (("neutron-not-admin", "use an account with Neutron's admin role: the migration reads "
                         "every project's resources and the agents") if exc.status in (401, 403)
                        else ("neutron-refused", "check neutron.url (or the catalog's network endpoint)"))
        result.find(Severity.BLOCKER, code, ("neutron", _where(source)), str(exc), remedy)
        return result
    except MigrateError as exc:
        result.find(Severity.BLOCKER, "neutron-unreachable", ("neutron", _where(source)), str(exc),
                    "check that Neutron's API answers from here, and the plan's neutron section")
        return result
    given.state.set_meta(EXTENSIONS_KEY, extensions)
    if refused:
        result.find(Severity.BLOCKER, "neutron-not-admin", ("neutron", endpoint), refused,
                    "use an account with Neutron's admin role (neutron.cloud)")
    elif not agents:
        result.find(Severity.BLOCKER, "neutron-no-agents", ("neutron", endpoint),
                    f"{endpoint} lists no agents: the account is not an admin, or the cloud runs none; the "
                    "migration reads every project's resources and each compute host's agent",
                    "use an account with Neutron's admin role")
    result.detail = f"{endpoint}: {len(extensions)} extensions, agents listed"
    return result


def _where(source) -> str:
    return source.url or f"cloud {source.cloud or '(OS_* variables)'}"
