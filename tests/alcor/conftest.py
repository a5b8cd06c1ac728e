"""Fixtures for convert and verify: the Alcor emulator on loopback, a plan pointing at it,
a state store, and the translation of a small synthetic cloud."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from wizard.alcor.client import AlcorClient
from wizard.core.state import StateStore
from wizard.lab.alcor import AlcorEmulator, Faults
from wizard.lab.synth import CloudSize, SyntheticCloud
from wizard.plan import Override, Plan, from_overrides
from wizard.translate.context import Options
from wizard.translate.model import Translation
from wizard.translate.translation import translate

ROOT = Path(__file__).resolve().parents[2]
SMALL = ROOT / "tests" / "translate" / "data" / "neutron29-small.json"


@dataclass
class World:
    """A running emulator, a client and a state store for one test."""

    emulator: AlcorEmulator
    client: AlcorClient
    state: StateStore
    plan: Plan

    def reopen_state(self) -> StateStore:
        """The state store as a new process would open it."""
        self.state.close()
        self.state = StateStore(self.plan.state_dir)
        return self.state


def plan_for(emulator: AlcorEmulator, state_dir: Path, concurrency: int = 4) -> Plan:
    plan = from_overrides([Override("alcor.url", emulator.url_for("vpc"), "--alcor-url"),
                           Override("state_dir", str(state_dir), "--state-dir")])
    plan.alcor.concurrency = concurrency
    return plan


@pytest.fixture(scope="session")
def cloud() -> Translation:
    """~300 ports in 57 requests (bulk chunks of 20): every kind, deferred ids included."""
    return translate(SyntheticCloud(CloudSize(ports=300)).snapshot(), Options(bulk_size=20))


def make_world(tmp_path: Path, faults: Faults | None = None, timeout: float = 5.0) -> World:
    emulator = AlcorEmulator(seed=11, faults=faults).start()
    client = AlcorClient(emulator.endpoints, timeout=timeout, concurrency=4, retries=6, backoff=0.01, seed=2)
    return World(emulator, client, StateStore(tmp_path / "state"), plan_for(emulator, tmp_path / "state"))


@pytest.fixture
def world(tmp_path):
    world = make_world(tmp_path)
    yield world
    world.client.close()
    world.state.close()
    world.emulator.stop()
