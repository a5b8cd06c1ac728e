"""The drain reads a real neutron-server: it waits while a port is in BUILD and ends once it is not."""

import sqlite3
import threading
import uuid

import httpx
import pytest

from wizard.core.events import DrainTick
from wizard.cutover.drain import Drain, PortActivity
from wizard.neutron.reader import NeutronReader
from wizard.plan import DrainConfig, NeutronSource

pytestmark = pytest.mark.neutron


def set_status(db, port_id, status):
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE ports SET status = ? WHERE id = ?", (status, port_id))


def test_drain_waits_for_a_port_in_build(neutron_server):
    project = f"drain-{uuid.uuid4().hex[:8]}"
    url = f"{neutron_server.url}/v2.0"
    network = httpx.post(f"{url}/networks", json={"network": {"name": "drain", "project_id": project}},
                         timeout=30).json()["network"]
    port = httpx.post(f"{url}/ports", json={"port": {"network_id": network["id"], "project_id": project}},
                      timeout=30).json()["port"]
    set_status(neutron_server.db_path, port["id"], "BUILD")  # as while an agent wires the port
    threading.Timer(1.0, set_status, (neutron_server.db_path, port["id"], "ACTIVE")).start()
    events = []
    with NeutronReader(NeutronSource(url=neutron_server.url)) as reader:
        activity = PortActivity(lambda: reader.resources("ports"))
        result = Drain(DrainConfig(min=0.1, max=20, poll=0.2), activity, None, events.append).run()
    assert result.quiet and result.seconds >= 1.0
    waits = [e.waiting_for for e in events if isinstance(e, DrainTick)]
    assert waits[0] == ("1 ports in BUILD",) and waits[-1] == ()


def test_a_drain_that_never_reaches_neutron_fails_instead_of_reporting_done(tmp_path):
    from wizard.core.engine import RunContext
    from wizard.core.errors import MigrateError
    from wizard.core.events import EventBus
    from wizard.core.state import StateStore
    from wizard.cutover.drain import DRAINED
    from wizard.lab.neutron_server import free_port
    from wizard.phases.cutover import DrainPhase
    from wizard.plan import Plan

    plan = Plan(neutron=NeutronSource(url=f"http://127.0.0.1:{free_port()}", auth="none"))
    plan.cutover.drain = DrainConfig(min=0, max=0.3, poll=0.1)
    state = StateStore(tmp_path / "state")
    try:
        ctx = RunContext(plan=plan, state=state, bus=EventBus(), approve=lambda *_: True)
        with pytest.raises(MigrateError, match="drain: Neutron did not answer by drain.max"):
            DrainPhase().run(ctx)
        assert not state.get_meta(DRAINED)
    finally:
        state.close()
