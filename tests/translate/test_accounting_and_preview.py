"""Nothing dropped silently, and the dry-run preview: its output, files and exit codes."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import pytest

from tests.translate import shapes as s
from tests.translate.conftest import DATA
from wizard.cli import main
from wizard.lab.samples import FILES
from wizard.lab.synth import CloudSize, SyntheticCloud
from wizard.neutron import snapshot as snapshot_module
from wizard.translate import dryrun
from wizard.translate.accounting import account, unaccounted
from wizard.translate.model import Translation
from wizard.translate.translation import translate

# Every sample cloud: wizard/lab/sample_configs/ (exported from a real neutron-server), the snapshot read
# from neutron 29 for these tests, and a synthetic cloud.
SAMPLE_FILES = sorted(FILES.glob("*.json")) + [DATA / "neutron29-small.json"]


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=lambda p: p.name)
def test_every_resource_of_every_sample_cloud_is_accounted_for(path):
    snapshot = snapshot_module.load(path)
    tallies = account(snapshot, translate(snapshot))
    assert unaccounted(tallies) == []
    assert sum(t.total for t in tallies.values()) == sum(snapshot.counts().values())


def test_every_resource_of_a_synthetic_cloud_is_accounted_for():
    snapshot = SyntheticCloud(CloudSize(ports=600, networks=20, rules=120, seed=3)).snapshot()
    tallies = account(snapshot, translate(snapshot))
    assert unaccounted(tallies) == []
    assert tallies["ports"].total == 600 and tallies["ports"].requested > 0 and tallies["ports"].reported > 0


def test_accounting_catches_a_resource_nobody_names(cloud):
    t = cloud.translate()
    rid = cloud.router["id"]
    silent = Translation(requests=[r for r in t.requests if r.kind not in ("router", "extraroutes")],
                         findings=[f for f in t.findings if f.neutron.id != rid], id_map=t.id_map)
    missing = unaccounted(account(cloud.snapshot, silent))
    assert missing == [f"ports {cloud.gw_port['id']}", f"routers {rid}"]


def write_snapshot(tmp_path, snapshot) -> Path:
    path = tmp_path / "cloud.json"
    snapshot_module.save(snapshot, path)
    return path


def test_preview_writes_the_dry_run_files(tmp_path, capsys):
    out = tmp_path / "out"
    plan = tmp_path / "plan.yaml"  # its one port with port security off takes the allow-all group
    plan.write_text("version: 1\nalcor: {url: 'http://127.0.0.1:9009'}\n"
                    "translate: {port_security_off: allow_all_group}\n")
    code = main(["preview", "--plan", str(plan), "--snapshot", str(DATA / "neutron29-small.json"), "--out", str(out)])
    assert code == 0  # its flat network is external: the elastic-IP range, no blocker
    printed = capsys.readouterr().out
    assert "no blockers" in printed and "accounting" in printed and "Nothing was sent" in printed
    lines = [json.loads(line) for line in (out / "requests.jsonl").read_text().splitlines()]
    assert [line["seq"] for line in lines] == list(range(1, len(lines) + 1))
    assert lines[0]["path"] == "/segments/createDefaultTable"
    for line in lines:
        assert {"seq", "service", "method", "path", "body", "neutron"} <= set(line)
    vpc = next(line for line in lines if line["kind"] == "vpc")
    assert vpc["neutron"]["kind"] == "networks" and vpc["body"]["network"]["id"] == vpc["neutron"]["id"]
    findings = json.loads((out / "findings.json").read_text())
    assert findings["counts"]["blocker"] == 0
    assert any(f["code"] == "external-network-as-eip-ranges" for f in findings["findings"])
    summary = (out / "summary.md").read_text()
    assert "| networks | 3 |" in summary and "unaccounted" in summary
    (allow_all,) = [line for line in lines if (line["body"] or {}).get("security_group", {}).get("name")
                    == "alcor-migrate-allow-all"]
    port = next(line for line in lines if line["kind"] == "port")
    assert allow_all["seq"] < port["seq"] and allow_all["key"] in port["depends_on"]


SYNTHETIC = CloudSize(ports=3000, networks=300, rules=600, seed=5)  # every finding a big cloud has, many times


@pytest.mark.parametrize("path", [FILES / "traps.json", None, SYNTHETIC], ids=["traps", "empty", "synthetic"])
def test_the_streamed_dry_run_files_hold_the_text_json_writes(tmp_path, path):
    if isinstance(path, CloudSize):
        snapshot = SyntheticCloud(path).snapshot()
    else:
        snapshot = snapshot_module.load(path) if path else snapshot_module.Snapshot()
    translation = translate(snapshot)
    if path:  # a message json must escape
        translation.findings[0] = replace(translation.findings[0], message='caf\u00e9 "quoted"\\ \n\u2603')
    assert bool(translation.findings) == bool(path)
    requests, findings, _summary = dryrun.write(tmp_path, translation, account(snapshot, translation))
    assert requests.read_text().splitlines() == [json.dumps(r.to_json(seq), separators=(",", ":"))
                                                 for seq, r in enumerate(translation.requests, start=1)]
    document = {"findings": [f.to_json() for f in translation.findings],
                "counts": {severity.value: sum(f.severity is severity for f in translation.findings)
                           for severity in dryrun.SEVERITIES}}
    assert findings.read_text() == json.dumps(document, indent=1) + "\n"


def test_preview_blocks_a_port_with_port_security_off_by_default(capsys):
    assert main(["preview", "--snapshot", str(DATA / "neutron29-small.json")]) == 3
    printed = capsys.readouterr().out
    assert "port-security-off" in printed and "1 blocker(s)" in printed


def test_preview_exits_0_without_blockers_and_writes_nothing_without_out(tmp_path, capsys):
    net = s.network()
    sub = s.subnet(net, "10.1.0.0/24")
    path = write_snapshot(tmp_path, s.snapshot(net, sub))
    assert main(["preview", "--snapshot", str(path)]) == 0
    assert "no blockers" in capsys.readouterr().out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cloud.json"]


def test_preview_reads_the_snapshot_and_policies_from_a_plan(tmp_path, capsys):
    flat = s.network(**{"provider:network_type": "flat", "provider:segmentation_id": None})
    path = write_snapshot(tmp_path, s.snapshot(flat))
    plan = tmp_path / "plan.yaml"
    head = "version: 1\nalcor:\n  url: http://127.0.0.1:9009\n"
    plan.write_text(f"{head}neutron:\n  snapshot: {path}\ntranslate:\n  flat_networks: skip\n")
    assert main(["preview", "--plan", str(plan)]) == 0
    plan.write_text(f"{head}neutron:\n  snapshot: {path}\n")
    assert main(["preview", "--plan", str(plan)]) == 3


def test_preview_without_a_snapshot_is_bad_input(capsys):
    assert main(["preview"]) == 2
    assert "needs a snapshot" in capsys.readouterr().err


def test_preview_of_a_floating_ip_without_an_address_is_bad_input_naming_it(tmp_path, capsys):
    document = json.loads((DATA / "neutron29-small.json").read_text())
    fip = document["floatingips"][0]
    del fip["floating_ip_address"]  # the loader checks the field's type when it is there, not that it is
    path = tmp_path / "cloud.json"
    path.write_text(json.dumps(document))
    assert main(["preview", "--snapshot", str(path)]) == 2
    assert f"error: floatingips {fip['id']}: no floating_ip_address" in capsys.readouterr().err


def test_requests_jsonl_holds_every_line_as_the_request_says_even_what_msgspec_refuses(tmp_path):
    """A line is msgspec's compact UTF-8, an integer beyond 64 bits too; a body msgspec refuses (a lone
    surrogate a snapshot's "\\ud800" escape gives) is written by json's encoder instead: no line is lost,
    and the line after it is whole (the lines share a buffer)."""
    from wizard.alcor.request import AlcorRequest, NeutronRef

    def request(key, body):
        return AlcorRequest(key=key, kind="vpc", service="vpc", method="POST", path="/project/p/vpcs",
                            body={"network": body}, neutron=(NeutronRef("networks", key),))

    sent = [request("plain", {"name": "réseau", "mtu": 1450}), request("huge", {"revision_number": 2**70}),
            request("surrogate", {"name": "\ud800"}), request("after", {"name": "n"})]
    dryrun.write(tmp_path, Translation(requests=sent), {})
    raw = (tmp_path / "requests.jsonl").read_bytes().splitlines()
    assert [json.loads(line) for line in raw] == [r.to_json(seq) for seq, r in enumerate(sent, start=1)]
    assert "réseau".encode() in raw[0] and str(2**70).encode() in raw[1] and b"\\ud800" in raw[2]


def test_preview_as_a_command_ends_with_its_output_and_files_complete(tmp_path):
    """`python -m wizard preview` ends the process without freeing the translation (core/process_exit.py):
    what it printed to a pipe and the files it wrote are complete, and its exit code is preview's."""
    import subprocess
    import sys

    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "wizard", "preview", "--snapshot", str(DATA / "neutron29-small.json"),
                           "--out", str(out)], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])})
    assert done.returncode == 3, done.stderr  # blockers: a port with port security off, under the default policy
    assert " ".join(done.stdout.split()).endswith(f"wrote {out / 'summary.md'}")  # rich wraps at 80 columns
    assert json.loads((out / "findings.json").read_text())["counts"]["blocker"] == 1
    assert (out / "summary.md").read_text().endswith("\n")
    assert all(json.loads(line) for line in (out / "requests.jsonl").read_text().splitlines())
