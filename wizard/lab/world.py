"""The running lab a lab plan migrates: a seeded neutron-server, the Alcor emulator and the lab nodes.

`LabWorld(plan)` is a context manager. Entering it starts, in this process or as children
it stops on exit (also on Ctrl-C or a failure):

- a real neutron-server (installed on first use, with progress), its database seeded through
  Neutron's API from the sample cloud `lab.cloud` names, with a fake OVS agent per host;
- the Alcor emulator, one free loopback port per service, behind the lab's API gateway
  (wizard/lab/alcor/gateway.py), which routes only what Alcor's gateway routes;
- a LabFleet: a LabNode (Neutron agent and LabAca) per host;
- with `lab.haproxy`, the lab as production looks (wizard/lab/capture_lab.py): a real HAProxy in
  front of two `alcor-migrate capture` processes in front of neutron-server; the plan reaches Neutron
  at HAProxy's frontend and sends its backend to the captures (capture.insertion haproxy, capture.mode
  separate, both captures' feeds in capture.nodes); the users write through HAProxy, `lab.bypass_writes` more
  go to neutron-server directly, and the first capture is killed (SIGKILL) halfway through the
  users' writes, then restarted;
- with `lab.keystone`, a real Keystone first (wizard/lab/keystone_lab.py): neutron-server then checks
  tokens with it, Neutron is in its catalog, the plan logs in with the cloud `lab-admin`, Alcor's API
  gateway runs its Keystone filter and the switch moves the catalog to it; the migrator reaches
  Alcor's services on their own ports (the gateway wants a token). The seeded database is the same.

`lab.cloud` names a sample cloud by its file name (`small.json` is the cloud
`wizard.lab.samples.small()` builds; wizard/lab/sample_configs/small.json, shipped with the package,
is that cloud's snapshot). The seeded database is cached per sample (in the neutron cache
directory), so a second run starts in seconds.

What a run changes survives a restart: Neutron's database and the emulator's state are kept
in `<state_dir>/lab/` (delete `state_dir` to start the lab afresh), and so, in `acas.json`,
are the ports each lab ACA held when the lab stopped (the next run's ACAs start with them), and
Neutron's port (a Keystone lab's run pins the URL the catalog gave). `world.plan` is the plan
with the lab filled in (Neutron's URL, Alcor's as a production operator writes them, the
nodes); `attach(engine)` gives the run state the lab fleet the cutover needs and starts the
simulated users (wizard/lab/users.py), who write with real tokens in a Keystone lab; there,
once the final replay is done, the `openstack` CLI lists networks and creates and deletes a port
through the catalog, in Alcor (`<state_dir>/lab/after_switch.json`).
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import hashlib
import json
from collections.abc import Callable
from pathlib import Path

from wizard.alcor.services import SERVICES as ALCOR_SERVICES
from wizard.core.engine import Engine
from wizard.core.errors import InputError, MigrateError
from wizard.core.events import Event, Message, PhaseFinished, PhaseStarted
from wizard.cutover.endpoint import SWITCHED
from wizard.lab import samples
from wizard.lab.alcor import AlcorEmulator
from wizard.lab.capture_lab import NAMES as CAPTURE_NAMES
from wizard.lab.capture_lab import LabCaptures
from wizard.lab.keystone_lab import ADMIN_CLOUD, LabKeystone, openstack_after_switch
from wizard.lab.neutron_server import REQUIREMENTS, NeutronServer, cache_dir, free_port
from wizard.lab.nodes import LabFleet
from wizard.lab.topology import Topology, build
from wizard.lab.users import UserWrites
from wizard.phases.report import CAPTURES_KEY
from wizard.plan import LabConfig, Plan

Progress = Callable[[str], None]
LAB_DIR = "lab"  # under the state directory: neutron.sqlite, alcor.json, fleet.json, acas.json
ACAS_FILE = "acas.json"
FLEET_FILE = "fleet.json"  # each host's ACA port, kept for the next run
NEUTRON_PORT_FILE = "neutron.port"  # Neutron's port, kept for the next run (a cloud plan pins Neutron's URL)
AFTER_SWITCH_FILE = "after_switch.json"  # what the openstack CLI found through the catalog (Keystone lab)


def topology_for(cloud: str) -> Topology:
    """The sample cloud `lab.cloud` names: its file's stem (.../sample_configs/small.json -> small)."""
    name = Path(cloud).stem
    if name not in samples.SAMPLES:
        raise InputError(f"lab.cloud: {cloud}: not a sample cloud; the lab seeds Neutron from one of "
                         f"{', '.join(f'{n}.json' for n in samples.SAMPLES)} (shipped in {samples.FILES})")
    return samples.SAMPLES[name]()


def seeded_database(topology: Topology, progress: Progress) -> Path:
    """A neutron database holding `topology`, built once (through Neutron's API) and cached."""
    recipe = json.dumps([REQUIREMENTS, samples.SERVICE_PLUGINS, dataclasses.asdict(topology)], sort_keys=True)
    path = cache_dir() / "lab" / f"{topology.name}-{hashlib.sha256(recipe.encode()).hexdigest()[:12]}.sqlite"
    if path.is_file():
        return path
    progress(f"seeding neutron with the {topology.name} sample cloud (once; cached in {path.parent})")
    with NeutronServer(progress=progress, service_plugins=samples.SERVICE_PLUGINS) as neutron:
        build(topology, neutron.url, neutron.add_agent)
        neutron.save_database(path)
    return path


class LabWorld:
    """The lab for one run of a lab plan; `plan` is the plan pointed at it once entered."""

    def __init__(self, plan: Plan, progress: Progress = lambda text: None):
        if plan.lab is None:
            raise InputError("the plan has no lab: section")
        self.given = plan
        self.plan = plan
        self.lab: LabConfig = plan.lab
        self.progress = progress
        self.dir = Path(plan.state_dir) / LAB_DIR
        self.topology = topology_for(self.lab.cloud)
        # the lab's parts, started on entering it (the others by the plan's choice, else None)
        self.neutron: NeutronServer
        self.alcor: AlcorEmulator
        self.fleet: LabFleet
        self.keystone: LabKeystone | None = None
        self.users: UserWrites | None = None
        self.bypass: UserWrites | None = None
        self.captures: LabCaptures | None = None
        self._stack = contextlib.ExitStack()

    def __enter__(self) -> LabWorld:
        atexit.register(self.stop)
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def _start(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        kept = self.dir / "neutron.sqlite"
        database = kept if kept.is_file() else seeded_database(self.topology, self.progress)
        if self.lab.keystone:
            self.progress("lab: starting Keystone")
            self.keystone = LabKeystone()
            self._stack.callback(self.keystone.stop)
            self.keystone.start()
        port_file = self.dir / NEUTRON_PORT_FILE
        self.neutron = NeutronServer(progress=self.progress, service_plugins=samples.SERVICE_PLUGINS,
                                     database=database,
                                     keystone=self.keystone.neutron_user() if self.keystone else None,
                                     port=int(port_file.read_text()) if port_file.is_file() else None)
        self._stack.callback(self._stop_neutron, kept)
        self.neutron.start()
        port_file.write_text(f"{self.neutron.port}\n")
        for host, tunneling_ip in self.topology.agents.items():  # fresh heartbeats
            self.neutron.add_agent(host, tunneling_ip)
        if self.keystone:
            self.keystone.publish(self.neutron.url)
        if self.lab.haproxy:
            self.captures = LabCaptures(self.neutron.url, self.dir, self.progress)
            self._stack.callback(self.captures.stop)
            self.captures.start()
            self._stack.callback(self.captures.record)
        self.alcor = AlcorEmulator(port=0, gateway=True, service_ports=dict.fromkeys(ALCOR_SERVICES, 0),
                                   keystone=self.keystone.gateway_auth() if self.keystone else None,
                                   state_file=self.dir / "alcor.json")
        self._stack.callback(self.alcor.stop)
        self.alcor.start()
        self.fleet = self._fleet()
        self._stack.callback(self.fleet.stop)
        self._stack.callback(self._record_acas)
        keystone = f"Keystone at {self.keystone.url}, " if self.keystone else ""
        self.progress(f"lab: {keystone}neutron-server at {self.neutron.url}, Alcor's API gateway at "
                      f"{self._gateway_url()}, {len(self.fleet.nodes)} nodes")
        self.plan = self._filled(self.given)

    def _fleet(self) -> LabFleet:
        """The lab nodes, their ACAs on the ports of an earlier run of this plan (Alcor registered them)."""
        kept = self.dir / FLEET_FILE
        fleet = LabFleet(self.topology.agents, ports=json.loads(kept.read_text()) if kept.is_file() else None)
        kept.write_text(json.dumps(fleet.ports, indent=1) + "\n")
        held = self.dir / ACAS_FILE  # like real ACA after a restart, each gets its ports back
        for host, ports in (json.loads(held.read_text()) if held.is_file() else {}).items():
            if host in fleet.nodes:
                fleet.nodes[host].aca.ports.update(ports)
        return fleet

    def _filled(self, plan: Plan) -> Plan:
        """The plan pointed at this lab: Neutron behind the capture proxy, Alcor, the nodes.

        Neutron: its URL with no auth, or in a Keystone lab the cloud lab-admin (the catalog says where
        Neutron is). Alcor as in production: its API gateway for every service it routes, and on their
        own ports the node manager and the VPC manager (the gateway routes neither /nodes nor /segments);
        in a Keystone lab every service on its own port (the gateway's Keystone filter wants a token).
        """
        if self.keystone:
            neutron = dataclasses.replace(plan.neutron, cloud=ADMIN_CLOUD, url=None, auth="keystone", snapshot=None)
        else:
            neutron = dataclasses.replace(plan.neutron, url=self.neutron.url, auth="none", cloud=None,
                                          snapshot=None)
        capture = dataclasses.replace(plan.capture, listen=f"127.0.0.1:{free_port()}")
        if self.captures:  # Neutron's public endpoint is HAProxy's frontend, sent to the captures by the run
            neutron = dataclasses.replace(neutron, url=self.captures.url)
            capture = dataclasses.replace(capture, mode="separate", insertion="haproxy",
                                          haproxy=self.captures.settings(), nodes=self.captures.nodes())
        gateway = self._gateway_url()
        own_ports = ALCOR_SERVICES if self.keystone else ("node", "vpc")
        endpoints = {service: self.alcor.url_for(service) for service in own_ports}
        alcor = dataclasses.replace(plan.alcor, url=None if self.keystone else gateway, endpoints=endpoints,
                                    gateway_url=gateway)
        return dataclasses.replace(plan, neutron=neutron, capture=capture, alcor=alcor,
                                   nodes={**self.fleet.node_overrides(), **plan.nodes})

    def _gateway_url(self) -> str:
        """Where Alcor's API gateway listens (the lab's emulator always runs one)."""
        url = self.alcor.gateway_url
        if url is None:
            raise MigrateError("the lab's Alcor emulator runs no API gateway")
        return url

    @property
    def proxy_url(self) -> str:
        """Where the lab's users send their writes: the capture proxy of this plan, or HAProxy's frontend."""
        return self.captures.url if self.captures else f"http://{self.plan.capture.listen}"

    def attach(self, engine: Engine) -> None:
        """Give the engine the lab's fleet and let the lab's users write while convert runs."""
        engine.ctx.run.provide(lab_fleet=self.fleet, lab=self)
        lab = self.lab
        if lab.user_writes and self.plan.capture.enabled:
            self.users = UserWrites(self.proxy_url, lab.user_writes, engine.state, engine.bus.publish,
                                    login=self.keystone.login if self.keystone else None, on_write=self._kill_halfway)
            engine.bus.subscribe(self.users.on_event)
            self._stack.callback(self.users.stop)
        if lab.bypass_writes:
            self.bypass = UserWrites(self.neutron.url, lab.bypass_writes, engine.state, engine.bus.publish,
                                     who="bypass", first_rule_port=30000)
            engine.bus.subscribe(self.bypass.on_event)
            self._stack.callback(self.bypass.stop)
        captures = self.captures
        if captures:
            engine.bus.subscribe(lambda event: self._record_captures(event, captures, engine.state))
        if self.keystone:
            if engine.state.get_meta(SWITCHED):  # a run resumed after the switch: this Keystone is new
                self.keystone.point_network_at(self._gateway_url())
            engine.bus.subscribe(lambda event: self._after_switch(event, engine.bus.publish))

    def _kill_halfway(self, done: int) -> None:
        """The HAProxy lab: the first capture dies (SIGKILL) once half the users' writes are done."""
        if self.captures and done == self.lab.user_writes // 2:
            self.captures.kill(CAPTURE_NAMES[0])

    def _record_captures(self, event: Event, captures: LabCaptures, state) -> None:
        """Before the report: each capture's counts, the kills and HAProxy's view (the failover), for it."""
        if isinstance(event, PhaseStarted) and event.phase == "report":
            state.set_meta(CAPTURES_KEY, captures.record())

    def _after_switch(self, event: Event, emit) -> None:
        """Once the final replay is done (the cloud is Alcor's), the openstack CLI through the catalog."""
        if not (isinstance(event, PhaseFinished) and event.phase == "final_replay"):
            return
        try:
            found = openstack_after_switch(lambda: set(self.alcor.model.store["port"]))
        except MigrateError as exc:
            found = {"error": str(exc)}
        (self.dir / AFTER_SWITCH_FILE).write_text(json.dumps(found, indent=1) + "\n")
        ok = found.get("port_in_alcor") and found.get("port_deleted_in_alcor")
        emit(Message(level="info" if ok else "error", phase="final_replay",
                     text=f"lab: openstack through the catalog: {len(found.get('networks', []))} networks listed, "
                          f"a port created and deleted in Alcor" if ok else f"lab: after the switch: {found}"))

    def stop(self) -> None:
        """Stop whatever was started, last first; safe to call twice."""
        atexit.unregister(self.stop)
        self._stack.close()

    def _record_acas(self) -> None:
        """`<state_dir>/lab/acas.json`: the ports (id: goal state) each lab ACA holds when the lab stops."""
        held = {host: dict(sorted(node.aca.ports.items())) for host, node in self.fleet.nodes.items()}
        (self.dir / ACAS_FILE).write_text(json.dumps(held, indent=1) + "\n")

    def _stop_neutron(self, kept: Path) -> None:
        """Keep Neutron's database (what users changed) for the next run, then stop the server."""
        with contextlib.suppress(Exception):  # a server that never came up has nothing to keep
            self.neutron.save_database(kept)
        self.neutron.stop()
