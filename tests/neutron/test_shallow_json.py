"""Parsing with the depth bound proved by msgspec's parser (CPython 3.11, a process with one thread),
and the plain parse elsewhere. What needs a process with no other thread runs in one of its own, as
the command line does (a test session keeps threads of earlier tests, such as core/children.py's)."""

import json
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import msgspec
import pytest

from tests.neutron import nested_json
from wizard.neutron import shallow_json

ROOT = Path(__file__).resolve().parents[2]
BOUND = 64
PROVES = sys.version_info < (3, 12)  # 3.12 gave C code a recursion limit of its own


def in_a_process_of_its_own(code: str):
    """What `code` prints (JSON), run by a new interpreter."""
    script = ("import json, sys\nfrom tests.neutron.nested_json import lists, objects, mixed\n"
              "from wizard.neutron import shallow_json\n" + textwrap.dedent(code))
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          check=True)
    return json.loads(done.stdout)


@pytest.mark.parametrize("nested", ["lists", "objects", "mixed"])
def test_the_bound_is_taken_exactly_and_one_level_more_is_parsed_without_it(nested):
    found = in_a_process_of_its_own(f"""
        limit = sys.getrecursionlimit()
        fits = shallow_json.decode({nested}({BOUND}), {BOUND})
        deeper = shallow_json.decode({nested}({BOUND + 1}), {BOUND})
        print(json.dumps([fits, deeper, sys.getrecursionlimit() == limit]))
    """)
    build = getattr(nested_json, nested)
    assert found == [[msgspec.json.decode(build(BOUND)), PROVES], [msgspec.json.decode(build(BOUND + 1)), False],
                     True]


def test_the_bound_follows_the_stack_it_is_parsed_on():
    found = in_a_process_of_its_own(f"""
        def at_depth(frames):
            if frames:
                return at_depth(frames - 1)
            return shallow_json.decode(lists({BOUND}), {BOUND})[1], shallow_json.decode(lists({BOUND + 1}), {BOUND})[1]

        print(json.dumps([at_depth(frames) for frames in (0, 1, 2, 300, 900)]))
    """)
    assert found == [[PROVES, False]] * 5


def test_with_another_thread_running_the_parse_is_the_plain_one():
    """The recursion limit is every thread's: it is not lowered while another could run."""
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert shallow_json.decode(nested_json.lists(3), BOUND) == ([[[]]], False)
    finally:
        stop.set()
        other.join()


def test_what_msgspec_refuses_is_raised_as_msgspec_raises_it_and_the_limit_restored():
    found = in_a_process_of_its_own("""
        import msgspec
        limit, raised = sys.getrecursionlimit(), []
        for data in (b'{"a": [1,', lists(100_000)):  # not JSON; beyond the parser's own limit
            try:
                shallow_json.decode(data, 64)
            except (msgspec.DecodeError, RecursionError) as exc:
                raised.append(type(exc).__name__)
        print(json.dumps([raised, sys.getrecursionlimit() == limit]))
    """)
    assert found == [["DecodeError", "RecursionError"], True]
