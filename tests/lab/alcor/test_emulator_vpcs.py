"""The emulated VPC manager: VPCs, segments, the segment table, over real HTTP."""

from __future__ import annotations

import httpx

from tests.lab.alcor.conftest import PROJECT, assert_alcor_error
from wizard.lab.alcor import AlcorEmulator


def test_create_answers_201_keeps_the_id_and_reallocates_the_vni(world):
    vpc = world.vpc("net-1", **{"provider:network_type": "vxlan", "provider:segmentation_id": 1234})
    assert vpc["id"] == "net-1" and vpc["project_id"] == PROJECT and vpc["tenant_id"] == PROJECT
    assert vpc["provider:segmentation_id"] != 1234
    assert vpc["provider:segmentation_id"] > 0


def test_omitted_primitive_booleans_become_false_and_defaults_fill_in(world):
    vpc = world.vpc("net-1")
    assert vpc["admin_state_up"] is False and vpc["shared"] is False and vpc["router:external"] is False
    assert vpc["mtu"] == 1450 and vpc["status"] == "ACTIVE" and vpc["availability_zones"] == ["Nova"]
    assert vpc["provider:network_type"] == "vxlan"


def test_vlan_keys_come_from_1_to_4094(world):
    vpc = world.vpc("net-1", **{"provider:network_type": "vlan", "provider:segmentation_id": 3000})
    assert vpc["provider:segmentation_id"] == 1


def test_repeated_create_overwrites_with_a_new_vni_and_is_counted(world, emulator):
    first = world.vpc("net-1", name="one")
    second = world.vpc("net-1", name="two")
    assert second["provider:segmentation_id"] != first["provider:segmentation_id"]
    assert world.http.get(f"/project/{PROJECT}/vpcs/net-1").json()["network"]["name"] == "two"
    assert emulator.ledger.duplicates() == {"vpc": {"net-1": 2}}
    assert emulator.ledger.summary()["repeated_create_requests"] == 1


def test_flat_network_is_stored_then_fails_with_500(world, http):
    body = {"network": {"id": "flat-1", "provider:network_type": "flat"}}
    response = http.post(f"/project/{PROJECT}/vpcs", json=body)
    assert_alcor_error(response, 500, "No message available")
    assert http.get(f"/project/{PROJECT}/vpcs/flat-1").json()["network"]["provider:segmentation_id"] is None


def test_invalid_network_type_or_mtu_is_a_500(http):
    for network in ({"provider:network_type": "geneve"}, {"mtu": 60}, {"provider:segmentation_id": 5}):
        response = http.post(f"/project/{PROJECT}/vpcs", json={"network": network})
        assert_alcor_error(response, 500, "request resource is invalid")


def test_body_without_wrapper_is_a_500_and_bad_json_a_400(http):
    assert_alcor_error(http.post(f"/project/{PROJECT}/vpcs", json={"vpc": {}}), 500, None)
    response = http.post(f"/project/{PROJECT}/vpcs", content=b"{nope", headers={"Content-Type": "application/json"})
    assert_alcor_error(response, 400, None)


def test_missing_vpc_reads_as_an_empty_wrapper_with_200(http):
    response = http.get(f"/project/{PROJECT}/vpcs/absent")
    assert response.status_code == 200 and response.json() == {"network": None}


def test_bulk_endpoint_is_a_stub_that_creates_nothing(http):
    response = http.post(f"/project/{PROJECT}/vpcs/bulk", json={"vpcs": [{"id": "a"}, {"id": "b"}]})
    assert response.status_code == 201 and response.json() == {"vpcs": None}
    assert http.get(f"/project/{PROJECT}/vpcs").json() == {"vpcs": []}


def test_list_is_not_filtered_by_project_but_by_query(world, http):
    world.vpc("net-1", name="a")
    http.post("/project/other/vpcs", json={"network": {"id": "net-2", "name": "b"}})
    assert {v["id"] for v in http.get(f"/project/{PROJECT}/vpcs").json()["vpcs"]} == {"net-1", "net-2"}
    assert [v["id"] for v in http.get(f"/project/{PROJECT}/vpcs", params={"name": "b"}).json()["vpcs"]] == ["net-2"]


def test_get_lists_subnet_ids_and_delete_refuses_while_subnets_exist(world, http):
    world.vpc("net-1")
    world.subnet("sub-1")
    assert http.get(f"/project/{PROJECT}/vpcs/net-1").json()["network"]["subnets"] == ["sub-1"]
    assert_alcor_error(http.delete(f"/project/{PROJECT}/vpcs/net-1"), 500, None)
    http.delete(f"/project/{PROJECT}/subnets/sub-1")
    assert http.delete(f"/project/{PROJECT}/vpcs/net-1").json() == {"id": "net-1"}
    assert http.delete(f"/project/{PROJECT}/vpcs/net-1").json() == {"id": None}


def test_update_merges_non_null_fields_and_404s_when_missing(world, http):
    world.vpc("net-1", name="a", description="keep")
    body = http.put(f"/project/{PROJECT}/vpcs/net-1", json={"network": {"name": "b", "description": None}}).json()
    assert body["network"]["name"] == "b" and body["network"]["description"] == "keep"
    assert body["network"]["revision_number"] == 2
    assert_alcor_error(http.put(f"/project/{PROJECT}/vpcs/x", json={"network": {"name": "b"}}), 404, "Vpc not found")


def test_the_segment_table_is_created_once(http):
    assert http.post("/segments/createDefaultTable").status_code == 200
    assert_alcor_error(http.post("/segments/createDefaultTable"), 409, "network range already exists")


def test_a_vxlan_vpc_makes_the_segment_table_exist(world, http):
    world.vpc("net-1")
    assert_alcor_error(http.post("/segments/createDefaultTable"), 409, "network range already exists")


def test_a_vlan_vpc_does_not(world, http):
    world.vpc("net-1", **{"provider:network_type": "vlan"})  # VLAN keys have no partitions
    assert http.post("/segments/createDefaultTable").status_code == 200


def test_after_a_gre_vpc_the_vxlan_table_is_made_and_the_call_still_fails(world, http, emulator):
    world.vpc("net-1", **{"provider:network_type": "gre"})
    assert_alcor_error(http.post("/segments/createDefaultTable"), 409, "network range already exists")
    assert len(emulator.model.partitions["vxlan"]) == 4096  # committed before the GRE ranges were tried


def test_partitions_survive_a_restart(tmp_path, tls):
    state = tmp_path / "alcor.json"
    with AlcorEmulator(seed=1, state_file=state) as emulator:
        httpx.post(f"{emulator.url_for('vpc')}/project/{PROJECT}/vpcs", json={"network": {"id": "net-1"}}, verify=tls)
    with AlcorEmulator(seed=1, state_file=state) as emulator:
        response = httpx.post(f"{emulator.url_for('vpc')}/segments/createDefaultTable", verify=tls)
        assert_alcor_error(response, 409, "network range already exists")


def test_segments(world, http):
    world.vpc("net-1")
    response = http.post(f"/project/{PROJECT}/segments", json={"segment": {"network_id": "net-1"}})
    assert_alcor_error(response, 400, "Empty resource id")
    segment = world.post("/segments", {"segment": {"id": "seg-1", "network_id": "net-1", "network_type": "vlan",
                                                   "segmentation_id": 77}})["segment"]
    assert segment["segmentation_id"] == 1  # re-allocated like a VPC's
    assert http.get(f"/project/{PROJECT}/segments/absent").json() == {"segment": None}
