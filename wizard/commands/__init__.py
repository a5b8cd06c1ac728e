"""The subcommands: every module here named `*_cmd` is one, found at start-up.

Each has `register(subparsers)`, which adds its parser with `set_defaults(func=run)`
where `run(args) -> int`, and may set `ORDER` (lower comes first in --help).
"""

import importlib
import pkgutil


def _discover() -> tuple:
    modules = [
        importlib.import_module(f"{__name__}.{info.name}")
        for info in pkgutil.iter_modules(__path__)
        if info.name.endswith("_cmd")
    ]
    return tuple(sorted(modules, key=lambda module: (getattr(module, "ORDER", 50), module.__name__)))


COMMANDS = _discover()
