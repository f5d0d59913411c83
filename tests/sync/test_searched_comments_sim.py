"""A first sync reads no comments one by one: a search shows the KR epics' comments (issue 15).

Before posting a comment the state store does not know of, okrsync looks for one it posted before
(:func:`okrsync.sync.writeback.plan_with_jira_comments`); the issues the store knows no comment of
are searched for their comments, 50 a request on Cloud (reconciled), and only those whose search
shows an okrsync footer, or not all of their comments, are read (:mod:`okrsync.sync.searched_comments`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from test_exactly_once import NOW, identities, sync
from test_failing_sources import settings

from okrsync.jira.gateway import JiraGateway
from okrsync.jira.markup import plain_text
from okrsync.jira_sim.routes import search as sim_search
from okrsync.jira_sim.simulator import JiraSimulator
from okrsync.state.store import StateStore
from okrsync.sync import searched_comments
from okrsync.sync.engine import run_sync
from okrsync.sync.searched_comments import complete_comments

FOOTER = "— okrsync · "


def comment_reads(sim: JiraSimulator) -> Counter[str]:
    """Issue key → ``GET …/issue/{key}/comment`` requests."""
    log = sim.requests()["log"]
    return Counter(
        e["path"].split("/issue/")[1].split("/")[0]
        for e in log
        if e["method"] == "GET" and e["path"].endswith("/comment")
    )


@pytest.fixture
def searches(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, list[str], list[int]]]]:
    """Every search okrsync makes for comments: (jql, fields, reconciled ids)."""
    seen: list[tuple[str, list[str], list[int]]] = []
    original = JiraGateway.search

    def spy(self: JiraGateway, jql: str, fields: Any, **kw: Any) -> Any:
        if list(fields) == ["comment"]:
            seen.append((jql, list(fields), list(kw.get("reconcile") or ())))
        return original(self, jql, fields, **kw)

    monkeypatch.setattr(JiraGateway, "search", spy)
    yield seen


def posted_on(sim: JiraSimulator) -> set[str]:
    return {key for key, _identity in identities(sim)}


@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
def test_a_first_sync_reads_no_comment_one_by_one(
    sim_factory: Any, tmp_path: Path, flavor: str, searches: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # before: one read per issue okrsync posts on
    before_sim = sim_factory(flavor, okr_fields=True)
    with monkeypatch.context() as m:
        m.setattr(searched_comments, "MIN_ISSUES", 10**9)
        before = sync(settings(before_sim, tmp_path / "before"), tmp_path / "before.db", NOW)
    assert before.status == "ok"
    reads_before = comment_reads(before_sim)
    assert set(reads_before) == posted_on(before_sim) and len(reads_before) >= 2
    searches.clear()

    sim = sim_factory(flavor, okr_fields=True)
    first = sync(settings(sim, tmp_path), tmp_path / "state.db", NOW)
    assert first.status == "ok", [e.as_dict() for e in first.errors]
    assert comment_reads(sim) == Counter()  # a fresh site: nothing to read
    assert sorted(identities(sim)) == sorted(identities(before_sim))  # the same comments
    assert first.comments_posted == before.comments_posted
    # the issues it posted on were searched: ⌈n ÷ 50⌉ requests on Cloud, reconciled, 1 on DC
    searched = {k for jql, _f, _ids in searches for k in posted_on(sim) if f'"{k}"' in jql}
    assert searched == posted_on(sim)
    assert len(searches) == 1 and first.requests == before.requests - len(reads_before) + 1
    if flavor == "cloud":
        ((_jql, _fields, ids),) = searches
        assert sorted(ids) == sorted(int(sim.issue(k)["id"]) for k in posted_on(sim))
    with StateStore.open(f"sqlite:///{tmp_path / 'state.db'}") as store:  # the mirror keeps none
        assert not any("comment" in (m.raw.get("fields") or {}) for m in store.issues().values())
    # a steady cycle searches nothing: the store knows the comments
    searches.clear()
    sim.reset_counters()
    again = sync(settings(sim, tmp_path), tmp_path / "state.db", NOW + timedelta(minutes=30))
    assert again.status == "ok" and again.comments_posted == 0
    assert searches == [] and comment_reads(sim) == Counter()


def _drop_markers(sim: JiraSimulator, keys: list[str]) -> None:
    """Footer only: the comments' ``okrsync`` property gone (a run killed between POST and PUT)."""
    with sim.store.lock:
        for key in keys:
            for c in sim.store.comments.get(key, []):
                c["properties"] = {}


@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
def test_a_lost_database_adopts_every_comment_with_marker_or_footer_only(
    sim_factory: Any, tmp_path: Path, flavor: str, searches: list[Any]
) -> None:
    sim = sim_factory(flavor, okr_fields=True)
    cfg = settings(sim, tmp_path)
    first = sync(cfg, tmp_path / "state.db", NOW)
    assert first.status == "ok" and first.comments_posted >= 2
    ours = sorted(identities(sim))
    keys = sorted({k for k, _i in ours})
    footer_only = keys[:1]
    _drop_markers(sim, footer_only)
    sim.reset_counters()
    searches.clear()

    lost = sync(cfg, tmp_path / "new.db", NOW)  # a new, empty state database
    assert lost.status == "ok", [e.as_dict() for e in lost.errors]
    assert lost.comments_posted == 0 and sorted(identities(sim)) == ours  # nothing twice
    with StateStore.open(f"sqlite:///{tmp_path / 'new.db'}") as store:
        adopted = sorted((k, target) for (k, kind, target) in store.applied() if kind == "comment")
    assert adopted == ours  # every one of them adopted: recorded as okrsync's
    # the search showed okrsync's footers: each such issue was read, with its markers
    assert set(comment_reads(sim)) == set(keys)
    assert any("marker repaired" in w for w in lost.warnings)
    for key in footer_only:
        assert all(c["properties"] for c in sim.comments(key) if FOOTER in plain_text(c["body"]))


def _user_comments(sim: JiraSimulator, key: str, count: int) -> None:
    with sim.store.lock:
        user = next(iter(sim.store.users.values()))
        for n in range(count):
            sim.store.add_comment(key, f"note {n}", user, api_version="2")


@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
def test_an_issue_with_more_comments_than_the_search_shows_is_read(
    sim_factory: Any, tmp_path: Path, flavor: str, searches: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    probe = sim_factory(flavor, okr_fields=True)
    sync(settings(probe, tmp_path / "probe"), tmp_path / "probe.db", NOW)
    many, few = sorted(posted_on(probe))[:2]

    sim = sim_factory(flavor, okr_fields=True)
    monkeypatch.setattr(sim_search, "CLOUD_SEARCH_COMMENTS", 3)
    _user_comments(sim, many, 4)  # more than a Cloud search shows
    _user_comments(sim, few, 3)  # all shown
    first = sync(settings(sim, tmp_path), tmp_path / "state.db", NOW)
    assert first.status == "ok", [e.as_dict() for e in first.errors]
    # Cloud's search shows 3 of many's 4: it is read; Data Center's shows them all
    assert comment_reads(sim) == (Counter({many: 1}) if flavor == "cloud" else Counter())
    assert sorted(identities(sim)) == sorted(identities(probe))


@pytest.mark.parametrize(
    ("page", "whole"),
    [
        ({"comments": [], "total": 0, "maxResults": 0, "startAt": 0}, True),
        ({"comments": [{"id": "1", "body": "hi"}], "total": 1, "maxResults": 100, "startAt": 0}, True),
        ({"comments": [{"id": "1", "body": "hi"}], "total": 2, "maxResults": 1, "startAt": 0}, False),
        ({"comments": [{"id": "2", "body": "hi"}], "total": 2, "maxResults": 1, "startAt": 1}, False),
        ({"comments": [{"id": "1", "body": f"x\n{FOOTER}status"}], "total": 1, "startAt": 0}, False),
        (
            {
                "comments": [
                    {
                        "id": "1",
                        "body": {
                            "type": "doc",
                            "version": 1,
                            "content": [
                                {"type": "paragraph", "content": [{"type": "text", "text": f"{FOOTER}stale"}]}
                            ],
                        },
                    }
                ],
                "total": 1,
                "startAt": 0,
            },
            False,
        ),
        ({"comments": [], "startAt": 0}, False),  # no total: cannot tell
        (None, False),
        ({"comments": "x", "total": 0}, False),
    ],
)
def test_which_searched_comments_stand_for_a_read(page: Any, whole: bool) -> None:
    assert (complete_comments(page) is not None) is whole


@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
def test_the_simulator_returns_the_comment_field_as_jira_does(
    sim_factory: Any, tmp_path: Path, flavor: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim = sim_factory(flavor, okr_fields=True)
    key = sorted(sim.store.issues)[0]
    monkeypatch.setattr(sim_search, "CLOUD_SEARCH_COMMENTS", 2)
    _user_comments(sim, key, 3)
    with JiraGateway(settings(sim, tmp_path).jira) as gw:
        (raw,) = list(gw.search(f'key = "{key}"', ["comment"]))
    page = raw["fields"]["comment"]
    assert page["total"] == 3 and page["startAt"] == 0
    shown = 2 if flavor == "cloud" else 3  # Cloud caps a search's comments; total counts them all
    assert [plain_text(c["body"]) for c in page["comments"]] == [f"note {n}" for n in range(shown)]
    assert page["maxResults"] >= shown


@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
def test_a_dry_run_searches_as_the_run_does_and_plans_what_it_does(
    sim_factory: Any, tmp_path: Path, flavor: str, searches: list[Any]
) -> None:
    sim = sim_factory(flavor, okr_fields=True)
    cfg = settings(sim, tmp_path)
    db = tmp_path / "state.db"
    with StateStore.open(f"sqlite:///{db}") as store, JiraGateway(cfg.jira) as gateway:
        dry = run_sync(cfg, store=store, gateway=gateway, now=NOW, dry_run=True)
    assert dry.plan is not None and comment_reads(sim) == Counter() and len(searches) == 1
    dry_searches = list(searches)
    searches.clear()
    run = sync(cfg, db, NOW)
    assert run.plan is not None and run.plan.changes == dry.plan.changes
    assert searches == dry_searches and comment_reads(sim) == Counter()
    assert run.comments_posted == len([c for c in dry.plan.comments if c.existing_id is None]) >= 2
