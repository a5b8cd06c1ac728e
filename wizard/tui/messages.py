"""Textual messages of the wizard: engine events carried into the app, and workers' results."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from textual.message import Message

from wizard.core.engine import Engine, RunResult
from wizard.core.events import DrainTick, Event, LagChanged, Progress, ProxyStats, TokenTick

SAMPLED = (Progress, ProxyStats, LagChanged, DrainTick, TokenTick)


class EngineEvent(Message, bubble=False):
    """One engine event, delivered to the app in the order it was published."""

    def __init__(self, event: Event) -> None:
        super().__init__()
        self.event = event


class EngineSample(EngineEvent):
    """A high-rate sample (progress, proxy stats, lag, drain): only the newest per key counts."""

    @property
    def key(self) -> tuple:
        event = self.event
        return (type(event), getattr(event, "phase", ""), getattr(event, "kind", ""))

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, EngineSample) and message.key == self.key


def message_for(event: Event) -> EngineEvent:
    return EngineSample(event) if isinstance(event, SAMPLED) else EngineEvent(event)


class ApprovalRequested(Message, bubble=False):
    """The engine thread waits for the operator's answer to `question`."""

    def __init__(self, phase: str, question: str) -> None:
        super().__init__()
        self.phase = phase
        self.question = question
        self.answered = threading.Event()
        self.approved = False

    def answer(self, approved: bool) -> None:
        self.approved = approved
        self.answered.set()


class Opening(Message, bubble=False):
    """What the open worker is doing (a lab's first start installs neutron for minutes)."""

    def __init__(self, path: Path, text: str) -> None:
        super().__init__()
        self.path = path
        self.text = text


class SessionOpened(Message, bubble=False):
    """A plan was loaded and its engine built (state store opened) by the open worker."""

    def __init__(self, engine: Engine, path: Path, start: bool = False) -> None:
        super().__init__()
        self.engine = engine
        self.path = path
        self.start = start  # go on to the first step at once


class RunEnded(Message, bubble=False):
    def __init__(self, result: RunResult) -> None:
        super().__init__()
        self.result = result


class FilesWritten(Message, bubble=False):
    """A worker wrote files (the plan, the dry-run files)."""

    def __init__(self, what: str, paths: list[Path], detail: Any = None) -> None:
        super().__init__()
        self.what = what
        self.paths = paths
        self.detail = detail
