"""A snapshot without agents (what a non-admin reads) is called out by preview."""

import json

from tests.pipeline.conftest import SAMPLE
from wizard import cli


def test_preview_of_a_snapshot_without_agents_warns(tmp_path, capsys):
    cloud = json.loads(SAMPLE.read_text())
    cloud["agents"] = []
    path = tmp_path / "cloud.json"
    path.write_text(json.dumps(cloud))
    cli.main(["preview", "--snapshot", str(path)])
    assert "warning snapshot-without-agents: the snapshot lists no agents" in capsys.readouterr().out
    cli.main(["preview", "--snapshot", str(SAMPLE)])
    assert "snapshot-without-agents" not in capsys.readouterr().out
