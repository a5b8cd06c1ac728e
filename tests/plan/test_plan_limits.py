"""Hostile plans end in exit 2 naming the place: deep nesting, NaN, many hosts."""

from __future__ import annotations

import pytest

from tests.plan.test_plan_load import GOOD, problems


@pytest.mark.parametrize("depth", [100, 100_000])
def test_a_plan_nested_too_deep_names_the_place(tmp_path, depth):
    found = problems(tmp_path, GOOD + "capture:\n  x: " + "[" * depth + "]" * depth + "\n")
    assert found == ["7:68: nested deeper than 64 levels"]  # the 63rd bracket, under two mappings


def test_a_plan_nested_too_deep_in_block_style_names_the_place(tmp_path):
    deep = "".join(f"{'  ' * level}k{level}:\n" for level in range(80))
    assert problems(tmp_path, GOOD + deep + "  " * 80 + "v: 1\n") == ["70:129: nested deeper than 64 levels"]


@pytest.mark.parametrize("value", [".nan", ".inf", "-.inf"])
def test_nan_and_infinity_are_refused(tmp_path, value):
    assert problems(tmp_path, GOOD + f"cutover:\n  drain: {{poll: {value}}}\n") == [
        f"7:17: cutover.drain.poll: expected a finite number, found {float(value.replace('.', ''))}"]


def test_a_host_in_two_waves_among_many_is_named(tmp_path):
    """Found in linear time: bench/bench_plan_check.py measures 4,000 against 40,000 hosts."""
    waves = ", ".join(f"[compute-{n}]" for n in range(2_000))
    found = problems(tmp_path, GOOD + f"cutover:\n  waves:\n    canary: [compute-7]\n    lists: [{waves}]\n")
    assert found == ["8:5: cutover.waves: hosts in more than one wave: compute-7"]
