"""Replay reading a capture process's log through its feed (feed_client.FeedLog) instead of the file:
the real neutron-server behind the capture, the Alcor emulator, verdicts kept on the migration host."""

from __future__ import annotations

import httpx
import pytest

from tests.capture.rig import Rig
from wizard.capture.feed_client import FeedClient
from wizard.capture.feed_token import read_token
from wizard.capture.writelog import COMMITTED, REPLAYED, WriteLog

pytestmark = pytest.mark.neutron


def test_replay_through_the_feed_carries_every_write_once_and_leaves_zero_drift(neutron_server, tmp_path,
                                                                               capture_process):
    rig = Rig(neutron_server.url, tmp_path).start()
    node = tmp_path / "api-1"
    running = capture_process("--neutron-url", neutron_server.url, "--state-dir", str(node), "--name", "api-1",
                              "--feed-listen", "127.0.0.1:0")
    try:
        snapshot = rig.snapshot()
        translation = rig.convert(snapshot)
        rig.http = httpx.Client(base_url=running.url, timeout=60)  # the users now write through the capture process
        net = rig.create("networks", name="via-feed")
        rig.create("subnets", network_id=net["id"], cidr="10.9.0.0/24", ip_version=4, name="via-feed-sub")
        port = rig.create("ports", network_id=net["id"], name="p1")
        rig.write("PUT", f"networks/{net['id']}", {"network": {"name": "via-feed-renamed"}})
        rig.write("DELETE", f"ports/{port['id']}")

        with FeedClient(running.feed_url, read_token(node / "feed.token")) as feed:
            log = feed.log("api-1", rig.world.state, page=2)
            summary = rig.replayer(snapshot, translation, log).replay()
            assert (summary.replayed, summary.failed, summary.position) == (5, 0, 5)
            assert [e.state for e in log.states()] == [REPLAYED] * 5
            assert rig.drift().total == 0
            again = rig.replayer(snapshot, translation, feed.log("api-1", rig.world.state)).replay()
            assert again.replayed == 0  # checkpoint and verdicts are kept on this side
        assert rig.world.emulator.ledger.duplicates() == {}
        assert [e.state for e in WriteLog(node, readonly=True).states()] == [COMMITTED] * 5  # the capture's untouched
    finally:
        rig.stop()
