"""A progress bar per resource kind with its rate and ETA, and the phase's overall progress."""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Label, ProgressBar, Static

from wizard.core.events import Progress
from wizard.tui.widgets.format import count, duration, rate

ETA_FROM = 0.01  # no ETA before 1 % (like gh-ost)


def eta_text(event: Progress) -> str:
    if event.eta is None or not event.total or event.done / event.total < ETA_FROM:
        return ""
    return f"ETA {duration(event.eta)}"


class KindProgress(Horizontal):
    """One kind: name, bar, done/total, failures, rate and ETA."""

    def __init__(self, kind: str, event: Progress | None = None, name_width: int | None = None) -> None:
        super().__init__(classes="kind-progress")
        self.kind = kind
        self.event = event
        self.name_width = name_width or len(kind)

    def compose(self) -> ComposeResult:
        yield Label(self.kind, classes="kind")
        yield ProgressBar(show_eta=False, show_percentage=True)
        yield Static(classes="numbers")

    def on_mount(self) -> None:
        self.fit_name(self.name_width)
        if self.event is not None:
            self.show(self.event)

    def fit_name(self, width: int) -> None:
        """Make the name column `width` wide: the board's longest name, so none is cut and bars align."""
        self.name_width = width
        self.query_one(".kind", Label).styles.width = width

    def show(self, event: Progress) -> None:
        self.event = event
        self.query_one(ProgressBar).update(total=event.total or None, progress=event.done)
        failed = f" {event.failed} failed" if event.failed else ""
        numbers = f"{count(event.done)}/{count(event.total)}{failed} {rate(event.rate)} {eta_text(event)}"
        self.query_one(".numbers", Static).update(numbers.rstrip())


class ProgressBoard(VerticalScroll):
    """The bars of one phase; the overall bar sums them (each item weighs the same)."""

    def __init__(self, title: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.title = title
        self._rows: dict[str, KindProgress] = {}

    def compose(self) -> ComposeResult:
        yield KindProgress(self.title).add_class("overall")

    def show(self, events: Sequence[Progress]) -> None:
        kinds = {event.kind for event in events}
        for kind in [kind for kind in self._rows if kind not in kinds]:
            self._rows.pop(kind).remove()
        width = max(len(name) for name in (self.title, *kinds))
        overall = self.query_one(".overall", KindProgress)
        for shown in (overall, *self._rows.values()):
            if shown.is_mounted:
                shown.fit_name(width)
            else:
                shown.name_width = width
        for event in events:
            row = self._rows.get(event.kind)
            if row is None:
                self._rows[event.kind] = row = KindProgress(event.kind, event, width)
                self.mount(row)
            elif row.is_mounted:
                row.show(event)
            else:
                row.event = event
        if not events:
            overall.query_one(ProgressBar).update(total=None, progress=0)
            return
        done, total, speed = (sum(e.done for e in events), sum(e.total for e in events),
                              sum(e.rate for e in events))
        overall.show(Progress(
            phase=events[0].phase,
            kind=self.title,
            done=done,
            total=total,
            failed=sum(e.failed for e in events),
            rate=speed,
            eta=(total - done) / speed if speed > 0 else None,
            at=events[-1].at,
        ))

