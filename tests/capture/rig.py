"""A replay test bench: the real neutron-server behind the capture proxy, the Alcor emulator,
a state store, and one project of its own (so tests sharing the server do not see each other)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.alcor.conftest import World, make_world
from tests.capture.conftest import Capture, start_capture
from wizard.alcor.convert import Converter
from wizard.alcor.verify import Drift, verify
from wizard.capture.replay import Log, Replayer
from wizard.neutron.reader import NeutronReader
from wizard.neutron.snapshot import COLLECTIONS, Snapshot
from wizard.plan import NeutronSource
from wizard.translate.context import Context, Index, Options
from wizard.translate.model import Translation
from wizard.translate.translation import translate

REPLAYED_KINDS = ("networks", "subnets", "ports", "routers", "security_groups", "security_group_rules", "floatingips")


@dataclass
class Rig:
    neutron_url: str
    tmp: Path
    project: str = field(default_factory=lambda: uuid.uuid4().hex)
    capture: Capture | None = None
    world: World | None = None
    events: list = field(default_factory=list)

    def start(self) -> Rig:
        self.world = make_world(self.tmp)
        self.capture = start_capture(self.tmp / "state", self.neutron_url)
        self.http = httpx.Client(base_url=self.capture.url, timeout=60)
        self.reader = NeutronReader(NeutronSource(url=self.neutron_url))
        return self

    def stop(self) -> None:
        self.http.close()
        self.reader.close()
        self.capture.proxy.stop()
        self.capture.log.close()
        self.world.client.close()
        self.world.emulator.stop()
        self.world.state.close()

    # -- Neutron, through the proxy --------------------------------------------------------
    def write(self, method: str, path: str, body: dict | None = None, expect: int | None = None) -> Any:
        response = self.http.request(method, f"/v2.0/{path}", json=body)
        assert response.status_code < 300 if expect is None else response.status_code == expect, response.text
        return response.json() if response.content else None

    def create(self, kind: str, **fields: Any) -> dict[str, Any]:
        singular = {"security-groups": "security_group", "security-group-rules": "security_group_rule",
                    "floatingips": "floatingip"}.get(kind, kind[:-1])
        return self.write("POST", kind, {singular: {"project_id": self.project, **fields}})[singular]

    # -- the migration -----------------------------------------------------------------------
    def snapshot(self) -> Snapshot:
        """Neutron now, this project's resources only."""
        whole = self.reader.read()
        mine = {name: [r for r in whole[name] if r.get("project_id") == self.project] for name in REPLAYED_KINDS}
        networks = {n["id"] for n in mine["networks"]}
        mine["segments"] = [s for s in whole["segments"] if s.get("network_id") in networks]
        return Snapshot(whole.source, {**{name: [] for name in COLLECTIONS}, **mine})

    def convert(self, snapshot: Snapshot) -> Translation:
        translation = translate(snapshot, Options())
        summary = Converter(self.world.client, self.world.state).run(translation.requests)
        assert summary.complete, summary.describe()
        return translation

    def replayer(self, snapshot: Snapshot, translation: Translation, log: Log | None = None) -> Replayer:
        """Replay of `log` (default: the rig's capture's)."""
        context = Context(Index(snapshot), Options())
        context.id_map = dict(translation.id_map)
        return Replayer(log or self.capture.log, self.world.client, self.world.state, context, self.reader,
                        emit=self.events.append, known=translation.findings)

    def drift(self) -> Drift:
        """Alcor against the translation of Neutron's current state."""
        final = translate(self.snapshot(), Options())
        return verify(final.requests, self.world.client, self.world.state.mapped_id)
