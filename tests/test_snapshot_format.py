"""Snapshot files: round trip, and bad input named by its JSON path."""

import json

import pytest

from wizard.errors import InputError
from wizard.neutron import snapshot


def minimal():
    doc = {"format": snapshot.FORMAT, "source": {"endpoint": "x", "extensions": ["router"]}}
    doc.update({name: [] for name in snapshot.COLLECTIONS})
    doc["networks"] = [{"id": "n1", "name": "net", "project_id": "p", "subnets": [], "admin_state_up": True}]
    doc["ports"] = [{"id": "p1", "network_id": "n1", "fixed_ips": [], "mac_address": "fa:16:3e:00:00:01",
                     "security_groups": [], "device_owner": "", "project_id": "p"}]
    return doc


def test_round_trip(tmp_path):
    snap = snapshot.from_document(minimal())
    snapshot.save(snap, tmp_path / "s.json")
    again = snapshot.load(tmp_path / "s.json")
    assert again.to_json() == minimal()
    assert again.counts()["ports"] == 1 and again.extensions == ["router"]


def test_every_problem_is_named_by_its_path(tmp_path):
    doc = minimal()
    del doc["routers"]
    doc["ports"].append({"network_id": "n1"})
    doc["ports"][0]["fixed_ips"] = "10.0.0.1"
    doc["networks"].append(dict(doc["networks"][0]))
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(InputError) as info:
        snapshot.load(path)
    problems = info.value.problems
    assert f"{path}: routers: missing collection" in problems
    assert f"{path}: ports[0].fixed_ips: expected a list, found a string" in problems
    assert f"{path}: ports[1].id: missing or not a string" in problems
    assert f"{path}: networks[1].id: duplicate id n1" in problems


def test_invalid_json_names_line_and_column(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"format":\n  oops}')
    with pytest.raises(InputError, match=r"broken.json:2:3: not valid JSON"):
        snapshot.load(path)


def test_streamed_file_is_what_json_dump_writes(tmp_path):
    doc = minimal()
    doc["subnets"] = [{"id": "s1", "allocation_pools": [{"start": "10.0.0.2", "end": "10.0.0.9"}],
                       "description": "caf\u00e9 \"quoted\"\nline"}]
    counts = snapshot.write(tmp_path / "s.json", doc["source"],
                            {name: iter(doc[name]) for name in snapshot.COLLECTIONS})
    assert (tmp_path / "s.json").read_text() == json.dumps(doc, indent=1) + "\n"
    assert counts["networks"] == 1 and counts["subnets"] == 1 and counts["routers"] == 0


def test_a_failed_stream_leaves_the_old_file(tmp_path):
    path = tmp_path / "s.json"
    snapshot.save(snapshot.from_document(minimal()), path)
    before = path.read_text()

    def broken():
        yield {"id": "n1"}
        raise OSError("connection lost")

    with pytest.raises(OSError):
        snapshot.write(path, {}, {"networks": broken()})
    assert path.read_text() == before
    assert list(tmp_path.iterdir()) == [path]
