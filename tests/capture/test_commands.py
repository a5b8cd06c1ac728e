"""`alcor-migrate capture` (a real process) and `alcor-migrate log`."""

from __future__ import annotations

import json
import re
import signal
import time
from pathlib import Path

import httpx
import pytest

from wizard.capture.reader import LogReader
from wizard.capture.writelog import LOG_FILE, WriteLog
from wizard.cli import main
from wizard.core.state import StateStore


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])  # a service manager's stop, a closed terminal
def test_capture_runs_until_sigterm_or_sighup_and_logs_writes(capture_process, upstream, state_dir, signum):
    running = capture_process("--neutron-url", upstream.url, "--state-dir", str(state_dir), "--status-every", "0.1")
    with httpx.Client(base_url=running.url) as client:
        created = client.post("/v2.0/networks", json={"network": {"name": "n1"}})
        assert client.get("/v2.0/networks").status_code == 200
    code, output = running.stop(signum)
    assert code == 0
    assert re.search(r"Capture: requests 2; writes 1 \(refused 0\); errors 0", output)
    [entry] = WriteLog(state_dir, readonly=True).entries()
    assert entry["state"] == "committed" and entry["response"] == created.json()


def test_capture_takes_neutron_and_the_address_from_a_plan(capture_process, upstream, tmp_path):
    plan = tmp_path / "plan.yaml"
    plan.write_text(f"version: 1\nneutron: {{url: '{upstream.url}', auth: none}}\nalcor: {{url: 'http://127.0.0.1:9'}}\n"
                    f"state_dir: {tmp_path / 'planned'}\n")
    running = capture_process("--plan", str(plan))
    assert httpx.delete(f"{running.url}/v2.0/networks/n1").status_code == 204
    assert running.stop()[0] == 0
    assert [entry["method"] for entry in WriteLog(tmp_path / "planned", readonly=True).entries()] == ["DELETE"]


def test_capture_takes_the_upstream_timeout_as_an_option(capture_process, upstream, state_dir):
    running = capture_process("--neutron-url", upstream.url, "--state-dir", str(state_dir), "--upstream-timeout", "0.5")
    started = time.monotonic()
    answer = httpx.get(f"{running.url}/slow?seconds=3", timeout=10)
    assert answer.status_code == 504 and time.monotonic() - started < 2.5
    assert running.stop()[0] == 0


def test_a_full_disk_refuses_writes_before_neutron_and_reads_go_on(capture_process, upstream, state_dir):
    running = capture_process("--neutron-url", upstream.url, "--state-dir", str(state_dir), file_size_limit=4096)
    statuses = []
    with httpx.Client(base_url=running.url) as client:
        for n in range(30):
            statuses.append(client.post("/v2.0/networks", json={"network": {"name": f"n{n}"}}).status_code)
        read = client.get("/v2.0/networks")
    code, output = running.stop()
    assert code == 0 and read.status_code == 200
    assert 201 in statuses and 503 in statuses
    assert set(statuses) <= {201, 503}
    assert "write refused, the write log cannot take it" in output
    forwarded = [json.loads(seen.body)["network"]["name"] for seen in upstream.received if seen.method == "POST"]
    logged = WriteLog(state_dir, readonly=True).entries()
    assert [entry["body"]["network"]["name"] for entry in logged] == forwarded  # refused ones never reached Neutron
    assert [entry["seq"] for entry in logged] == list(range(1, len(logged) + 1))
    assert len(forwarded) == statuses.count(201)


def test_capture_needs_a_neutron_url(tmp_path, capsys):
    plan = tmp_path / "plan.yaml"
    plan.write_text("version: 1\nneutron: {snapshot: cloud.json}\nalcor: {url: 'http://127.0.0.1:9'}\n")
    assert main(["capture", "--plan", str(plan), "--state-dir", str(tmp_path)]) == 2
    assert "neutron.url" in capsys.readouterr().err
    assert main(["capture", "--state-dir", str(tmp_path)]) == 2
    assert "give --plan FILE or --neutron-url URL" in capsys.readouterr().err


def _logged(state_dir: Path) -> None:
    log = WriteLog(state_dir)
    for n, (status, path) in enumerate([(201, "/v2.0/networks"), (409, "/v2.0/ports"), (204, "/v2.0/routers/r1")]):
        seq, _ = log.begin("POST" if status != 204 else "DELETE", path, "fields=id" if n == 1 else "", b"{}", [])
        log.record_answer(seq, status, b"{}", f"req-{n}")
    log.close()


def test_log_lists_entries(state_dir, capsys):
    _logged(state_dir)
    assert main(["log", "--state-dir", str(state_dir)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["seq", "time", "method", "status", "state", "path"]
    assert re.match(r"\s+2  \S+ \S+  POST       409  rejected   /v2.0/ports\?fields=id$", lines[2])
    assert len(lines) == 4


def test_log_filters_by_state_and_prints_json(state_dir, capsys):
    _logged(state_dir)
    assert main(["log", "--state-dir", str(state_dir), "--state", "committed", "--json"]) == 0
    entries = json.loads(capsys.readouterr().out)
    assert [(entry["seq"], entry["status"]) for entry in entries] == [(1, 201), (3, 204)]


def test_log_warns_about_a_torn_tail_and_a_missing_log(state_dir, capsys):
    _logged(state_dir)
    with open(state_dir / LOG_FILE, "ab") as fh:
        fh.write(b'{"t":"writes","i":"4"')
    assert main(["log", "--state-dir", str(state_dir)]) == 0
    captured = capsys.readouterr()
    assert "last record is unfinished" in captured.err and len(captured.out.splitlines()) == 4
    assert main(["log", "--state-dir", str(state_dir / "nowhere")]) == 2
    assert "no write log here" in capsys.readouterr().err


def test_log_shows_the_verdicts_a_run_kept_in_its_state_store_for_a_separate_capture(state_dir, capsys):
    _logged(state_dir)
    state = StateStore(state_dir)
    reader = LogReader(state_dir, state)
    reader.mark(1, "replayed", alcor=[])
    reader.close()
    assert main(["log", "--state-dir", str(state_dir), "--state", "replayed", "--json"]) == 0
    assert [entry["seq"] for entry in json.loads(capsys.readouterr().out)] == [1]
    state.close()


def test_log_json_streams_the_entries_one_at_a_time(state_dir, tmp_path, monkeypatch):
    import sys
    import tracemalloc

    log = WriteLog(state_dir)
    for n in range(300):
        seq, _ = log.begin("POST", "/v2.0/ports", "", b'{"port": {"name": "%d%s"}}' % (n, b"q" * 20000), [])
        log.record_answer(seq, 201, b'{"port": {"id": "p%d"}}' % n, None)
    log.close()
    out = tmp_path / "log.json"
    with open(out, "w") as file:
        monkeypatch.setattr(sys, "stdout", file)
        tracemalloc.start()
        try:
            assert main(["log", "--state-dir", str(state_dir), "--json"]) == 0
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    entries = json.loads(out.read_text())
    assert [entry["response"]["port"]["id"] for entry in entries] == [f"p{n}" for n in range(300)]
    assert peak < 1_500_000  # a few entries at a time, not the 6 MB of bodies
