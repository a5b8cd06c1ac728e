"""The ssh executor against a real sshd on loopback: batch mode, host key checked, exit codes, timeouts."""

import dataclasses
import getpass

from wizard.cutover.executors import SshExecutor
from wizard.cutover.inventory import ComputeNode
from wizard.cutover.node import NodeCutover
from wizard.plan import ExecutorConfig


def executor(sshd, **overrides):
    port, key, known_hosts = sshd
    settings = dict(kind="ssh", user=getpass.getuser(), key=str(key), port=port, known_hosts=str(known_hosts))
    return SshExecutor(ExecutorConfig(**{**settings, **overrides}))


LOOPBACK = ComputeNode(name="compute-1", node_id="n1", local_ip="127.0.0.1", address="127.0.0.1")


def test_commands_run_remotely_with_their_exit_code(sshd):
    ssh = executor(sshd)
    ok = ssh.run(LOOPBACK, "echo hello from $(hostname) && exit 0", timeout=20)
    assert ok.ok and ok.stdout.startswith("hello from")
    failed = ssh.run(LOOPBACK, "echo broken >&2; exit 7", timeout=20)
    assert failed.rc == 7 and failed.summary() == "exit 7: broken"


def test_an_unknown_host_key_is_refused(sshd, tmp_path):
    other = tmp_path / "other_known_hosts"
    other.write_text("")
    result = executor(sshd, known_hosts=str(other)).run(LOOPBACK, "true", timeout=20)
    assert result.rc == 255 and "Host key verification failed" in result.stderr


def test_a_wrong_key_does_not_prompt(sshd, tmp_path):
    import subprocess

    stranger = tmp_path / "stranger"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(stranger)], check=True)
    result = executor(sshd, key=str(stranger)).run(LOOPBACK, "true", timeout=20)
    assert result.rc == 255 and "Permission denied" in result.stderr


def test_a_remote_command_is_killed_at_its_timeout(sshd):
    result = executor(sshd).run(LOOPBACK, "sleep 30", timeout=1.5)
    assert result.rc is None and result.seconds < 10


def test_a_node_cutover_over_ssh(sshd, file_nodes, make_control, fast_timeouts, synthetic_nodes):
    node = dataclasses.replace(synthetic_nodes(1)[0], address="127.0.0.1")
    file_nodes.start_agents([node.name])
    fast_timeouts.check = fast_timeouts.aca_health = 10
    control = make_control()
    outcome = NodeCutover(node, executor(sshd), control, file_nodes.commands(), fast_timeouts).run()
    assert outcome.status == "done", outcome
    assert file_nodes.aca_ports(node.name) == {p.port_id for p in node.ports}
    assert not file_nodes.agent_running(node.name)
