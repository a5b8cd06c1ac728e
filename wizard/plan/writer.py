"""Plans back to YAML: `dump` writes every key exactly (for save), `template` writes a
commented plan for people to fill in (a comment on every key, examples for optional ones)."""

from __future__ import annotations

import os
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import Any

import yaml

from wizard.plan.values import DURATION, PATH


def dump(plan: Any, base: Path | None) -> str:
    """Every key of the plan. Absolute paths under `base` are written relative to it;
    relative paths are written as they are (so they stay relative to the plan file)."""
    return yaml.safe_dump(_plain(plan, base), sort_keys=False, allow_unicode=True, width=100)


def _plain(value: Any, base: Path | None, kind: Any = None) -> Any:
    if is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name), base, f.metadata.get("kind"))
                for f in _keys(value)}
    if isinstance(value, dict):
        return {name: _plain(inner, base, kind) for name, inner in value.items()}
    if isinstance(value, list):
        return [_plain(inner, base, kind) for inner in value]
    if kind is PATH and value is not None and base is not None and os.path.isabs(value):
        relative = os.path.relpath(value, base)
        return value if relative.startswith("..") else relative
    return value


def template(plan: Any, header: str) -> str:
    """The plan as a commented file: each key under a comment saying what it is."""
    lines = header.rstrip("\n").split("\n")
    for f in _keys(plan):
        lines.append("")
        lines += _entry(f, getattr(plan, f.name), "")
    return "\n".join(lines) + "\n"


def _entry(f, value: Any, pad: str) -> list[str]:
    meta = f.metadata
    lines = [f"{pad}# {meta['doc'][0].upper()}{meta['doc'][1:]}"]
    example = meta.get("example")
    if is_dataclass(value):
        lines.append(f"{pad}{f.name}:")
        for inner in _keys(value):
            lines += _entry(inner, getattr(value, inner.name), pad + "  ")
    elif value in (None, {}, []) and example is not None:
        lines += [f"{pad}# {line}" for line in _example(f.name, example)]
    elif meta.get("kind") is DURATION:
        lines.append(f"{pad}{f.name}: {format_duration(value)}")
    else:
        lines.append(f"{pad}{f.name}: {_scalar(value)}")
    return lines


def _example(name: str, example: Any) -> list[str]:
    """A commented-out key: scalars and lists inline; sections and maps as blocks whose keys
    show their example (or default) with their doc at the end of the line."""
    if is_dataclass(example):
        return [f"{name}:", *_example_section(example, "  ")]
    if isinstance(example, dict):
        lines = [f"{name}:"]
        for key, inner in example.items():
            if is_dataclass(inner):
                lines += [f"  {key}:", *_example_section(inner, "    ")]
            else:
                lines.append(f"  {key}: {_scalar(inner)}")
        return lines
    return [f"{name}: {_scalar(example)}"]


def _example_section(section: Any, pad: str) -> list[str]:
    """Its keys with the values set, or, if it holds only defaults, every key with its example."""
    lines = []
    empty = section == type(section)()
    for f in _keys(section):
        value = getattr(section, f.name)
        if value in (None, {}, []) and not empty:
            continue
        if value in (None, {}, []):
            value = f.metadata.get("example")
        lines.append(f"{pad}{f.name}: {_scalar(value)}  # {f.metadata['doc']}")
    return lines


def _scalar(value: Any) -> str:
    text = yaml.safe_dump(value, default_flow_style=True, width=10**6)
    return text.removesuffix("\n...\n").strip()


def format_duration(seconds: float) -> str:
    """`90.0` -> `1m30s`; what `values.parse_duration` reads back."""
    if seconds != int(seconds):
        return f"{seconds:g}s"
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    text = (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes else "") + (f"{secs}s" if secs else "")
    return text or "0s"


def _keys(section: Any):
    return [f for f in fields(section) if not f.metadata.get("internal")]
