"""Reading a real Neutron: every collection, page by page, exactly as its API returns it."""

import uuid

import httpx
import pytest

from wizard.core.errors import InputError, MigrateError
from wizard.neutron import reader as reader_module
from wizard.neutron import snapshot
from wizard.neutron.reader import NeutronReader
from wizard.plan import NeutronSource

pytestmark = pytest.mark.neutron


def create(url, collection, body):
    singular = collection.rstrip("s").replace("-", "_")
    response = httpx.post(f"{url}/v2.0/{collection}", json={singular: body}, timeout=30)
    assert response.status_code == 201, response.text
    return response.json()[singular]


@pytest.fixture(scope="module")
def cloud(neutron_server):
    """A few of every common resource in one project of the shared server."""
    url, project = neutron_server.url, f"reader-{uuid.uuid4().hex[:8]}"
    for index in (1, 2, 3):  # more agents than a page holds
        neutron_server.add_agent(f"reader-host-{index}", f"192.0.2.7{index}")
    network = create(url, "networks", {"name": "reader-net", "project_id": project})
    subnet = create(url, "subnets", {"network_id": network["id"], "cidr": "10.77.0.0/24",
                                     "ip_version": 4, "project_id": project})
    for index in range(7):
        create(url, "ports", {"network_id": network["id"], "project_id": project, "name": f"p{index}",
                              "binding:host_id": "reader-host-1"})
    create(url, "security-groups", {"name": "reader-web", "project_id": project})
    router = create(url, "routers", {"name": "reader-router", "project_id": project})
    httpx.put(f"{url}/v2.0/routers/{router['id']}/add_router_interface",
              json={"subnet_id": subnet["id"]}, timeout=30).raise_for_status()
    return neutron_server


def listed(url, collection):
    """What Neutron lists, by id, in one unpaginated GET."""
    name = collection.replace("-", "_")
    response = httpx.get(f"{url}/v2.0/{collection}", timeout=30)
    response.raise_for_status()
    return {item["id"]: item for item in response.json()[name]}


def test_every_resource_is_read_exactly_as_listed_across_pages(cloud):
    expected = {name: listed(cloud.url, path.removeprefix("/v2.0/"))
                for name, path in snapshot.COLLECTIONS.items() if name not in snapshot.REQUIRED_EXTENSION}
    seen = []
    with NeutronReader(NeutronSource(url=cloud.url, auth="none", page_size=3),
                       progress=lambda *event: seen.append(event)) as reader:
        snap = reader.read()
        requests = reader.requests
    for name, items in expected.items():
        assert {item["id"]: item for item in snap[name]} == items, name
        assert len(snap[name]) == len(items), f"{name}: duplicates across pages"
    assert len(snap["ports"]) >= 7
    pages = sum(len(items) // 3 + 1 for items in expected.values())
    assert requests == pages + 1  # + /extensions
    ports = [event for event in seen if event[0] == "ports"]
    assert [count for _, count, _ in ports] == sorted(count for _, count, _ in ports)
    assert ports[-1] == ("ports", len(snap["ports"]), True)


def test_collections_of_absent_extensions_are_skipped_and_extensions_recorded(cloud):
    seen = []
    with NeutronReader(NeutronSource(url=cloud.url + "/v2.0/", auth="none"),
                       progress=lambda *event: seen.append(event)) as reader:
        snap = reader.read()
        requests = reader.requests
    assert "segment" not in snap.extensions and "router" in snap.extensions
    assert snap["segments"] == [] and snap["network_segment_ranges"] == []
    assert ("segments", 0, True) in seen
    assert requests == 1 + len(snapshot.COLLECTIONS) - 2
    assert snap.source["endpoint"] == cloud.url + "/v2.0"
    assert snap.source["taken_at"].endswith("Z")


def test_a_cloud_from_clouds_yaml_is_read_and_its_password_stays_out(cloud, tmp_path, monkeypatch):
    clouds = tmp_path / "clouds.yaml"
    clouds.write_text(f"""clouds:
  lab:
    auth_type: http_basic
    auth: {{username: admin, password: s3cret-Pa55}}
    network_endpoint_override: {cloud.url}
""")
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(clouds))
    out = tmp_path / "snap.json"
    with NeutronReader(NeutronSource(cloud="lab")) as reader:
        counts = reader.write(out)
    text = out.read_text()
    assert "s3cret" not in text and "Basic " not in text
    loaded = snapshot.load(out)
    assert loaded.counts() == counts and counts["ports"] >= 7


def test_an_unreachable_neutron_is_an_error_naming_its_endpoint():
    with (NeutronReader(NeutronSource(url="http://127.0.0.1:9", auth="none")) as reader,
          pytest.raises(MigrateError, match=r"Neutron at http://127\.0\.0\.1:9")):
        reader.read()


def test_a_page_size_below_one_is_bad_input():
    with pytest.raises(InputError, match="neutron.page_size"):
        NeutronReader(NeutronSource(url="http://127.0.0.1:9", auth="none", page_size=0))


def test_endpoints_lose_credentials_before_they_are_recorded():
    assert (reader_module.public_url("https://admin:pw@neutron.example:9696/v2.0?token=abc#x")
            == "https://neutron.example:9696/v2.0")
