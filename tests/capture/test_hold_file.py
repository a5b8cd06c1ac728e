"""The cut-over's brake on a capture running as its own process: the hold file it watches."""

from __future__ import annotations

import json
import signal
import time

import httpx
import pytest

from tests.capture.conftest import eventually
from tests.capture.test_hold_feed import CaughtUp
from wizard.capture.hold_file import HOLD_FILE, HoldRequest, HoldWatcher
from wizard.core.errors import MigrateError
from wizard.core.events import Event, Message
from wizard.cutover.gate import CutoverGate, Postponement
from wizard.plan import GateConfig


def post(url: str) -> httpx.Response:
    return httpx.post(f"{url}/v2.0/networks", json={"network": {"name": "n"}}, timeout=10)


def test_a_capture_process_holds_writes_while_the_run_asks_and_releases_them_after(capture_process, upstream,
                                                                                   state_dir):
    running = capture_process("--neutron-url", upstream.url, "--state-dir", str(state_dir))
    hold = HoldRequest(state_dir)
    hold.hold_writes("reject", 2.0)  # returns once the capture process has taken the hold
    answer = post(running.url)
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "2"
    hold.release_writes()  # returns once the capture process lets writes through
    assert post(running.url).status_code == 201
    code, said = running.stop()
    assert code == 0 and f"info: {state_dir / HOLD_FILE}: writes held (reject, Retry-After 2s)\n" in said
    assert f"info: {state_dir / HOLD_FILE}: writes released\n" in said


def test_a_release_the_capture_process_does_not_confirm_is_a_warning_and_the_switch_stands(capture_process,
                                                                                           upstream, state_dir):
    running = capture_process("--neutron-url", upstream.url, "--state-dir", str(state_dir))
    events: list[Event] = []

    def switch() -> None:  # from the switch on, the capture process does not look at its hold file
        running.process.send_signal(signal.SIGSTOP)

    gate = CutoverGate(GateConfig(writes="reject", hold_timeout=5.0, retries=1, max_lag=0),
                       Postponement(state_dir / "postpone"), CaughtUp(), HoldRequest(state_dir, ack_timeout=0.5),
                       events.append)
    try:
        outcome = gate.pass_through(switch)
    finally:
        running.process.send_signal(signal.SIGCONT)
    assert outcome.attempts == 1
    assert [e.text for e in events if isinstance(e, Message)] == [
        f"cut-over gate: {state_dir / HOLD_FILE}: the capture process did not confirm within 0.5s that it let writes "
        "through (its hold file is removed; a process that missed it lets writes through when the hold expires)"]
    assert eventually(lambda: post(running.url).status_code == 201)  # running again, it sees the release
    assert running.stop()[0] == 0


def test_a_hold_no_capture_process_takes_fails_and_leaves_no_hold_behind(state_dir):
    state_dir.mkdir()
    hold = HoldRequest(state_dir, ack_timeout=0.3)
    with pytest.raises(MigrateError, match="no capture process took the write hold within 0.3s"):
        hold.hold_writes("hold", 5.0)
    assert not (state_dir / HOLD_FILE).exists()


def test_a_hold_past_its_expiry_is_released(capture, state_dir):
    warnings: list[str] = []
    watcher = HoldWatcher(state_dir, capture.proxy, warnings.append)
    (state_dir / HOLD_FILE).write_text(json.dumps({"id": "a", "mode": "reject", "retry_after": 1,
                                                   "expires": time.time() + 60}))
    watcher.look()
    assert post(capture.url).status_code == 503
    (state_dir / HOLD_FILE).write_text(json.dumps({"id": "a", "mode": "reject", "retry_after": 1,
                                                   "expires": time.time() - 1}))  # the run died holding
    watcher.look()
    assert post(capture.url).status_code == 201 and watcher.held is None
    assert warnings == [f"{state_dir / HOLD_FILE}: the write hold expired; writes released"]


def test_a_hold_file_the_capture_does_not_understand_is_ignored_with_one_warning(capture, state_dir):
    warnings: list[str] = []
    watcher = HoldWatcher(state_dir, capture.proxy, warnings.append, poll=0.01)
    (state_dir / HOLD_FILE).write_text(json.dumps({"id": "a", "mode": "pause", "retry_after": 1,
                                                   "expires": time.time() + 60}))
    watcher.start()
    time.sleep(0.3)
    watcher.stop()
    assert post(capture.url).status_code == 201 and watcher.held is None
    assert len(warnings) == 1 and "write hold mode 'pause'" in warnings[0]
