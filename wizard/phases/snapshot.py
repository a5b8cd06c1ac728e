"""The snapshot phase: Neutron's resources into `<state_dir>/snapshot.json`, once per run.

With a live Neutron it reads every collection through `NeutronReader` (streamed to the
file); with `neutron.snapshot` it copies that file in, so the state directory holds all a
run needs. Either way the file is the run's snapshot from then on: a resumed run loads
it and never reads Neutron again (later changes come from the capture's write log).
Sets `ctx.run.snapshot` and the meta key `snapshot` (source, taken_at, counts).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from wizard.core.engine import RunContext
from wizard.core.errors import MigrateError
from wizard.core.events import Message, Progress
from wizard.neutron import snapshot as snapshot_file
from wizard.neutron.endpoint import pinned
from wizard.neutron.reader import NeutronReader


class SnapshotPhase:
    """Takes the snapshot once; later runs of the same engine (the wizard's every Next) reuse
    the one it loaded, and a new process loads the file."""

    name = "snapshot"

    def __init__(self) -> None:
        self._loaded: snapshot_file.Snapshot | None = None

    def run(self, ctx: RunContext) -> dict[str, Any]:
        path = ctx.state.dir / snapshot_file.STATE_FILE
        taken = ctx.state.get_meta(snapshot_file.TAKEN_KEY)
        if taken:
            if not path.is_file():
                raise MigrateError(f"{path}: this run's snapshot is gone; restore it, or start a new run "
                                   "with another state_dir")
            snapshot = self._loaded or snapshot_file.load(path)
            ctx.emit(Message(level="info", phase=self.name,
                             text=f"using this run's snapshot of {taken['taken_at']} ({path})"))
            resumed = True
        else:
            snapshot, origin = self._take(ctx, path)
            taken = {"source": origin, "taken_at": snapshot.source.get("taken_at", ""), "counts": snapshot.counts()}
            ctx.state.set_meta(snapshot_file.TAKEN_KEY, taken)
            resumed = False
        ctx.run.snapshot = self._loaded = snapshot
        counts = snapshot.counts()
        return {"source": taken["source"], "resumed": resumed, "resources": sum(counts.values()), "counts": counts}

    def _take(self, ctx: RunContext, path: Path) -> tuple[snapshot_file.Snapshot, str]:
        """The snapshot, written to `path`, and where it came from (a file, or Neutron's endpoint)."""
        source = ctx.plan.neutron
        if source.snapshot:
            return _copy_in(ctx, Path(source.snapshot), path), f"file {source.snapshot}"

        def progress(name: str, count: int, done: bool) -> None:
            ctx.checkpoint()
            ctx.emit(Progress(phase=self.name, kind=name, done=count, total=count if done else 0))

        with NeutronReader(pinned(source, ctx.state), progress=progress) as reader:
            reader.write(path)
            endpoint = reader.endpoint
        return snapshot_file.load(path), endpoint


def _copy_in(ctx: RunContext, source: Path, path: Path) -> snapshot_file.Snapshot:
    """Load (and so check) a snapshot file, then copy it into the state directory atomically."""
    snapshot = snapshot_file.load(source)
    if not (path.exists() and path.samefile(source)):
        partial = path.with_name(path.name + ".partial")
        shutil.copyfile(source, partial)
        os.chmod(partial, 0o600)
        os.replace(partial, path)
    for name, count in snapshot.counts().items():
        ctx.emit(Progress(phase="snapshot", kind=name, done=count, total=count))
    return snapshot
