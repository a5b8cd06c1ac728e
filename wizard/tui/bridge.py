"""Carries engine events from the engine's thread into the app, and the operator's answers back."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import App

from wizard.core.engine import Engine
from wizard.core.events import Event
from wizard.tui.messages import ApprovalRequested, message_for

ANSWER_POLL = 0.1


class EventBridge:
    """Subscribes to an engine's bus and posts each event to the app as a Textual message."""

    def __init__(self, app: App, engine: Engine) -> None:
        self.app = app
        self.engine = engine
        self._unsubscribe: Callable[[], None] = engine.bus.subscribe(self._forward)
        engine.ctx.approve = self.approve

    def _forward(self, event: Event) -> None:
        self.app.post_message(message_for(event))  # thread-safe

    def approve(self, phase: str, question: str) -> bool:
        """The engine's approver: blocks the engine thread (never the UI) until answered.

        A cancel while waiting counts as "no", so quitting never hangs on a question.
        """
        request = ApprovalRequested(phase, question)
        self.app.post_message(request)
        while not request.answered.wait(ANSWER_POLL):
            if self.engine.ctx.cancelled:
                return False
        return request.approved

    def close(self) -> None:
        self._unsubscribe()
