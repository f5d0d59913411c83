"""The demo and generated datasets, config/demo.yaml, save/load."""

from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import requests
from rich.console import Console
from sim_http import get

from okrsync.data import DEMO_CONFIG
from okrsync.domain.config import load_config
from okrsync.jira_sim import catalog
from okrsync.jira_sim.cli import run_sim
from okrsync.jira_sim.simulator import JiraSimulator, build_store
from okrsync.jira_sim.store import Store

REPO = Path(__file__).resolve().parents[2]


def children(store: Store, epic: str) -> list[dict]:
    link = catalog.EPIC_LINK_FIELD[store.flavor]
    return [i for i in store.issues.values() if i["fields"].get(link) == epic]


def last_status_change(store: Store, keys: list[str]) -> str:
    return max(
        h["created"]
        for k in keys
        for h in store.changelog.get(k, [])
        if any(it["field"] == "status" for it in h["items"])
    )


@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
def test_demo_company_facts(flavor: catalog.Flavor) -> None:
    store = build_store(flavor, "demo")
    types = Counter(i["fields"]["issuetype"]["name"] for i in store.issues.values())
    assert types["Epic"] == 15 and types["Objective"] == 1
    assert 140 <= sum(types.values()) - 16 <= 160
    assert sorted(store.projects) == ["DATA", "MOB", "PLAT", "WEB"]
    epics = [k for k, i in store.issues.items() if i["fields"]["issuetype"]["name"] == "Epic"]
    assert all("okr" in store.issues[k]["fields"]["labels"] for k in epics)
    # done
    assert store.issues["PLAT-4"]["fields"]["status"]["statusCategory"]["key"] == "done"
    assert all(c["fields"]["resolution"] for c in children(store, "PLAT-4"))
    assert [c["fields"]["resolution"]["name"] for c in children(store, "PLAT-4")].count("Won't Do") == 1
    # stale: no status change for > 14 days before the as-of date; the others moved recently
    assert last_status_change(store, [c["key"] for c in children(store, "MOB-3")]) < "2026-11-06"
    for epic in epics:
        if epic not in ("MOB-3", "PLAT-4"):
            assert last_status_change(store, [c["key"] for c in children(store, epic)]) >= "2026-11-06", epic
    # unestimated
    points = catalog.STORY_POINTS_FIELD[flavor]
    assert sum(c["fields"][points] is None for c in children(store, "WEB-3")) == 5
    assert all(c["fields"][points] is not None for c in children(store, "WEB-1"))
    # at risk: far behind the ~54 % expected by 2026-11-20
    for epic in ("MOB-1", "DATA-2"):
        kids = children(store, epic)
        done = sum(c["fields"]["status"]["statusCategory"]["key"] == "done" for c in kids)
        assert done / len(kids) < 0.25
    # metric KR
    okr_current = next(f["id"] for f in store.fields if f["name"] == "OKR Current")
    assert store.issues["PLAT-2"]["fields"][okr_current] == 520.0


def test_dialect_differences() -> None:
    cloud = build_store("cloud", "demo")
    dc = build_store("datacenter", "demo")
    c, d = cloud.issues["MOB-5"]["fields"], dc.issues["MOB-5"]["fields"]
    assert c["parent"]["key"] == c["customfield_10014"] == d["customfield_10101"]
    assert d["parent"] is None and "customfield_10014" not in d
    assert "name" in d["assignee"] or d["assignee"] is None
    assert cloud.issues["PLAT-2"]["fields"]["parent"]["key"] == "PLAT-1"
    assert dc.issues["PLAT-2"]["fields"]["issuelinks"]
    assert dc.issues["PLAT-2"]["fields"]["customfield_10102"] == dc.issues["PLAT-2"]["fields"]["summary"]


@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
def test_changelogs_consistent_with_dates(flavor: catalog.Flavor) -> None:
    store = build_store(flavor, "demo")
    for key, issue in store.issues.items():
        f = issue["fields"]
        hist = store.changelog.get(key, [])
        assert [h["created"] for h in hist] == sorted(h["created"] for h in hist)
        assert f["updated"] == max([f["created"], *(h["created"] for h in hist)])
        cat_changes = [
            h["created"]
            for h in hist
            for it in h["items"]
            if it["field"] == "status"
            and catalog.STATUSES[it["fromString"]][1] != catalog.STATUSES[it["toString"]][1]
        ]
        assert f["statuscategorychangedate"] == (cat_changes[-1] if cat_changes else f["created"])
        if f["status"]["statusCategory"]["key"] == "done":
            assert f["resolutiondate"] == cat_changes[-1]
        else:
            assert f["resolution"] is None and f["resolutiondate"] is None


def test_demo_is_deterministic_and_okr_fields_optional() -> None:
    a, b = build_store("cloud", "demo"), build_store("cloud", "demo")
    assert a.to_json() == b.to_json()
    assert not any(f["name"].startswith("OKR P") for f in a.fields)
    with_fields = build_store("cloud", "demo", okr_fields=True)
    names = {f["name"]: f for f in with_fields.fields}
    assert {"OKR Progress", "OKR Expected", "OKR Status", "OKR Objective", "OKR Key Result"} <= set(names)
    status_id = names["OKR Status"]["id"]
    assert [o["value"] for o in with_fields.field_options[status_id]] == [
        "Done",
        "On track",
        "At risk",
        "Off track",
        "Not started",
        "No data",
        "Overdue",
    ]


def test_generated_dataset_size_seed_and_speed() -> None:
    t0 = time.monotonic()
    big = build_store("datacenter", "generated", epics=200, issues_per_epic=50, seed=3)
    assert time.monotonic() - t0 < 5
    assert len(big.issues) == 200 + 200 * 50
    assert (
        build_store("cloud", "generated", epics=5, issues_per_epic=3, seed=1).to_json()
        == build_store("cloud", "generated", epics=5, issues_per_epic=3, seed=1).to_json()
    )


def test_demo_config_validates_and_its_epics_exist(sim: JiraSimulator) -> None:
    cfg = load_config(DEMO_CONFIG, use_env=False)
    assert cfg.jira.url == "http://127.0.0.1:8080" and cfg.jira.email == catalog.DEMO_EMAIL
    assert len([o for o in cfg.objectives if o.level == "company"]) == 3
    for kr in cfg.key_results:
        if kr.epic:
            issue = get(sim, f"/issue/{kr.epic}", params={"fields": "issuetype"}).json()
            assert issue["fields"]["issuetype"]["name"] == "Epic"
        if kr.metric:
            assert any(f["name"] == kr.metric.field for f in get(sim, "/field").json())
    jql = next(kr.jql for kr in cfg.key_results if kr.jql)
    path = "/search/jql" if sim.flavor == "cloud" else "/search"
    assert [i["key"] for i in get(sim, path, params={"jql": jql, "fields": "key"}).json()["issues"]] == [
        "DATA-3"
    ]


def test_demo_config_url_overridable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OKRSYNC_JIRA__URL", "http://127.0.0.1:9999")
    assert load_config(DEMO_CONFIG).jira.url == "http://127.0.0.1:9999"


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    with JiraSimulator("datacenter", "demo") as sim:
        sim.transition("MOB-1", "Done")
        sim.set_fields("MOB-2", {"Story Points": 13})
        requests.put(
            f"{sim.url}/rest/api/2/issue/MOB-3/properties/p", json={"x": 1}, auth=("demo", "demo"), timeout=5
        )
        sim.save(path)
        before = sim.store.to_json()
    with JiraSimulator("datacenter", load=path) as again:
        assert again.store.to_json() == {**before, "version": again.store.version}
        assert get(again, "/issue/MOB-3/properties/p").json()["value"] == {"x": 1}
        r = requests.post(f"{again.url}/_sim/load", json={"path": str(path)}, timeout=5)
        assert r.status_code == 200 and r.json()["issues"] == len(before["issues"])
    with pytest.raises(ValueError, match="flavor"):
        JiraSimulator("cloud", load=path)


def test_run_sim_serves_until_stopped_and_saves(tmp_path: Path) -> None:
    stop = threading.Event()
    console = Console(record=True, width=200)
    result: list[int] = []
    save = tmp_path / "out.json"
    thread = threading.Thread(
        target=lambda: result.append(
            run_sim(
                host="127.0.0.1",
                port=0,
                dataset="demo",
                flavor="datacenter",
                epics=1,
                issues_per_epic=1,
                seed=1,
                load=None,
                save=save,
                latency_ms=0,
                rate_limit=None,
                error_rate=0.0,
                drop_rate=0.0,
                webhook="http://127.0.0.1:9/hook",
                webhook_secret="s",
                okr_fields=True,
                console=console,
                stop=stop,
            )
        )
    )
    thread.start()
    deadline = time.monotonic() + 5
    while "curl" not in console.export_text(clear=False) and time.monotonic() < deadline:
        time.sleep(0.05)
    text = console.export_text(clear=False)
    url = next(w for w in text.split() if w.startswith("http://127.0.0.1:") and "/" not in w[7:].rstrip("/"))
    assert (
        requests.get(
            f"{url}/rest/api/2/myself", headers={"Authorization": "Bearer demo-pat"}, timeout=5
        ).status_code
        == 200
    )
    stop.set()
    thread.join(5)
    assert result == [0] and save.exists()
    assert "demo-token" in text and "Data Center" in text
