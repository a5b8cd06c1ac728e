"""Parsing with the depth bound proved by msgspec's parser (CPython 3.11), and the plain parse elsewhere."""

import sys
import threading

import msgspec
import pytest

from wizard.neutron import shallow_json

BOUND = 64
PROVES = sys.version_info < (3, 12)  # 3.12 gave C code a recursion limit of its own


def lists(levels: int) -> bytes:
    return b"[" * levels + b"]" * levels


def objects(levels: int) -> bytes:
    return b'{"a":' * (levels - 1) + b"{}" + b"}" * (levels - 1)


def mixed(levels: int) -> bytes:
    """Objects and lists in turn, `levels` deep."""
    half = levels // 2
    return b'{"a":[' * half + (b"{}" if levels % 2 else b"1") + b"]}" * half


@pytest.mark.parametrize("nested", [lists, objects, mixed])
def test_the_bound_is_taken_exactly_and_one_level_more_is_parsed_without_it(nested):
    limit = sys.getrecursionlimit()
    assert shallow_json.decode(nested(BOUND), BOUND) == (msgspec.json.decode(nested(BOUND)), PROVES)
    assert shallow_json.decode(nested(BOUND + 1), BOUND) == (msgspec.json.decode(nested(BOUND + 1)), False)
    assert sys.getrecursionlimit() == limit


def test_the_bound_follows_the_stack_it_is_parsed_on():
    def at_depth(frames: int) -> tuple[bool, bool]:
        if frames:
            return at_depth(frames - 1)
        return shallow_json.decode(lists(BOUND), BOUND)[1], shallow_json.decode(lists(BOUND + 1), BOUND)[1]

    assert at_depth(300) == (PROVES, False)


def test_with_another_thread_running_the_parse_is_the_plain_one():
    """The recursion limit is every thread's: it is not lowered while another could run."""
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert shallow_json.decode(b'{"a": [1]}', BOUND) == ({"a": [1]}, False)
    finally:
        stop.set()
        other.join()


def test_what_msgspec_refuses_is_raised_as_msgspec_raises_it_and_the_limit_restored():
    limit = sys.getrecursionlimit()
    with pytest.raises(msgspec.DecodeError):
        shallow_json.decode(b'{"a": [1,', BOUND)
    with pytest.raises(RecursionError):  # beyond the parser's own limit: the caller names the place
        shallow_json.decode(lists(100_000), BOUND)
    assert sys.getrecursionlimit() == limit
