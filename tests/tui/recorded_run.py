"""The events of a real run of the lab, recorded once, for the wizard's tests to replay.

`data/lab_run.jsonl` holds what `alcor-migrate run --plan wizard/lab/plans/lab-noauth.yaml --yes --json` printed
(a real neutron-server, the Alcor emulator, the lab's nodes): one event per line, the run's state
directory written as `{state}`; `data/lab_run_again.jsonl` what the same command printed when run
again on the finished migration (every irreversible phase finds its work done). Screens fed from
them show what the engine really sends (URLs where it sends URLs, the real kind names), with
nothing left to timing. Record both again after a change to what the engine emits
(tests/tui/test_recorded_run.py says when):

    PYTHONPATH=$PWD python -m tests.tui.recorded_run
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from wizard.core import events as ev

ROOT = Path(__file__).resolve().parents[2]
RECORDING = Path(__file__).parent / "data" / "lab_run.jsonl"
RECORDING_AGAIN = RECORDING.with_name("lab_run_again.jsonl")
LAB_PLAN = ROOT / "wizard" / "lab" / "plans" / "lab-noauth.yaml"
STATE = "{state}"
RUN_TIMEOUT = 300


def event_classes() -> dict[str, type[ev.Event]]:
    """Every event class by the name `to_dict` writes."""
    found, todo = {}, [ev.Event]
    while todo:
        for cls in todo.pop().__subclasses__():
            found[cls.name()] = cls
            todo.append(cls)
    return found


def from_dict(record: dict[str, Any]) -> ev.Event:
    """The event `Event.to_dict` wrote (tuples come back as tuples)."""
    record = dict(record)
    cls = event_classes()[record.pop("event")]
    for field in dataclasses.fields(cls):
        if isinstance(record.get(field.name), list) and "tuple" in str(field.type):
            record[field.name] = tuple(record[field.name])
    return cls(**record)


def lines(state_dir: Path, recording: Path = RECORDING) -> list[dict[str, Any]]:
    """The recorded run, its state directory `state_dir`."""
    text = recording.read_text(encoding="utf-8").replace(STATE, str(state_dir))
    return [json.loads(line) for line in text.splitlines()]


def events(state_dir: Path, recording: Path = RECORDING) -> list[ev.Event]:
    return [from_dict(record) for record in lines(state_dir, recording)]


def run_lab(state_dir: Path) -> list[dict[str, Any]]:
    """Run the lab headless with `--json` in `state_dir`; its events as dicts."""
    command = [sys.executable, "-m", "wizard.cli", "run", "--plan", str(LAB_PLAN), "--yes", "--json",
               "--state-dir", str(state_dir), "--status-every", "0"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=RUN_TIMEOUT)
    if done.returncode != 0:
        raise RuntimeError(f"the lab run failed ({done.returncode}): {done.stderr[-2000:]}")
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def record() -> None:
    with tempfile.TemporaryDirectory() as folder:
        state_dir = Path(folder) / "state"
        runs = [run_lab(state_dir), run_lab(state_dir)]
    RECORDING.parent.mkdir(exist_ok=True)
    for path, recorded in zip((RECORDING, RECORDING_AGAIN), runs, strict=True):
        text = "".join(json.dumps(record, sort_keys=True) + "\n" for record in recorded)
        path.write_text(text.replace(str(state_dir), STATE), encoding="utf-8")
        print(f"{path}: {len(recorded)} events")


if __name__ == "__main__":
    record()
