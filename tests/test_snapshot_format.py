"""Snapshot files: round trip, and bad input named by its JSON path."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from wizard.core.errors import InputError
from wizard.neutron import snapshot

ROOT = Path(__file__).resolve().parents[1]


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


def test_a_collection_of_an_extension_the_source_lacks_may_be_absent_and_reads_empty(tmp_path):
    doc = minimal()  # source.extensions: router only
    del doc["segments"], doc["network_segment_ranges"]
    path = tmp_path / "no-segments.json"
    path.write_text(json.dumps(doc))
    loaded = snapshot.load(path)
    assert loaded["segments"] == [] and loaded["network_segment_ranges"] == []
    assert loaded.counts()["ports"] == 1


def test_a_collection_of_an_extension_the_source_lists_must_be_there(tmp_path):
    doc = minimal()
    doc["source"]["extensions"] = ["router", "segment"]
    del doc["segments"], doc["network_segment_ranges"]
    path = tmp_path / "segments-lost.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(InputError) as info:
        snapshot.load(path)
    assert info.value.problems == [f"{path}: segments: missing collection (source.extensions lists 'segment')"]


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


@pytest.mark.parametrize("depth", [50_000, 1_000_000])
def test_a_snapshot_nested_too_deep_for_json_names_the_place(tmp_path, depth):
    path = tmp_path / "deep.json"
    text = json.dumps(minimal()).replace('"project_id": "p"}', '"x": ###}', 1)
    path.write_text("\n" + text.replace("###", "[" * depth + "]" * depth))
    column = text.index("###") + 1 + 61  # the document, ports and the port hold the first 3 levels
    with pytest.raises(InputError) as info:
        snapshot.load(path)
    assert info.value.problems == [f"{path}:2:{column}: nested deeper than {snapshot.MAX_DEPTH} levels"]


def test_a_snapshot_nested_deeper_than_the_bound_names_the_resource(tmp_path):
    doc = minimal()
    doc["ports"][0]["binding:profile"] = {"x": json.loads("[" * 100 + "]" * 100)}
    path = tmp_path / "deep.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(InputError) as info:
        snapshot.load(path)
    assert info.value.problems == [f"{path}: ports[0].binding:profile.x{'[0]' * 60}: nested deeper than 64 levels"]


@pytest.mark.parametrize("empty", ["{}", "[]"])
def test_objects_nested_one_level_past_the_bound_are_refused_and_up_to_it_load(tmp_path, empty):
    """The port is the 3rd level, its field the 4th: 61 more objects end on the 65th, one too many."""
    def nested(levels: int) -> dict:
        doc = minimal()
        doc["ports"][0]["binding:profile"] = json.loads('{"a": ' * levels + empty + "}" * levels)
        return doc

    path = tmp_path / "deep.json"
    path.write_text(json.dumps(nested(60)))
    assert snapshot.load(path)["ports"][0]["binding:profile"]
    path.write_text(json.dumps(nested(61)))
    with pytest.raises(InputError) as info:
        snapshot.load(path)
    assert info.value.problems == [f"{path}: ports[0].binding:profile{'.a' * 61}: nested deeper than 64 levels"]


def test_the_reader_gives_the_document_json_gives(tmp_path):
    """Snapshots are parsed by msgspec: the same values and types as json's, down to the edge cases."""
    doc = minimal()
    doc["ports"][0].update({"revision_number": 2**70, "name": "réseau 😀 \u0000\t\"", "mtu": -0.0,
                            "binding:profile": {"f": 0.1, "tiny": 5e-324, "big": 1.7976931348623157e308,
                                                "exp": 1e21, "neg": -(2**63) - 1, "nested": [[{}], []]}})
    path = tmp_path / "edge.json"
    path.write_text(json.dumps(doc, ensure_ascii=False).replace('"mtu": -0.0', '"mtu": -0.0, "dup": 1, "dup": 1e-400'))
    loaded = snapshot.load(path).to_json()
    expected = json.loads(path.read_text())
    assert loaded == expected and repr(loaded) == repr(expected)  # repr: 1 and 1.0, 0.0 and -0.0 differ


def test_what_the_fast_parser_refuses_json_reads_as_before(tmp_path):
    """A lone surrogate escape (msgspec refuses it, json and Neutron's API take it) loads as json reads it."""
    path = tmp_path / "surrogate.json"
    path.write_text(json.dumps(minimal()).replace('"name": "net"', '"name": "\\ud800"', 1))
    assert snapshot.load(path)["networks"][0]["name"] == "\ud800"


def test_a_snapshot_that_is_not_utf8_cannot_be_read_naming_the_file(tmp_path):
    path = tmp_path / "latin1.json"
    path.write_bytes(json.dumps(minimal(), ensure_ascii=False).replace('"net"', '"réseau"').encode("latin-1"))
    at = path.read_bytes().index(b"\xe9")
    with pytest.raises(InputError) as info:
        snapshot.load(path)
    assert info.value.problems == [
        f"{path}: cannot read: 'utf-8' codec can't decode byte 0xe9 in position {at}: invalid continuation byte"]


def test_an_integer_longer_than_python_converts_is_bad_input_naming_the_file(tmp_path):
    path = tmp_path / "long.json"
    path.write_text(json.dumps(minimal()).replace('"mac_address"', f'"mtu": {"9" * 5000}, "mac_address"', 1))
    with pytest.raises(InputError) as info:
        snapshot.load(path)
    assert info.value.problems == [f"{path}: not valid JSON: an integer of more than 4300 digits"]


@pytest.mark.parametrize("written", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_nan_and_infinity_are_refused_naming_the_resource(tmp_path, written):
    path = tmp_path / "nan.json"
    path.write_text(json.dumps(minimal()).replace('"mac_address"', f'"mtu": {written}, "mac_address"', 1))
    with pytest.raises(InputError) as info:
        snapshot.load(path)
    assert info.value.problems == [f"{path}: ports[0].mtu: {float(written)} is not a number Alcor accepts"]


def test_a_written_snapshot_is_its_owners_only(tmp_path):
    old = os.umask(0o022)
    try:
        snapshot.save(snapshot.from_document(minimal()), tmp_path / "s.json")
    finally:
        os.umask(old)
    assert os.stat(tmp_path / "s.json").st_mode & 0o777 == 0o600


def test_the_parser_proves_a_snapshot_shallow_where_it_can_and_the_walk_does_elsewhere(tmp_path):
    """On CPython 3.11, in a process with one thread (as the command line is), msgspec's parser bounds
    the depth (shallow_json): no walk over the values. With another thread running, the walk."""
    path = tmp_path / "s.json"
    path.write_text(json.dumps(minimal()))
    script = textwrap.dedent("""
        import sys, threading
        from wizard.neutron import snapshot
        walked = []
        snapshot._may_nest_too_deep = lambda document: walked.append(document) or False
        alone = snapshot.load(sys.argv[1]).counts()["ports"], len(walked)
        stop = threading.Event()
        threading.Thread(target=stop.wait).start()
        with_a_thread = snapshot.load(sys.argv[1]).counts()["ports"], len(walked)
        stop.set()
        print(alone, with_a_thread)
    """)
    done = subprocess.run([sys.executable, "-c", script, str(path)], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, check=True)
    assert done.stdout.strip() == ("(1, 0) (1, 1)" if sys.version_info < (3, 12) else "(1, 1) (1, 2)")
