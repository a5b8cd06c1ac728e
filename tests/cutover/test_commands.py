"""`cutover --dry-run` prints the timeline and changes nothing; plan mistakes exit 2 naming the key."""

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
