"""The traps sample end to end: `lab run lab-traps --yes`, and a node rolled back mid-cutover.

The cloud (wizard.lab.samples.traps) holds what Alcor refuses or misreads; the plan's policies
leave the /29 and /12 subnets out and give port-security-off ports an allow-all group.
"""

from __future__ import annotations

import ipaddress
import json
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest

from wizard import plan as plan_module
from wizard.alcor.client import AlcorClient
from wizard.core.engine import Engine
from wizard.core.events import PhaseStarted
from wizard.core.state import StateStore
from wizard.cutover.alcor_control import AlcorNodeControl
from wizard.cutover.records import NodeRecords
from wizard.lab import home, samples
from wizard.lab.world import LabWorld
from wizard.neutron import snapshot as snapshot_file
from wizard.phases import build_phases
from wizard.plan import Override

ROOT = Path(__file__).resolve().parents[2]
TRAPS_PLAN = home.plan_file("lab-traps")
REFUSED = {"acme-transit-v4": 29, "provider-wide-v4": 12}  # Alcor takes IPv4 /16 to /28
RUN_TIMEOUT = 300
FAILING = "compute-1"  # the canary wave: a failure there stops the cutover


def run_traps(state_dir: Path) -> subprocess.CompletedProcess:
    """The CLI run, events as JSON lines on stdout."""
    return subprocess.run([sys.executable, "-m", "wizard.cli", "run", "--plan", str(TRAPS_PLAN), "--yes",
                           "--state-dir", str(state_dir), "--status-every", "0", "--json"],
                          cwd=ROOT, capture_output=True, text=True, timeout=RUN_TIMEOUT)


def failures(result: subprocess.CompletedProcess) -> str:
    """What a failed run says: its phases' errors (JSON lines) and the end of stderr."""
    errors = [event["error"] for line in result.stdout.splitlines()
              if (event := json.loads(line))["event"] == "phase_failed"]
    return "\n".join(errors) + "\n" + result.stderr[-2000:]


def findings(stdout: str) -> dict[tuple[str, str], set[str]]:
    """(severity, code) -> the Neutron ids the run's findings name."""
    found: dict[tuple[str, str], set[str]] = {}
    for line in stdout.splitlines():
        event = json.loads(line)
        if event["event"] == "finding_raised":
            found.setdefault((event["severity"], event["code"]), set()).add(event["id"])
    return found


def by_name(items: list[dict]) -> dict[str, dict]:
    return {item["name"]: item for item in items if item.get("name")}


def migrated_vms(snapshot) -> dict[str, set[str]]:
    """Per host, the VM ports bound there with an address on a subnet Alcor takes."""
    refused = {by_name(snapshot["subnets"])[name]["id"] for name in REFUSED}
    hosts = {host: set() for host in samples.traps().agents}
    for port in snapshot["ports"]:
        if port["device_owner"].startswith("compute:") and \
                any(ip["subnet_id"] not in refused for ip in port["fixed_ips"]):
            hosts[port["binding:host_id"]].add(port["id"])
    return hosts


def assert_migrated(state_dir: Path) -> None:
    """Every phase done, zero drift, and every lab ACA holds exactly its node's migrated ports."""
    report = json.loads((state_dir / "report.json").read_text())
    assert (state_dir / "report.md").read_text().startswith("# Migration report: lab-traps")
    phases = {phase["phase"]: phase for phase in report["phases"]}
    assert all(phase["status"] == "done" for phase in phases.values()) and "cutover" in phases
    assert phases["verify"]["summary"]["drift"] == 0
    assert phases["convert"]["summary"]["failed"] == 0
    expected = migrated_vms(snapshot_file.load(state_dir / "snapshot.json"))
    assert all(expected.values())
    held = json.loads((state_dir / "lab" / "acas.json").read_text())
    assert {host: set(ports) for host, ports in held.items()} == expected
    assert sorted((node["node"], node["status"]) for node in report["nodes"]) == \
           [(host, "done") for host in sorted(expected)]


@pytest.mark.neutron
def test_the_traps_plan_migrates_the_traps_cloud_with_a_finding_per_trap(tmp_path):
    state_dir = tmp_path / "state"
    result = run_traps(state_dir)
    assert result.returncode == 0, failures(result)
    assert_migrated(state_dir)

    snapshot = snapshot_file.load(state_dir / "snapshot.json")
    subnets, ports = by_name(snapshot["subnets"]), by_name(snapshot["ports"])
    found = findings(result.stdout)
    assert not any(severity == "blocker" for severity, _ in found)
    assert {name: ipaddress.ip_network(subnets[name]["cidr"]).prefixlen for name in REFUSED} == REFUSED
    assert found[("warning", "subnet-prefix-unsupported")] == {subnets[name]["id"] for name in REFUSED}
    held_back = {ports[name]["id"] for name in ("fw-1-transit", "acme-wide-1", "globex-wide-1")}
    assert held_back <= found[("warning", "skipped-with-parent")]
    off = {p["id"] for p in snapshot["ports"] if p["device_owner"] == "compute:nova" and not p["port_security_enabled"]}
    allow_all = found[("warning", "port-security-off-allow-all")]
    assert off - held_back <= allow_all <= off


def allow_all_group(project_id: str) -> str:
    """The shared contract's id of a project's allow-all group."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "alcor-migrate:allow-all:" + project_id))


def rename_as_convert_starts(world: LabWorld, name: str, new_name: str):
    """A bus listener: a user renames port NAME through the capture proxy when convert starts,
    after the snapshot, so only replay brings the new name to Alcor."""
    def on_event(event) -> None:
        if isinstance(event, PhaseStarted) and event.phase == "convert":
            with httpx.Client(base_url=world.proxy_url + "/v2.0", timeout=30) as neutron:
                port = neutron.get("/ports", params={"name": name}).json()["ports"][0]
                neutron.put(f"/ports/{port['id']}", json={"port": {"name": new_name}}).raise_for_status()
    return on_event


@pytest.mark.neutron
def test_a_node_failing_its_check_is_rolled_back_unbound_and_the_run_again_finishes(tmp_path):
    state_dir = tmp_path / "state"
    plan = plan_module.load(TRAPS_PLAN, [Override("state_dir", str(state_dir), "test")])
    plan.cutover.timeouts.check = 1
    state = StateStore(plan.state_dir)
    try:
        with LabWorld(plan) as world:
            engine = Engine(world.plan, build_phases(world.plan), state, approve=lambda phase, question: True)
            world.attach(engine)
            engine.bus.subscribe(rename_as_convert_starts(world, "fw-1-app", "fw-1-outside"))
            world.fleet[FAILING].failing = {"aca ports"}  # after its ports are bound: the check fails
            result = engine.run()
            assert result.failed == "cutover" and f"{FAILING} at check" in result.error, result.error
            record = NodeRecords(state).get(FAILING)
            assert record["status"] == "rolled_back", record
            assert [step["step"] for step in record["rollback"]] == ["unbind_ports", "stop_aca", "start_agents"]

            snapshot = snapshot_file.load(state_dir / "snapshot.json")
            mine = migrated_vms(snapshot)[FAILING]
            node = world.fleet[FAILING]
            def sent(*ops: str) -> set[str]:
                return {port["id"] for message in node.aca.received if message["op"] in ops
                        for port in message["ports"]}

            assert mine <= sent("create", "update") and mine <= sent("delete")  # pushed, then taken back
            assert node.agent_running and not node.aca.running and not set(node.aca.ports) & mine
            neutron = {port["id"]: port for port in  # as it is now, the users' writes in it
                       httpx.get(world.neutron.url + "/v2.0/ports", timeout=30).json()["ports"]}
            renamed = by_name(snapshot["ports"])["fw-1-app"]["id"]  # by this test or the lab's users
            assert renamed in mine and neutron[renamed]["name"] != "fw-1-app"
            with AlcorClient.from_plan(world.plan) as client:
                assert AlcorNodeControl(client).ports_on(FAILING) == set()
                for port_id in mine:  # still in Alcor, unbound, as convert and replay left it
                    now = neutron[port_id]
                    port = client.get("port", port_id, now["project_id"])
                    assert port is not None and not port.get("binding:host_id"), port
                    assert (port["name"], port["mac_address"]) == (now["name"], now["mac_address"])
                    assert {ip["ip_address"] for ip in port["fixed_ips"]} == \
                           {ip["ip_address"] for ip in now["fixed_ips"]}
                    if now["port_security_enabled"]:
                        assert port["port_security_enabled"] and port["security_groups"] == now["security_groups"]
                    else:
                        assert port["port_security_enabled"] is False
                        assert port["security_groups"] == [allow_all_group(now["project_id"])]
    finally:
        state.close()

    again = run_traps(state_dir)  # the failure is gone: the same command finishes the cutover
    assert again.returncode == 0, failures(again)
    assert_migrated(state_dir)
