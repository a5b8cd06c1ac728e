"""Check how clients reach the capture (capture.insertion): the catalog can be pointed at it and back,
or, when the operator points the clients, a marked request proves that traffic arrives."""

from __future__ import annotations

from wizard.capture.insertion import arrival_problem, capture_url
from wizard.core.errors import MigrateError
from wizard.neutron.endpoint import is_live
from wizard.preflight.model import CheckInputs, CheckResult
from wizard.translate.model import Severity


def insertion(given: CheckInputs) -> CheckResult:
    """keystone: the switch must be keystone too, and the capture needs a URL clients can use; none: once
    the capture runs, a marked request to the catalog's public network endpoint must reach it."""
    plan, result = given.plan, CheckResult()
    capture = plan.capture
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
