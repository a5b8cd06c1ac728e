"""Check Alcor: every service answers at its URL, and Alcor is empty or holds this state directory's earlier run.

Each service is probed with a list only it answers. A URL that answers 404 for its service's
path has no route for it: typically `alcor.url` is Alcor's API gateway, which routes neither
the node manager (`/nodes`) nor the VPC manager's segments (`/segments`), so those need
`alcor.endpoints.node` and `alcor.endpoints.vpc`.

An Alcor holding resources no run in this state directory sent is a blocker: verify compares
all of Alcor with the translation (Alcor's lists are not filtered by project), and creates of
resources already there overwrite or fail by kind. An earlier run of this state directory is
what resuming looks like: convert skips what was applied and asks Alcor about requests in
doubt. A state directory whose networks Alcor holds none of points at another (or a reset)
Alcor: convert would skip what that Alcor never got. A run that stops before convert (a
dry-run preview) needs no Alcor yet: what would block it is a warning then.
"""

from __future__ import annotations

from typing import Any

from wizard.alcor import values
from wizard.alcor.client import AlcorClient, AlcorUnavailable
from wizard.alcor.paths import ELASTIC_IP_RANGE, NODE, PORT, ROUTER, SECURITY_GROUP, SEGMENT, SUBNET, VPC, Kind
from wizard.alcor.services import DEFAULT_PORTS, MANAGERS
from wizard.preflight.model import CheckInputs, CheckResult
from wizard.translate.model import Severity
from wizard.translate.requests import key

CONVERT = "convert"  # the first phase that needs Alcor
PROBE_ID = "00000000-0000-0000-0000-000000000000"  # no resource has it: lists and gets need a project
# The kinds whose lists show that each service answers and speaks Alcor: the VPC manager for
# VPCs and for segments (the segment table). Ports are listed by one absent id: a cloud's port
# list is too large for a probe.
PROBES: tuple[Kind, ...] = (VPC, SEGMENT, SUBNET, PORT, ROUTER, SECURITY_GROUP, ELASTIC_IP_RANGE, NODE)
PROBE_FILTERS = {PORT: {"id": PROBE_ID}}
# Alcor's API gateway has no route for these (GW/route/*RouteConfiguration.java).
NO_GATEWAY_ROUTE = {NODE: "node manager", SEGMENT: "VPC manager's segments"}
# What a conversion creates (ports need a VPC, so they are not listed), as the operator reads them.
HELD = {VPC: "VPC", SUBNET: "subnet", ROUTER: "router", SECURITY_GROUP: "security group",
        ELASTIC_IP_RANGE: "elastic-IP range"}
Held = dict[Kind, set[str | None]]  # per kind, the ids Alcor holds (its own default groups left out)
OWN_KINDS = (VPC, SUBNET)  # kinds whose Alcor ids are Neutron's, so a sent key names what Alcor should hold
PROBE_TIMEOUT = 10.0
EXAMPLES = 3


def alcor(given: CheckInputs) -> CheckResult:
    """Every Alcor service answers; Alcor is empty or holds this state directory's earlier run."""
    result, plan = CheckResult(), given.plan
    vpc_url = plan.alcor_url("vpc")
    if not vpc_url:
        result.find(Severity.WARNING, "alcor-not-configured", ("alcor", "(none)"), "the plan names no Alcor",
                    "set alcor.url (or --alcor-url) before converting; the preview needs none")
        return result
    blocker = Severity.BLOCKER if given.reaches(CONVERT) else Severity.WARNING  # a preview needs no Alcor
    with AlcorClient.from_plan(plan, retries=1, timeout=min(plan.alcor.timeout, PROBE_TIMEOUT)) as client:
        listed = _probe(client, result, blocker)
    if result.findings:
        return result
    held = {kind: {kind.id_of(item) for item in listed[kind.name] if not _alcors_own(kind, item)} for kind in HELD}
    _compare_with_state(given, ("alcor", vpc_url), held, result, blocker)
    where = sorted(set(client.endpoints.values()))
    result.detail = (f"{len({kind.service for kind in PROBES})} services answer at {', '.join(where)}; "
                     f"Alcor holds {_counts(held) or 'nothing a conversion creates'}")
    return result


def _probe(client: AlcorClient, result: CheckResult, blocker: Severity) -> dict[str, list[dict[str, Any]]]:
    """Each service's probes; a finding per service without a route at its URL, and per base URL
    whose services do not answer. Returns the lists read."""
    listed: dict[str, list[dict[str, Any]]] = {}
    down: dict[str, dict[str, str]] = {}  # base URL -> service -> what went wrong
    unreachable: dict[str, str] = {}  # base URL -> the transport error: one wait for it is enough
    unrouted: set[str] = set()  # services with a finding for a missing route
    for kind in PROBES:
        service = kind.service
        url = client.endpoints[service]
        if url in unreachable:
            down[url][service] = unreachable[url]
            continue
        if service in unrouted or service in down.get(url, {}):
            continue
        try:
            listed[kind.name] = client.list(kind.name, PROBE_ID, **PROBE_FILTERS.get(kind, {}))
        except AlcorUnavailable as exc:
            if exc.status == 404:  # a list is never absent: nothing at this URL serves the path
                unrouted.add(service)
                _no_route(result, blocker, kind, url, str(exc))
                continue
            down.setdefault(url, {})[service] = str(exc)
            if exc.status is None:
                unreachable[url] = str(exc)
    for url, failed in down.items():
        services = ", ".join(failed)
        settings = " / ".join(f"alcor.endpoints.{service}" for service in failed)
        result.find(blocker, "alcor-service-down", ("alcor", url),
                    f"Alcor at {url} does not answer for {services}: {next(iter(failed.values()))}",
                    f"start Alcor's {services} service(s) there, or correct alcor.url (or {settings})")
    return listed


def _no_route(result: CheckResult, blocker: Severity, kind: Kind, url: str, answer: str) -> None:
    service = kind.service
    manager, port = MANAGERS[service], DEFAULT_PORTS[service]
    what = NO_GATEWAY_ROUTE.get(kind, manager)
    setting = f"set alcor.endpoints.{service} to the {manager}'s URL (default port {port})"
    result.find(blocker, "alcor-no-route", ("alcor", url), f"Alcor at {url} has no route for the {what}: {answer}",
                f"Alcor's API gateway has no route for the {what}: {setting}" if kind in NO_GATEWAY_ROUTE
                else f"{setting}, or alcor.url to Alcor's API gateway")


def _alcors_own(kind: Kind, item: dict[str, Any]) -> bool:
    """Alcor makes each project's default security group by itself."""
    return kind is SECURITY_GROUP and item.get("name") == values.DEFAULT_SG_NAME


def _compare_with_state(
    given: CheckInputs, about: tuple[str, str], held: Held, result: CheckResult, blocker: Severity
) -> None:
    """Whether what Alcor holds is what this state directory sent (nothing, or an earlier run);
    the findings are `about` Alcor's VPC manager."""
    state = given.state
    sent = state.sent_keys()
    if not sent:
        if any(held.values()):
            result.find(blocker, "alcor-not-empty", about,
                        f"Alcor already holds {_counts(held)} that no run in {state.dir} sent "
                        f"(e.g. {_examples(held)})",
                        "resume with the state directory of the run that made them, or start from an empty Alcor")
        return
    # an item without an id matches no sent key
    ours = {key(kind.name, id) for kind in OWN_KINDS for id in held[kind] if id is not None}
    expected = [k for k in sent if k.split(":", 1)[0] in {kind.name for kind in OWN_KINDS}]
    if expected and not ours.intersection(expected):
        result.find(blocker, "alcor-lost-earlier-run", about,
                    f"{state.dir} sent {len(expected)} VPC and subnet creates, and Alcor holds none of them: "
                    "it is another Alcor, or it was reset",
                    "point the plan at the Alcor this state directory converted into, or start over with a new "
                    "state_dir")
        return
    in_doubt = len(state.in_doubt())
    result.find(Severity.INFO, "alcor-earlier-run", about,
                f"an earlier run of {state.dir} sent {len(sent)} requests ({state.applied_count()} applied, "
                f"{in_doubt} in doubt); Alcor holds {_counts(held) or 'none of its networks'}",
                "nothing to do: convert resumes, skipping what was applied and asking Alcor about requests in doubt")


def _counts(held: Held) -> str:
    return ", ".join(f"{len(ids)} {HELD[kind]}(s)" for kind, ids in held.items() if ids)


def _examples(held: Held) -> str:
    ids = [f"{kind.name} {id}" for kind, found in held.items() for id in sorted(found, key=str)]
    return ", ".join(ids[:EXAMPLES])
