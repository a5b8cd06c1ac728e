"""The Preview step: the translated requests by kind, any one in full, and the dry-run export."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Static, Tree

from wizard.translate.model import AlcorRequest, Translation
from wizard.tui.model import RunModel
from wizard.tui.screens.base import StepScreen
from wizard.tui.widgets.requests import RequestTree, RequestView


class PreviewScreen(StepScreen):
    STEP = "preview"
    HELP = (
        "What convert will send to Alcor, request by request, with every parameter spelled out, "
        "and the findings about each. Nothing is sent yet. Export writes the dry-run files."
    )
    BINDINGS = [Binding("e", "export", "Export dry run")]

    def compose_body(self) -> ComposeResult:
        yield Static(id="preview-counts")
        with Horizontal(id="preview-main"):
            yield RequestTree(id="request-tree")
            yield RequestView(id="request-view")

    @property
    def translation(self) -> Translation | None:
        return self.app.artifact("translation")

    def show_body(self, model: RunModel) -> None:
        translation = self.translation
        counts = self.query_one("#preview-counts", Static)
        if translation is None:
            counts.update("No translation yet: it appears here once the translate phase has run.")
        else:
            by_severity = {s: 0 for s in ("blocker", "warning", "info")}
            for finding in translation.findings:
                by_severity[finding.severity.value] += 1
            findings = ", ".join(f"{n} {s}" for s, n in by_severity.items())
            counts.update(f"{len(translation.requests)} requests; findings: {findings}")
        self.query_one(RequestTree).show(translation)
        self._show_request(self._selected())

    def _selected(self) -> AlcorRequest | None:
        node = self.query_one(RequestTree).cursor_node
        return node.data if node is not None and isinstance(node.data, AlcorRequest) else None

    def _show_request(self, request: AlcorRequest | None) -> None:
        tree = self.query_one(RequestTree)
        seq = tree.seq.get(request.key, 0) if request else 0
        findings = self.translation.findings if self.translation else []
        self.query_one(RequestView).show(request, seq, findings)

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted) -> None:
        self._show_request(self._selected())

    def action_export(self) -> None:
        self.app.export_dry_run()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "export":
            return self.translation is not None
        return super().check_action(action, parameters)
