"""How the wizard writes numbers, durations and states on screen."""

from __future__ import annotations

import os
import time
from pathlib import Path

from rich.text import Text

from wizard.cutover import timeline

GLYPHS = {
    "done": ("✓", "green"),
    "ok": ("✓", "green"),
    "running": ("●", "yellow"),
    "started": ("◐", "yellow"),
    "warning": ("!", "yellow"),
    "failed": ("✗", "red"),
    "rolled_back": ("↺", "magenta"),
    "skipped": ("–", "dim"),
    "pending": ("○", "dim"),
}

SEVERITY_STYLES = {"blocker": "bold red", "warning": "yellow", "info": "cyan"}


def glyph(state: str) -> Text:
    mark, style = GLYPHS.get(state, ("?", ""))
    return Text(mark, style=style)


def state_text(state: str) -> Text:
    mark, style = GLYPHS.get(state, ("?", ""))
    return Text(f"{mark} {state.replace('_', ' ')}", style=style)


def severity_text(severity: str) -> Text:
    return Text(severity, style=SEVERITY_STYLES.get(severity, ""))


def duration(seconds: float | None) -> str:
    """1.2s under ten seconds, then as the cutover timeline writes them (42s, 3m05s, 1h02m)."""
    if seconds is None:
        return ""
    return f"{seconds:.1f}s" if seconds < 10 else timeline.duration(seconds)


def clock_time(timestamp: float | None) -> str:
    """A moment as the operator's clock shows it: 14:05."""
    return time.strftime("%H:%M", time.localtime(timestamp)) if timestamp is not None else "?"


def count(value: float) -> str:
    """1234 -> 1.2k; short enough for narrow columns."""
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= limit:
            return f"{value / limit:.1f}{suffix}"
    return f"{value:g}" if isinstance(value, float) else str(value)


def rate(per_second: float) -> str:
    return f"{per_second:.1f}/s" if per_second < 100 else f"{count(round(per_second))}/s"



def shown_path(path: str | os.PathLike) -> str:
    """A path relative to the working directory when under it (the cutover timeline's way)."""
    return timeline.shown(Path(path))
