"""Check the plan's references to the cloud before anything changes: every host it names is one Neutron knows.

The plan names compute hosts in `cutover.waves.canary`, `cutover.waves.lists` and the keys of `nodes`
(its other references are checked when it loads: `alcor.endpoints` by service name). A host name with a
typo would otherwise be found by the cutover, after convert and the switch. Neutron knows a host by its
L2 agent or, failing that, by a port bound to it (what the cutover moves; wizard/cutover/inventory.py).
The hosts come from the snapshot file of a plan that has one, else from the live Neutron.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from pathlib import Path

from wizard.core.errors import MigrateError
from wizard.cutover.inventory import L2_AGENT_TYPES
from wizard.neutron import snapshot as snapshot_file
from wizard.neutron.endpoint import pinned
from wizard.neutron.reader import NeutronReader
from wizard.neutron.snapshot import STATE_FILE, TAKEN_KEY
from wizard.plan import Plan
from wizard.plan import reader as plan_reader
from wizard.preflight.model import CheckInputs, CheckResult
from wizard.translate.model import Severity


def plan_references(given: CheckInputs) -> CheckResult:
    """Every host the plan names is one of the cloud's; with `waves.lists`, every host is in a wave."""
    plan, result = given.plan, CheckResult()
    named = host_references(plan)
    if not named:
        result.detail = "the plan names no host"
        return result
    try:
        agents, hosts = _cloud_hosts(given, {host for _, host in named})
    except MigrateError as exc:  # the neutron check reports it
        result.detail = f"hosts not checked: {exc}"
        return result
    where = _locations(plan)
    for key, host in named:
        if host not in hosts:
            result.find(Severity.BLOCKER, "plan-unknown-host", ("plan", key),
                        f"{where(key)}: {key}: unknown host {host!r}: Neutron has no agent or bound port on it"
                        f"{_did_you_mean(host, hosts)}",
                        f"write the host as Neutron names it ({_sample(hosts)}), or remove it")
    if plan.cutover.waves.lists:  # then every host the cutover moves must be in a wave
        placed = {host for key, host in named if key.startswith("cutover.waves.")}
        left = sorted((agents | set(plan.nodes)) - placed)
        if left:
            result.find(Severity.BLOCKER, "plan-host-in-no-wave", ("plan", "cutover.waves.lists"),
                        f"{where('cutover.waves.lists')}: cutover.waves.lists: hosts in no wave: {', '.join(left)}",
                        "add them to a list (or drop lists and use batch_size)")
    result.detail = f"{len(named)} host references, {len(hosts)} hosts in Neutron"
    return result


def host_references(plan: Plan) -> list[tuple[str, str]]:
    """(plan key, host) for every host the plan names, in the plan's order."""
    waves = plan.cutover.waves
    return ([("cutover.waves.canary", host) for host in waves.canary]
            + [(f"cutover.waves.lists[{i}]", host) for i, wave in enumerate(waves.lists) for host in wave]
            + [(f"nodes.{host}", host) for host in plan.nodes])


def _cloud_hosts(given: CheckInputs, named: set[str]) -> tuple[set[str], list[str]]:
    """The hosts of Neutron's L2 agents, and (sorted) every host it knows: those and the hosts of its
    bound ports (of a live Neutron, only the named hosts no agent has are looked up)."""
    source = given.plan.neutron
    if source.snapshot:  # this run's copy once it is taken (the file may be gone by then)
        path = given.state.dir / STATE_FILE if given.state.get_meta(TAKEN_KEY) else Path(source.snapshot)
        snapshot = snapshot_file.load(path)
        agents = _agent_hosts(snapshot["agents"])
        bound = {host for port in snapshot["ports"] if (host := port.get("binding:host_id"))}
        return agents, sorted(agents | bound)
    with NeutronReader(pinned(source, given.state)) as reader:
        agents = _agent_hosts(reader.resources("agents"))
        bound = {host for host in sorted(named - agents)  # one small request per such name
                 if reader.search("ports", **{"binding:host_id": host, "fields": "id", "limit": 1})}
    return agents, sorted(agents | bound)


def _agent_hosts(agents: Iterable[dict]) -> set[str]:
    return {agent["host"] for agent in agents if agent.get("agent_type") in L2_AGENT_TYPES and agent.get("host")}


def _locations(plan: Plan):
    """`where(key)`: FILE:LINE:COL of a plan key's value (its list's, for `lists[i]`), else the file."""
    path = plan.source_file
    if path is None or not Path(path).is_file():
        return lambda key: "plan"
    reading = plan_reader.read(Path(path).read_text(encoding="utf-8"), Plan, str(path))
    return lambda key: reading.where(key.partition("[")[0])


def _did_you_mean(host: str, hosts: list[str]) -> str:
    """The hosts `host` likely means: the same name but for zero padding (compute-1, compute-01), else
    the closest names."""
    same = [h for h in hosts if _unpadded(h) == _unpadded(host)]
    likely = same or difflib.get_close_matches(host, hosts, n=3, cutoff=0.6)
    if not likely:
        return ""
    names = [repr(h) for h in likely]
    return "; did you mean " + (names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}") + "?"


def _unpadded(name: str) -> str:
    return re.sub(r"\d+", lambda digits: str(int(digits[0])), name)


def _sample(hosts: list[str], shown: int = 3) -> str:
    more = f", ... ({len(hosts)} in all)" if len(hosts) > shown else ""
    return ", ".join(hosts[:shown]) + more
