"""What the phases of one run hand on to each other (and to the faces), typed.

Each phase sets what it makes; a later phase reads it, or makes it itself when a resumed run
starts past the phase that made it (`need` says which phase should have). The seams at the end
are given by whoever builds the engine: tests and the lab give their own node control, executor
or Keystone connection; left None, the phases build the real ones from the plan.

The core does not depend on the areas at run time: their types are named for the type checker only.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, TypeVar

from wizard.core.errors import MigrateError

if TYPE_CHECKING:
    from wizard.alcor.convert import ConvertSummary
    from wizard.alcor.repair import RepairResult
    from wizard.alcor.verify import Drift
    from wizard.capture.proxy import CaptureProxy
    from wizard.capture.replication import LogReplication
    from wizard.cutover.drain import NeutronActivity
    from wizard.cutover.executors import Executor
    from wizard.cutover.gate import Postponement, WriteHold
    from wizard.cutover.node import NodeControl
    from wizard.lab.nodes import LabFleet
    from wizard.lab.world import LabWorld
    from wizard.neutron.snapshot import Snapshot
    from wizard.preflight.model import CheckOutcome
    from wizard.translate.accounting import Tally
    from wizard.translate.model import Translation

T = TypeVar("T")


@dataclass
class RunState:
    # made by the phases, in the order they run
    preflight: list[CheckOutcome] | None = None
    capture: CaptureProxy | None = None  # the capture this process runs (closed when the run ends)
    write_hold: WriteHold | None = None  # the capture's brake on writes (its own, or a hold file)
    insertion: str | None = None  # the capture URL this run put into Keystone's catalog
    snapshot: Snapshot | None = None
    translation: Translation | None = None  # ids learned by an earlier run restored
    accounting: dict[str, Tally] | None = None  # per collection, where each resource went
    convert: ConvertSummary | None = None
    replication: LogReplication | None = None  # the write log and its replayer, for the gate
    repair: RepairResult | None = None  # what repair found different and sent
    drift: Drift | None = None
    postponement: Postponement | None = None
    # seams: given by tests and the lab, else built from the plan
    keystone: Any = None  # an openstack Connection to Keystone
    executor: Executor | None = None
    node_control: NodeControl | None = None
    neutron_activity: NeutronActivity | None = None
    lab_fleet: LabFleet | None = None
    lab: LabWorld | None = None

    def provide(self, **seams: Any) -> None:
        """Set fields by name (the lab's and tests' seams); a name the run state lacks is a TypeError."""
        names = {f.name for f in fields(self)}
        unknown = sorted(set(seams) - names)
        if unknown:
            raise TypeError(f"the run state has no {', '.join(unknown)}")
        for name, value in seams.items():
            setattr(self, name, value)


def need(value: T | None, name: str) -> T:
    """`value`, which an earlier phase made; MigrateError naming it if it did not."""
    if value is None:
        raise MigrateError(f"no {name} yet: the phase that makes it did not run")
    return value
