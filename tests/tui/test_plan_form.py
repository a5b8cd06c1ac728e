"""The plan fields the wizard edits, checked with the plan schema's own checks."""

from __future__ import annotations

import pytest

from wizard.plan import Plan
from wizard.tui.plan_form import FIELDS, plan_problems

FIELD = {field.path: field for field in FIELDS}


@pytest.mark.parametrize(
    "path, text, reason",
    [
        ("neutron.url", "neutron:9696", "not a URL"),
        ("capture.listen", "localhost", "HOST:PORT"),
        ("capture.listen", "127.0.0.1:70000", "HOST:PORT"),
        ("cutover.drain.min", "-1", "not a duration"),
        ("cutover.drain.max", "soon", "not a duration"),
        ("cutover.waves.batch_size", "0", "at least 1"),
        ("cutover.waves.batch_size", "ten", "not a whole number"),
        ("translate.ipv6", "drop", "must be one of skip, block"),
        ("name", "  ", "required"),
    ],
)
def test_a_bad_field_says_why(path, text, reason):
    with pytest.raises(ValueError, match=reason):
        FIELD[path].write(Plan(), text)


def test_fields_read_and_write_the_plan():
    plan = Plan()
    FIELD["cutover.waves.canary"].write(plan, "node-1, node-2,")
    FIELD["cutover.drain.min"].write(plan, "1m30s")
    FIELD["neutron.cloud"].write(plan, "")
    assert plan.cutover.waves.canary == ["node-1", "node-2"] and plan.cutover.drain.min == 90.0
    assert plan.neutron.cloud is None
    assert FIELD["cutover.waves.canary"].read(plan) == "node-1, node-2"


def test_whole_plan_problems_are_the_schema_rules():
    plan = Plan()
    plan.cutover.drain.min = 700
    problems = plan_problems(plan)
    assert problems[0].startswith("neutron: say where Neutron is")
    assert "cutover.drain.min: 700s is more than drain.max (600s)" in problems


def test_choices_come_from_the_schema():
    assert FIELD["cutover.executor.kind"].choices(Plan()) == ("ssh", "local", "lab")
    assert FIELD["name"].choices(Plan()) == ()
