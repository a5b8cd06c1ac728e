"""The endpoint switch against a real Keystone (keystone 30 from PyPI, SQLite): switch, resume, restore."""

import openstack
import pytest
import yaml

from tests.conftest import drop_network_services
from wizard.core.errors import InputError
from wizard.core.events import EndpointChanged
from wizard.core.state import StateStore
from wizard.cutover.endpoint import (
    STATE_KEY,
    SWITCHED,
    KeystoneCatalog,
    KeystoneSwitch,
    endpoint_switch,
    keystone_switch,
    target_url,
)
from wizard.cutover.rollback import roll_back
from wizard.plan import Plan

NEUTRON = "http://neutron.example:9696"
ALCOR = "http://alcor.example:9009"
CAPTURE = "http://capture.example:9797"


@pytest.fixture
def cloud(keystone_server, tmp_path, monkeypatch):
    """A clouds.yaml cloud `admin` on the test Keystone, and a fresh network service with 4 endpoints."""
    clouds = {"clouds": {"admin": {"auth": {"auth_url": keystone_server, "username": "admin", "password": "secret",
                                            "project_name": "admin", "user_domain_name": "Default",
                                            "project_domain_name": "Default"}, "region_name": "RegionOne"}}}
    path = tmp_path / "clouds.yaml"
    path.write_text(yaml.safe_dump(clouds))
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(path))
    conn = openstack.connect(cloud="admin")
    drop_network_services(conn)
    if not conn.identity.find_region("RegionTwo"):
        conn.identity.create_region(id="RegionTwo")
    service = conn.identity.create_service(name="neutron", type="network")
    for region, interface in [("RegionOne", "public"), ("RegionOne", "internal"), ("RegionOne", "admin"),
                              ("RegionTwo", "public")]:
        conn.identity.create_endpoint(service_id=service.id, interface=interface, region_id=region,
                                      url=f"{NEUTRON}/{region}/{interface}")
    yield conn, service
    conn.close()


def urls(conn, service):
    return sorted((e.region_id, e.interface, e.url) for e in conn.identity.endpoints(service_id=service.id))


def make_plan(**endpoint):
    plan = Plan()
    plan.neutron.cloud = "admin"
    plan.cutover.endpoint.method = "keystone"
    plan.cutover.endpoint.alcor_url = ALCOR
    for key, value in endpoint.items():
        setattr(plan.cutover.endpoint, key, value)
    return plan


def test_switch_and_restore_every_interface_and_region(cloud, tmp_path):
    conn, service = cloud
    before = urls(conn, service)
    state, events = StateStore(tmp_path / "state"), []
    switch = endpoint_switch(make_plan(), state, ask=None, emit=events.append)
    assert isinstance(switch, KeystoneSwitch)
    switch.switch(target_url(make_plan()))
    assert {url for _, _, url in urls(conn, service)} == {ALCOR}
    assert sorted((e["region"], e["interface"], e["url"]) for e in state.get_meta(STATE_KEY)) == before
    assert len([e for e in events if isinstance(e, EndpointChanged)]) == 4
    # a second switch (a resumed run) keeps the original record and changes nothing
    switch.switch(ALCOR)
    assert sorted((e["region"], e["interface"], e["url"]) for e in state.get_meta(STATE_KEY)) == before
    assert len(events) == 4
    switch.restore()
    assert urls(conn, service) == before and state.get_meta(STATE_KEY) == []


def test_after_the_captures_insertion_the_switch_moves_on_to_alcor_and_a_restore_gives_neutron_back(
        cloud, tmp_path):
    conn, service = cloud
    before = urls(conn, service)
    state, plan = StateStore(tmp_path / "state"), make_plan()
    keystone_switch(plan, state).switch(CAPTURE)  # the capture's keystone insertion
    assert {url for _, _, url in urls(conn, service)} == {CAPTURE}
    endpoint_switch(plan, state, ask=None).switch(ALCOR)
    assert {url for _, _, url in urls(conn, service)} == {ALCOR}
    assert sorted((e["region"], e["interface"], e["url"]) for e in state.get_meta(STATE_KEY)) == before
    endpoint_switch(plan, state, ask=None).restore()
    assert urls(conn, service) == before  # Neutron's own URLs, not the capture's


class RefusesTheThirdChange(KeystoneCatalog):
    """The real catalog, where Keystone fails the third change."""

    changes = 0

    def set_url(self, endpoint_id: str, url: str) -> None:
        self.changes += 1
        if self.changes == 3:
            raise RuntimeError("keystone: 503")
        super().set_url(endpoint_id, url)


def test_a_switch_failing_midway_leaves_the_endpoints_at_the_capture_they_were_at(cloud, tmp_path):
    conn, service = cloud
    state = StateStore(tmp_path / "state")
    keystone_switch(make_plan(), state).switch(CAPTURE)
    with pytest.raises(RuntimeError, match="503"):
        KeystoneSwitch(RefusesTheThirdChange(conn), state).switch(ALCOR)
    assert {url for _, _, url in urls(conn, service)} == {CAPTURE}


def test_rollback_restores_a_catalog_left_at_the_capture_by_a_run_that_stopped_before_its_snapshot(
        cloud, tmp_path):
    conn, service = cloud
    before = urls(conn, service)
    plan = make_plan()
    plan.state_dir = str(tmp_path / "state")
    state = StateStore(plan.state_dir)
    keystone_switch(plan, state).switch(CAPTURE)  # then the run was killed: nothing put the catalog back
    assert not state.get_meta(SWITCHED)
    result = roll_back(plan, state, control=None, ask=None)
    assert result.endpoints == 4 and urls(conn, service) == before


def test_regions_and_interfaces_narrow_the_switch(cloud, tmp_path):
    conn, service = cloud
    plan = make_plan(regions=["RegionOne"], interfaces=["public", "internal"])
    endpoint_switch(plan, StateStore(tmp_path / "state"), ask=None).switch(ALCOR)
    assert urls(conn, service) == [
        ("RegionOne", "admin", f"{NEUTRON}/RegionOne/admin"),
        ("RegionOne", "internal", ALCOR),
        ("RegionOne", "public", ALCOR),
        ("RegionTwo", "public", f"{NEUTRON}/RegionTwo/public"),
    ]


def test_no_matching_endpoint_is_an_error(cloud, tmp_path):
    from wizard.core.errors import MigrateError

    with pytest.raises(MigrateError, match="no endpoint to switch"):
        endpoint_switch(make_plan(regions=["Nowhere"]), StateStore(tmp_path / "s"), ask=None).switch(ALCOR)


def test_method_none_asks_the_operator(tmp_path):
    questions = []
    plan = make_plan(method="none")
    endpoint_switch(plan, StateStore(tmp_path), ask=lambda phase, q: questions.append(q)).switch(ALCOR)
    assert questions and ALCOR in questions[0]


def test_plan_mistakes_are_named(tmp_path):
    with pytest.raises(InputError, match="cutover.endpoint.method: 'dns'"):
        endpoint_switch(make_plan(method="dns"), StateStore(tmp_path), ask=None)
    with pytest.raises(InputError, match="cutover.endpoint.alcor_url"):
        target_url(Plan())
    plan = make_plan()
    plan.neutron.cloud = None
    with pytest.raises(InputError, match="cutover.endpoint.cloud"):
        endpoint_switch(plan, StateStore(tmp_path), ask=None)
