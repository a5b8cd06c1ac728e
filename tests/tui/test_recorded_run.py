"""The wizard's test data against the engine: the recorded lab run is still what a run emits, and
the small lab phases send values of the shapes the real phases send (a URL where they send a URL)."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import pytest

from tests.tui import recorded_run
from tests.tui.conftest import ticking
from tests.tui.lab_phases import World, lab_phases
from wizard import plan as plan_file
from wizard.core.engine import Engine
from wizard.core.events import Event
from wizard.core.state import StateStore

URL = re.compile(r"^[a-z][a-z0-9+.-]*://")


def shape(value: Any) -> str:
    if isinstance(value, str) and URL.match(value):
        return "url"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return "number"
    return type(value).__name__


def shapes(records: Iterable[dict[str, Any]]) -> dict[tuple[str, str], set[str]]:
    """(event, field) -> the shapes of its values; a phase's summary keys count as fields too."""
    found: dict[tuple[str, str], set[str]] = defaultdict(set)
    for record in records:
        name = record["event"]
        for key, value in record.items():
            if key in ("event", "at") or value is None:
                continue
            if key == "summary":
                for item, inner in value.items():
                    found[(f"{name} {record['phase']}", item)].add(shape(inner))
            else:
                found[(name, key)].add(shape(value))
    return found


def lab_phase_records(world: World) -> list[dict[str, Any]]:
    plan = plan_file.load("plans/lab.yaml")
    engine = Engine(plan, lab_phases(world), StateStore(plan.state_dir), approve=lambda p, q: True, clock=ticking())
    told: list[Event] = []
    engine.bus.subscribe(told.append)
    try:
        engine.run()
    finally:
        engine.state.close()
    return [event.to_dict() for event in told]


def test_the_lab_phases_send_urls_where_the_engine_does(lab_dir):
    real = shapes(recorded_run.lines(lab_dir / "state"))
    small = shapes(lab_phase_records(World()))
    mismatched = {key: (sorted(small[key]), sorted(real[key])) for key in small.keys() & real.keys()
                  if (small[key] == {"url"}) != (real[key] == {"url"})}  # always a URL in one, not in the other
    assert not mismatched, f"lab phases vs the engine, (event, field): (lab phases', engine's): {mismatched}"


@pytest.mark.neutron
def test_the_recording_is_what_a_lab_run_emits_today(tmp_path):
    """Fails when the engine stops emitting an event, a field or a shape the recording holds:
    record it again (python -m tests.tui.recorded_run) and look at the snapshots it changes."""
    fresh = shapes(recorded_run.run_lab(tmp_path / "state"))
    recorded = shapes(recorded_run.lines(tmp_path / "state"))
    gone = {key: sorted(kinds - fresh.get(key, set())) for key, kinds in recorded.items()
            if not kinds <= fresh.get(key, set())}
    assert not gone, f"the recording holds what a run no longer emits: {gone}"
