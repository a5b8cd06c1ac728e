"""The snapshot, translate and preview phases, the learned-id map and build_phases, on real state stores."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest

from tests.pipeline.conftest import ALCOR, SAMPLE
from wizard import idmap
from wizard.engine import NotApproved, RunContext
from wizard.errors import Blocked, InputError, MigrateError
from wizard.events import EventBus, FindingRaised, Message, Progress
from wizard.neutron import snapshot as snapshot_file
from wizard.neutron.phase import SNAPSHOT_FILE, TAKEN_KEY, SnapshotPhase
from wizard.pipeline import build_phases
from wizard.plan import NeutronSource, Plan
from wizard.preview_phase import APPROVED_KEY, PreviewPhase
from wizard.state import StateStore
from wizard.translate.model import deferred_id
from wizard.translate_phase import TranslatePhase


class Context(RunContext):
    """A RunContext that keeps what it publishes and what it was asked."""

    def __init__(self, state: StateStore, plan: Plan, answer: bool = True):
        self.events, self.questions = [], []

        def approve(phase: str, question: str) -> bool:
            self.questions.append(question)
            return answer

        super().__init__(plan=plan, state=state, bus=EventBus(), approve=approve)
        self.bus.subscribe(self.events.append)

    def of(self, kind: type) -> list:
        return [event for event in self.events if isinstance(event, kind)]


@pytest.fixture
def state(tmp_path):
    store = StateStore(tmp_path / "state")
    yield store
    store.close()


@pytest.fixture
def plan(sample) -> Plan:
    plan = Plan()
    plan.neutron.snapshot = str(sample)
    plan.alcor.url = ALCOR
    plan.translate.flat_networks = "skip"
    plan.translate.port_security_off = "allow_all_group"  # port p3 has port security off
    return plan


def test_a_snapshot_file_is_checked_copied_in_and_loaded_again_on_resume(state, plan, sample):
    ctx = Context(state, plan)
    summary = SnapshotPhase().run(ctx)
    copy = state.dir / SNAPSHOT_FILE
    assert copy.read_bytes() == sample.read_bytes()
    assert summary["resumed"] is False and summary["source"] == f"file {sample}"
    assert summary["counts"] == ctx.artifacts["snapshot"].counts() and summary["resources"] == 32
    assert {(e.kind, e.done, e.total) for e in ctx.of(Progress)} >= {("ports", 7, 7), ("networks", 3, 3)}
    assert state.get_meta(TAKEN_KEY)["counts"]["ports"] == 7

    sample.unlink()
    again = Context(state, plan)
    assert SnapshotPhase().run(again)["resumed"] is True
    assert again.artifacts["snapshot"].counts() == summary["counts"]
    assert "using this run's snapshot" in again.of(Message)[0].text

    copy.unlink()
    with pytest.raises(MigrateError, match="this run's snapshot is gone"):
        SnapshotPhase().run(Context(state, plan))


def test_a_bad_snapshot_file_is_bad_input_and_nothing_is_recorded(state, plan, sample):
    sample.write_text(json.dumps({"format": "neutron-snapshot/1"}))
    with pytest.raises(InputError, match="networks: missing collection"):
        SnapshotPhase().run(Context(state, plan))
    assert state.get_meta(TAKEN_KEY) is None and not (state.dir / SNAPSHOT_FILE).exists()


@pytest.mark.neutron
def test_a_live_neutron_is_read_into_the_state_directory_once(state, neutron_server):
    project = f"phase-{uuid.uuid4().hex[:8]}"
    for index in range(3):  # pages of 2: at least two pages of networks
        httpx.post(f"{neutron_server.url}/v2.0/networks",
                   json={"network": {"name": f"snap{index}", "project_id": project}}, timeout=30).raise_for_status()
    plan = Plan()
    plan.neutron = NeutronSource(url=neutron_server.url, auth="none", page_size=2)
    ctx = Context(state, plan)
    summary = SnapshotPhase().run(ctx)
    listed = httpx.get(f"{neutron_server.url}/v2.0/networks", timeout=30).json()["networks"]
    saved = snapshot_file.load(state.dir / SNAPSHOT_FILE)
    assert {n["id"] for n in saved["networks"]} == {n["id"] for n in listed}
    assert summary["source"] == f"{neutron_server.url}/v2.0" and summary["counts"]["networks"] == len(listed)
    final = {e.kind: e for e in ctx.of(Progress) if e.total}
    assert final["networks"].done == len(listed) == final["networks"].total
    assert any(e.kind == "networks" and e.total == 0 and 0 < e.done < len(listed) for e in ctx.of(Progress))

    plan.neutron = NeutronSource(url="http://127.0.0.1:9", auth="none")  # a resumed run reads no Neutron
    assert SnapshotPhase().run(Context(state, plan))["resumed"] is True


def translated(state: StateStore, plan: Plan, tenant_flat: bool = False) -> Context:
    ctx = Context(state, plan)
    ctx.artifacts["snapshot"] = snapshot_file.load(SAMPLE)
    if tenant_flat:  # a tenant flat network, which flat_networks governs (external ones are EIP ranges)
        networks = ctx.artifacts["snapshot"]["networks"]
        tenant = next(n for n in networks if not n["router:external"])
        networks.append({**tenant, "id": "flat-tenant-net", "subnets": [], "provider:network_type": "flat",
                         "provider:physical_network": "physnet1", "provider:segmentation_id": None})
    ctx.summary = TranslatePhase().run(ctx)
    return ctx


def test_translate_publishes_warnings_and_blockers_and_counts_the_info_findings(state, plan):
    plan.translate.flat_networks = "block"
    ctx = translated(state, plan, tenant_flat=True)
    translation = ctx.artifacts["translation"]
    raised = ctx.of(FindingRaised)
    assert sorted(e.severity for e in raised) == sorted(f.severity.value for f in translation.findings
                                                         if f.severity.value != "info")
    info = [f for f in translation.findings if f.severity.value == "info"]
    assert ctx.of(Message)[0].text.startswith(f"{len(info)} info findings: extension-unsupported 7")
    summary = ctx.summary
    assert (summary["requests"], summary["blockers"], summary["info"]) == (len(translation.requests), 1, len(info))
    assert summary["findings"]["blocker"] == {"flat-network": 1}
    # with the allow-all group's rule
    assert summary["kinds"]["security_group_rule"] == {"requests": 7, "resources": 15}
    assert sum(t.total for t in ctx.artifacts["accounting"].values()) == 33  # 32 + the added network


def test_ids_learned_by_an_earlier_run_come_back_into_the_translation(state, plan):
    first = translated(state, plan)
    translation = first.artifacts["translation"]
    request = next(r for r in translation.requests if r.learns)
    group = request.learns[0].neutron_id
    response = {"security_group": {"id": "alcor-sg-1", "security_group_rules": [
        {"id": "alcor-rule-4", "direction": "ingress", "ethertype": "IPv4"},
        {"id": "alcor-rule-6", "direction": "ingress", "ethertype": "IPv6"}]}}
    assert idmap.remember(state, translation, request, response) == 3
    assert translation.id_map[("security_groups", group)] == "alcor-sg-1"

    resumed = translated(state, plan)  # a new process: a fresh translation, the same state store
    assert resumed.summary["learned ids"] == 1
    assert resumed.artifacts["translation"].id_map[("security_groups", group)] == "alcor-sg-1"
    assert state.mapped_id("alcor_rules", f"{group}:ingress:IPv6") == "alcor-rule-6"
    untouched = [key for key, value in resumed.artifacts["translation"].id_map.items() if value == deferred_id(*key)]
    assert untouched and ("security_groups", group) not in untouched


def test_preview_writes_the_dry_run_then_asks_once_per_translation_and_target(state, plan):
    ctx = translated(state, plan)
    summary = PreviewPhase().run(ctx)
    n = ctx.summary["requests"]
    assert ctx.questions == [f"Apply {n} requests to Alcor at {ALCOR}?"]
    assert summary == {"requests": n, "approved": "now", "files": str(state.dir / "preview")}
    lines = (state.dir / "preview" / "requests.jsonl").read_text().splitlines()
    assert len(lines) == n and (state.dir / "preview" / "summary.md").exists()

    again = translated(state, plan)
    assert PreviewPhase().run(again)["approved"] == "earlier" and again.questions == []

    plan.alcor.url = "http://127.0.0.1:10"  # another target: ask again
    moved = translated(state, plan)
    PreviewPhase().run(moved)
    assert moved.questions == ["Apply 23 requests to Alcor at http://127.0.0.1:10?"]


def test_a_declined_preview_records_nothing(state, plan):
    ctx = translated(state, plan)
    ctx.approve = lambda phase, question: False
    with pytest.raises(NotApproved):
        PreviewPhase().run(ctx)
    assert state.get_meta(APPROVED_KEY) is None


def test_preview_with_blockers_writes_the_files_and_stops_naming_them(state, plan):
    plan.translate.flat_networks = "block"
    plan.translate.ipv6 = "block"
    ctx = translated(state, plan, tenant_flat=True)
    with pytest.raises(Blocked) as blocked:
        PreviewPhase().run(ctx)
    message = str(blocked.value)
    assert message.startswith("4 blocker(s): flat-network networks flat-tenant-net")
    assert message.count("flat-network") + message.count("ipv6-") == 3 and "; and 1 more (" in message
    assert message.endswith(f"(all findings: {state.dir / 'preview' / 'findings.json'})")
    assert ctx.questions == []
    findings = json.loads((state.dir / "preview" / "findings.json").read_text())
    assert findings["counts"]["blocker"] == 4


def test_build_phases_gives_the_phases_in_engine_order():
    names = [phase.name for phase in build_phases(Plan())]
    assert names == ["preflight", "snapshot", "translate", "preview", "convert", "replay", "repair", "verify",
                     "switch", "drain", "cutover", "final_replay", "report"]


def test_build_phases_captures_only_a_live_neutron_with_capture_enabled():
    live = Plan()
    live.neutron.url = "http://neutron.example.net:9696"
    assert [p.name for p in build_phases(live)][:3] == ["preflight", "capture", "snapshot"]
    live.capture.enabled = False
    assert "capture" not in [p.name for p in build_phases(live)]  # preflight warns: capture-off
    cloud = Plan()
    cloud.neutron.cloud = "production"  # the template's default: a cloud, no url
    assert "capture" in [p.name for p in build_phases(cloud)]


def test_the_same_engine_runs_again_without_loading_translating_or_writing_again(state, plan, monkeypatch):
    """The wizard runs the phases before each step again: the second time costs next to nothing."""
    phases = [SnapshotPhase(), TranslatePhase(), PreviewPhase()]
    ctx = Context(state, plan)
    for phase in phases:
        phase.run(ctx)
    translation, requests = ctx.artifacts["translation"], state.dir / "preview" / "requests.jsonl"
    requests.write_text("left as it was\n")  # a rewrite would show

    loads = []
    monkeypatch.setattr(snapshot_file, "load", lambda path: loads.append(path))
    again = Context(state, plan)
    again.artifacts.update(ctx.artifacts)
    for phase in phases:
        phase.run(again)
    assert loads == [] and again.artifacts["translation"] is translation
    assert requests.read_text() == "left as it was\n" and again.questions == []
    assert [e.code for e in again.of(FindingRaised)] == [e.code for e in ctx.of(FindingRaised)]

    requests.unlink()  # a dry-run file gone, or other options: done again
    plan.translate.bulk_size = 3
    for phase in phases[1:]:
        phase.run(again)
    assert again.artifacts["translation"] is not translation and requests.is_file()
