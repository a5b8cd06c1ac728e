"""The subcommands: every module here named `<command>_cmd` is the command `<command>`.

Each has `register(subparsers)`, which adds the parser of the command it is named after,
with `set_defaults(func=run)` where `run(args) -> int`, and may set `ORDER` (lower comes
first in --help). Modules are imported only when wanted (`modules`): a command's pulls in
what it needs (Textual, aiohttp, openstacksdk...), a second or more of start-up for all.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable
from types import ModuleType

SUFFIX = "_cmd"
NAMES: tuple[str, ...] = tuple(sorted(
    info.name.removesuffix(SUFFIX) for info in pkgutil.iter_modules(__path__) if info.name.endswith(SUFFIX)))


def modules(names: Iterable[str] = NAMES) -> tuple[ModuleType, ...]:
    """The modules of these commands (every one by default), imported, in --help order."""
    imported = [importlib.import_module(f"{__name__}.{name}{SUFFIX}") for name in names]
    return tuple(sorted(imported, key=lambda module: (getattr(module, "ORDER", 50), module.__name__)))


def wanted(argv: list[str]) -> tuple[str, ...]:
    """The commands a command line needs registered: the one it names first, else every one
    (for --help, --version, the wizard without a command, or a mistyped command's error)."""
    return (argv[0],) if argv and argv[0] in NAMES else NAMES
