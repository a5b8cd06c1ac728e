"""Loading plans: every kind of problem named FILE:LINE:COL, all of them at once; values and paths."""

import os
import textwrap
from pathlib import Path

import pytest

from wizard import plan as plan_module
from wizard.core.errors import InputError

GOOD = """\
version: 1
neutron:
  cloud: prod
alcor:
  url: http://alcor:9009
"""


def write(tmp_path, text, name="plan.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def problems(tmp_path, text):
    path = write(tmp_path, text)
    with pytest.raises(InputError) as caught:
        plan_module.load(path)
    prefix = f"{path}:"
    assert all(p.startswith(prefix) for p in caught.value.problems), caught.value.problems
    return [p[len(prefix):] for p in caught.value.problems]


def test_a_good_plan_loads(tmp_path):
    plan = plan_module.load(write(tmp_path, GOOD))
    assert plan.neutron.cloud == "prod" and plan.alcor.url == "http://alcor:9009"
    assert plan.source_file == tmp_path / "plan.yaml"


def test_yaml_syntax_error_has_its_position(tmp_path):
    assert problems(tmp_path, "version: 1\nneutron:\n  cloud: x\n   url: y\n") == [
        "4:7: not valid YAML: mapping values are not allowed here"]
    assert problems(tmp_path, "version: 1\nneutron: {cloud: x\nalcor: 1\n") == [
        "3:6: not valid YAML: expected ',' or '}', but got ':' (while parsing a flow mapping)"]


def test_the_document_must_be_a_mapping(tmp_path):
    assert problems(tmp_path, "- version\n") == ["1:1: the plan must be a mapping of keys, found a list"]


def test_unknown_keys_suggest_the_closest(tmp_path):
    assert problems(tmp_path, GOOD + "  endpionts: {}\ncaptur: {}\nwibble: 1\n") == [
        "6:3: alcor.endpionts: unknown key; did you mean 'endpoints'?",
        "7:1: captur: unknown key; did you mean 'capture'?",
        "8:1: wibble: unknown key",
    ]


def test_wrong_types(tmp_path):
    assert problems(tmp_path, GOOD + """\
name: 5
translate: {bulk_size: many}
capture: {enabled: "yes"}
cutover:
  waves: {canary: compute-1, lists: [[a], b]}
nodes: [x]
""") == [
        "6:7: name: expected a string, found an integer (5) (quote it)",
        "7:24: translate.bulk_size: expected an integer, found a string ('many')",
        "8:20: capture.enabled: expected true or false, found a string ('yes')",
        "10:19: cutover.waves.canary: expected a list, found a string ('compute-1')",
        "10:43: cutover.waves.lists[1]: expected a list, found a string ('b')",
        "11:8: nodes: expected a mapping, found a list",
    ]


def test_missing_required_keys(tmp_path):
    assert problems(tmp_path, "name: x\n") == [
        "1:1: version: missing; write `version: 1` at the top of the plan",
        "1:1: neutron: say where Neutron is: cloud (a clouds.yaml entry, or envvars for the OS_* "
        "variables), url (with auth: none) or snapshot",
        "1:1: alcor.url: missing: give url, or endpoints for every service (missing: vpc, subnet, "
        "route, port, node, security_group, elastic_ip)",
    ]


def test_alcor_endpoints_must_cover_every_service_without_url(tmp_path):
    text = "version: 1\nneutron: {cloud: prod}\nalcor:\n  endpoints:\n    vpc: http://a:9001\n"
    assert problems(tmp_path, text) == [
        "4:3: alcor.url: missing: give url, or endpoints for every service (missing: subnet, route, "
        "port, node, security_group, elastic_ip)"]
    text += "    vcp: http://a:1\n"
    assert problems(tmp_path, text) == [  # the typo explains the rest
        "6:5: alcor.endpoints.vcp: unknown key; expected one of vpc, subnet, route, port, node, "
        "security_group, elastic_ip; did you mean 'vpc'?"]


def test_bad_urls(tmp_path):
    assert problems(tmp_path, """\
version: 1
neutron: {url: "neutron:9696", auth: none}
alcor:
  url: ftp://alcor
  endpoints: {port: "http://alcor:99999"}
  gateway_url: http://
""") == [
        "2:16: neutron.url: not a URL: 'neutron:9696' (expected http:// or https:// and a host)",
        "4:8: alcor.url: not a URL: 'ftp://alcor' (expected http:// or https:// and a host)",
        "5:21: alcor.endpoints.port: not a URL: 'http://alcor:99999' has a bad port",
        "6:16: alcor.gateway_url: not a URL: 'http://' (expected http:// or https:// and a host)",
    ]


def test_bad_durations(tmp_path):
    assert problems(tmp_path, GOOD + """\
  timeout: 10 minutes
cutover:
  drain: {min: -5, max: true}
""") == [
        "6:12: alcor.timeout: not a duration: '10 minutes' (seconds, or e.g. 30s, 10m, 1h30m)",
        "8:16: cutover.drain.min: not a duration: -5 is negative",
        "8:25: cutover.drain.max: expected a duration, found a boolean (True)",
    ]


@pytest.mark.parametrize("written, seconds", [("45", 45.0), ("2.5", 2.5), ("30s", 30.0), ("10m", 600.0),
                                              ("1h30m", 5400.0), ("1.5h", 5400.0), ("'90'", 90.0),
                                              ("2h0m5s", 7205.0)])
def test_durations_are_stored_as_seconds(tmp_path, written, seconds):
    plan = plan_module.load(write(tmp_path, GOOD + f"  timeout: {written}\n"))
    assert plan.alcor.timeout == seconds and isinstance(plan.alcor.timeout, float)


def test_bad_enum_values_list_the_allowed_ones(tmp_path):
    assert problems(tmp_path, GOOD + """\
translate: {ipv6: drop}
cutover:
  executor: {kind: sssh}
""") == [
        "6:19: translate.ipv6: must be one of skip, block; got 'drop'",
        "8:20: cutover.executor.kind: must be one of ssh, local, lab; got 'sssh'; did you mean 'ssh'?",
    ]


def test_unsupported_version(tmp_path):
    assert problems(tmp_path, GOOD.replace("version: 1", "version: 2")) == [
        "1:10: version: unsupported version 2; this alcor-migrate reads version 1"]


def test_ranges_addresses_and_duplicates(tmp_path):
    assert problems(tmp_path, GOOD + """\
  concurrency: 0
capture: {listen: nowhere}
nodes:
  compute-1: {local_ip: 10.0.0.300, mac_address: zz, server_port: 70000}
  compute-2:
alcor: {}
""") == [
        "6:16: alcor.concurrency: must be at least 1; got 0",
        "7:19: capture.listen: not HOST:PORT: 'nowhere' (e.g. 127.0.0.1:9797 or [::]:9797)",
        "9:25: nodes.compute-1.local_ip: not an IP address: '10.0.0.300'",
        "9:50: nodes.compute-1.mac_address: not a MAC address: 'zz' (e.g. fa:16:3e:00:00:01)",
        "9:67: nodes.compute-1.server_port: must be from 1 to 65535; got 70000",
        "11:1: alcor: duplicate key (also at line 4)",
    ]


def test_rules_between_keys(tmp_path):
    assert problems(tmp_path, """\
version: 1
neutron:
  cloud: prod
  auth: none
alcor: {url: "http://alcor:9009"}
capture:
  tls: {cert: proxy.crt}
cutover:
  endpoint: {method: keystone}
  drain: {min: 1h, max: 10m}
  waves:
    canary: [c1]
    lists: [[c1, c2], [c2]]
    all_at_once: true
""") == [
        "3:10: neutron.cloud: a clouds.yaml login needs auth: keystone (auth is none)",
        "4:9: neutron.auth: auth: none needs neutron.url",
        "7:8: capture.tls: give both cert and key, or neither",
        "9:13: cutover.endpoint.alcor_url: missing: the URL to put into the catalog (or set alcor.gateway_url)",
        "9:22: cutover.endpoint.method: a keystone switch needs neutron.auth: keystone",
        "10:16: cutover.drain.min: 3600s is more than drain.max (600s)",
        "12:5: cutover.waves: hosts in more than one wave: c1, c2",
        "14:18: cutover.waves.all_at_once: conflicts with waves.lists; keep one",
    ]


def test_keystone_with_a_url_needs_a_cloud(tmp_path):
    assert problems(tmp_path, "version: 1\nneutron: {url: 'http://n:9696'}\nalcor: {url: 'http://a:9009'}\n") == [
        "2:16: neutron.url: with auth: keystone, url needs a cloud to log in with (or set auth: none)"]


def test_every_problem_is_reported_not_just_the_first(tmp_path):
    found = problems(tmp_path, """\
version: 3
neutron: {auth: nonne, page_size: 0}
alcor: {url: "ftp://x", timeout: soon}
bogus: 1
""")
    assert [p.split(": ")[1] for p in found] == [
        "version", "neutron.auth", "neutron.page_size", "alcor.url", "alcor.timeout", "bogus"]


def test_a_bad_key_does_not_also_raise_the_rules_about_it(tmp_path):
    # alcor.url is wrong, so "alcor.url: missing" would only repeat it
    assert problems(tmp_path, "version: 1\nneutron: {cloud: p}\nalcor: {url: 7}\n") == [
        "3:14: alcor.url: expected a string, found an integer (7) (quote it)"]


def test_missing_file_and_empty_sections(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        plan_module.load(tmp_path / "absent.yaml")
    plan = plan_module.load(write(tmp_path, GOOD + "capture:\nnodes:\n  compute-1:\nlab:\n"))
    assert plan.capture == plan_module.CaptureConfig()
    assert plan.nodes == {"compute-1": plan_module.NodeOverride()}
    assert plan.lab is None


def test_a_lab_plan_needs_no_neutron_or_alcor(tmp_path):
    plan = plan_module.load(write(tmp_path, "version: 1\nlab: {user_writes: 3}\n"))
    assert plan.lab.user_writes == 3


def test_relative_paths_resolve_against_the_plan_files_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "plans").mkdir()
    path = write(tmp_path, GOOD + """\
state_dir: ../state
capture:
  tls: {cert: tls/a.crt, key: /etc/a.key}
cutover:
  executor: {known_hosts: ~/kh}
lab: {cloud: ../sample_configs/small.json}
""", name="plans/p.yaml")
    plan = plan_module.load(Path("plans/p.yaml"))
    assert path.exists()
    assert plan.state_dir == str(tmp_path / "state")
    assert plan.capture.tls.cert == str(tmp_path / "plans" / "tls" / "a.crt")
    assert plan.capture.tls.key == "/etc/a.key"
    assert plan.cutover.executor.known_hosts == os.path.expanduser("~/kh")
    assert plan.lab.cloud == str(tmp_path / "sample_configs" / "small.json")


def test_default_paths_resolve_against_the_plan_files_directory_too(tmp_path):
    plan = plan_module.load(write(tmp_path, GOOD))
    assert plan.state_dir == str(tmp_path / "state")


def test_merge_keys_and_anchors_work(tmp_path):
    plan = plan_module.load(write(tmp_path, GOOD + """\
cutover:
  timeouts:
    defaults: &t {start_aca: 2m}
""".replace("    defaults: &t {start_aca: 2m}\n", "    <<: {start_aca: 2m, check: 5s}\n")))
    assert plan.cutover.timeouts.start_aca == 120.0 and plan.cutover.timeouts.check == 5.0
