"""`capture.nodes` in a plan: the captures whose logs replay merges, each a feed or a log file."""

from __future__ import annotations

from tests.plan.test_plan_load import problems, write
from wizard import plan as plan_module


def test_capture_nodes_load_with_their_paths_resolved(tmp_path):
    plan = plan_module.load(write(tmp_path, """\
version: 1
neutron: {url: "http://neutron:9696", auth: none}
alcor: {url: "http://alcor:9009"}
capture:
  nodes:
    api-1: {feed: "https://api-1:9798", token_file: feed-token}
    api-2: {log: api-2/writes.db}
"""))
    nodes = plan.capture.nodes
    assert nodes["api-1"].feed == "https://api-1:9798" and nodes["api-1"].token_file == str(tmp_path / "feed-token")
    assert nodes["api-2"].log == str(tmp_path / "api-2" / "writes.db") and nodes["api-2"].feed is None


def test_each_capture_node_needs_a_name_and_one_feed_with_its_token_or_one_log(tmp_path):
    assert problems(tmp_path, """\
version: 1
neutron: {url: "http://neutron:9696", auth: none}
alcor: {url: "http://alcor:9009"}
capture:
  nodes:
    api 1: {log: a.db}
    both: {feed: "https://b:9798", token_file: t, log: b.db}
    neither: {token_file: t}
    untokened: {feed: "https://c:9798"}
    bad: {feed: "ftp://d"}
""") == [
        "6:12: capture.nodes.api 1: a name of letters, digits, '.', '_' or '-' (not embedded: the run's own "
        "capture's log)",
        "7:11: capture.nodes.both: give feed (with token_file) or log, one of them",
        "8:14: capture.nodes.neither: give feed (with token_file) or log, one of them",
        "9:16: capture.nodes.untokened.token_file: missing: a feed needs its token",
        "10:17: capture.nodes.bad.feed: not a URL: 'ftp://d' (expected http:// or https:// and a host)",
    ]
