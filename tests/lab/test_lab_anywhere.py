"""The lab opens from any directory: its plans and sample clouds ship with the package (wizard/lab/home.py),
and outside the source tree its state goes to the user's state directory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.tui.conftest import make_app, wait_until
from tests.tui.lab_phases import World
from wizard.lab import home

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The package as an install lays it out (setuptools builds this tree by its pyproject.toml), away
    from the source tree."""
    out = tmp_path_factory.mktemp("installed")
    subprocess.run([sys.executable, "-W", "ignore", "-c", "from setuptools import setup; setup()", "-q",
                    "egg_info", "--egg-base", str(out), "build_py", "--build-lib", str(out / "site")],
                   cwd=ROOT, check=True, capture_output=True, timeout=120)
    return out / "site"


def alcor_migrate(installed: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    """`alcor-migrate ARGS` on the installed package, in `cwd`, with $XDG_STATE_HOME in it."""
    env = {**os.environ, "PYTHONPATH": str(installed), "XDG_STATE_HOME": str(cwd / "xdg")}
    return subprocess.run([sys.executable, "-m", "wizard", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=240, stdin=subprocess.DEVNULL)


def test_the_installed_package_holds_the_lab_plans_and_the_sample_clouds(installed, tmp_path):
    shipped = installed / "wizard" / "lab"
    assert sorted(p.name for p in (shipped / "plans").glob("*.yaml")) == ["lab-haproxy.yaml", "lab-noauth.yaml",
                                                                        "lab-traps.yaml", "lab.yaml"]
    assert sorted(p.name for p in (shipped / "sample_configs").glob("*.json")) == ["medium.json", "small.json",
                                                                                 "traps.json"]
    done = alcor_migrate(installed, tmp_path, "preview", "--plan", str(shipped / "plans" / "lab.yaml"))
    assert done.returncode == 0, done.stderr  # the lab's cloud is the shipped small.json
    assert "no blockers" in done.stdout
    assert not list(tmp_path.iterdir())  # nothing written where it was started


def test_a_lab_plans_state_is_in_the_source_tree_there_and_the_users_state_directory_elsewhere(tmp_path,
                                                                                               monkeypatch):
    monkeypatch.chdir(ROOT / "tests")
    assert home.state_dir("lab") == ROOT / "state" / "lab"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    assert home.state_dir("lab-traps") == tmp_path / "xdg" / "alcor-migrate" / "lab-traps"
    monkeypatch.delenv("XDG_STATE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert home.state_dir("lab") == tmp_path / "home" / ".local" / "state" / "alcor-migrate" / "lab"
    assert home.overrides_for(tmp_path / "lab.yaml") == []  # a plan of one's own keeps its state_dir


@pytest.mark.anyio
async def test_the_start_screens_lab_key_opens_the_shipped_lab_from_any_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no plans/ here
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    app = make_app(World(), plan_path=None)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("l")
        await wait_until(pilot, lambda: app.engine is not None, "the lab's engine")
        assert app.plan.source_file == home.plan_file("lab") and app.plan.name == "lab"
        assert app.engine.state.dir == tmp_path / "xdg" / "alcor-migrate" / "lab"
        assert getattr(app.screen, "STEP", "") == "plan"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.neutron
def test_lab_run_from_another_directory_runs_on_the_installed_package_with_its_state_in_xdg(installed, tmp_path):
    done = alcor_migrate(installed, tmp_path, "lab", "run", "lab-noauth", "--yes", "--until", "translate",
                         "--json", "--status-every", "0")
    assert done.returncode == 0, done.stderr[-3000:]
    state = tmp_path / "xdg" / "alcor-migrate" / "lab-noauth"
    assert f"lab lab-noauth: plan {installed / 'wizard' / 'lab' / 'plans' / 'lab-noauth.yaml'}, state in {state}" \
        in done.stderr
    finished = json.loads(done.stdout.splitlines()[-1])
    assert finished["event"] == "run_finished" and finished["phases"][-1] == "translate"
    assert (state / "snapshot.json").is_file() and (state / "lab" / "neutron.sqlite").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["xdg"]  # nothing else where it was started
