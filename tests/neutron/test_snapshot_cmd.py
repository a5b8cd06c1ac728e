"""`alcor-migrate snapshot` against the real neutron-server."""

import httpx
import pytest

from wizard import cli
from wizard.neutron import snapshot

pytestmark = pytest.mark.neutron


def test_snapshot_counts_equal_what_neutron_lists(neutron_server, tmp_path, capsys):
    httpx.post(f"{neutron_server.url}/v2.0/networks",
               json={"network": {"name": "cmd-net", "project_id": "snapshot-cmd"}}).raise_for_status()
    out = tmp_path / "cloud.json"
    assert cli.main(["snapshot", "--neutron-url", neutron_server.url, "--out", str(out)]) == 0
    loaded = snapshot.load(out)
    for name, path in snapshot.COLLECTIONS.items():
        response = httpx.get(neutron_server.url + path, timeout=30)
        if response.status_code == 404:
            assert loaded[name] == [], name
            continue
        assert len(loaded[name]) == len(response.json()[name]), name
    printed = capsys.readouterr().out
    assert f"networks               │ {len(loaded['networks'])}" in printed
    assert "extension absent" in printed


def test_snapshot_refuses_a_snapshot_file_as_its_source(tmp_path, capsys):
    code = cli.main(["snapshot", "--snapshot", "old.json", "--out", str(tmp_path / "x.json")])
    assert code == 2
    assert "reads a live Neutron" in capsys.readouterr().err
    assert not (tmp_path / "x.json").exists()
