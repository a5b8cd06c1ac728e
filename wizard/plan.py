"""The Plan: what to migrate and how, loaded from a versioned YAML file.

The dataclasses below are the plan's schema: every key a plan file may hold,
its type and its default. `load` maps a YAML document onto them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class NeutronSource:
    """Where Neutron is: a clouds.yaml cloud (OS_* variables honoured), or a URL with auth none."""

    cloud: str | None = None
    url: str | None = None
    auth: str = "keystone"  # "keystone" (via cloud / OS_*) or "none"
    snapshot: str | None = None  # read this snapshot file instead of the live API
    page_size: int = 1000
    verify_tls: bool = True


ALCOR_SERVICES = ("vpc", "subnet", "port", "route", "security_group", "elastic_ip", "node")


@dataclass
class AlcorTarget:
    """Alcor's services: one base URL for all, or one per service (see ALCOR_SERVICES)."""

    url: str | None = None
    endpoints: dict[str, str] = field(default_factory=dict)
    gateway_url: str | None = None  # Alcor's API gateway, what clients are switched to
    timeout: float = 30.0
    concurrency: int = 8
    retries: int = 5


@dataclass
class TlsConfig:
    cert: str | None = None
    key: str | None = None


@dataclass
class CaptureConfig:
    enabled: bool = True
    listen: str = "127.0.0.1:9797"
    tls: TlsConfig = field(default_factory=TlsConfig)
    upstream_ca: str | None = None
    upstream_timeout: float = 60.0


@dataclass
class TranslateConfig:
    bulk_size: int = 500
    ipv6: str = "skip"  # "skip" (warn and leave out) or "block"
    flat_networks: str = "block"  # "skip" or "block"


@dataclass
class EndpointSwitch:
    method: str = "none"  # "keystone" or "none" (the operator switches by hand)
    alcor_url: str | None = None
    regions: list[str] = field(default_factory=list)


@dataclass
class GateConfig:
    max_lag: int = 0
    hold_timeout: float = 30.0


@dataclass
class DrainConfig:
    min: float = 30.0
    max: float = 600.0
    poll: float = 2.0


@dataclass
class WaveConfig:
    canary: list[str] = field(default_factory=list)
    batch_size: int = 10
    lists: list[list[str]] = field(default_factory=list)
    all_at_once: bool = False
    parallel: int = 5
    on_failure: str = "stop"  # "stop" or "continue"


@dataclass
class ExecutorConfig:
    kind: str = "ssh"  # "ssh", "local" or "lab"
    user: str = "root"
    key: str | None = None
    port: int = 22
    known_hosts: str | None = None


@dataclass
class NodeCommands:
    stop_agents: str = "systemctl stop neutron-openvswitch-agent"
    start_agents: str = "systemctl start neutron-openvswitch-agent"
    start_aca: str = "systemctl start alcor-control-agent"
    stop_aca: str = "systemctl stop alcor-control-agent"
    aca_health: str = "systemctl is-active alcor-control-agent"


@dataclass
class StepTimeouts:
    register: float = 30.0
    stop_agents: float = 60.0
    start_aca: float = 60.0
    aca_health: float = 60.0
    bind_ports: float = 120.0
    check: float = 60.0


@dataclass
class CutoverConfig:
    postpone: bool = False
    endpoint: EndpointSwitch = field(default_factory=EndpointSwitch)
    gate: GateConfig = field(default_factory=GateConfig)
    drain: DrainConfig = field(default_factory=DrainConfig)
    waves: WaveConfig = field(default_factory=WaveConfig)
    executor: ExecutorConfig = field(default_factory=ExecutorConfig)
    commands: NodeCommands = field(default_factory=NodeCommands)
    timeouts: StepTimeouts = field(default_factory=StepTimeouts)


@dataclass
class NodeOverride:
    """Per compute host facts Neutron does not hold (or that the plan corrects)."""

    local_ip: str | None = None
    mac_address: str | None = None
    veth: str | None = None
    address: str | None = None  # where the executor reaches the host (ssh)
    server_port: int = 50001


@dataclass
class LabConfig:
    """The embedded lab (plans/lab.yaml): a real neutron-server, the Alcor emulator, lab nodes."""

    cloud: str = "sample_configs/small.json"
    user_writes: int = 20


@dataclass
class Plan:
    version: int = 1
    name: str = "migration"
    state_dir: str = "state"
    neutron: NeutronSource = field(default_factory=NeutronSource)
    alcor: AlcorTarget = field(default_factory=AlcorTarget)
    capture: CaptureConfig = field(default_factory=CaptureConfig)
    translate: TranslateConfig = field(default_factory=TranslateConfig)
    cutover: CutoverConfig = field(default_factory=CutoverConfig)
    nodes: dict[str, NodeOverride] = field(default_factory=dict)
    lab: LabConfig | None = None
    source_file: Path | None = field(default=None, repr=False, compare=False)

    def alcor_url(self, service: str) -> str | None:
        """The base URL of one Alcor service."""
        return self.alcor.endpoints.get(service) or self.alcor.url


def load(path: str | Path) -> Plan:
    """Read a plan file (the full validator with file:line:col comes with `wizard.plan` checks)."""
    import yaml

    from wizard.errors import InputError

    path = Path(path)
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except yaml.YAMLError as exc:
        raise InputError(f"{path}: not valid YAML: {exc}") from None
    plan = _build(Plan, document, str(path))
    plan.source_file = path
    return plan


def _build(cls, data, where):
    import dataclasses
    import typing

    from wizard.errors import InputError

    if not isinstance(data, dict):
        raise InputError(f"{where}: expected a mapping")
    hints = typing.get_type_hints(cls)
    values = {}
    for f in dataclasses.fields(cls):
        if f.name not in data:
            continue
        value = data[f.name]
        hint = hints[f.name]
        if dataclasses.is_dataclass(hint) and isinstance(value, dict):
            value = _build(hint, value, f"{where}: {f.name}")
        elif typing.get_origin(hint) is dict and f.name == "nodes":
            value = {name: _build(NodeOverride, v or {}, f"{where}: nodes.{name}") for name, v in value.items()}
        elif f.name == "lab":
            value = _build(LabConfig, value or {}, f"{where}: lab")
        values[f.name] = value
    unknown = set(data) - {f.name for f in dataclasses.fields(cls)}
    if unknown:
        raise InputError(f"{where}: unknown keys {sorted(unknown)}")
    return cls(**values)


def dump(plan: Plan) -> str:
    """The plan as YAML that `load` reads back to an equal plan (unset keys left out)."""
    import dataclasses

    import yaml

    def prune(value):
        if isinstance(value, dict):
            return {key: prune(item) for key, item in value.items() if item is not None}
        return value

    document = dataclasses.asdict(plan)
    del document["source_file"]
    return yaml.safe_dump(prune(document), sort_keys=False, default_flow_style=False)

def save(plan: Plan, path: str | Path) -> Path:
    """Write the plan to `path` (atomically: a crash leaves the old file or the new one)."""
    import os

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(dump(plan), encoding="utf-8")
    os.replace(partial, path)
    plan.source_file = path
    return path
