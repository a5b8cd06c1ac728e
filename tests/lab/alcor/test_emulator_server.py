"""The emulator as a server: ports, faults, counters, saved state, the error shape."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.lab.alcor.conftest import PROJECT, assert_alcor_error
from wizard.alcor.services import SERVICES
from wizard.lab.alcor import AlcorEmulator, Faults


def test_one_port_per_service_serves_only_that_service(tls):
    with AlcorEmulator(per_service=True, service_ports=dict.fromkeys(SERVICES, 0)) as emulator:
        assert len(set(emulator.endpoints.values())) == len(SERVICES)
        vpc = httpx.post(emulator.url_for("vpc") + f"/project/{PROJECT}/vpcs", json={"network": {"id": "n"}},
                         verify=tls)
        assert vpc.status_code == 201
        wrong = httpx.post(emulator.url_for("port") + f"/project/{PROJECT}/vpcs", json={"network": {}}, verify=tls)
        assert_alcor_error(wrong, 404, "No message available")
        assert httpx.get(emulator.url_for("port") + "/_emulator/stats", verify=tls).json()["creates"] == {"vpc": 1}


def test_a_port_in_use_is_reported_by_start(emulator):
    port = int(emulator.url_for("vpc").rsplit(":", 1)[1])
    with pytest.raises(OSError):
        AlcorEmulator(port=port).start()


def test_unknown_service_name_is_refused(emulator):
    with pytest.raises(KeyError, match="unknown Alcor service"):
        emulator.url_for("quota")


def create_vpc(http, id="net-1"):
    return http.post(f"/project/{PROJECT}/vpcs", json={"network": {"id": id}})


def test_a_500_before_leaves_nothing_and_after_leaves_the_vpc(emulator, http):
    emulator.faults.script("500", after=False)
    assert_alcor_error(create_vpc(http, "before"), 500, "injected fault")
    emulator.faults.script("500", after=True)
    assert_alcor_error(create_vpc(http, "after"), 500, "injected fault")
    assert set(emulator.model.store["vpc"]) == {"after"}
    assert emulator.ledger.summary()["faults"] == {"500 before": 1, "500 after": 1}


def test_a_dropped_connection_has_no_answer(emulator, http):
    emulator.faults.script("drop", after=True, method="POST")
    with pytest.raises(httpx.RemoteProtocolError):
        create_vpc(http)
    assert "net-1" in emulator.model.store["vpc"]


def test_a_timeout_holds_the_request_past_the_clients_timeout(emulator, http):
    emulator.faults.hold_seconds = 5
    emulator.faults.script("timeout", path_prefix=f"/project/{PROJECT}/vpcs")
    with pytest.raises(httpx.ReadTimeout):
        http.post(f"/project/{PROJECT}/vpcs", json={"network": {"id": "n"}}, timeout=0.2)
    assert "n" not in emulator.model.store["vpc"]
    assert create_vpc(http).status_code == 201  # the script is used up


def test_shares_of_faults_follow_the_rates():
    faults = Faults(error_rate=0.2, timeout_rate=0.1, drop_rate=0.1, seed=3)
    drawn = [faults.draw("GET", "/x") for _ in range(5000)]
    share = {kind: sum(1 for f in drawn if f and f.kind == kind) / 5000 for kind in ("500", "timeout", "drop")}
    assert share["500"] == pytest.approx(0.2, abs=0.03)
    assert share["timeout"] == pytest.approx(0.1, abs=0.02) and share["drop"] == pytest.approx(0.1, abs=0.02)
    after = sum(1 for f in drawn if f and f.after) / sum(1 for f in drawn if f)
    assert after == pytest.approx(0.5, abs=0.05)


def test_fault_settings_are_checked():
    with pytest.raises(ValueError):
        Faults(error_rate=1.5)
    with pytest.raises(ValueError):
        Faults(error_rate=0.6, drop_rate=0.6)


def test_latency_is_added_to_every_request(emulator, http):
    emulator.faults.latency_ms = 150
    started = time.monotonic()
    http.get(f"/project/{PROJECT}/vpcs")
    assert time.monotonic() - started >= 0.15


def test_requests_are_counted_per_endpoint(emulator, http):
    create_vpc(http)
    http.get(f"/project/{PROJECT}/vpcs/net-1")
    http.get(f"/project/{PROJECT}/vpcs/other")
    requests = http.get("/_emulator/stats").json()["requests"]
    assert requests == {"POST /project/{project_id}/vpcs": 1, "GET /project/{project_id}/vpcs/{id}": 2}


def test_state_is_saved_and_loaded_with_its_allocations(tmp_path, tls):
    state = tmp_path / "alcor.json"
    with AlcorEmulator(state_file=state, seed=1) as emulator:
        http = httpx.Client(base_url=emulator.url_for("vpc"), verify=tls)
        create_vpc(http)
        http.post(f"/project/{PROJECT}/subnets", json={"subnet": {"id": "s", "network_id": "net-1",
                                                                   "cidr": "10.0.0.0/24"}})
        http.post(f"/project/{PROJECT}/ports", json={"port": {"id": "p", "network_id": "net-1",
                                                               "mac_address": "fa:16:3e:00:00:01"}})
        vni = http.get(f"/project/{PROJECT}/vpcs/net-1").json()["network"]["provider:segmentation_id"]
    assert state.exists()
    with AlcorEmulator(state_file=state) as emulator:
        http = httpx.Client(base_url=emulator.url_for("vpc"), verify=tls)
        assert http.get(f"/project/{PROJECT}/vpcs/net-1").json()["network"]["provider:segmentation_id"] == vni
        again = http.post(f"/project/{PROJECT}/ports", json={"port": {"id": "q", "network_id": "net-1",
                                                                       "mac_address": "fa:16:3e:00:00:01"}})
        assert_alcor_error(again, 500, "Allocate mac address error")
        assert emulator.model.keys["vxlan"] == {vni}


def test_a_foreign_state_file_is_refused(tmp_path):
    state = tmp_path / "alcor.json"
    state.write_text('{"format": "something-else"}')
    with pytest.raises(ValueError, match="not an alcor-emulator-state/1 file"):
        AlcorEmulator(state_file=state).start()


def test_a_client_that_hangs_up_mid_body_creates_nothing_and_logs_no_error(emulator, http, caplog):
    """A killed client (the kill benchmark's kill -9) leaves half a request: Alcor never sees it."""
    import logging
    import socket

    host, port = emulator.url_for("vpc").removeprefix("http://").split(":")
    with caplog.at_level(logging.ERROR, logger="aiohttp"):
        with socket.create_connection((host, int(port))) as sock:
            sock.sendall(f"POST /project/{PROJECT}/vpcs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                         "Content-Length: 1000\r\n\r\n{\"network\": {\"id\": \"half\"".encode())
            time.sleep(0.2)
        time.sleep(0.3)
        assert http.get(f"/project/{PROJECT}/vpcs").json()["vpcs"] == []
    assert [r.getMessage() for r in caplog.records] == []
