"""A configured epic or refreshed issue that Jira cannot find, and a KR source whose JQL Jira rejects.

Real Jira answers 400 to a search naming an issue key that does not exist or that the account
cannot browse ("An issue with key 'PLAT-999' does not exist for field 'key'."); the simulator does
too. A sync must keep that one KR visible as a failing source (an error, the run partial; see
tests/sync/test_failing_sources.py for what it then shows) and write every other KR (Cloud: drop the
key and search again, one extra request; Data Center: ``validateQuery=warn``, no extra request).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from simkit import SimFactory

from okrsync.data import DEMO_CONFIG
from okrsync.domain.config import Settings, load_config
from okrsync.jira.gateway import JiraGateway
from okrsync.jira_sim.simulator import JiraSimulator
from okrsync.state.store import StateStore
from okrsync.sync.engine import SyncReport, run_sync
from okrsync.sync.fetch import keys_named

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
DEMO_EPICS = [
    "PLAT-2", "PLAT-3", "PLAT-4", "PLAT-5", "MOB-1", "MOB-2", "MOB-3", "MOB-4",
    "WEB-1", "WEB-2", "WEB-3", "WEB-4", "DATA-1", "DATA-2", "DATA-3",
]  # fmt: skip
EXTRA = len(yaml.safe_load(DEMO_CONFIG.read_text())["key_results"])  # index of an added KR


def settings_for(
    sim: JiraSimulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, extra_krs: list[dict[str, Any]]
) -> Settings:
    """The demo configuration with ``extra_krs`` appended to ``key_results``, against ``sim``."""
    monkeypatch.setenv("OKRSYNC_JIRA__URL", sim.url)
    monkeypatch.setenv("OKRSYNC_JIRA__PAT", "demo-pat")
    monkeypatch.setenv("OKRSYNC_JIRA__REQUESTS_PER_SECOND", "1000")
    monkeypatch.setenv("OKRSYNC_JIRA__MAX_RETRY_SECONDS", "20")
    data = yaml.safe_load(DEMO_CONFIG.read_text())
    data["key_results"].extend(extra_krs)
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "okrsync.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return load_config(path)


def sync(cfg: Settings, store: StateStore, now: datetime = NOW, **kw: Any) -> tuple[SyncReport, list[str]]:
    """One cycle; returns its report and the gateway's Data Center search warnings."""
    with JiraGateway(cfg.jira) as gateway:
        report = run_sync(cfg, store=store, gateway=gateway, now=now, **kw)
        return report, list(gateway.search_warnings)


def searches(sim: JiraSimulator) -> list[int]:
    """The status of every search request since the last counter reset."""
    return [e["status"] for e in sim.requests()["log"] if e["path"].endswith(("/search", "/search/jql"))]


def progress(sim: JiraSimulator, key: str) -> Any:
    return sim.issue(key)["fields"].get(sim.field_id("OKR Progress"))


def naming(report: SyncReport, text: str) -> list[str]:
    return [w for w in report.warnings if text in w]


def source_errors(report: SyncReport) -> list[str]:
    return [f"{e.issue_key}: {e.reason}" for e in report.errors if e.kind == "source"]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[StateStore]:
    with StateStore.open(f"sqlite:///{tmp_path / 'state.db'}") as s:
        yield s


@pytest.fixture(params=["cloud", "datacenter"])
def flavor(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_a_configured_epic_that_does_not_exist_leaves_only_its_kr_out(
    sim_factory: SimFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flavor: str
) -> None:
    # the same sync without the missing epic, on an identical site: what it costs normally
    base_sim = sim_factory(flavor, okr_fields=True)
    base_cfg = settings_for(base_sim, monkeypatch, tmp_path / "base", [])
    with StateStore.open(f"sqlite:///{tmp_path / 'base.db'}") as base_store:
        base, _ = sync(base_cfg, base_store)
    assert base.status == "ok"
    base_searches = searches(base_sim)

    sim = sim_factory(flavor, okr_fields=True)
    cfg = settings_for(sim, monkeypatch, tmp_path, [{"objective": "PLAT-O", "epic": "PLAT-999"}])
    with StateStore.open(f"sqlite:///{tmp_path / 'state.db'}") as store:
        report, dc_warnings = sync(cfg, store)
        assert report.status == "partial", report.as_dict()
        assert report.exit_code == 1
        assert base.key_results == len(DEMO_EPICS)
        assert report.key_results == len(DEMO_EPICS) + 1  # PLAT-999 stays, with no data
        # every other KR is written, with the values the sync without PLAT-999 wrote
        assert {k: progress(sim, k) for k in DEMO_EPICS} == {k: progress(base_sim, k) for k in DEMO_EPICS}
        assert all(progress(sim, k) is not None for k in DEMO_EPICS)
        # one error names the key and its configuration entry
        (error,) = source_errors(report)
        assert error.startswith(f"PLAT-999: key_results[{EXTRA}]: PLAT-999 was not found in Jira"), error
        assert report.scored is not None and report.scored.kr("PLAT-999").health.value == "no_data"
        # Cloud: one rejected search, sent again without PLAT-999; Data Center: a warning, no extra
        statuses = searches(sim)
        if flavor == "cloud":
            assert statuses.count(400) == 1
            assert len(statuses) == len(base_searches) + 1
            assert dc_warnings == []
        else:
            assert statuses.count(400) == 0
            assert len(statuses) == len(base_searches)
            assert "An issue with key 'PLAT-999' does not exist for field 'key'." in dc_warnings

        # the next (incremental) cycle: the same warning, one extra search at most, no write
        sim.reset_counters()
        base_sim.reset_counters()
        again, _ = sync(cfg, store, NOW + timedelta(minutes=15))
        with StateStore.open(f"sqlite:///{tmp_path / 'base.db'}") as base_store:
            base_again, _ = sync(base_cfg, base_store, NOW + timedelta(minutes=15))
    assert again.status == "partial", again.as_dict()
    assert len(source_errors(again)) == 1 and "since 2026-11-26" in source_errors(again)[0]
    assert searches(sim).count(400) == (1 if flavor == "cloud" else 0)
    assert len(searches(sim)) == len(searches(base_sim)) + 1
    assert again.requests == base_again.requests + 1


def test_an_epic_the_account_cannot_browse_is_left_out(
    sim_okr: JiraSimulator, store: StateStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim = sim_okr
    sim.set_faults(forbidden_issues=["MOB-2"])  # key_results[5]
    cfg = settings_for(sim, monkeypatch, tmp_path, [])
    report, _ = sync(cfg, store)
    assert report.status == "partial", report.as_dict()
    (error,) = source_errors(report)
    assert error.startswith("MOB-2: key_results[5]: MOB-2 was not found in Jira") and "browse" in error
    assert progress(sim, "MOB-2") is None
    others = [k for k in DEMO_EPICS if k != "MOB-2"]
    assert all(progress(sim, k) is not None for k in others)
    assert report.key_results == len(DEMO_EPICS)  # MOB-2 stays in the tree, no data
    assert searches(sim).count(400) == (1 if sim.flavor == "cloud" else 0)


@pytest.mark.parametrize(
    ("bad_jql", "cloud_says", "datacenter_says"),
    [
        # a syntax error is a 400 on both dialects (whatever validateQuery says)
        ("project = DATA AND labels = = kr", "Jira rejected its JQL: ", "Jira rejected its JQL: "),
        # an unknown field: 400 on Cloud; a warning with validateQuery=warn on Data Center
        (
            "projct = DATA AND issuetype = Epic",
            "Jira rejected its JQL: Field 'projct' does not exist",
            "Jira warned about its JQL: Field 'projct' does not exist",
        ),
    ],
)
def test_a_kr_source_whose_jql_jira_rejects_is_named_and_the_rest_syncs(
    sim_okr: JiraSimulator,
    store: StateStore,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    bad_jql: str,
    cloud_says: str,
    datacenter_says: str,
) -> None:
    sim = sim_okr
    cfg = settings_for(sim, monkeypatch, tmp_path, [{"objective": "DATA-O", "jql": bad_jql}])
    report, _ = sync(cfg, store)
    assert report.status == "partial", report.as_dict()
    label = f"key_results[{EXTRA}]: "
    says = cloud_says if sim.flavor == "cloud" else datacenter_says
    (error,) = source_errors(report)
    assert error.startswith(label + says), error
    assert all(progress(sim, k) is not None for k in DEMO_EPICS)  # DATA-3 too: the other JQL source
    assert report.key_results == len(DEMO_EPICS) + 1  # the failing source shows, with no data
    # the user's JQL is never rewritten or sent again
    assert searches(sim).count(400) == (1 if sim.flavor == "cloud" or "= =" in bad_jql else 0)


def test_a_webhook_refresh_of_a_deleted_issue_does_not_fail_the_cycle(
    sim_okr: JiraSimulator, store: StateStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim = sim_okr
    cfg = settings_for(sim, monkeypatch, tmp_path, [])
    # PLAT-1 exists but is in no KR's scope: re-read by key every time a webhook names it
    first, _ = sync(cfg, store)
    assert first.status == "ok"
    settle, _ = sync(cfg, store, NOW + timedelta(minutes=15), refresh_keys=["PLAT-1"])
    assert settle.status == "ok", settle.as_dict()
    sim.reset_counters()
    known, _ = sync(cfg, store, NOW + timedelta(minutes=30), refresh_keys=["PLAT-1"])
    assert known.status == "ok", known.as_dict()
    normal = searches(sim)
    sim.reset_counters()
    report, _ = sync(cfg, store, NOW + timedelta(minutes=45), refresh_keys=["NOPE-1", "PLAT-1"])
    assert report.status == "ok", report.as_dict()
    assert naming(report, "NOPE-1") == []  # nothing to tell: it is simply not there
    statuses = searches(sim)
    if sim.flavor == "cloud":  # rejected once, sent again for PLAT-1 alone
        assert statuses.count(400) == 1 and len(statuses) == len(normal) + 1
    else:
        assert statuses.count(400) == 0 and len(statuses) == len(normal)
    assert progress(sim, "MOB-1") is not None
    # a refresh naming nothing that exists costs the one rejected search on Cloud, nothing else
    sim.reset_counters()
    only, _ = sync(cfg, store, NOW + timedelta(minutes=60), refresh_keys=["NOPE-2"])
    assert only.status == "ok", only.as_dict()
    assert searches(sim).count(400) == (1 if sim.flavor == "cloud" else 0)
    assert len(searches(sim)) == len(normal)


def test_objectives_from_jira_whose_jql_jira_rejects_is_named(
    sim_okr: JiraSimulator, store: StateStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim = sim_okr
    monkeypatch.setenv("OKRSYNC_OBJECTIVES_FROM_JIRA__JQL", "project = OKR AND issuetype = = Objective")
    cfg = settings_for(sim, monkeypatch, tmp_path, [])
    report, _ = sync(cfg, store)
    assert report.status == "ok", report.as_dict()
    (warning,) = naming(report, "objectives_from_jira.jql")
    assert warning.startswith("objectives_from_jira.jql: Jira rejected it: ")
    assert all(progress(sim, k) is not None for k in DEMO_EPICS)  # the YAML objectives still hold them


@pytest.mark.parametrize(
    ("messages", "keys"),
    [
        (["An issue with key 'PLAT-9' does not exist for field 'key'."], {"PLAT-9"}),
        (["An issue with key 'plat-9' does not exist for field 'issueKey'."], {"PLAT-9"}),
        (
            [
                "An issue with key 'A-1' does not exist for field 'key'.",
                "An issue with key 'B-2' does not exist for field 'parent'.",
                "An issue with key 'B-2' does not exist for field 'Epic Link'.",
            ],
            {"A-1", "B-2"},
        ),
        (["The issue key 'foo' for field 'key' is invalid."], {"FOO"}),
        (["Field 'projct' does not exist or you do not have permission to view it."], set()),
        (["The value 'X' does not exist for the field 'project'."], set()),
        ([], set()),
    ],
)
def test_keys_named_in_jiras_messages(messages: list[str], keys: set[str]) -> None:
    assert keys_named(messages) == keys
