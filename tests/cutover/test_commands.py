"""`cutover --dry-run` prints the timeline and changes nothing; plan mistakes exit 2 naming the key."""

import json

import pytest

from wizard.cli import main
from wizard.lab.synth import CloudSize, SyntheticCloud, write


def plan_file(tmp_path, extra=""):
    write(SyntheticCloud(CloudSize(ports=40, hosts=3, networks=3)), tmp_path / "cloud.json")
    path = tmp_path / "plan.yaml"
    path.write_text(f"""version: 1
state_dir: {tmp_path}/state
neutron: {{snapshot: {tmp_path}/cloud.json}}
alcor: {{url: "http://alcor.example:9009", gateway_url: "http://alcor.example:9009"}}
cutover:
  waves: {{canary: [compute-002], batch_size: 2}}
  executor: {{kind: ssh, user: ops, port: 2222}}
{extra}""")
    return path


def test_dry_run_prints_every_step_per_node_and_changes_nothing(tmp_path, capsys):
    assert main(["cutover", "--plan", str(plan_file(tmp_path)), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Cutover timeline: 4 nodes in 3 waves")
    assert "wave 1 canary: 1 node" in out and "wave 3 batch 2" in out
    assert "ssh ops@compute-002:2222 -- systemctl stop neutron-openvswitch-agent" in out
    assert out.index("compute-002  tunnel") < out.index("compute-000  tunnel")  # canary first
    for step in ("register", "stop_agents", "start_aca", "aca_health", "bind_ports", "check"):
        assert out.count(f"    {step} ") == 4
    assert "splits 3 networks" in out and "unbind_ports" in out
    assert not (tmp_path / "state").exists()


def test_a_bad_wave_list_exits_2_naming_the_key(tmp_path, capsys):
    path = plan_file(tmp_path)
    path.write_text(path.read_text().replace("canary: [compute-002]", "canary: [compute-999]"))
    assert main(["cutover", "--plan", str(path), "--dry-run"]) == 2
    assert "cutover.waves.canary: unknown node 'compute-999'" in capsys.readouterr().err


@pytest.mark.neutron
def test_cutover_then_rollback_from_the_command_line(tmp_path, file_nodes, neutron_server, capsys):
    """`cutover --yes` on the local executor against the Alcor emulator and a real Neutron; then `rollback`."""
    from wizard.alcor.client import AlcorClient
    from wizard.lab.alcor import AlcorEmulator
    from wizard.lab.cutover import seed_alcor
    from wizard.neutron import snapshot as snapshot_file
    from wizard.plan import Plan
    from wizard.translate.context import Options
    from wizard.translate.translation import translate

    snapshot = SyntheticCloud(CloudSize(ports=40, hosts=3, networks=3)).snapshot()
    snapshot_file.save(snapshot, tmp_path / "cloud.json")
    file_nodes.start_agents(a["host"] for a in snapshot["agents"])
    commands = file_nodes.commands(aca_ports="")
    with AlcorEmulator() as emulator, AlcorClient(emulator.endpoints) as client:
        translation = translate(snapshot, Options.from_plan(Plan()))
        seed_alcor(client, translation)
        plan = tmp_path / "plan.yaml"
        plan.write_text(f"""version: 1
state_dir: {tmp_path}/state
neutron: {{url: "{neutron_server.url}", auth: none, snapshot: {tmp_path}/cloud.json}}
alcor: {{url: "{emulator.url_for('vpc')}", gateway_url: "http://alcor.example:9009"}}
cutover:
  drain: {{min: 0.1, max: 5, poll: 0.1}}
  waves: {{all_at_once: true}}
  executor: {{kind: local}}
  timeouts: {{aca_health: 2, check: 2, poll: 0.1}}
  commands:
""" + "".join(f"    {step}: {json.dumps(getattr(commands, step))}\n" for step in
              ("stop_agents", "start_agents", "start_aca", "stop_aca", "aca_health", "aca_ports")))
        assert main(["cutover", "--plan", str(plan), "--yes"]) == 0, capsys.readouterr().err
        hosts = ("compute-000", "compute-001", "compute-002")
        for host in hosts:
            bound = {p["id"] for p in client.list("port", "any", **{"binding:host_id": host})}
            assert bound == {pid for pid, h in translation.bindings.items() if h == host} != set()
            assert file_nodes.aca_running(host) and not file_nodes.agent_running(host)
        assert main(["rollback", "--plan", str(plan), "--yes"]) == 0
        assert "4 nodes, 0 endpoints restored" in capsys.readouterr().out
        for host in hosts:
            assert not client.list("port", "any", **{"binding:host_id": host})
            assert file_nodes.agent_running(host) and not file_nodes.aca_running(host)
