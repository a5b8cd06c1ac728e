"""The capture proxy at a glance, the last logged writes, and the write log's lag."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Sparkline, Static

from wizard.core.events import LagChanged, ProxyStats, WriteCaptured
from wizard.tui.model import ProxyRates
from wizard.tui.widgets.format import count, duration, rate
from wizard.tui.widgets.tables import RowsTable


def proxy_url(listen: str) -> str:
    """Where clients reach a proxy the plan has listen on (`host:port`), before it says so itself."""
    return listen if "://" in listen else f"http://{listen}"


class ProxyPanel(Static):
    """Address, state, rates, and what to point clients at: the URL the proxy's stats give
    (`ProxyStats.listen` is a URL), or before any, the plan's `capture.listen`."""

    def show(self, stats: ProxyStats | None, rates: ProxyRates, listen: str, state: str) -> None:
        url = stats.listen if stats else proxy_url(listen)
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold")
        grid.add_column()
        grid.add_row("proxy", Text.assemble((url, "bold"), "  ", state))
        if stats is not None:
            grid.add_row(
                "traffic",
                f"{rate(rates.requests)} requests  {rate(rates.writes)} writes  "
                f"{count(stats.requests)} requests, {count(stats.writes)} writes, "
                f"{count(stats.errors)} errors",
            )
            grid.add_row("latency", f"p50 {stats.latency_p50_ms:.0f} ms  p99 {stats.latency_p99_ms:.0f} ms")
        grid.add_row(
            "clients",
            f"point them at {url}: clouds.yaml network_endpoint_override, "
            f"OS_NETWORK_ENDPOINT_OVERRIDE, nova.conf [neutron] endpoint_override",
        )
        self.update(grid)


class WritesTable(RowsTable):
    def __init__(self, **kwargs) -> None:
        super().__init__(("seq", "method", "path", "status"), **kwargs)

    def show(self, writes: list[WriteCaptured]) -> None:
        rows = [(str(w.seq), w.method, w.path, str(w.status)) for w in writes]
        self.show_rows(rows, [str(w.seq) for w in writes])


class LagMeter(Vertical):
    """Writes logged but not yet replayed, the oldest one's age, and their recent history."""

    def compose(self) -> ComposeResult:
        yield Static(classes="lag-text")
        yield Sparkline([], classes="lag-history")

    def show(self, lag: LagChanged | None, history: list[int]) -> None:
        if lag is None:
            text = Text("write log: no lag reported yet", style="dim")
        elif lag.waiting == 0:
            text = Text("write log lag: 0, caught up", style="green")
        else:
            text = Text(f"write log lag: {lag.waiting} writes, oldest {duration(lag.oldest_age)}", style="yellow")
        self.query_one(".lag-text", Static).update(text)
        self.query_one(Sparkline).data = list(history)
