"""One backend section of an HAProxy configuration file, found and replaced in its text.

A section starts at a line whose first word is a section keyword (`backend NAME`, `frontend`,
`defaults`...) and runs to the next such line; everything else in the file is left as it is,
byte for byte, so replacing a backend and then putting the original back gives the file back.
"""

from __future__ import annotations

from wizard.core.errors import InputError

SECTIONS = frozenset({"global", "defaults", "frontend", "backend", "listen", "userlist", "peers", "resolvers",
                      "mailers", "program", "http-errors", "ring", "cache", "crt-store", "traces", "log-forward"})


def _starts(line: str) -> tuple[str, str] | None:
    """(keyword, name) if the line opens a section."""
    words = line.split()
    if words and words[0] in SECTIONS:
        return words[0], words[1] if len(words) > 1 else ""
    return None


def _span(text: str, name: str, where: str) -> tuple[int, int]:
    """Where the backend `name` is in `text`: (first line, line after its last), as line indexes."""
    lines = text.splitlines(keepends=True)
    start = None
    for index, line in enumerate(lines):
        opened = _starts(line)
        if opened is None:
            continue
        if start is not None:
            return start, index
        if opened == ("backend", name):
            start = index
        elif opened == ("listen", name):
            raise InputError(f"{where}: `listen {name}` holds Neutron's frontend and its servers in one section; "
                             f"split it into a frontend and `backend {name}` for the captures to be put in")
    if start is None:
        raise InputError(f"{where}: no `backend {name}` (capture.haproxy.backend names the backend Neutron's "
                         "frontend sends to)")
    return start, len(lines)


def backend_section(text: str, name: str, where: str) -> str:
    """The text of the backend `name`, from its `backend` line to the next section."""
    start, end = _span(text, name, where)
    return "".join(text.splitlines(keepends=True)[start:end])


def replace_backend(text: str, name: str, section: str, where: str) -> str:
    """`text` with the backend `name` replaced by `section` (which ends with a newline)."""
    lines = text.splitlines(keepends=True)
    start, end = _span(text, name, where)
    return "".join([*lines[:start], section, *lines[end:]])
