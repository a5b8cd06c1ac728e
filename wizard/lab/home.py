"""Where the lab lives: its plans ship in this package (wizard/lab/plans/), so it opens from any
directory; each lab plan's state goes to `state/<name>` of the source tree when alcor-migrate is
started inside it, else to `$XDG_STATE_HOME/alcor-migrate/<name>` (`~/.local/state/...`).

The shipped plans name no state directory of their own: `overrides_for` gives every command and
the wizard the one above (`--state-dir` still wins)."""

from __future__ import annotations

import os
from pathlib import Path

from wizard.core.errors import InputError
from wizard.plan import Override

PLANS = Path(__file__).with_name("plans")
DEFAULT = "lab"


def labs() -> list[str]:
    """The names of the shipped lab plans (lab, lab-noauth, ...)."""
    return sorted(path.stem for path in PLANS.glob("*.yaml"))


def plan_file(name: str = DEFAULT) -> Path:
    """The shipped lab plan `name`."""
    path = PLANS / f"{name}.yaml"
    if not path.is_file():
        raise InputError(f"lab {name}: no such lab; the labs are {', '.join(labs())}")
    return path


def source_tree() -> Path | None:
    """The checkout this package runs from (it holds pyproject.toml), if the current directory is in it."""
    root = PLANS.parents[2]
    if not (root / "pyproject.toml").is_file():
        return None  # an installed package
    cwd = Path.cwd().resolve()
    return root if cwd == root.resolve() or root.resolve() in cwd.parents else None


def state_dir(name: str) -> Path:
    """Where the lab `name` keeps its state (see the module's docstring)."""
    root = source_tree()
    if root is not None:
        return root / "state" / name
    base = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    return Path(base) / "alcor-migrate" / name


def overrides_for(path: str | os.PathLike) -> list[Override]:
    """For a shipped lab plan, its state directory; other plans keep theirs."""
    path = Path(path)
    if path.resolve().parent != PLANS.resolve():
        return []
    return [Override("state_dir", str(state_dir(path.stem)), f"{path} (a lab plan shipped with alcor-migrate)")]
