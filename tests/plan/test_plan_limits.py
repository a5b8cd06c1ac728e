"""Hostile plans end in exit 2 naming the place, in bounded time: deep nesting, NaN, many hosts."""

from __future__ import annotations

import time

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


def test_repeated_hosts_are_found_in_linear_time(tmp_path):
    hosts = [f"compute-{n}" for n in range(40_000)]
    waves = ", ".join(f"[{host}]" for host in hosts)
    started = time.monotonic()
    found = problems(tmp_path, GOOD + f"cutover:\n  waves:\n    canary: [compute-7]\n    lists: [{waves}]\n")
    assert time.monotonic() - started < 10
    assert found == ["8:5: cutover.waves: hosts in more than one wave: compute-7"]
