"""Secrets never reach the write log or its listings: the corpus in data/secrets.json, through
the log, `log` and `log --json`, and through the real proxy."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from wizard.capture import writelog
from wizard.capture.redact import redact_body
from wizard.capture.writelog import LOG_FILE, WriteLog
from wizard.cli import main
from wizard.lab.samples import FILES
from wizard.neutron.snapshot import COLLECTIONS

CORPUS = json.loads((Path(__file__).parent / "data" / "secrets.json").read_text())["cases"]
SAMPLES = sorted(FILES.glob("*.json"))
DEEP = "[" * 100_000 + "]" * 100_000


def _body(case: dict) -> bytes:
    return case.get("body", "").replace("###DEEP###", DEEP).encode(case.get("encoding", "utf-8"))


def _log(state_dir: Path, case: dict) -> None:
    log = WriteLog(state_dir)
    seq, _ = log.begin(case["method"], case["path"], case.get("query", ""), _body(case), case.get("headers", []))
    log.record_answer(seq, 201, _body(case), "req-answer")
    log.close()


def _shown(state_dir: Path, capsys) -> str:
    assert main(["log", "--state-dir", str(state_dir)]) == 0
    assert main(["log", "--state-dir", str(state_dir), "--json"]) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("case", CORPUS, ids=[case["name"] for case in CORPUS])
def test_no_secret_reaches_the_log_or_its_listings(case, tmp_path, capsys):
    _log(tmp_path, case)
    stored = (tmp_path / LOG_FILE).read_bytes().decode("utf-8", errors="replace")
    shown = _shown(tmp_path, capsys)
    for secret in case["secrets"]:
        assert secret not in stored, f"{secret!r} in writes.db"
        assert secret not in shown, f"{secret!r} in log output"
    for kept in case.get("kept", []):
        assert kept in stored and kept in shown, kept


@pytest.mark.parametrize("case", CORPUS, ids=[case["name"] for case in CORPUS])
def test_log_redacts_what_an_older_capture_logged_in_clear(case, tmp_path, capsys, monkeypatch):
    for name in ("redact_body", "redact_query", "redact_text"):
        monkeypatch.setattr(writelog, name, lambda value: value)
    monkeypatch.setattr(writelog, "redact_headers", dict)
    _log(tmp_path, case)
    shown = _shown(tmp_path, capsys)
    for secret in case["secrets"]:
        assert secret not in shown, f"{secret!r} in log output"


@pytest.mark.parametrize("sample", SAMPLES, ids=[sample.stem for sample in SAMPLES])
def test_no_field_replay_translates_is_redacted(sample):
    snapshot = json.loads(sample.read_text())
    resources = {name: snapshot[name] for name in COLLECTIONS if snapshot.get(name)}
    assert resources and redact_body(resources) == resources


def test_the_proxy_logs_no_secret(capture, upstream, state_dir, capsys):
    case = CORPUS[0]
    headers = dict(case["headers"]) | {"Content-Type": "application/json"}
    answer = httpx.post(f"{capture.url}/v2.0/networks?password=p-proxy-1", content=_body(case), headers=headers)
    assert answer.status_code == 201
    assert upstream.received[-1].headers["X-Auth-Key"] == "key-auth-2"  # Neutron gets what the client sent
    capture.log.sync()
    stored = (state_dir / LOG_FILE).read_text()
    for secret in [*case["secrets"], "p-proxy-1"]:
        assert secret not in stored
