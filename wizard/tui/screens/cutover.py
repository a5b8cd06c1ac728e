"""The Cutover step: endpoint switch, drain countdown, node waves; rollback a node or postpone."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from wizard.core.errors import InputError
from wizard.cutover.endpoint import target_url
from wizard.cutover.gate import postponement_for
from wizard.tui.model import RunModel
from wizard.tui.screens.base import StepScreen
from wizard.tui.widgets.cutover import DrainPanel, WaveTimeline
from wizard.tui.widgets.format import duration, state_text


class CutoverScreen(StepScreen):
    STEP = "cutover"
    HELP = (
        "Switch moves the cloud's network endpoint to Alcor (old URLs kept for rollback); the "
        "drain waits until Neutron is quiet; then nodes move from the Neutron agents to ACA in "
        "waves, canary first. Every irreversible step asks first. Select a node and roll it back, "
        "or postpone the cutover."
    )
    BINDINGS = [
        Binding("o", "rollback", "Roll back node"),
        Binding("z", "postpone", "Postpone"),
    ]

    def compose_body(self) -> ComposeResult:
        yield Static(id="switch")
        yield DrainPanel(id="drain")
        yield Static(id="waves-summary")
        yield WaveTimeline(id="waves")

    def show_body(self, model: RunModel) -> None:
        switch = model.phase("switch")
        method = self.app.engine.ctx.plan.cutover.endpoint.method if self.app.engine else ""
        line = Text.assemble(("switch: ", "bold"), state_text(switch.status), f"  {method} → {self.target(model)}")
        if switch.seconds is not None:
            line.append(f" in {duration(switch.seconds)}")
        tokens = model.tokens
        if switch.status == "running" and tokens is not None and tokens.left > 0:
            line.append(f"\nwaiting: tokens issued before the capture may still reach Neutron: "
                        f"{duration(tokens.left)} left", style="yellow")
        self.query_one("#switch", Static).update(line)
        drain = model.phase("drain")
        self.query_one(DrainPanel).show(model.drain, drain.status, drain.seconds)
        summary = self.query_one("#waves-summary", Static)
        if not model.waves:
            summary.update(Text("waves: none yet; they start after the drain", style="dim"))
        else:
            last = model.waves[max(model.waves)]
            moved = sum(w.done for w in model.waves_done.values())
            back = sum(w.rolled_back for w in model.waves_done.values())
            summary.update(f"wave {last.wave} of {last.waves} ({last.label}); {moved} node(s) moved, "
                           f"{back} rolled back")
        self.query_one(WaveTimeline).show(model)

    def target(self, model: RunModel) -> str:
        """Where the switch moves the endpoint: where it did (the summary of the pass that switched),
        else where it will and asks to: `target_url` of the run's plan (a lab's has its Alcor's address)."""
        done = (model.done_earlier("switch") or model.phase("switch")).summary.get("url")
        if done or self.app.engine is None:
            return done or ""
        try:
            return target_url(self.app.engine.ctx.plan)
        except InputError:
            return "no URL yet (cutover.endpoint.alcor_url, alcor.gateway_url)"

    def action_rollback(self) -> None:
        node = self.query_one(WaveTimeline).selected_key
        if node is not None:
            self.app.confirm_request(
                "cutover", "rollback", f"Roll node {node} back to the Neutron agents?", node=node
            )

    def action_postpone(self) -> None:
        """Create (or remove) the postpone flag: the switch's gate and every next wave wait while it exists."""
        plan = self.app.plan
        flag = postponement_for(plan.cutover.gate, plan.state_dir)
        if flag.active:
            self.app.confirm_action("cutover: go on", "Go on with the cutover?", flag.confirm)
        else:
            self.app.confirm_action("cutover: postpone", "Postpone the cutover? The endpoint switch and the "
                                    "next wave wait until you go on (z again).", flag.postpone)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "rollback":
            return self.app.running and self.app.model is not None and self.app.model.running == "cutover"
        if action == "postpone":
            return self.app.engine is not None
        return super().check_action(action, parameters)
