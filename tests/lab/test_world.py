"""LabWorld: the lab a lab plan runs on, started for a run (or a wizard session) and stopped after it."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from wizard.lab import home, samples
from wizard.lab.samples import FILES
from wizard.tui.session import close_engine, open_engine, plan_as_written


def lab_plan(tmp_path: Path, user_writes: int = 0) -> Path:
    text = home.plan_file("lab-noauth").read_text()
    text = text.replace("version: 1\n", f"version: 1\nstate_dir: {tmp_path / 'state'}\n")
    text = text.replace("cloud: ../sample_configs/small.json", f"cloud: {FILES / 'small.json'}")
    text = text.replace("user_writes: 20", f"user_writes: {user_writes}")
    path = tmp_path / "lab.yaml"
    path.write_text(text)
    return path


@pytest.mark.neutron
def test_a_wizard_session_on_the_lab_plan_runs_the_lab_until_it_is_closed(tmp_path):
    told: list[str] = []
    engine = open_engine(lab_plan(tmp_path), told.append)
    try:
        plan = engine.ctx.plan
        assert any(text.startswith("lab: neutron-server at ") for text in told), told  # what the wizard shows
        assert [phase.name for phase in engine.phases][:3] == ["preflight", "capture", "snapshot"]
        networks = httpx.get(plan.neutron.url + "/v2.0/networks", timeout=10).json()["networks"]
        assert sorted(n["name"] for n in networks) == sorted(n["name"] for n in samples.small().networks)
        assert httpx.get(plan.alcor.url + "/vpcs", timeout=10).status_code < 500  # the emulator answers
        fleet = engine.ctx.run.lab_fleet
        assert sorted(fleet.nodes) == sorted(samples.small().agents)
        assert {host: node.server_port for host, node in plan.nodes.items()} == fleet.ports
        assert plan.neutron.auth == "none" and plan.alcor.gateway_url == plan.alcor.url
        written = plan_as_written(engine)  # what the wizard's plan screen shows and saves
        assert written.neutron.url is None and written.alcor.url is None and written.nodes == {}
    finally:
        close_engine(engine)
    assert engine.ctx.run.lab is None
    for url in (plan.neutron.url, plan.alcor.url):
        with pytest.raises(httpx.TransportError):
            httpx.get(url + "/", timeout=2)
    assert (tmp_path / "state" / "lab" / "neutron.sqlite").is_file()  # kept for the next session
