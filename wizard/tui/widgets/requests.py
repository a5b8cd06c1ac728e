"""The translated requests: a tree of kinds and items, and one request's JSON and findings."""

from __future__ import annotations

import json
from collections import defaultdict

from rich.syntax import Syntax
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static, Tree

from wizard.alcor.request import AlcorRequest
from wizard.translate.model import Finding, Translation
from wizard.tui.widgets.format import severity_text


class RequestTree(Tree["str | AlcorRequest"]):
    """Kinds first (with counts), their requests under them; items are added when a kind opens."""

    def __init__(self, **kwargs) -> None:
        super().__init__("requests", **kwargs)
        self.show_root = False
        self._by_kind: dict[str, list[AlcorRequest]] = {}
        self.seq: dict[str, int] = {}

    def show(self, translation: Translation | None) -> None:
        if translation is None:
            return
        by_kind: dict[str, list[AlcorRequest]] = defaultdict(list)
        for seq, request in enumerate(translation.requests, start=1):
            by_kind[request.kind].append(request)
            self.seq[request.key] = seq
        if by_kind == self._by_kind:
            return
        self._by_kind = dict(by_kind)
        self.clear()
        for kind, requests in self._by_kind.items():
            self.root.add(f"{kind} ({len(requests)})", data=kind, allow_expand=True)
        self.root.expand()

    def on_tree_node_expanded(self, event: Tree.NodeExpanded) -> None:
        node = event.node
        if not isinstance(node.data, str) or node.children:
            return
        for request in self._by_kind.get(node.data, []):
            node.add_leaf(f"{request.method} {request.key}", data=request)


class RequestView(VerticalScroll):
    """The selected request as highlighted JSON, and the findings about its Neutron resources."""

    def compose(self) -> ComposeResult:
        yield Static(id="request-json")
        yield Static(id="request-findings", classes="detail")

    def show(self, request: AlcorRequest | None, seq: int, findings: list[Finding]) -> None:
        body = self.query_one("#request-json", Static)
        notes = self.query_one("#request-findings", Static)
        if request is None:
            body.update(Text("Open a kind and select a request to read it in full.", style="dim"))
            notes.update("")
            return
        document = json.dumps(request.to_json(seq), indent=2, sort_keys=False)
        body.update(Syntax(document, "json", theme="ansi_dark", word_wrap=True))
        refs = set(request.neutron)
        mine = [f for f in findings if f.neutron in refs]
        if not mine:
            notes.update(Text("no findings for this request", style="dim"))
            return
        notes.update(
            Text("\n").join(
                Text.assemble(severity_text(f.severity.value), f" {f.code}: {f.message}\n  remedy: {f.remedy}")
                for f in mine
            )
        )
