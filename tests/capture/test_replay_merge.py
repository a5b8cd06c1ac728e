"""Replay of several captures' logs (capture/merge.py) against the real neutron-server and the Alcor
emulator: three real captures in front of one Neutron, writes on the same resources through each,
one capture's clock a minute behind; Alcor ends as Neutron is. A log that cannot be read holds its
entries, and the cut-over gate waits for it."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.alcor.conftest import plan_for
from tests.capture.conftest import Capture, start_capture
from tests.capture.rig import Rig
from wizard.capture import writelog
from wizard.capture.merge import LocalLog, MergedReplayer, Source
from wizard.capture.replay import POSITION
from wizard.capture.replication import LogReplication
from wizard.capture.writelog import COMMITTED, REPLAYED, SKIPPED
from wizard.core.engine import Engine
from wizard.core.errors import MigrateError
from wizard.core.state import StateStore
from wizard.cutover.gate import CutoverGate, Postponement
from wizard.lab.alcor import AlcorEmulator
from wizard.lab.neutron_server import NeutronServer
from wizard.phases.convert import ConvertPhase
from wizard.phases.replay import ReplayPhase
from wizard.phases.snapshot import SnapshotPhase
from wizard.phases.translate import TranslatePhase
from wizard.phases.verify import VerifyPhase
from wizard.plan import CaptureNode, GateConfig
from wizard.translate.context import Context, Index, Options

pytestmark = pytest.mark.neutron
SKEW = -60.0  # node a's clock is a minute behind


@dataclass
class Node:
    """A capture of its own (another API node) in front of the same neutron-server."""

    capture: Capture
    project: str
    skew: float = 0.0

    def __post_init__(self) -> None:
        self.http = httpx.Client(base_url=self.capture.url, timeout=60)

    def write(self, method: str, path: str, body: dict | None = None) -> Any:
        with clock(self.skew):
            response = self.http.request(method, f"/v2.0/{path}", json=body)
        assert response.status_code < 300, response.text
        return response.json() if response.content else None

    def create(self, kind: str, **fields: Any) -> dict[str, Any]:
        singular = {"security-groups": "security_group"}.get(kind, kind[:-1])
        return self.write("POST", kind, {singular: {"project_id": self.project, **fields}})[singular]

    def close(self) -> None:
        self.http.close()
        self.capture.proxy.stop()
        self.capture.log.close()


@contextlib.contextmanager
def clock(skew: float):
    """The write logs' clock moved by `skew` seconds (a node whose clock is off)."""
    real = writelog.time

    class Skewed:
        @staticmethod
        def time() -> float:
            return real.time() + skew

    writelog.time = Skewed  # type: ignore[assignment]
    try:
        yield
    finally:
        writelog.time = real


@pytest.fixture
def rig(neutron_server, tmp_path):
    rig = Rig(neutron_server.url, tmp_path).start()
    yield rig
    rig.stop()


@pytest.fixture
def nodes(rig, neutron_server, tmp_path):
    made = {name: Node(start_capture(tmp_path / f"node-{name}", neutron_server.url), rig.project,
                       SKEW if name == "a" else 0.0) for name in "abc"}
    yield made
    for node in made.values():
        node.close()


def merged(rig: Rig, sources: list[Source], snapshot, translation) -> MergedReplayer:
    context = Context(Index(snapshot), Options())
    context.id_map = dict(translation.id_map)
    return MergedReplayer(sources, rig.world.client, rig.world.state, context, rig.reader, emit=rig.events.append,
                          known=translation.findings)


def alcor_name(rig: Rig, kind: str, resource_id: str) -> str | None:
    found = {r["id"]: r for r in rig.world.client.list(kind)}.get(resource_id)
    return found["name"] if found else None


def test_three_logs_interleaved_on_the_same_resources_leave_alcor_as_neutron(rig, nodes):
    a, b, c = nodes["a"], nodes["b"], nodes["c"]
    snapshot = rig.snapshot()
    translation = rig.convert(snapshot)

    net = b.create("networks", name="shared")  # b's clock: now
    port = a.create("ports", network_id=net["id"], name="p")  # a's clock: logged "a minute before" its network
    b.write("PUT", f"networks/{net['id']}", {"network": {"name": "from-b"}})
    a.write("PUT", f"networks/{net['id']}", {"network": {"name": "from-a"}})  # Neutron's last, a's clock earliest
    c.create("subnets", network_id=net["id"], cidr="10.9.0.0/24", ip_version=4, name="s")
    b.write("PUT", f"ports/{port['id']}", {"port": {"name": "renamed-by-b"}})
    a.write("DELETE", f"ports/{port['id']}")  # deleted last, logged "first" by a's clock
    group = c.create("security-groups", name="g")
    b.write("PUT", f"security-groups/{group['id']}", {"security_group": {"name": "g-b"}})
    c.write("PUT", f"security-groups/{group['id']}", {"security_group": {"name": "g-c"}})

    sources = [Source(name, node.capture.log) for name, node in nodes.items()]
    result = merged(rig, sources, snapshot, translation).replay()
    assert result.failed == 0 and result.held == ()
    states = {(name, e["seq"]): (e["state"], e.get("reason")) for name, node in nodes.items()
              for e in node.capture.log.entries()}
    assert all(state in (REPLAYED, SKIPPED) for state, _ in states.values()), states
    skipped = sorted(reason for state, reason in states.values() if state == SKIPPED)
    assert len(skipped) == 2 and "deletes are final" in skipped[0] and "superseded" in skipped[1], skipped
    assert rig.drift().total == 0
    assert alcor_name(rig, "vpc", net["id"]) == "from-a"
    assert alcor_name(rig, "security_group", group["id"]) == "g-c"
    assert not rig.world.client.exists("port", port["id"], rig.project)
    for name, node in nodes.items():  # each log's own checkpoint, at its head
        assert rig.world.state.get_meta(f"{POSITION}.{name}") == node.capture.log.states()[-1].seq
    assert rig.world.emulator.ledger.duplicates() == {}

    # a resumed run folds all three logs into its index and sends nothing
    sent = rig.world.emulator.ledger.summary()["requests"]
    again = merged(rig, sources, snapshot, translation).replay()
    assert again.replayed == 0 and rig.world.emulator.ledger.summary()["requests"] == sent


def hide(directory: Path) -> Path:
    """The capture's log made absent where replay reads it (its node is down); returns where it went."""
    away = directory.with_name(directory.name + ".away")
    os.rename(directory, away)
    return away


def test_a_log_that_cannot_be_read_holds_its_entries_and_the_gate_waits_for_it(rig, nodes, tmp_path):
    a, b, c = nodes["a"], nodes["b"], nodes["c"]
    snapshot = rig.snapshot()
    translation = rig.convert(snapshot)
    net = c.create("networks", name="on-c")
    a.create("ports", network_id=net["id"], name="needs-c")  # a's next entry needs c's network
    a.create("networks", name="after-on-a")
    other = b.create("networks", name="on-b")
    c_dir = tmp_path / "node-c"
    state = rig.world.state
    sources = [Source("a", LocalLog(tmp_path / "node-a" / "writes.db", state, "a")),
               Source("b", LocalLog(tmp_path / "node-b", state, "b")), Source("c", LocalLog(c_dir, state, "c"))]
    replayer = merged(rig, sources, snapshot, translation)
    away = hide(c_dir)
    try:
        held = replayer.replay()
        assert held.held == ("c",) and held.replayed == 1  # b's network; a's port waits for c's network
        assert rig.world.client.exists("vpc", other["id"], rig.project)
        assert [e["state"] for e in sources[0].log.iter_entries()] == [COMMITTED, COMMITTED]
        assert state.get_meta(f"{POSITION}.a", 0) == 0
        lag = replayer.lag()
        assert lag.held == ("c",) and lag.waiting >= 3  # a's two, and c behind by at least one
        replication = LogReplication(replayer, [])
        gate = CutoverGate(GateConfig(hold_timeout=0.5, retries=1, max_lag=100), Postponement(tmp_path / "no-flag"),
                           replication, None, sleep=lambda s: None)
        switched = []
        with pytest.raises(MigrateError, match="cannot be read: c"):
            gate.pass_through(lambda: switched.append(True))
        assert switched == []
    finally:
        os.rename(away, c_dir)

    back = replayer.replay()
    assert back.held == () and back.failed == 0 and back.replayed == 3
    assert replayer.lag().waiting == 0
    assert rig.drift().total == 0
    assert {e["state"] for s in sources for e in s.log.iter_entries()} == {REPLAYED}
    assert state.verdicts("c") and not state.verdicts()  # the verdicts under each log's name


def test_run_replays_the_logs_the_plan_names_and_verify_sees_zero_drift(tmp_path):
    """`capture.nodes` with two standalone captures' logs: the replay phase merges them."""
    with NeutronServer() as neutron, AlcorEmulator(seed=3) as emulator:
        plan = plan_for(emulator, tmp_path / "state")
        plan.neutron.url, plan.neutron.auth = neutron.url, "none"
        plan.capture.enabled = False  # no capture of the run's own: the nodes' captures run apart
        plan.capture.nodes = {"api-1": CaptureNode(log=str(tmp_path / "api-1" / "writes.db")),
                              "api-2": CaptureNode(log=str(tmp_path / "api-2"))}
        captures = {name: start_capture(tmp_path / name, neutron.url) for name in plan.capture.nodes}
        state = StateStore(plan.state_dir)
        phases = [SnapshotPhase(), TranslatePhase(), ConvertPhase(), ReplayPhase("replay"), VerifyPhase()]
        try:
            assert Engine(plan, phases, state).run(until="translate").ok
            one, two = (httpx.Client(base_url=f"{c.url}/v2.0", timeout=60) for c in captures.values())
            net = one.post("/networks", json={"network": {"name": "n", "project_id": "merged"}}).json()["network"]
            two.post("/subnets", json={"subnet": {"network_id": net["id"], "cidr": "10.7.0.0/24", "ip_version": 4,
                                                  "project_id": "merged"}}).raise_for_status()
            two.put(f"/networks/{net['id']}", json={"network": {"name": "n2"}}).raise_for_status()
            one.close()
            two.close()

            engine = Engine(plan, phases, state)
            result = engine.run()
            ReplayPhase.stop(engine.ctx)
            assert result.ok, result.error
            assert state.phase("replay")["summary"]["replayed"] == 3
            assert state.phase("verify")["summary"]["drift"] == 0
            assert [len(state.verdicts(name)) for name in plan.capture.nodes] == [1, 2]
        finally:
            for capture in captures.values():
                capture.proxy.stop()
                capture.log.close()
            state.close()
