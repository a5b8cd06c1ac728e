"""The Preview step: the translated requests by kind, any one in full, the findings, and the
operator's go: the preview phase's question is asked here, under what it is about."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static, Tree

from wizard.alcor.request import AlcorRequest
from wizard.core.events import FindingRaised
from wizard.translate.model import Translation
from wizard.tui.model import RunModel
from wizard.tui.screens.base import StepScreen
from wizard.tui.widgets.findings import FindingsTable
from wizard.tui.widgets.requests import RequestTree, RequestView


class PreviewScreen(StepScreen):
    STEP = "preview"
    ASKS = ("preview",)
    AUTO_FOCUS = "#request-tree"  # the operator reads first, even while the question waits
    HELP = (
        "What convert will send to Alcor, request by request, with every parameter spelled out, "
        "and the findings about them. Nothing is sent yet. When the preview asks, read on, then "
        "approve (y, or Next) or decline (d). Export writes the dry-run files."
    )
    BINDINGS = [
        Binding("y", "approve", "Approve"),
        Binding("d", "decline", "Decline"),
        Binding("e", "export", "Export dry run"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._findings_of: tuple[Translation | None, list[FindingRaised]] = (None, [])

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="approval"):
            yield Static(id="approval-question")
            with Vertical(id="approval-answers"):
                yield Button("Approve (y)", id="approve", variant="warning", compact=True)
                yield Button("Decline (d)", id="decline", compact=True)
        yield Static(id="preview-counts")
        with Horizontal(id="preview-main"):
            yield RequestTree(id="request-tree")
            yield RequestView(id="request-view")
        yield FindingsTable(id="preview-findings")

    @property
    def translation(self) -> Translation | None:
        return self.app.run_state.translation

    def show_body(self, model: RunModel) -> None:
        asked = self.app.approval if self.app.asking(self.step) else None
        self.query_one("#approval").display = asked is not None
        if asked is not None:
            self.query_one("#approval-question", Static).update(asked.question)
        translation = self.translation
        counts = self.query_one("#preview-counts", Static)
        if translation is None:
            counts.update("No translation yet: it appears here once the translate phase has run.")
        else:
            kinds = len({request.kind for request in translation.requests})
            counts.update(f"{len(translation.requests)} requests in {kinds} kinds; "
                          f"{len(translation.findings)} findings")
        self.query_one(RequestTree).show(translation)
        self.query_one(FindingsTable).show(self._findings(translation))
        self._show_request(self._selected())

    def _findings(self, translation: Translation | None) -> list[FindingRaised]:
        """The translation's findings as the findings table takes them (made once per translation)."""
        if translation is not self._findings_of[0]:
            found = [FindingRaised(**finding.to_json()) for finding in translation.findings] if translation else []
            self._findings_of = (translation, found)
        return self._findings_of[1]

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

    def on_button_pressed(self, event: Button.Pressed) -> None:
        answers = {"approve": self.action_approve, "decline": self.action_decline}
        if event.button.id in answers:
            event.stop()
            answers[event.button.id]()
            return
        super().on_button_pressed(event)

    def action_approve(self) -> None:
        self.app.answer_approval(True)

    def action_decline(self) -> None:
        self.app.answer_approval(False)

    def action_export(self) -> None:
        self.app.export_dry_run()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "export":
            return self.translation is not None
        if action in ("approve", "decline"):
            return self.app.asking(self.step)
        if action == "next" and self.app.asking(self.step):
            return False  # `n` is "no" in every dialog: only y, or the Next button, approves
        return super().check_action(action, parameters)
