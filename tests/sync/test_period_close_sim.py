"""Closing an OKR period across a sync that straddles its end (issue 16, Build 2), both dialects.

The demo company runs two quarters: 2026-Q4 (every KR) and 2027-Q1, in a fiscal year its company
objectives span; PLAT-3 carries over into 2027-Q1. A sync on Q4's last day, one a few minutes into
Q1: Q4 closes once (OKR Score, the property's ``closed``, one closing comment per KR), its KRs
freeze (a later change in Jira writes nothing to them), the carried KR goes on from where it
ended, and a run after that writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from test_exactly_once import Died, die_on
from typer.testing import CliRunner

from okrsync.cli import app as cli_app
from okrsync.cli.report import load_report_data, render
from okrsync.daemon.digest_job import compose
from okrsync.data import DEMO_CONFIG
from okrsync.domain.config import Settings, load_config
from okrsync.domain.model import exit_code_of
from okrsync.jira.gateway import JiraGateway
from okrsync.jira_sim.simulator import JiraSimulator
from okrsync.provision.check import run_check
from okrsync.state.store import StateStore
from okrsync.sync.backfill import run_backfill
from okrsync.sync.engine import SyncReport, run_sync

LAST_DAY = datetime(2026, 12, 31, 12, 0, tzinfo=UTC)
AFTER = datetime(2027, 1, 1, 0, 5, tzinfo=UTC)
CARRIED = "PLAT-3"
FROZEN = "MOB-2"  # an issues KR of Q4 with open action plans


def two_quarters(sim: JiraSimulator, tmp_path: Path) -> Settings:
    data = yaml.safe_load(DEMO_CONFIG.read_text())
    email, token = sim.credentials
    auth = {"pat": "demo-pat"} if sim.flavor == "datacenter" else {"email": email, "api_token": token}
    data["jira"] = {"url": sim.url, **auth, "requests_per_second": 1000}
    data["sync"] = {"state_url": f"sqlite:///{tmp_path / 'state.db'}"}
    del data["period"]
    data["periods"] = [
        {"name": "FY27", "start": "2026-10-01", "end": "2027-09-30", "level": "year"},
        {"name": "2026-Q4", "start": "2026-10-01", "end": "2026-12-31", "level": "quarter"},
        {"name": "2027-Q1", "start": "2027-01-01", "end": "2027-03-31", "level": "quarter"},
    ]
    for obj in data["objectives"]:
        if obj.get("level") == "company":
            obj["period"] = "FY27"
    for kr in data["key_results"]:
        kr["period"] = "2026-Q4"
        if kr.get("epic") == CARRIED:
            kr["carry_over"] = True
    path = tmp_path / "okrsync.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return load_config(path)


def sync(
    cfg: Settings, store: StateStore, now: datetime, hook: Callable[[JiraGateway], None] | None = None
) -> SyncReport:
    with JiraGateway(cfg.jira) as gateway:
        if hook is not None:
            hook(gateway)
        report = run_sync(cfg, store=store, gateway=gateway, now=now, full=True)
    assert report.status == "ok", report.as_dict()
    return report


def field(sim: JiraSimulator, key: str, name: str) -> Any:
    value = sim.issue(key)["fields"].get(sim.field_id(name))
    return value.get("value") if isinstance(value, dict) else value


def close_comments(sim: JiraSimulator, key: str) -> list[str]:
    """The closing comments on ``key`` as text (Data Center's wiki markup escapes the hyphens)."""
    bodies = (str(c["body"]).replace("\\", "") for c in sim.comments(key))
    return [b for b in bodies if "OKR period 2026-Q4 closed" in b]


def children_of(sim: JiraSimulator, epic: str) -> list[str]:
    return [
        k
        for k, issue in sim.store.issues.items()
        if (issue["fields"].get("parent") or {}).get("key") == epic
        or issue["fields"].get(sim.field_id("Epic Link")) == epic
    ]


def hand_progress(sim: JiraSimulator, epic: str) -> float:
    """An issues KR by hand: the share of its children done, the cancelled ones left out."""
    children = [
        issue
        for issue in sim.store.issues.values()
        if (issue["fields"].get("parent") or {}).get("key") == epic
        or issue["fields"].get(sim.field_id("Epic Link")) == epic
    ]
    cancelled = {"Won't Do", "Won't Fix", "Duplicate", "Cancelled", "Canceled", "Declined", "Obsolete"}
    counted = [c for c in children if (c["fields"].get("resolution") or {}).get("name") not in cancelled]
    done = [c for c in counted if c["fields"]["status"]["statusCategory"]["key"] == "done"]
    return len(done) / len(counted)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[StateStore]:
    with StateStore.open(f"sqlite:///{tmp_path / 'state.db'}") as s:
        yield s


def test_a_sync_across_the_end_of_q4_closes_it_once_and_q1_opens(
    sim_okr: JiraSimulator, store: StateStore, tmp_path: Path
) -> None:
    sim = sim_okr
    cfg = two_quarters(sim, tmp_path)
    last_day = sync(cfg, store, LAST_DAY)
    assert last_day.scored is not None
    assert field(sim, FROZEN, "OKR Score") is None  # Q4 is still open on its last day
    assert close_comments(sim, FROZEN) == []

    closing = sync(cfg, store, AFTER)
    assert any("closed OKR period(s) 2026-Q4" in w for w in closing.warnings)
    scored = closing.scored
    assert scored is not None
    # Q4's scores in Jira match a hand computation, and the report says the same
    mob2 = hand_progress(sim, FROZEN)
    assert field(sim, FROZEN, "OKR Score") == round(mob2, 1)
    assert scored.kr(FROZEN).progress == pytest.approx(mob2)
    prop = sim.store.issues[FROZEN]["properties"]["okrsync"]
    assert prop["closed"]["period"] == "2026-Q4" and prop["closed"]["score"] == round(mob2, 1)
    (comment,) = close_comments(sim, FROZEN)
    assert f"scores {round(mob2, 1):.1f}" in comment and "no longer updates it" in comment
    mob_krs = [kr.id for kr in scored.tree.key_results if kr.objective_id == "MOB-O"]
    mob_o = sum(scored.kr(k).progress or 0 for k in mob_krs) / len(mob_krs)  # equal weights
    assert scored.objective("MOB-O").score == round(mob_o, 1)
    q4 = load_report_data(store, "2026-Q4").doc
    assert q4["closed"] == {"on": "2027-01-01"} and q4["period"]["name"] == "2026-Q4"
    by_id = {kr["id"]: kr for kr in q4["key_results"]}
    assert by_id[FROZEN]["score"] == round(mob2, 1)
    assert {o["id"]: o["score"] for o in q4["objectives"]}["MOB-O"] == round(mob_o, 1)
    shown = render("markdown", load_report_data(store, "2026-Q4"))
    assert "closed 2027" in shown.splitlines()[0]
    cli = CliRunner()
    config = ["--config", str(tmp_path / "okrsync.yaml")]
    tree = cli.invoke(cli_app.app, ["report", *config, "--period", "2026-Q4", "--format", "tree"])
    assert tree.exit_code == 0 and "OKRs 2026-Q4, closed 2027-01-01" in tree.output
    unknown = cli.invoke(cli_app.app, ["report", *config, "--period", "2027-Q2"])
    # an OkrsyncError: okrsync's main() prints it and exits 2
    assert exit_code_of(unknown.exception) == 2 and "Use one of: FY27, 2026-Q4, 2027-Q1" in str(
        unknown.exception
    )

    # the carried KR: scored for Q4, goes on in Q1 from where it ended
    carried = scored.kr(CARRIED)
    q4_end = last_day.scored.kr(CARRIED).progress
    assert carried.progress == q4_end and carried.score is None
    assert carried.expected == pytest.approx(1 / 90)  # day 1 of Q1's 90
    assert field(sim, CARRIED, "OKR Score") == round(q4_end or 0, 1)
    (said,) = close_comments(sim, CARRIED)
    assert "carries over into 2027-Q1" in said
    assert "2027-Q1" in load_report_data(store, "2027-Q1").doc["period"]["name"]
    assert CARRIED in {kr["id"] for kr in load_report_data(store, "2027-Q1").doc["key_results"]}

    # Jira moves on: a frozen KR's action plan is done, the carried KR's too
    frozen_before = {n: field(sim, FROZEN, n) for n in ("OKR Progress", "OKR Status", "OKR Score")}
    open_child = next(
        k
        for k, issue in sim.store.issues.items()
        if (issue["fields"].get("parent") or {}).get("key") == FROZEN
        or issue["fields"].get(sim.field_id("Epic Link")) == FROZEN
        if issue["fields"]["status"]["statusCategory"]["key"] != "done"
    )
    sim.transition(open_child, "Done", resolution="Done")
    later = sync(cfg, store, AFTER + timedelta(days=1))
    assert {n: field(sim, FROZEN, n) for n in frozen_before} == frozen_before  # frozen: no writes
    assert len(close_comments(sim, FROZEN)) == 1 and len(close_comments(sim, CARRIED)) == 1
    assert not [c for c in (later.plan.changes if later.plan else ()) if c.issue_key in (FROZEN, open_child)]
    assert later.scored is not None and later.scored.kr(FROZEN).score == round(mob2, 1)

    again = sync(cfg, store, AFTER + timedelta(days=1, minutes=15))
    assert again.writes == 0 and again.planned == 0, again.plan


def test_a_closing_run_that_dies_scores_the_period_once_and_comments_once(
    sim_okr: JiraSimulator, store: StateStore, tmp_path: Path
) -> None:
    sim = sim_okr
    cfg = two_quarters(sim, tmp_path)
    sync(cfg, store, LAST_DAY)
    score = round(hand_progress(sim, FROZEN), 1)
    with pytest.raises(Died):  # the closing comment landed, then the process died
        sync(cfg, store, AFTER, die_on("add_comment", FROZEN, after=True))
    assert len(close_comments(sim, FROZEN)) == 1
    # work done after the period ended does not count for it: the close was recorded before the writes
    for key in children_of(sim, FROZEN):
        sim.transition(key, "Done", resolution="Done")
    sync(cfg, store, AFTER + timedelta(minutes=15))
    assert len(close_comments(sim, FROZEN)) == 1
    assert field(sim, FROZEN, "OKR Score") == score
    assert sim.store.issues[FROZEN]["properties"]["okrsync"]["closed"]["score"] == score
    again = sync(cfg, store, AFTER + timedelta(minutes=30))
    assert again.writes == 0 and again.planned == 0


WEEK_LATER = AFTER + timedelta(days=7)  # the daemon was down across Q4's end


def test_a_daemon_down_across_the_end_scores_the_last_days_progress(
    sim_okr: JiraSimulator, store: StateStore, tmp_path: Path
) -> None:
    sim = sim_okr
    cfg = two_quarters(sim, tmp_path)
    sync(cfg, store, LAST_DAY)
    score = round(hand_progress(sim, FROZEN), 1)
    assert score < 1.0
    for key in children_of(sim, FROZEN):  # Q1's work, done while the daemon was down
        sim.transition(key, "Done", resolution="Done")
    closing = sync(cfg, store, WEEK_LATER)
    assert closing.scored is not None and closing.scored.kr(FROZEN).score == score
    assert field(sim, FROZEN, "OKR Score") == score
    (comment,) = close_comments(sim, FROZEN)
    assert f"scores {score:.1f}" in comment and "after the period ended" not in comment
    q4 = load_report_data(store, "2026-Q4").doc
    assert q4["closed"] == {"on": "2027-01-08"}


def test_a_new_install_after_the_end_scores_now_and_says_so(
    sim_okr: JiraSimulator, store: StateStore, tmp_path: Path
) -> None:
    sim = sim_okr
    cfg = two_quarters(sim, tmp_path)
    closing = sync(cfg, store, WEEK_LATER)  # no history on Q4's last day
    assert closing.scored is not None
    assert field(sim, FROZEN, "OKR Score") == round(hand_progress(sim, FROZEN), 1)
    (comment,) = close_comments(sim, FROZEN)
    assert "Scored on 2027-01-08, after the period ended" in comment
    q4 = load_report_data(store, "2026-Q4").doc
    assert q4["closed"] == {"on": "2027-01-08", "scored_on": "2027-01-08"}
    cli = CliRunner()
    config = ["--config", str(tmp_path / "okrsync.yaml")]
    tree = cli.invoke(cli_app.app, ["report", *config, "--period", "2026-Q4", "--format", "tree"])
    assert tree.exit_code == 0
    assert "OKRs 2026-Q4, closed 2027-01-08, scored on 2027-01-08, after the period ended" in tree.output
    again = sync(cfg, store, WEEK_LATER + timedelta(minutes=15))
    assert again.writes == 0 and again.planned == 0


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
def test_a_backfill_after_the_close_keeps_the_closed_krs_history(
    flavor: str, sim_factory: Callable[..., JiraSimulator], store: StateStore, tmp_path: Path
) -> None:
    """Work done on a closed KR after its close, then a backfill over days no sync recorded: the
    closed KR's rebuilt history past its period's end is its final numbers (as a sync holds it),
    not its progress in Jira; its finals and Jira are untouched."""
    clock = Clock(LAST_DAY)
    sim = sim_factory(flavor, okr_fields=True, clock=clock)
    cfg = two_quarters(sim, tmp_path)
    sync(cfg, store, LAST_DAY)
    score = round(hand_progress(sim, FROZEN), 1)
    clock.now = AFTER
    closing = sync(cfg, store, AFTER)
    assert closing.scored is not None
    final = closing.scored.kr(FROZEN).progress
    assert final is not None and final < 1.0
    clock.now = AFTER + timedelta(days=4)
    for key in children_of(sim, FROZEN):  # Q1's work on a Q4 KR
        sim.transition(key, "Done", resolution="Done")
    clock.now = WEEK_LATER
    with JiraGateway(cfg.jira) as gateway:
        report = run_backfill(cfg, store=store, gateway=gateway, now=WEEK_LATER, clock=clock)
    assert report.status == "ok", report.as_dict()
    after_end = [p for p in store.history([FROZEN]) if p.day > date(2026, 12, 31)]
    assert [p.day for p in after_end] == [date(2027, 1, d) for d in range(1, 9)]
    assert [p.progress for p in after_end] == [pytest.approx(final)] * 8
    q4_end = [p for p in store.history([FROZEN]) if p.day == date(2026, 12, 31)]
    assert [p.progress for p in q4_end] == [pytest.approx(final)]
    assert field(sim, FROZEN, "OKR Score") == score
    assert len(close_comments(sim, FROZEN)) == 1


def test_the_digest_shows_a_closed_quarter_as_closed_with_its_final_scores(
    sim_okr: JiraSimulator, store: StateStore, tmp_path: Path
) -> None:
    """After the close the stored tree marks Q4's frozen KRs and objectives closed: the digest shows
    its objectives with their final scores and asks no one to act on its overdue KRs; the carried
    KR is live in Q1."""
    cfg = two_quarters(sim_okr, tmp_path)
    sync(cfg, store, LAST_DAY)
    sync(cfg, store, AFTER)
    doc = load_report_data(store).doc
    krs = {kr["id"]: kr for kr in doc["key_results"]}
    assert krs[FROZEN]["closed"] == {"period": "2026-Q4"} and "closed" not in krs[CARRIED]
    mob_o = {o["id"]: o for o in doc["objectives"]}["MOB-O"]
    assert mob_o["closed"] == {"period": "2026-Q4"}
    assert krs[FROZEN]["health"] == "overdue"  # not done when Q4 ended
    for period in (None, "2026-Q4"):
        [company] = compose(cfg, store, None, period).messages[:1]
        assert f"{FROZEN} " not in company.text.split("Needs attention")[1], period
        line = next(x for x in company.text.splitlines() if x.startswith("* MOB-O "))
        assert f"closed with 2026-Q4, final score {mob_o['score']:.1f}" in line, period


def test_okrsync_check_does_not_coach_a_closed_quarter(
    sim_okr: JiraSimulator, store: StateStore, tmp_path: Path
) -> None:
    """okrsync check a week into Q1: Q4's KRs are over (no overdue, stale, due date or rhythm
    finding), the carried KR is coached in Q1; on Q4's last day they were coached as ever."""
    cfg = two_quarters(sim_okr, tmp_path)
    progress = {"stale", "overdue", "no_due_date", "no_checkin", "low_confidence", "period_ending_behind"}
    scored = sync(cfg, store, LAST_DAY).scored
    assert scored is not None
    q4 = {kr.id for kr in scored.tree.key_results if kr.id != CARRIED}
    with JiraGateway(cfg.jira) as gateway:
        before = run_check(cfg, gateway, as_of=LAST_DAY.date())
        after = run_check(cfg, gateway, as_of=WEEK_LATER.date())
    assert before.coached and after.coached
    assert {f.subject for f in before.findings if f.code in progress} & q4  # e.g. MOB-2 far behind
    assert not {f.subject for f in after.findings if f.code in progress} & q4
    assert {f.subject for f in after.findings if f.code in progress} <= {CARRIED}
