"""The plan fields the wizard edits, the plan file it saves, and the dry-run files it exports."""

from __future__ import annotations

import json

import pytest

from wizard import dryrun
from wizard import plan as plan_file
from wizard.plan import NodeOverride, Plan
from wizard.tui.plan_form import FIELDS, plan_problems
from wizard.translate.model import AlcorRequest, Finding, NeutronRef, Severity, Translation

FIELD = {field.path: field for field in FIELDS}


@pytest.mark.parametrize(
    "path, text, reason",
    [
        ("neutron.url", "neutron:9696", "not a URL"),
        ("capture.listen", "localhost", "HOST:PORT"),
        ("capture.listen", "127.0.0.1:70000", "HOST:PORT"),
        ("cutover.drain.min", "-1", "≥ 0"),
        ("cutover.drain.max", "soon", "not a number"),
        ("cutover.waves.batch_size", "0", "≥ 1"),
        ("name", "  ", "required"),
    ],
)
def test_a_bad_field_says_why(path, text, reason):
    with pytest.raises(ValueError, match=reason):
        FIELD[path].write(Plan(), text)


def test_fields_read_and_write_the_plan():
    plan = Plan()
    FIELD["cutover.waves.canary"].write(plan, "node-1, node-2,")
    FIELD["cutover.drain.min"].write(plan, "12.5")
    FIELD["neutron.cloud"].write(plan, "")
    assert plan.cutover.waves.canary == ["node-1", "node-2"] and plan.cutover.drain.min == 12.5
    assert plan.neutron.cloud is None
    assert FIELD["cutover.waves.canary"].read(plan) == "node-1, node-2"


def test_whole_plan_problems():
    plan = Plan()
    plan.cutover.drain.min = 700
    assert plan_problems(plan) == [
        "neutron: set a URL, a cloud or a snapshot file",
        "alcor: set a URL",
        "cutover.drain: at least is more than at most",
    ]


def test_a_saved_plan_loads_back_equal(tmp_path):
    plan = Plan(name="prod")
    plan.nodes["compute-1"] = NodeOverride(local_ip="10.0.0.11")
    plan.cutover.waves.lists = [["compute-1"], ["compute-2", "compute-3"]]
    path = plan_file.save(plan, tmp_path / "plans" / "prod.yaml")
    assert plan_file.load(path) == plan
    assert "null" not in path.read_text()


def test_the_dry_run_files(tmp_path):
    ref = NeutronRef("networks", "n1")
    translation = Translation(
        requests=[AlcorRequest("vpc:n1", "vpc", "vpc", "POST", "/project/p/vpcs", {"network": {"id": "n1"}}, (ref,))],
        findings=[Finding(Severity.INFO, "dns-domain", ref, "dropped", "none needed")],
        id_map={("security_groups", "sg1"): "alcor-sg1"},
    )
    paths = dryrun.write(translation, tmp_path / "out")
    assert [p.name for p in paths] == list(dryrun.FILES)
    assert json.loads(paths[0].read_text().splitlines()[0])["seq"] == 1
    assert json.loads(paths[1].read_text())[0]["code"] == "dns-domain"
    assert json.loads(paths[2].read_text()) == [{"kind": "security_groups", "neutron_id": "sg1", "alcor_id": "alcor-sg1"}]
