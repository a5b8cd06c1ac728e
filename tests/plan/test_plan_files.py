"""Writing plans (dump/save round trip, the commented template), `plan new|check`, and overrides."""

import argparse
import dataclasses
import re
import typing
from pathlib import Path

import pytest
import yaml

from wizard import plan as plan_module
from wizard.cli import main
from wizard.commands.options import add_plan_options, plan_from_args
from wizard.core.errors import InputError
from wizard.plan import LabConfig, NeutronSource, NodeOverride, Override, Plan

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = ROOT / "plans" / "production.example.yaml"


def schema_keys(cls, prefix=""):
    """Every dotted key of the schema: (dotted key, field, whether it holds sections)."""
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if f.metadata.get("internal"):
            continue
        hint = hints[f.name]
        inner = next((a for a in (hint, *typing.get_args(hint)) if dataclasses.is_dataclass(a)), None)
        yield prefix + f.name, f, inner is not None
        if inner is not None:
            yield from schema_keys(inner, f"{prefix}{f.name}.")


def test_every_key_has_a_doc_and_optional_ones_an_example():
    for dotted, f, _ in schema_keys(Plan):
        assert f.metadata.get("doc"), f"{dotted} has no doc"
        default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
        if default in (None, [], {}):
            assert f.metadata.get("example") is not None, f"{dotted} has no example for the template"


def test_the_template_comments_every_key_and_passes_check(tmp_path):
    text = plan_module.template()
    lines = text.splitlines()
    for dotted, _, _ in schema_keys(Plan):
        name = dotted.rpartition(".")[2]
        at = [i for i, line in enumerate(lines) if line.lstrip(" #").startswith(f"{name}:")]
        assert at, f"{dotted} is not in the template"
        documented = [i for i in at if "  # " in lines[i] or (lines[i - 1].lstrip().startswith("# ")
                      and not COMMENTED_KEY.match(lines[i - 1]))]
        assert documented, f"{dotted} has no comment"
    path = tmp_path / "p.yaml"
    path.write_text(text)
    plan = plan_module.load(path)
    assert plan.neutron.cloud == "production" and plan.cutover.drain.max == 600.0
    # and it holds the defaults wherever it shows no example
    assert dataclasses.replace(plan, neutron=Plan().neutron, alcor=Plan().alcor,
                               state_dir="state") == Plan()


COMMENTED_KEY = re.compile(r"^(\s*)# (\s*[a-z_][a-z0-9_-]*:( |$).*)")


def test_commented_examples_are_valid_values(tmp_path):
    """Uncommenting every example in the template still gives a good plan."""
    text = "\n".join(COMMENTED_KEY.sub(r"\1\2", line) for line in plan_module.template().splitlines())
    path = tmp_path / "all.yaml"
    path.write_text(text)
    plan = plan_module.load(path)
    assert plan.neutron.url == "http://neutron.example.net:9696"
    assert plan.alcor.endpoints["vpc"] == "http://alcor.example.net:9001"
    assert plan.nodes["compute-01"] == NodeOverride(local_ip="192.0.2.11", mac_address="52:54:00:12:34:56",
                                                    veth="eth1", address="10.0.0.11")
    assert plan.lab == LabConfig(cloud=str(tmp_path / "sample_configs/small.json"))
    assert plan.cutover.waves.lists == [["compute-02", "compute-03"]]


def test_production_example_is_a_good_plan():
    plan = plan_module.load(PRODUCTION)
    assert plan.neutron.auth == "keystone" and plan.cutover.executor.kind == "ssh"
    assert plan.cutover.waves.canary and plan.cutover.endpoint.method == "keystone"
    assert set(plan.alcor.endpoints) == set(plan_module.ALCOR_SERVICES)
    assert plan.capture.tls.cert == str(PRODUCTION.parent / "tls" / "capture-proxy.crt")


def test_save_then_load_gives_an_equal_plan(tmp_path):
    original = plan_module.load(PRODUCTION)
    original.nodes["compute-r1-02"] = NodeOverride(local_ip="192.0.2.2", server_port=50002)
    original.lab = LabConfig(cloud=str(tmp_path / "lab.json"), user_writes=3)
    original.cutover.waves.lists = [["a", "b"], ["c"]]
    original.cutover.drain.poll = 0.25
    for target in (tmp_path / "same.yaml", tmp_path / "sub" / "dir" / "other.yaml"):
        target.parent.mkdir(parents=True, exist_ok=True)
        plan_module.save(original, target)
        assert plan_module.load(target) == original


def test_dump_writes_paths_under_the_plan_relative(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("version: 1\nneutron: {snapshot: snaps/cloud.json}\nalcor: {url: 'http://a:1'}\n"
                    "state_dir: /var/lib/am\n")
    plan = plan_module.load(path)
    document = yaml.safe_load(plan_module.dump(plan, tmp_path))
    assert document["neutron"]["snapshot"] == "snaps/cloud.json"
    assert document["state_dir"] == "/var/lib/am"
    assert yaml.safe_load(plan_module.dump(plan))["neutron"]["snapshot"] == str(tmp_path / "snaps/cloud.json")
    assert yaml.safe_load(plan_module.dump(Plan(), tmp_path))["state_dir"] == "state"  # stays relative


def test_plan_new_refuses_to_overwrite_unless_forced(tmp_path, capsys):
    path = tmp_path / "new.yaml"
    assert main(["plan", "new", str(path)]) == 0
    assert main(["plan", "check", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"{path}: ok, plan 'migration'" in out and "cloud production (auth keystone)" in out
    path.write_text("mine")
    assert main(["plan", "new", str(path)]) == 2
    assert "already exists (use --force to overwrite it)" in capsys.readouterr().err
    assert path.read_text() == "mine"
    assert main(["plan", "new", str(path), "--force"]) == 0
    assert path.read_text() == plan_module.template()


def test_plan_check_prints_every_problem_and_exits_2(tmp_path, capsys):
    path = tmp_path / "bad.yaml"
    path.write_text("version: 1\nneutron: {cloud: p}\nalcor: {url: x, retries: -1}\n")
    assert main(["plan", "check", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"error: {path}:3:14: alcor.url: not a URL: 'x'" in err
    assert f"error: {path}:3:26: alcor.retries: must be at least 0; got -1" in err


def parse(argv):
    parser = argparse.ArgumentParser()
    add_plan_options(parser)
    return parser.parse_args(argv)


def test_overrides_are_checked_like_the_keys_they_set(tmp_path, capsys):
    with pytest.raises(InputError) as caught:
        plan_from_args(parse(["--plan", str(PRODUCTION), "--alcor-url", "ftp://alcor", "--neutron-url",
                              "http://127.0.0.1:9696"]))
    assert caught.value.problems == [  # the production plan switches through Keystone
        f"{PRODUCTION}:59:13: cutover.endpoint.method: a keystone switch needs neutron.auth: keystone",
        "--alcor-url: not a URL: 'ftp://alcor' (expected http:// or https:// and a host)",
    ]
    assert main(["plan", "check", str(PRODUCTION), "--alcor-url", "alcor:9009"]) == 2
    assert "error: --alcor-url: not a URL: 'alcor:9009'" in capsys.readouterr().err


def test_overrides_replace_plan_values(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "p.yaml"
    path.write_text("version: 1\nneutron: {cloud: c}\nalcor: {url: 'http://a:9009'}\n")
    plan = plan_from_args(parse(["--plan", str(path), "--neutron-url", "http://127.0.0.1:9696",
                                 "--alcor-url", "http://127.0.0.1:9009", "--state-dir", "st",
                                 "--snapshot", "s.json"]))
    assert (plan.neutron.url, plan.neutron.auth, plan.neutron.cloud) == ("http://127.0.0.1:9696", "none", None)
    assert plan.alcor.url == "http://127.0.0.1:9009"
    assert plan.state_dir == str(tmp_path / "st") and plan.neutron.snapshot == str(tmp_path / "s.json")


def test_a_rule_broken_by_an_override_names_it_and_one_fixed_by_it_passes(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("version: 1\nneutron: {auth: none}\nalcor: {url: 'http://a:9009'}\n")
    with pytest.raises(InputError, match=r"p.yaml:2:17: neutron.auth: auth: none needs neutron.url"):
        plan_module.load(path)
    assert plan_module.load(path, [Override("neutron.url", "http://n:9696", "--neutron-url")]).neutron.url
    path.write_text("version: 1\nneutron: {snapshot: s.json}\nalcor: {url: 'http://a:9009'}\n")
    with pytest.raises(InputError) as caught:
        plan_module.load(path, [Override("neutron.url", "http://n:9696", "--neutron-url")])
    assert caught.value.problems == [
        "--neutron-url: neutron.url: with auth: keystone, url needs a cloud to log in with (or set auth: none)"]


def test_without_a_plan_file_overrides_apply_to_the_defaults():
    plan = plan_from_args(parse(["--os-cloud", "prod"]))
    assert plan.neutron.cloud == "prod" and plan.alcor.url is None
    assert plan_from_args(parse([])) == Plan()
    with pytest.raises(InputError, match=r"--alcor-url: not a URL"):
        plan_from_args(parse(["--alcor-url", "nope"]))


def test_the_plan_reference_documents_every_key():
    reference = (ROOT / "docs" / "plan.md").read_text()
    for dotted, _, holds_sections in schema_keys(Plan):
        key = "nodes.HOST." + dotted[len("nodes."):] if dotted.startswith("nodes.") else dotted
        key = key.replace("capture.nodes.", "capture.nodes.NAME.")
        if not holds_sections:
            assert f"| `{key}` |" in reference, f"{key} is not in the plan reference, docs/plan.md"


def test_plan_check_says_where_the_capture_forwards_or_why_nothing_is_captured():
    from wizard.commands.plan_cmd import summary

    def capture(plan: Plan) -> str:
        return dict(summary(plan))["capture"]

    plan = Plan()
    plan.neutron.cloud = "production"  # the template's default: no url
    assert capture(plan) == ("proxy on 127.0.0.1:9797, forwarding to the catalog's public network endpoint "
                             "(found and kept at preflight)")
    plan.neutron.url = "http://neutron.example.net:9696"
    assert capture(plan).endswith("forwarding to http://neutron.example.net:9696")
    assert capture(Plan(neutron=NeutronSource(snapshot="cloud.json"))).startswith("nothing to capture")
    plan.capture.enabled = False
    assert capture(plan).startswith("off: writes made during the migration are not carried")
