"""capture.insertion haproxy in a run, on a real HAProxy in front of two captures: preflight checks the
insertion, the capture phase makes it and proves with a marked request that traffic reaches a capture,
the run's end puts HAProxy's backend back; a public endpoint that goes around the captures blocks."""

from __future__ import annotations

import pytest

from tests.capture.conftest import CaptureProcess, Upstream, captures_in
from wizard.capture.feed_client import FeedClient
from wizard.capture.feed_token import read_token
from wizard.capture.haproxy_insertion import HaproxyInsertion
from wizard.capture.insertion import haproxy_arrival_problem
from wizard.capture.stats import MARK_HEADER
from wizard.core.engine import Engine
from wizard.core.state import StateStore
from wizard.lab.haproxy_server import HaproxyServer, neutron_backend
from wizard.phases.capture import CapturePhase
from wizard.phases.preflight import PreflightPhase
from wizard.plan import CaptureNode, HaproxyConfig, NeutronSource, Plan
from wizard.preflight import Check
from wizard.preflight import capture as capture_check
from wizard.preflight.insertion import insertion
from wizard.preflight.model import CheckInputs
from wizard.translate.model import Severity

BACKEND = "neutron_server_back"


@pytest.fixture
def upstream(tmp_path):
    server = Upstream()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def captures(tmp_path, upstream):
    """capture-1 writes the run's log (capture.mode separate replays it), capture-2 its own."""
    with captures_in([tmp_path / "state", tmp_path / "capture-2"], upstream.url) as running:
        yield running


@pytest.fixture
def haproxy(tmp_path, upstream):
    neutron = {"neutron-1": upstream.url.removeprefix("http://")}
    with HaproxyServer(neutron_backend(BACKEND, neutron), directory=tmp_path / "haproxy") as running:
        yield running


def plan_for(tmp_path, haproxy, captures, upstream, public: str) -> Plan:
    plan = Plan(state_dir=str(tmp_path / "state"), neutron=NeutronSource(url=public, auth="none"))
    plan.capture.mode, plan.capture.insertion = "separate", "haproxy"
    plan.capture.haproxy = HaproxyConfig(
        config=str(haproxy.config), backend=BACKEND, reload=haproxy.reload_command,
        captures={f"capture-{n}": c.url.removeprefix("http://") for n, c in enumerate(captures, 1)},
        neutron={"neutron-1": upstream.url.removeprefix("http://")})
    return plan


def probes(upstream) -> list[dict[str, str]]:
    """The headers of each marked request Neutron received (names lowercased)."""
    headers = [{name.lower(): value for name, value in r.headers.items()} for r in upstream.received]
    return [h for h in headers if MARK_HEADER.lower() in h]


def test_the_run_sends_haproxy_to_the_captures_proves_it_with_a_marked_request_and_puts_it_back(
        tmp_path, haproxy, captures, upstream):
    original = haproxy.config.read_text()
    plan = plan_for(tmp_path, haproxy, captures, upstream, haproxy.url)
    state = StateStore(plan.state_dir)
    try:
        preflight = PreflightPhase([Check("capture", capture_check), Check("insertion", insertion)])  # no real Neutron
        result = Engine(plan, [preflight, CapturePhase()], state).run()
        assert result.ok, result.error
        checked = state.get_meta("preflight.checks")
        assert next(c for c in checked if c["check"] == "insertion")["detail"].startswith(
            f"backend {BACKEND} in {haproxy.config} goes to 2 captures, Neutron's servers as backups (fail open)")
    finally:
        state.close()
    marked = probes(upstream)
    assert "x-forwarded-for" in marked[-1]  # the last one, which the captures counted, came through one
    assert haproxy.config.read_text() == original  # the run ended: Neutron's own backend again


def test_a_public_endpoint_that_goes_around_the_captures_is_a_blocker_naming_it_and_them(
        tmp_path, haproxy, captures, upstream):
    plan = plan_for(tmp_path, haproxy, captures, upstream, upstream.url)  # clients reach Neutron directly
    inserted = HaproxyInsertion(plan.capture.haproxy, plan.state_dir, lambda text: None)
    inserted.insert()  # HAProxy does send to the captures; the public endpoint is not HAProxy's
    state = StateStore(plan.state_dir)
    try:
        found = insertion(CheckInputs(plan, state)).findings
    finally:
        state.close()
        inserted.remove()
    assert [(f.severity, f.code) for f in found] == [(Severity.BLOCKER, "captures-bypassed")]
    assert found[0].message == (
        f"clients are not going through the captures: 5 marked requests to the public network endpoint "
        f"{upstream.url} reached none of them (capture-1 at {captures[0].url.removeprefix('http://')}, capture-2 "
        f"at {captures[1].url.removeprefix('http://')}); its HAProxy frontend must send to backend {BACKEND} of "
        f"{haproxy.config}")
    assert len(probes(upstream)) == 5 and not any("x-forwarded-for" in h for h in probes(upstream))


def test_preflight_blocks_a_configuration_haproxy_refuses_and_captures_that_are_all_down(
        tmp_path, haproxy, captures, upstream):
    plan = plan_for(tmp_path, haproxy, captures, upstream, haproxy.url)
    state = StateStore(plan.state_dir)
    given = CheckInputs(plan, state)
    try:
        plan.capture.haproxy.captures["capture-3"] = "capture-3.invalid:9797"
        refused = insertion(given).findings
        del plan.capture.haproxy.captures["capture-3"]
        for capture in captures:
            capture.proxy.stop()
        down = insertion(given).findings
    finally:
        state.close()
    assert [(f.code, f.severity) for f in refused] == [("haproxy-insertion", Severity.BLOCKER)]
    assert "`haproxy -c` refuses it" in refused[0].message and "capture-3.invalid" in refused[0].message
    assert [(f.code, f.severity) for f in down] == [("captures-down", Severity.BLOCKER)]
    assert down[0].message.startswith("no capture answers its health check (capture-1: ")
    assert down[0].message.endswith("every write would go around the captures to Neutron's servers (fail_open)")


@pytest.fixture
def feeding(tmp_path, upstream):
    """Two `alcor-migrate capture` processes, api-1 and api-2, each with a feed."""
    running = [CaptureProcess("--neutron-url", upstream.url, "--state-dir", str(tmp_path / f"api-{n}"), "--name",
                              f"api-{n}", "--feed-listen", "127.0.0.1:0") for n in (1, 2)]
    yield running
    for process in running:
        process.stop()


def test_with_the_captures_feeds_listed_the_proof_is_the_mark_itself(tmp_path, haproxy, upstream, feeding):
    """Capture processes with feeds (capture.nodes): the marked request's own mark must be among those a
    feed shows, not merely a counter moving."""
    running = feeding
    plan = plan_for(tmp_path, haproxy, [], upstream, haproxy.url)
    plan.capture.haproxy.captures = {f"api-{n}": p.url.removeprefix("http://") for n, p in enumerate(running, 1)}
    plan.capture.nodes = {f"api-{n}": CaptureNode(feed=p.feed_url, token_file=str(tmp_path / f"api-{n}" / "feed.token"))
                          for n, p in enumerate(running, 1)}
    inserted = HaproxyInsertion(plan.capture.haproxy, plan.state_dir, lambda text: None)
    inserted.insert()
    try:
        assert haproxy_arrival_problem(plan) is None
        marks = [FeedClient(node.feed, read_token(node.token_file)).status()["marks"]
                 for node in plan.capture.nodes.values()]
        assert len([mark for shown in marks for mark in shown]) >= 1  # the mark is what the feeds showed
        plan.neutron.url = upstream.url  # a public endpoint that goes around HAProxy: no feed shows its marks
        assert haproxy_arrival_problem(plan).startswith("clients are not going through the captures")
    finally:
        inserted.remove()
