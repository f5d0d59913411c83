"""Exactly once over a campaign of kills (issue 14, Done when): runs die at varied moments, users
change issues between them, and one clean run later the site shows what a never-killed twin shows.

A run dies by a ``BaseException`` from inside the gateway's request path, before a chosen write is
sent or right after Jira answered it (nothing of okrsync runs after it, as with a SIGKILL; the
process-level kills are in test_sync_crash.py). Per dialect: 30 kills on one state database, and
30 more where the database is deleted once along the way.

The suite runs one campaign per parameter. To search for windows, run many, sequentially and with
workers: ``for s in $(seq 1 40); do KILL_CAMPAIGN_SEED=$s OKRSYNC_JIRA__MAX_CONCURRENCY=1 pytest
tests/sync/test_kill_campaign.py -q; done`` (and again with ``OKRSYNC_JIRA__MAX_CONCURRENCY=8``).
"""

from __future__ import annotations

import os
import random
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from test_failing_sources import settings

from okrsync.domain.config import Settings
from okrsync.jira.gateway import JiraGateway
from okrsync.jira.markup import plain_text
from okrsync.jira_sim.simulator import JiraSimulator
from okrsync.state.store import StateStore
from okrsync.sync.engine import SyncReport, run_sync

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
KILLS = 30
WRITES = ("PUT", "POST", "DELETE")
_STATUS = re.compile(r"OKR status: (.+?) → (.+?) \(as of")


class Died(BaseException):
    pass


def sync(cfg: Settings, db: Path, now: datetime, die_at: tuple[int, bool] | None = None) -> SyncReport | None:
    """One run; with ``die_at=(n, after)`` it dies at its n-th write (before sending, or after the
    answer). Returns None when it died."""
    with StateStore.open(f"sqlite:///{db}") as store, JiraGateway(cfg.jira) as gateway:
        if die_at is not None:
            n, after = die_at
            client: Any = gateway._client
            call = client.call
            seen = [0]

            def dying(method: str, *args: Any, **kwargs: Any) -> Any:
                if method in WRITES and "/search" not in args[0] and "comment/list" not in args[0]:
                    seen[0] += 1
                    if seen[0] == n and not after:
                        raise Died()
                    out = call(method, *args, **kwargs)
                    if seen[0] == n:
                        raise Died()
                    return out
                return call(method, *args, **kwargs)

            client.call = dying
        try:
            return run_sync(cfg, store=store, gateway=gateway, now=now)
        except Died:
            return None


def change_something(sims: list[JiraSimulator], rng: random.Random, keys: list[str]) -> None:
    """The same user change on every site: an action plan done, reopened or started."""
    key = rng.choice(keys)
    status = rng.choice(["Done", "In Progress", "To Do"])
    for sim in sims:
        sim.transition(key, status, resolution="Done" if status == "Done" else None)


def status_of(sim: JiraSimulator, key: str) -> str | None:
    value = sim.issue(key)["fields"].get(sim.field_id("OKR Status"))
    return value.get("value") if isinstance(value, dict) else value


def comments_by_identity(sim: JiraSimulator) -> dict[tuple[str, str], list[str]]:
    out: dict[tuple[str, str], list[str]] = {}
    for key in list(sim.store.issues):
        for c in sim.comments(key):
            text = plain_text(c["body"])
            if "— okrsync · " in text:
                identity = text.rsplit("— okrsync · ", 1)[1].strip()
                out.setdefault((key, identity), []).append(text)
    return out


def okr_values(sim: JiraSimulator) -> dict[str, Any]:
    ids = [
        sim.field_id(n)
        for n in ("OKR Progress", "OKR Expected", "OKR Status", "OKR Objective", "OKR Key Result")
    ]
    return {
        key: ([raw["fields"].get(f) for f in ids], (raw.get("properties") or {}).get("okrsync"))
        for key, raw in sim.store.issues.items()
    }


@pytest.mark.slow
@pytest.mark.parametrize("lose_db", [False, True], ids=["same-db", "db-deleted-once"])
@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
def test_thirty_kills_then_one_clean_run_equal_a_run_never_killed(
    sim_factory: Any, tmp_path: Path, flavor: str, lose_db: bool
) -> None:
    sim = sim_factory(flavor, okr_fields=True)
    twin = sim_factory(flavor, okr_fields=True)
    cfg, twin_cfg = settings(sim, tmp_path / "a"), settings(twin, tmp_path / "b")
    db, twin_db = tmp_path / "a.db", tmp_path / "b.db"
    first = sync(cfg, db, NOW)
    assert first is not None and first.status == "ok"
    assert sync(twin_cfg, twin_db, NOW) is not None
    baseline = {
        kr.jira_key: status_of(sim, kr.jira_key) for kr in first.scored.tree.key_results if kr.jira_key
    }  # type: ignore[union-attr]
    plans = [p.key for kr in first.scored.tree.key_results for p in kr.action_plans]  # type: ignore[union-attr]

    # KILL_CAMPAIGN_SEED=n runs another campaign (a search for windows: see the module's docstring)
    rng = random.Random(f"{flavor}-{lose_db}{os.environ.get('KILL_CAMPAIGN_SEED', '')}")
    died = 0
    now = NOW
    for kill in range(KILLS):
        now += timedelta(minutes=15)
        change_something([sim, twin], rng, plans)
        change_something([sim, twin], rng, plans)
        if lose_db and kill == KILLS // 2:
            db.unlink()
        report = sync(cfg, db, now, die_at=(rng.randint(1, 3), rng.random() < 0.5))
        died += report is None
        if kill % 3 == 0:  # the twin syncs from time to time, never killed
            assert sync(twin_cfg, twin_db, now) is not None
    print(f"{flavor} lose_db={lose_db}: {died} of {KILLS} runs died")
    assert died >= KILLS // 2  # most runs really died (some had fewer writes than the kill point)

    end = now + timedelta(minutes=15)
    final = sync(cfg, db, end)
    twin_final = sync(twin_cfg, twin_db, end)
    assert final is not None and twin_final is not None
    assert final.status == "ok" and twin_final.status == "ok", final.as_dict()

    # 0 lost writes: every field and property as on the site never killed
    assert okr_values(sim) == okr_values(twin)
    # 0 duplicates
    seen = comments_by_identity(sim)
    assert all(len(texts) == 1 for texts in seen.values()), {k: len(v) for k, v in seen.items() if len(v) > 1}
    # 0 missing or outdated status comments: where the health moved from the first sync's, the KR
    # has its status comment and it names the health Jira shows now
    for key, before in baseline.items():
        now_shows = status_of(sim, key)
        comment = seen.get((key, "status"))
        if now_shows != before and now_shows not in ("Done", "No data"):
            assert comment is not None, (key, before, now_shows)
        if comment is not None and now_shows not in ("Done", "No data"):
            match = _STATUS.search(comment[0])
            assert match is not None and match.group(2) == now_shows, (key, comment[0], now_shows)
    # every celebration and reminder the twin made, made once here too
    assert {k for k in seen if k[1] != "status"} >= {
        k for k in comments_by_identity(twin) if k[1] != "status"
    }
    # 0 runs left running
    with StateStore.open(f"sqlite:///{db}") as store:
        assert [r.run_id for r in store.runs(200) if r.status == "running"] == []
