"""Writes larger than `capture.max_body_size` are refused with Neutron's 413 before they are logged."""

from __future__ import annotations

import httpx

from wizard.capture.config import ProxyConfig
from wizard.plan import Plan

LIMIT = 114688  # oslo.middleware's max_request_body_size default
TOO_LARGE = {
    "message": f"Request is too large. Larger than max_request_body_size ({LIMIT}).<br /><br />\n\n\n",
    "code": "413 Request Entity Too Large",
    "title": "Request Entity Too Large",
}


def _chunks(size: int):
    for _ in range(size // 65536):
        yield b"x" * 65536


def test_a_write_over_the_limit_is_refused_with_413_and_leaves_no_entry(capture, upstream):
    with httpx.Client(base_url=capture.url) as client:
        declared = client.post("/v2.0/networks", content=b"x" * (LIMIT + 1),
                               headers={"Content-Type": "application/json"})
        chunked = client.post("/v2.0/networks", content=_chunks(4 * 1024 * 1024))
        at_limit = client.put("/v2.0/networks/n1", json={"network": {"name": "n" * (LIMIT - 30)}})
    for answer in (declared, chunked):
        assert answer.status_code == 413
        assert answer.headers["Content-Type"] == "application/json"
        assert answer.json() == TOO_LARGE
    assert at_limit.status_code == 200
    assert [entry["method"] for entry in capture.log.entries()] == ["PUT"]
    assert [seen.method for seen in upstream.received] == ["PUT"]


def test_reads_keep_their_own_limit(capture, upstream):
    answer = httpx.request("GET", f"{capture.url}/v2.0/networks", content=b"x" * (4 * LIMIT))
    assert answer.status_code == 200 and len(upstream.received[0].body) == 4 * LIMIT


def test_the_limit_comes_from_the_plan(state_dir, upstream):
    plan = Plan()
    assert ProxyConfig.from_plan(plan, upstream.url).max_body_size == LIMIT
    plan.capture.max_body_size = 1000
    assert ProxyConfig.from_plan(plan, upstream.url).max_body_size == 1000
