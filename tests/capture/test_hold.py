"""The proxy's write hold at cut-over: held writes wait unlogged, rejected ones get 503 with Retry-After."""

from __future__ import annotations

import threading

import httpx
import pytest


def post(url: str, answers: list) -> None:
    answers.append(httpx.post(f"{url}/v2.0/networks", json={"network": {"name": "n"}}, timeout=10))


def test_held_writes_wait_unlogged_until_released_and_reads_go_on(capture, upstream):
    capture.proxy.hold_writes("hold", 5.0)
    answers: list = []
    writer = threading.Thread(target=post, args=(capture.url, answers))
    writer.start()
    writer.join(0.5)
    assert writer.is_alive() and len(capture.log) == 0 and upstream.received == []
    assert httpx.get(f"{capture.url}/v2.0/networks", timeout=5).status_code == 200  # reads are not held
    capture.proxy.release_writes()
    writer.join(10)
    assert answers[0].status_code == 201
    assert [e["state"] for e in capture.log.entries()] == ["committed"]


def test_rejected_writes_get_503_with_retry_after_and_are_neither_logged_nor_sent(capture, upstream):
    capture.proxy.hold_writes("reject", 2.5)
    answer = httpx.delete(f"{capture.url}/v2.0/networks/abc", timeout=5)
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "3"
    assert answer.json()["NeutronError"]["type"] == "HTTPServiceUnavailable"
    assert len(capture.log) == 0 and upstream.received == []
    capture.proxy.release_writes()
    assert httpx.delete(f"{capture.url}/v2.0/networks/abc", timeout=5).status_code == 204
    assert len(capture.log) == 1


def test_a_hold_mode_must_be_known(capture):
    with pytest.raises(ValueError, match="hold mode 'pause'"):
        capture.proxy.hold_writes("pause", 1.0)


def test_stopping_the_proxy_lets_held_writes_through(state_dir, upstream):
    from tests.capture.conftest import start_capture

    running = start_capture(state_dir, upstream.url)
    running.proxy.hold_writes("hold", 30.0)
    answers: list = []
    writer = threading.Thread(target=post, args=(running.url, answers))
    writer.start()
    writer.join(0.3)
    running.proxy.stop()
    writer.join(10)
    running.log.close()
    assert answers and answers[0].status_code == 201
