"""`alcor-migrate run`: real files in tmp state directories, resumes, --until, --json, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.pipeline.conftest import ALCOR
from wizard.lab.samples import FILES
from wizard.preview_phase import APPROVED_KEY
from wizard.state import StateStore

SMALL_CLOUD = FILES / "small.json"


def phases_of(state_dir: Path) -> dict[str, str]:
    store = StateStore(state_dir)
    try:
        return {record["phase"]: record["status"] for record in store.phases()}
    finally:
        store.close()


def test_the_command_runs_a_snapshot_up_to_preview_end_to_end(tmp_path, plan_file):
    state = tmp_path / "state"
    done = subprocess.run([sys.executable, "-m", "wizard", "run", "--plan", plan_file, "--until", "preview",
                           "--yes"], capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
                          cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert phases_of(state) == {"preflight": "done", "snapshot": "done", "translate": "done", "preview": "done"}
    requests = (state / "preview" / "requests.jsonl").read_text().splitlines()
    assert len(requests) == 23 and json.loads(requests[0])["kind"] == "segment_table"
    assert "✔ preview" in done.stderr and "- report: after --until preview" in done.stderr
    assert not (state / "report.md").exists()
    assert (state / "snapshot.json").read_bytes() == (tmp_path / "cloud.json").read_bytes()
    assert os.stat(state).st_mode & 0o777 == 0o700


def test_blockers_stop_the_run_with_exit_3_naming_them(tmp_path, alcor_migrate):
    state = tmp_path / "blocked"
    code, _out, err = alcor_migrate("run", "--snapshot", SMALL_CLOUD, "--alcor-url", ALCOR, "--state-dir", state,
                                    "--until", "preview", "--yes")
    assert code == 3  # the small cloud has a router on two networks
    assert "! alcor " in err and f"Alcor at {ALCOR} does not answer" in err  # a preview needs no Alcor
    assert phases_of(state)["preflight"] == "done"
    findings = json.loads((state / "preview" / "findings.json").read_text())["findings"]
    blockers = [f for f in findings if f["severity"] == "blocker"]  # the dry run is written before it stops
    assert blockers and f"✘ preview: {len(blockers)} blocker(s): " in err
    assert all(f"{b['code']} {b['kind']} {b['id']}" in err for b in blockers[:3])
    assert "resolve the blockers, then run the same command again" in err
    assert phases_of(state)["preview"] == "failed"


def test_json_lines_each_parse_and_tell_the_whole_run(plan_file, alcor_migrate, tmp_path):
    code, events = alcor_migrate.events("--plan", plan_file, "--yes", "--until", "verify")  # then the cutover
    assert code == 0
    names = [event["event"] for event in events]
    started = [event["phase"] for event in events if event["event"] == "phase_started"]
    assert started == ["preflight", "snapshot", "translate", "preview", "convert", "replay", "repair", "verify"]
    checks = [(e["check"], e["status"]) for e in events if e["event"] == "check_changed"]
    assert checks == [("state directory", "running"), ("state directory", "ok"), ("neutron", "running"),
                      ("neutron", "ok"), ("capture", "running"), ("capture", "ok"), ("insertion", "running"),
                      ("insertion", "ok"), ("alcor", "running"), ("alcor", "ok"),
                      ("plan references", "running"), ("plan references", "ok")]
    findings = [event for event in events if event["event"] == "finding_raised"]
    assert findings and {f["severity"] for f in findings} == {"warning"}  # info findings are only counted
    assert any(e["event"] == "message" and e["text"].startswith("13 info findings") for e in events)
    assert names.count("approval_needed") == 1
    skipped = [event["phase"] for event in events if event["event"] == "phase_skipped"]
    assert skipped == ["switch", "drain", "cutover", "final_replay", "report"]


def test_run_finished_is_the_last_json_line_of_a_whole_run_and_names_the_report(plan_file, alcor_migrate,
                                                                              alcor_url, tmp_path):
    with plan_file.open("a") as plan:  # the switch names Alcor; the cutover's node commands succeed here
        plan.write(f"cutover:\n  endpoint: {{alcor_url: '{alcor_url}'}}\n  drain: {{min: 0, max: 1, poll: 0.1}}\n"
                   "  executor: {kind: local}\n  commands: {stop_agents: 'true', start_agents: 'true', "
                   "start_aca: 'true', stop_aca: 'true', aca_health: 'true'}\n")
    code, events = alcor_migrate.events("--plan", plan_file, "--yes")
    assert code == 0, [e for e in events if e["event"] == "phase_failed"]
    last = events[-1]
    assert last["event"] == "run_finished" and [e["event"] for e in events].count("run_finished") == 1
    assert last["exit_code"] == 0 and last["failed"] == ""
    assert last["phases"] == [e["phase"] for e in events if e["event"] == "phase_finished"]
    assert last["phases"][-1] == "report" and "cutover" in last["phases"]
    assert last["report"] == str(tmp_path / "state" / "report.md")
    assert Path(last["report"]).read_text().startswith("# Migration report: sample")


def test_run_finished_ends_a_failed_or_refused_run_too(plan_file, alcor_migrate, tmp_path):
    code, events = alcor_migrate.events("--plan", plan_file)  # declined at preview
    assert code == 1
    assert events[-1] == {**events[-1], "event": "run_finished", "exit_code": 1, "failed": "preview",
                          "phases": ["preflight", "snapshot", "translate"], "report": None}

    code, events = alcor_migrate.events("--plan", tmp_path / "nowhere.yaml")  # bad input: the only line
    assert code == 2
    assert [(e["event"], e["exit_code"], e["phases"]) for e in events] == [("run_finished", 2, [])]


def test_a_declined_approval_stops_and_is_asked_again_until_given_once(plan_file, alcor_migrate, tmp_path,
                                                                      alcor_url):
    code, events = alcor_migrate.events("--plan", plan_file)
    assert code == 1
    failed = [e for e in events if e["event"] == "phase_failed"]
    assert failed == [{**failed[0], "phase": "preview",
                       "error": f"preview: not approved: Apply 23 requests to Alcor at {alcor_url}?"}]
    store = StateStore(tmp_path / "state")
    assert store.get_meta(APPROVED_KEY) is None
    store.close()

    code, events = alcor_migrate.events("--plan", plan_file, "--yes", "--until", "preview")
    assert code == 0 and [e["event"] for e in events].count("approval_needed") == 1

    code, events = alcor_migrate.events("--plan", plan_file, "--until", "verify")  # no --yes: approved earlier
    assert code == 0 and "approval_needed" not in [e["event"] for e in events]
    preview = next(e for e in events if e["event"] == "phase_finished" and e["phase"] == "preview")
    assert preview["summary"]["approved"] == "earlier"


def test_a_failed_run_resumes_from_the_state_directory_alone(plan_file, sample, alcor_migrate, tmp_path):
    assert alcor_migrate("run", "--plan", plan_file)[0] == 1  # declined at preview
    sample.unlink()  # the run's own copy of the snapshot is all it needs now
    code, events = alcor_migrate.events("--plan", plan_file, "--yes", "--until", "verify")
    assert code == 0
    snapshot = next(e for e in events if e["event"] == "phase_finished" and e["phase"] == "snapshot")
    assert snapshot["summary"]["resumed"] is True and snapshot["summary"]["resources"] == 32
    assert set(phases_of(tmp_path / "state").values()) == {"done"}


def test_until_stops_after_the_phase_and_skips_the_rest(plan_file, alcor_migrate, tmp_path):
    code, events = alcor_migrate.events("--plan", plan_file, "--until", "translate")
    assert code == 0
    skipped = [e["phase"] for e in events if e["event"] == "phase_skipped"]
    assert skipped == ["preview", "convert", "replay", "repair", "verify", "switch", "drain", "cutover",
                       "final_replay", "report"]
    assert not (tmp_path / "state" / "preview").exists()


def test_bad_input_exits_2_naming_what_is_missing_or_wrong(tmp_path, alcor_migrate, alcor_url, capsys):
    code, _out, err = alcor_migrate("run", "--state-dir", tmp_path / "s")
    assert code == 2
    assert "--snapshot FILE" in err and "--alcor-url URL" in err

    broken = tmp_path / "broken.json"
    broken.write_text('{"format": "neutron-snapshot/1",\n "networks": [}\n')
    code, _out, err = alcor_migrate("run", "--snapshot", broken, "--alcor-url", alcor_url,
                                    "--state-dir", tmp_path / "s", "--yes")
    assert code == 2
    assert f"{broken}:2:15: not valid JSON" in err

    with pytest.raises(SystemExit) as exit_:
        alcor_migrate("run", "--snapshot", broken, "--alcor-url", ALCOR, "--until", "nowhere")
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'nowhere'" in err and "final_replay" in err



def test_a_snapshot_missing_a_collection_is_bad_input_without_resume_advice(tmp_path, alcor_migrate):
    document = json.loads(SMALL_CLOUD.read_text())
    assert "segment" in document["source"]["extensions"]
    del document["segments"]
    lost = tmp_path / "segments-lost.json"
    lost.write_text(json.dumps(document))
    code, _out, err = alcor_migrate("run", "--snapshot", lost, "--alcor-url", ALCOR, "--state-dir", tmp_path / "s",
                                    "--until", "snapshot", "--yes")
    assert code == 2
    assert f"{lost}: segments: missing collection" in err
    assert "resume" not in err and "run the same command again" not in err
    assert phases_of(tmp_path / "s")["snapshot"] == "failed"


def test_off_a_terminal_the_status_line_is_reprinted_and_json_stays_on_stdout(plan_file, alcor_migrate):
    code, out, err = alcor_migrate("run", "--plan", plan_file, "--yes", "--until", "verify", "--json",
                                   "--status-every", "0.001")
    assert code == 0
    assert all(line.startswith("{") for line in out.splitlines())
    status = [line for line in err.splitlines() if line.startswith("Phase: ")]
    assert status and all("; Elapsed: " in line and "; State: " in line for line in status)
