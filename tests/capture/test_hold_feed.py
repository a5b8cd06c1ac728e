"""The cut-over's write hold on every API node's capture, through each one's feed (`PUT /v1/hold`,
capture/hold_every.py): real capture processes on loopback, held, refused and released."""

from __future__ import annotations

import os
import signal
import threading
import time

import httpx
import pytest

from tests.capture.conftest import eventually
from tests.capture.test_service import free_port
from tests.capture.test_workers import worker_pids
from wizard.capture.feed_client import FeedClient
from wizard.capture.feed_token import read_token
from wizard.capture.hold_every import EveryCapture, node_holds
from wizard.capture.hold_file import HOLD_FILE
from wizard.core.engine import RunContext
from wizard.core.errors import MigrateError
from wizard.core.events import EventBus
from wizard.core.state import StateStore
from wizard.cutover.gate import CutoverGate, Postponement
from wizard.phases.capture import CapturePhase
from wizard.plan import CaptureNode, GateConfig, NeutronSource, Plan


def post(url: str) -> httpx.Response:
    """A write on a new connection (with workers, whichever takes it)."""
    return httpx.post(f"{url}/v2.0/networks", json={"network": {"name": "n"}}, timeout=30)


@pytest.fixture
def nodes(capture_process, upstream, tmp_path):
    """Two API nodes' captures with feeds: api-1 one process, api-2 two workers; and their capture.nodes."""
    running = {name: capture_process("--neutron-url", upstream.url, "--state-dir", str(tmp_path / name), "--name",
                                     name, "--feed-listen", "127.0.0.1:0", *extra)
               for name, extra in (("api-1", ()), ("api-2", ("--workers", "2")))}
    plan_nodes = {name: CaptureNode(feed=p.feed_url, token_file=str(tmp_path / name / "feed.token"))
                  for name, p in running.items()}
    return running, plan_nodes


def test_the_hold_reaches_every_nodes_capture_through_its_feed_and_the_release_lets_writes_through(nodes, upstream):
    running, plan_nodes = nodes
    warnings: list[str] = []
    hold = EveryCapture(node_holds(plan_nodes), warnings.append)

    hold.hold_writes("reject", 3.0)  # returns once both captures (both of api-2's workers) hold
    for capture in running.values():
        refused = [post(capture.url) for _ in range(6)]
        assert {(r.status_code, r.headers.get("Retry-After")) for r in refused} == {(503, "3")}
    hold.release_writes()
    assert {post(capture.url).status_code for capture in running.values() for _ in range(6)} == {201}

    hold.hold_writes("hold", 10.0)
    sent = len(upstream.received)
    answers: list[int] = []
    writers = [threading.Thread(target=lambda url=capture.url: answers.append(post(url).status_code))
               for capture in running.values()]
    for writer in writers:
        writer.start()
    time.sleep(1.0)
    assert answers == [] and len(upstream.received) == sent  # held: neither answered nor sent to Neutron
    hold.release_writes()
    for writer in writers:
        writer.join(30)
    assert answers == [201, 201] and len(upstream.received) == sent + 2
    assert warnings == []
    for capture in running.values():
        assert capture.stop()[0] == 0


def test_a_node_that_cannot_be_held_fails_the_hold_naming_it_and_the_others_are_released(nodes, tmp_path):
    running, plan_nodes = nodes
    gone = f"http://127.0.0.1:{free_port()}"  # api-3's capture is down: nothing listens on its feed
    plan_nodes["api-3"] = CaptureNode(feed=gone, token_file=plan_nodes["api-1"].token_file)
    hold = EveryCapture(node_holds(plan_nodes), lambda text: None)

    with pytest.raises(MigrateError) as failed:
        hold.hold_writes("reject", 30.0)
    message = str(failed.value)
    assert message.startswith(f"write hold: capture.nodes.api-3 could not be held (capture.nodes.api-3: capture "
                              f"feed {gone}: unreachable: ConnectError")
    assert "writes were released on every capture (capture.nodes.api-1, capture.nodes.api-2, capture.nodes.api-3)" \
           " and nothing was switched" in message
    for name, capture in running.items():  # held a moment, then released: writes go through at once
        assert not (tmp_path / name / HOLD_FILE).exists()
        assert {post(capture.url).status_code for _ in range(6)} == {201}


def test_a_node_whose_worker_does_not_take_the_hold_fails_it_and_nothing_stays_held(nodes, tmp_path):
    """api-2's feed answers, but one of its workers is stopped: its feed refuses the hold after 10 s
    rather than answer for a worker that may still let writes through."""
    running, plan_nodes = nodes
    stuck = worker_pids(running["api-2"].process.pid)["api-2-worker-1"]
    os.kill(stuck, signal.SIGSTOP)
    try:
        with pytest.raises(MigrateError) as failed:
            EveryCapture(node_holds(plan_nodes), lambda text: None).hold_writes("reject", 30.0)
    finally:
        os.kill(stuck, signal.SIGCONT)
    assert str(failed.value).startswith(
        f"write hold: capture.nodes.api-2 could not be held (capture.nodes.api-2: capture feed "
        f"{running['api-2'].feed_url}: unreachable: HTTP 503: capture api-2: its proxy did not take the write hold "
        "within 10s; writes are not held)")
    for name, capture in running.items():
        assert not (tmp_path / name / HOLD_FILE).exists()
        assert {post(capture.url).status_code for _ in range(6)} == {201}


def test_a_release_a_stopped_worker_does_not_confirm_is_a_warning_and_writes_pass_once_it_runs(nodes, tmp_path):
    """api-2's feed answers the release, but one of its workers is stopped: after 10 s the feed says the
    release is not confirmed (503), the run warns and goes on; api-1 is released at once."""
    running, plan_nodes = nodes
    warnings: list[str] = []
    hold = EveryCapture(node_holds(plan_nodes), warnings.append)
    hold.hold_writes("reject", 3.0)
    stuck = worker_pids(running["api-2"].process.pid)["api-2-worker-1"]
    os.kill(stuck, signal.SIGSTOP)
    try:
        hold.release_writes()
        assert {post(running["api-1"].url).status_code for _ in range(6)} == {201}
    finally:
        os.kill(stuck, signal.SIGCONT)
    assert warnings == [
        f"write hold: capture.nodes.api-2: the release is not confirmed (capture feed {running['api-2'].feed_url}: "
        "unreachable: HTTP 503: capture api-2: its proxy did not confirm the release within 10s; a process that "
        "missed it lets writes through when the hold expires); its hold ends by itself when it expires"]
    assert not (tmp_path / "api-2" / HOLD_FILE).exists()
    assert eventually(lambda: {post(running["api-2"].url).status_code for _ in range(6)} == {201})


class CaughtUp:
    """A replication with nothing to replay: what is tested here is the hold around the switch."""

    def head(self) -> int:
        return 0

    def lag(self) -> int:
        return 0

    def replay(self, until: int, deadline: float) -> int:
        return until

    def unreadable(self) -> tuple[str, ...]:
        return ()


def test_the_cutover_switches_with_every_node_held_and_fails_before_the_switch_if_one_cannot_be(nodes, tmp_path):
    running, plan_nodes = nodes
    config = GateConfig(writes="reject", hold_timeout=5.0, retries=1, max_lag=0)
    answered: list[int] = []

    def switch() -> None:  # at the switch, no node lets a write through
        answered.extend(post(capture.url).status_code for capture in running.values())

    def writes_pass() -> bool:
        return {post(capture.url).status_code for capture in running.values()} == {201}

    CutoverGate(config, Postponement(tmp_path / "postpone"), CaughtUp(),
                EveryCapture(node_holds(plan_nodes), lambda text: None)).pass_through(switch)
    assert answered == [503, 503]
    assert writes_pass()  # the release returns once every capture (every worker) lets writes through

    plan_nodes["api-3"] = CaptureNode(feed=f"http://127.0.0.1:{free_port()}", token_file=plan_nodes["api-1"].token_file)
    switched: list[int] = []
    with pytest.raises(MigrateError, match=r"^write hold: capture.nodes.api-3 could not be held"):
        CutoverGate(config, Postponement(tmp_path / "postpone"), CaughtUp(),
                    EveryCapture(node_holds(plan_nodes), lambda text: None)).pass_through(lambda: switched.append(1))
    assert switched == []
    assert writes_pass()


def test_a_hold_left_past_its_expiry_is_released_by_the_capture_itself(nodes, tmp_path):
    running, plan_nodes = nodes
    capture = running["api-1"]
    with FeedClient(capture.feed_url, read_token(plan_nodes["api-1"].token_file)) as feed:
        held = feed.hold("reject", 1.0, expires_in=1.0)  # and the run that asked dies: no DELETE comes
        assert held["capture"] == "api-1" and held["hold"]["mode"] == "reject"
        assert post(capture.url).status_code == 503
        assert eventually(lambda: post(capture.url).status_code == 201, 5)
    code, output = capture.stop()
    assert code == 0 and f"{tmp_path / 'api-1' / HOLD_FILE}: the write hold expired; writes released" in output


def test_the_hold_needs_the_feeds_token_and_a_valid_request(nodes):
    running, plan_nodes = nodes
    url = f"{running['api-1'].feed_url}/v1/hold"
    token = read_token(plan_nodes["api-1"].token_file)
    assert httpx.put(url, json={"mode": "reject", "retry_after": 5}).status_code == 401
    assert httpx.delete(url).status_code == 401
    authorized = {"Authorization": f"Bearer {token}"}
    for body, error in (({"mode": "pause", "retry_after": 5}, "mode='pause': expected one of hold, reject"),
                        ({"mode": "hold"}, "retry_after=None: expected seconds, more than 0 and at most 3600"),
                        ({"mode": "hold", "retry_after": 5, "expires_in": 86400}, "expires_in=86400: expected "
                                                                                   "seconds, more than 0 and at "
                                                                                   "most 3600")):
        answer = httpx.put(url, json=body, headers=authorized)
        assert (answer.status_code, answer.json()["error"]) == (400, error)
    assert post(running["api-1"].url).status_code == 201  # nothing was held
    assert httpx.delete(url, headers=authorized).json() == {"capture": "api-1", "hold": None}


def test_a_run_with_a_capture_of_its_own_and_capture_nodes_holds_both(nodes, upstream, tmp_path):
    """capture.mode embedded with capture.nodes: the capture phase leaves a hold on this run's proxy and
    on every node's capture."""
    running, plan_nodes = nodes
    state = StateStore(tmp_path / "run")
    ctx = RunContext(plan=Plan(), state=state, bus=EventBus(), approve=lambda *_: True)
    ctx.plan.neutron = NeutronSource(url=upstream.url, auth="none")
    ctx.plan.capture.listen = f"127.0.0.1:{free_port()}"
    ctx.plan.capture.nodes = plan_nodes
    phase = CapturePhase()
    try:
        phase.run(ctx)
        urls = [f"http://{ctx.plan.capture.listen}", *(capture.url for capture in running.values())]
        ctx.run.write_hold.hold_writes("reject", 2.0)
        assert [post(url).status_code for url in urls] == [503, 503, 503]
        ctx.run.write_hold.release_writes()
        assert [post(url).status_code for url in urls] == [201, 201, 201]
    finally:
        phase.stop(ctx)
        state.close()
