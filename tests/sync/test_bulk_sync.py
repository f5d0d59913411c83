"""Bulk writes on Cloud, end to end (issue 15, Build 1): a first sync of a site whose key results
have many action plans writes them in bulk edits, leaves Jira exactly as the per-issue path does,
falls back to per-issue edits (saying so once) without the Bulk change permission, maps a task's
per-issue failures back to their issues, and converges after dying mid-bulk. A site of many key
results sets their ``okrsync`` properties in ``properties/multi`` batches, each only after its
issue's comments landed."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from okrsync.domain.config import Settings, load_config
from okrsync.jira.errors import JiraBadRequest
from okrsync.jira.gateway import JiraGateway
from okrsync.jira_sim.simulator import JiraSimulator
from okrsync.jira_sim.tasks import revoke_bulk_change, set_task_polls
from okrsync.state.store import StateStore
from okrsync.sync.engine import SyncReport, run_sync

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
EPICS = 4
PER_EPIC = 25
OKR_FIELDS = (
    "OKR Progress",
    "OKR Expected",
    "OKR Status",
    "OKR Objective",
    "OKR Key Result",
    "OKR Objective ID",
)


class Died(BaseException):
    """The process died here (as in test_exactly_once.py)."""


@pytest.fixture
def site(sim_factory: Any) -> JiraSimulator:
    return sim_factory("cloud", dataset="generated", epics=EPICS, issues_per_epic=PER_EPIC, okr_fields=True)


def epics_of(sim: JiraSimulator) -> list[str]:
    with sim.store.lock:
        return sorted(k for k, i in sim.store.issues.items() if i["fields"]["issuetype"]["name"] == "Epic")


def settings(sim: JiraSimulator, tmp_path: Path) -> Settings:
    email, token = sim.credentials
    config = {
        "jira": {"url": sim.url, "email": email, "api_token": token, "requests_per_second": 1000},
        "period": {"name": "2026-Q4", "start": "2026-10-01", "end": "2026-12-31"},
        "objectives": [
            {"id": "CO-1", "title": "Company objective", "level": "company"},
            {"id": "T1", "title": "Team objective 1", "aligns_to": "CO-1"},
            {"id": "T2", "title": "Team objective 2", "aligns_to": "CO-1"},
        ],
        "key_results": [
            {"objective": f"T{1 + n % 2}", "epic": key, "measure": "issues"}
            for n, key in enumerate(epics_of(sim))
        ],
        "writeback": {"enabled": True},
        "sync": {"state_url": f"sqlite:///{tmp_path / 'state.db'}"},
    }
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "okrsync.yaml"
    path.write_text(json.dumps(config), encoding="utf-8")
    return load_config(path)


def sync(
    cfg: Settings, db: Path, now: datetime = NOW, hook: Callable[[JiraGateway], None] | None = None
) -> SyncReport:
    with StateStore.open(f"sqlite:///{db}") as store, JiraGateway(cfg.jira) as gateway:
        if hook is not None:
            hook(gateway)
        return run_sync(cfg, store=store, gateway=gateway, now=now)


def okr_values(sim: JiraSimulator) -> dict[str, tuple[Any, ...]]:
    ids = [sim.field_id(n) for n in OKR_FIELDS]
    with sim.store.lock:
        return {
            key: (
                *(issue["fields"].get(f) for f in ids),
                sim.store.item_properties.get(key),
                issue["properties"].get("okrsync"),
            )
            for key, issue in sim.store.issues.items()
        }


def counts(sim: JiraSimulator) -> dict[str, int]:
    return dict(sim.requests()["counts"])


def no_bulk_properties(gateway: JiraGateway) -> None:
    gateway.bulk_properties.available = lambda: False  # type: ignore[method-assign]


def per_issue_reference(
    sim: JiraSimulator, tmp_path: Path, prepare: Callable[[JiraSimulator], None] = lambda sim: None
) -> tuple[SyncReport, dict[str, tuple[Any, ...]], dict[str, int]]:
    """The same first sync on the per-issue path (the account without Bulk change, and the
    properties one issue at a time)."""
    sim.reset()
    prepare(sim)
    revoke_bulk_change(sim)
    report = sync(settings(sim, tmp_path / "ref"), tmp_path / "ref.db", hook=no_bulk_properties)
    values, requests = okr_values(sim), counts(sim)
    sim.reset()
    prepare(sim)
    return report, values, requests


def test_a_first_sync_writes_action_plans_in_bulk_and_leaves_jira_as_the_per_issue_path(
    site: JiraSimulator, tmp_path: Path
) -> None:
    ref, ref_values, ref_counts = per_issue_reference(site, tmp_path)
    assert ref.status == "ok" and ref.field_edits == EPICS * (PER_EPIC + 1)
    assert ref_counts["PUT /rest/api/3/issue/{key}"] == EPICS * (PER_EPIC + 1)

    report = sync(settings(site, tmp_path), tmp_path / "state.db")
    assert report.status == "ok", report.as_dict()
    assert okr_values(site) == ref_values  # every field and property as the per-issue path left them
    got = counts(site)
    # one bulk edit and one poll per KR's action plans; the epics (values of their own) per issue
    assert got["POST /rest/api/3/bulk/issues/fields"] == EPICS
    assert got["GET /rest/api/3/bulk/queue/{taskId}"] == EPICS
    assert got["PUT /rest/api/3/issue/{key}"] == EPICS
    assert got["GET /rest/api/3/mypermissions"] == 1
    assert report.requests == ref.requests - EPICS * PER_EPIC + 2 * EPICS  # both asked mypermissions once
    assert (report.field_edits, report.field_values) == (ref.field_edits, ref.field_values)
    assert not any("Bulk change" in w for w in report.warnings)
    # recorded as per-issue edits are: the next sync writes nothing
    again = sync(settings(site, tmp_path), tmp_path / "state.db", NOW.replace(minute=15))
    assert again.status == "ok" and again.writes == 0


def test_without_bulk_change_it_edits_per_issue_and_says_so_once(site: JiraSimulator, tmp_path: Path) -> None:
    revoke_bulk_change(site)
    report = sync(settings(site, tmp_path), tmp_path / "state.db")
    assert report.status == "ok"
    said = [w for w in report.warnings if "Bulk change" in w]
    assert said == [
        f"{EPICS * PER_EPIC} field edits setting the same values went out one issue at a time: okrsync's "
        f"account lacks Jira's global Bulk change permission (grant it to write them in {EPICS} bulk edits)"
    ]
    got = counts(site)
    assert "POST /rest/api/3/bulk/issues/fields" not in got
    assert got["PUT /rest/api/3/issue/{key}"] == EPICS * (PER_EPIC + 1)


def test_issues_a_task_failed_go_per_issue_and_their_errors_are_reported(
    site: JiraSimulator, tmp_path: Path
) -> None:
    ref, ref_values, _ = per_issue_reference(
        site,
        tmp_path,
        lambda sim: sim.set_off_screen("GB", ["OKR Key Result"]),  # GB's screens lack it
    )
    report = sync(settings(site, tmp_path), tmp_path / "state.db")
    assert report.status == ref.status == "partial"
    assert okr_values(site) == ref_values
    assert sorted(e["issue"] for e in report.as_dict()["errors"]) == sorted(
        e["issue"] for e in ref.as_dict()["errors"]
    )
    got = counts(site)
    # GB's KR: its bulk edit failed on every issue; they went per issue (each one refused the field
    # and was written without it, as on the per-issue path)
    assert got["POST /rest/api/3/bulk/issues/fields"] == EPICS


@pytest.mark.parametrize("polls_running", [0, 2])
def test_dying_mid_bulk_converges(site: JiraSimulator, tmp_path: Path, polls_running: int) -> None:
    _ref, ref_values, _ = per_issue_reference(site, tmp_path)
    set_task_polls(site, polls_running)
    cfg, db = settings(site, tmp_path), tmp_path / "state.db"

    def die_polling_the_second_task(gateway: JiraGateway) -> None:
        original = gateway.bulk.poll
        polled: list[str] = []

        def dying(task_id: str, **kw: Any) -> Any:
            polled.append(task_id)
            if len(polled) == 2:
                raise Died()
            return original(task_id, **kw)

        gateway.bulk.poll = dying  # type: ignore[method-assign]

    with pytest.raises(Died):
        sync(cfg, db, hook=die_polling_the_second_task)
    after = sync(cfg, db, NOW.replace(minute=15))
    assert after.status == "ok", after.as_dict()
    assert okr_values(site) == ref_values
    # every submitted edit had landed in Jira: the next plan sees it, nothing of it is sent again
    assert counts(site).get("POST /rest/api/3/bulk/issues/fields") == EPICS
    assert sync(cfg, db, NOW.replace(minute=30)).writes == 0


# ------------------------------------------------------------------ properties in bulk

MANY = 120  # key results: two properties/multi batches (100 issues a request)
PROPS_MULTI = "POST /rest/api/3/issue/properties/multi"
PROP_PUT = "PUT /rest/api/3/issue/{key}/properties/{propertyKey}"


@pytest.fixture
def many(sim_factory: Any) -> JiraSimulator:
    return sim_factory("cloud", dataset="generated", epics=MANY, issues_per_epic=1, okr_fields=True)


def test_a_first_sync_of_many_krs_sets_their_properties_in_a_handful_of_requests(
    many: JiraSimulator, tmp_path: Path
) -> None:
    ref, ref_values, ref_counts = per_issue_reference(many, tmp_path)
    assert ref.status == "ok" and ref_counts[PROP_PUT] == MANY and PROPS_MULTI not in ref_counts
    report = sync(settings(many, tmp_path), tmp_path / "state.db")
    assert report.status == "ok", report.as_dict()
    assert okr_values(many) == ref_values  # every field and property as the per-issue path left them
    got = counts(many)
    assert got[PROPS_MULTI] == 2
    assert got["GET /rest/api/3/task/{taskId}"] == 2
    assert got["POST /rest/api/3/issue/bulkfetch"] == 2
    assert PROP_PUT not in got
    assert report.requests == ref.requests - MANY + 6
    assert report.writes == ref.writes  # the properties count as written, as per issue
    # recorded as per-issue writes are: the next sync writes nothing
    again = sync(settings(many, tmp_path), tmp_path / "state.db", NOW.replace(minute=15))
    assert again.status == "ok" and again.writes == 0
    assert many.deviations() == []


def test_a_property_the_task_does_not_write_goes_per_issue(many: JiraSimulator, tmp_path: Path) -> None:
    epic = epics_of(many)[7]
    _ref, ref_values, _ = per_issue_reference(many, tmp_path)
    many.set_faults(task_failed_issues=[epic])
    report = sync(settings(many, tmp_path), tmp_path / "state.db")
    assert report.status == "ok", report.as_dict()
    assert okr_values(many) == ref_values
    got = counts(many)
    assert got[PROPS_MULTI] == 2 and got[PROP_PUT] == 1  # the one the task failed on, per issue
    log = many.requests()["log"]
    assert [e["path"] for e in log if e["method"] == "PUT" and "/properties/" in e["path"]] == [
        f"/rest/api/3/issue/{epic}/properties/okrsync"
    ]


def test_a_failed_task_leaves_every_property_to_the_per_issue_path(
    many: JiraSimulator, tmp_path: Path
) -> None:
    _ref, ref_values, _ = per_issue_reference(many, tmp_path)
    many.set_faults(fail_tasks=True)  # bulk edits' tasks fail too: those go per issue as well
    report = sync(settings(many, tmp_path), tmp_path / "state.db")
    assert report.status == "ok", report.as_dict()
    assert okr_values(many) == ref_values
    assert counts(many)[PROP_PUT] == MANY


def announced_on_track(sim: JiraSimulator) -> None:
    """Every KR epic shows On track in Jira: a first sync that finds another health posts its
    status comment."""
    for key in epics_of(sim):
        sim.set_fields(key, {"OKR Status": {"value": "On track"}})


def test_a_property_waits_for_its_issue_s_status_comment(many: JiraSimulator, tmp_path: Path) -> None:
    ref, ref_values, _ = per_issue_reference(many, tmp_path, announced_on_track)
    moved = [
        k
        for k in epics_of(many)
        if (ref_values[k][OKR_FIELDS.index("OKR Status")] or {}).get("value") not in ("On track", "Done")
    ]
    assert len(moved) >= 10 and ref.comments_posted >= len(moved)
    epic = moved[3]

    def refuse_its_comment(gateway: JiraGateway) -> None:
        original = gateway.add_comment

        def add_comment(key: str, *args: Any, **kw: Any) -> Any:
            if key == epic:
                raise JiraBadRequest("Comment body can not be empty!", status=400)
            return original(key, *args, **kw)

        gateway.add_comment = add_comment  # type: ignore[method-assign]

    report = sync(settings(many, tmp_path), tmp_path / "state.db", hook=refuse_its_comment)
    assert report.status == "partial"
    assert {e["issue"] for e in report.as_dict()["errors"]} == {epic}
    assert f"{epic}: its okrsync property waits for its status comment (next run)" in report.warnings
    with many.store.lock:
        assert "okrsync" not in many.store.issues[epic]["properties"]
    got = counts(many)
    assert got[PROPS_MULTI] == 2 and PROP_PUT not in got  # the others in bulk, that one not at all
    # the next run writes it (after its comments): Jira ends as the per-issue path left it
    after = sync(settings(many, tmp_path), tmp_path / "state.db", NOW.replace(minute=15))
    assert after.status == "ok", after.as_dict()
    assert okr_values(many) == ref_values
    assert after.properties == 1
