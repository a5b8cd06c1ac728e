"""A small real-shaped cloud, plan files in tmp directories, and `alcor-migrate` run in-process."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from wizard import cli
from wizard.lab.alcor import AlcorEmulator

SAMPLE = Path(__file__).parents[1] / "translate" / "data" / "neutron29-small.json"
ALCOR = "http://127.0.0.1:9"  # never contacted up to preview


@pytest.fixture
def alcor_url():
    """The Alcor emulator that convert and verify reach."""
    with AlcorEmulator(seed=1) as emulator:
        yield emulator.url_for("vpc")


@pytest.fixture
def sample(tmp_path) -> Path:
    """A copy of the Neutron 29 sample cloud (its flat network is external: elastic-IP ranges)."""
    path = tmp_path / "cloud.json"
    path.write_bytes(SAMPLE.read_bytes())
    return path


@pytest.fixture
def plan_file(tmp_path, sample, alcor_url) -> Path:
    """A plan that runs the sample with flat networks skipped and port p3 (port security off) in an
    allow-all group (no blockers) into tmp/state."""
    path = tmp_path / "plan.yaml"
    path.write_text(f"version: 1\nname: sample\nstate_dir: state\nneutron: {{snapshot: {sample.name}}}\n"
                    f"alcor: {{url: '{alcor_url}'}}\n"
                    "translate: {flat_networks: skip, port_security_off: allow_all_group}\n")
    return path


class Cli:
    """Runs `alcor-migrate ...` in this process; stdin is never a terminal."""

    def __init__(self, capsys, monkeypatch):
        self.capsys, self.monkeypatch = capsys, monkeypatch

    def __call__(self, *args: str) -> tuple[int, str, str]:
        self.monkeypatch.setattr("sys.stdin", io.StringIO(""))
        code = cli.main([str(arg) for arg in args])
        out, err = self.capsys.readouterr()
        return code, out, err

    def events(self, *args: str) -> tuple[int, list[dict]]:
        code, out, _err = self("run", "--json", *args)
        return code, [json.loads(line) for line in out.splitlines()]


@pytest.fixture
def alcor_migrate(capsys, monkeypatch) -> Cli:
    return Cli(capsys, monkeypatch)
