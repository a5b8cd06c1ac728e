"""Check how clients reach the capture (capture.insertion): the catalog can be pointed at it and back,
or, when the operator points the clients, a marked request proves that traffic arrives."""

from __future__ import annotations

import httpx

from wizard.capture.haproxy_insertion import HaproxyInsertion
from wizard.capture.insertion import HAPROXY, arrival_problem, capture_url, haproxy_arrival_problem
from wizard.core.errors import MigrateError
from wizard.neutron.endpoint import is_live
from wizard.preflight.model import CheckInputs, CheckResult
from wizard.translate.model import Severity

HEALTH_TIMEOUT = 5.0


def insertion(given: CheckInputs) -> CheckResult:
    """keystone: the switch must be keystone too, and the capture needs a URL clients can use; haproxy:
    HAProxy takes the captures' backend and the captures answer their health check; none: once
    the capture runs, a marked request to the catalog's public network endpoint must reach it."""
    plan, result = given.plan, CheckResult()
    capture = plan.capture
    if capture.enabled and is_live(plan.neutron) and capture.insertion == HAPROXY:
        return _haproxy(given, result)
    if not (capture.enabled and is_live(plan.neutron) and plan.neutron.cloud):
        result.detail = "no catalog to point at the capture (no cloud, or no capture)"
        return result
    running = given.capture
    try:
        url = capture_url(plan, running.url if running else f"http://{capture.listen}")
    except MigrateError as exc:
        result.find(Severity.BLOCKER, "capture-unreachable", ("capture", capture.listen), str(exc),
                    "set capture.advertise to the URL clients reach the capture at")
        return result
    if capture.insertion == "keystone":
        if plan.cutover.endpoint.method != "keystone":
            result.find(Severity.BLOCKER, "insertion-without-switch", ("capture", "insertion"),
                        "capture.insertion is keystone but cutover.endpoint.method is "
                        f"{plan.cutover.endpoint.method}: the catalog would keep pointing at the capture, "
                        "which stops when the run ends",
                        "set cutover.endpoint.method: keystone, or capture.insertion: none")
            return result
        result.detail = (f"the catalog's network endpoints point at the capture at {url} while it runs; the switch "
                         f"waits {capture.token_lifetime:g}s (capture.token_lifetime) for older "
                         "tokens to expire")
        return result
    if running is None:
        result.detail = f"the operator points clients at the capture at {url} once it runs, then a request proves it"
        return result
    problem = arrival_problem(plan, given.state, lambda: running.stats().requests, url)
    if problem:
        result.find(Severity.WARNING, "capture-bypassed", ("capture", url), problem,
                    f"point the clients at {url} (the catalog's network endpoints, or the address they resolve "
                    "to), or set capture.insertion: keystone")
        return result
    result.detail = f"a marked request to the catalog's public network endpoint reached the capture at {url}"
    return result


def _haproxy(given: CheckInputs, result: CheckResult) -> CheckResult:
    """HAProxy's configuration with the captures' backend passes `haproxy -c`, and the captures answer
    the health check HAProxy will make."""
    settings = given.plan.capture.haproxy
    where = ("capture", f"haproxy {settings.config}")
    try:
        inserting = HaproxyInsertion(settings, given.state.dir)
        problem = inserting.check(inserting.candidate())
    except MigrateError as exc:
        problem = str(exc)
    if problem:
        result.find(Severity.BLOCKER, "haproxy-insertion", where, problem,
                    "fix capture.haproxy (config, backend, captures) or HAProxy's configuration file")
        return result
    down = {name: why for name, address in settings.captures.items()
            if (why := unhealthy(f"http://{address}{settings.check_path}"))}
    if len(down) == len(settings.captures):
        outage = ("every write would go around the captures to Neutron's servers (fail_open)" if settings.fail_open
                  else "Neutron's API would answer 503 (fail_open is false)")
        result.find(Severity.BLOCKER, "captures-down", where,
                    f"no capture answers its health check ({'; '.join(f'{n}: {w}' for n, w in down.items())}): "
                    f"{outage}", "start `alcor-migrate capture` on each API node (see docs/deploy.md), then run again")
        return result
    if down:
        result.find(Severity.WARNING, "capture-down", where,
                    f"HAProxy will leave out what does not answer its health check: "
                    f"{'; '.join(f'{n}: {w}' for n, w in down.items())}",
                    "start that capture; HAProxy takes it in once it answers")
    if inserting.inserted():  # a resumed run: HAProxy already sends to the captures, which traffic must show
        problem = haproxy_arrival_problem(given.plan)
        if problem:
            result.find(Severity.BLOCKER, "captures-bypassed", where, problem,
                        f"send the public network endpoint's HAProxy frontend to backend {settings.backend}, "
                        f"and check that {settings.config} is the configuration HAProxy runs with")
            return result
        result.detail = f"a marked request to the public network endpoint reached a capture (backend " \
                        f"{settings.backend} in {settings.config})"
        return result
    failing = "Neutron's servers as backups (fail open)" if settings.fail_open else "no backup (fail closed)"
    result.detail = (f"backend {settings.backend} in {settings.config} goes to {len(settings.captures)} captures, "
                     f"{failing}; `haproxy -c` takes it; a marked request proves it once the capture phase sends "
                     "it there")
    return result


def unhealthy(url: str) -> str | None:
    """Why `url` (a capture's health check) does not answer 200 (None: it does)."""
    try:
        status = httpx.get(url, timeout=HEALTH_TIMEOUT).status_code
    except httpx.HTTPError as exc:
        return f"{url}: {type(exc).__name__}"
    return None if status == 200 else f"{url}: HTTP {status}"
