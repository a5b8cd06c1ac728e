"""JSON documents nested a given number of levels deep."""


def lists(levels: int) -> bytes:
    return b"[" * levels + b"]" * levels


def objects(levels: int) -> bytes:
    return b'{"a":' * (levels - 1) + b"{}" + b"}" * (levels - 1)


def mixed(levels: int) -> bytes:
    """Objects and lists in turn."""
    half = levels // 2
    return b'{"a":[' * half + (b"{}" if levels % 2 else b"1") + b"]}" * half
