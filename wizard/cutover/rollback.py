"""Undo a (partial) cutover: nodes back to the Neutron agents, last moved first; then the endpoint: the
catalog goes back to Neutron's own URLs (those recorded before the capture's insertion, if any, never the
capture's), also when a run that inserted the capture stopped without putting them back."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from wizard.capture.insertion import INSERTED_AT
from wizard.core.events import Event
from wizard.core.run_state import RunState
from wizard.core.state import StateStore
from wizard.cutover.drain import DRAINED
from wizard.cutover.endpoint import STATE_KEY, SWITCHED, endpoint_switch
from wizard.cutover.node import NodeControl, NodeOutcome
from wizard.cutover.records import NodeRecords
from wizard.cutover.site import site_for
from wizard.plan import Plan


@dataclass
class RollbackResult:
    nodes: list[NodeOutcome] = field(default_factory=list)
    endpoints: int = 0  # catalog endpoints moved back

    @property
    def ok(self) -> bool:
        return all(outcome.status == "rolled_back" for outcome in self.nodes)


def roll_back(plan: Plan, state: StateStore, control: NodeControl, ask: Callable[[str, str], None],
              run: RunState | None = None, emit: Callable[[Event], None] = lambda e: None,
              endpoint: bool = True) -> RollbackResult:
    """Roll back every node the state records on ACA, one by one; then restore the endpoint."""
    records = NodeRecords(state)
    undo = records.to_undo()
    result = RollbackResult()
    if undo:  # a run may have stopped before its snapshot: then there is no site, and nothing to undo
        site = site_for(plan, run or RunState())
        for name in undo:
            outcome = site.undo(name, control, emit)
            records.record(outcome)
            result.nodes.append(outcome)
    if endpoint and (state.get_meta(SWITCHED) or state.get_meta(STATE_KEY)):
        result.endpoints = len(endpoint_switch(plan, state, ask, emit, conn=run and run.keystone)
                               .restore())
        state.set_meta(SWITCHED, False)
        state.set_meta(DRAINED, False)
        state.set_meta(INSERTED_AT, None)  # a new insertion starts the token lifetime again
    return result
