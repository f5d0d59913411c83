"""Alignment coverage in the JSON and CSV exports and on the daemon's status page: each format's
numbers are the coverage's (company and per project), and the largest unaligned epics are listed."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from corekit import Q4
from demostore import DemoStore
from reportkit import AS_OF, scored_tree, stored_snapshot

from okrsync.cli.report import load_report_data, render
from okrsync.core.coverage import Coverage, ProjectCoverage, UnalignedEpic
from okrsync.daemon.status_page import render_status_page
from okrsync.domain.keys import META_COVERAGE
from okrsync.domain.model import Period
from okrsync.report.csv_export import COLUMNS, render_csv
from okrsync.report.json_export import render_json
from okrsync.report.page import stamp
from okrsync.state.store import StateStore

DOC = stored_snapshot(scored_tree())
NOW = datetime.combine(AS_OF, datetime.min.time(), UTC) + timedelta(hours=9)
SITE = "https://acme.atlassian.net"
COVERAGE = Coverage(
    Q4,
    NOW.isoformat(),
    (
        ProjectCoverage("DATA", 5, 0, team_managed=True),
        ProjectCoverage("MOB", 12, 9),
        ProjectCoverage("OPS", 0, 0),  # nothing resolved: no share
        ProjectCoverage("WEB", 8, 2),
    ),
    (UnalignedEpic("WEB-40", 4, "Tech <debt>"), UnalignedEpic("DATA-7", 2)),
    requests=6,
    key_result_field="customfield_10042",
)


def test_the_hand_count_the_tests_rely_on() -> None:
    assert (COVERAGE.resolved, COVERAGE.aligned) == (25, 11)  # 5 + 12 + 0 + 8; 0 + 9 + 0 + 2
    assert COVERAGE.share == pytest.approx(0.44)


def test_json_carries_the_coverage_as_the_store_keeps_it() -> None:
    out = json.loads(render_json(DOC, coverage=COVERAGE))
    cov = out["coverage"]
    assert cov == json.loads(json.dumps(COVERAGE.as_json()))
    assert (cov["resolved"], cov["aligned"], cov["share"]) == (25, 11, 0.44)
    by_project = {p["project"]: p for p in cov["projects"]}
    assert by_project["MOB"] == {
        "project": "MOB",
        "resolved": 12,
        "aligned": 9,
        "share": 0.75,
        "team_managed": False,
    }
    assert by_project["DATA"]["team_managed"] is True and by_project["DATA"]["share"] == 0.0
    assert by_project["OPS"]["share"] is None
    assert [e["key"] for e in cov["unaligned_epics"]] == ["WEB-40", "DATA-7"]
    assert json.loads(render_json(DOC))["coverage"] is None  # none counted


def test_csv_has_one_row_for_the_company_one_per_project_and_one_per_unaligned_epic() -> None:
    text = render_csv(DOC, COVERAGE)
    assert text.splitlines()[0] == ",".join(COLUMNS)
    assert COLUMNS[-3:] == ("resolved", "aligned", "coverage")  # added at the end
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    tree_rows = [r for r in rows if r["kind"] in ("objective", "key_result", "action_plan")]
    assert len(tree_rows) == len(list(csv.DictReader(io.StringIO(render_csv(DOC)))))  # the tree as before
    assert all(r["resolved"] == r["aligned"] == r["coverage"] == "" for r in tree_rows)
    extra = [
        (r["kind"], r["level"], r["id"], r["parent"], r["resolved"], r["aligned"], r["coverage"])
        for r in rows[len(tree_rows) :]
    ]
    assert extra == [
        ("coverage", "company", "2026-Q4", "", "25", "11", "44.0"),
        ("coverage", "project", "DATA", "2026-Q4", "5", "0", "0.0"),
        ("coverage", "project", "MOB", "2026-Q4", "12", "9", "75.0"),
        ("coverage", "project", "OPS", "2026-Q4", "0", "0", ""),
        ("coverage", "project", "WEB", "2026-Q4", "8", "2", "25.0"),
        ("unaligned_epic", "", "WEB-40", "WEB", "4", "0", ""),
        ("unaligned_epic", "", "DATA-7", "DATA", "2", "0", ""),
    ]
    by_id = {r["id"]: r for r in rows}
    assert by_id["DATA"]["title"] == "DATA (team-managed: epic children only)"
    assert by_id["WEB-40"]["title"] == "Tech <debt>" and by_id["WEB-40"]["jira_key"] == "WEB-40"
    for p in COVERAGE.projects:  # each project's cell is its share, as the report's percentages
        assert by_id[p.project]["coverage"] == ("" if p.share is None else f"{p.share * 100:.1f}")


def _section(page: str) -> str:
    return page.split('<section class="coverage"', 1)[1].split("</section>", 1)[0]


def test_the_status_page_shows_the_periods_coverage() -> None:
    page = render_status_page(DOC, [], {}, jira_url=SITE, now=NOW, coverage=COVERAGE)
    section = _section(page)
    assert 'data-share="0.44"' in section
    assert f"counted {AS_OF.isoformat()} 09:00 UTC" in section  # the cycle's time for people
    assert (
        '<b class="share">44.0 %</b> of the issues resolved in 2026-Q4 serve a key result (11 of 25)'
        in section
    )
    cells = dict(re.findall(r'<tr data-project="([A-Z]+)">.*?<td class="share">([^<]+)</td>', section))
    assert cells == {"DATA": "0.0 %", "MOB": "75.0 %", "OPS": "–", "WEB": "25.0 %"}
    assert '<tr data-project="MOB"><td>MOB</td><td>12</td><td>9</td>' in section
    assert (
        "team-managed: epic children only" in section.split('data-project="DATA"', 1)[1].split("</tr>", 1)[0]
    )
    assert (
        f'<a class="jira key" href="{SITE}/browse/WEB-40">WEB-40</a> Tech &lt;debt&gt;: 4 issues resolved'
        in section
    )
    assert section.index("WEB-40") < section.index("DATA-7")  # most first
    # the tree comes first, the runs after
    assert page.index('data-kr="MOB-1"') < page.index('class="coverage"') < page.index("<h2>Last runs</h2>")


@pytest.mark.parametrize(
    ("iso", "shown"),
    [
        ("2026-11-26T09:00:00+00:00", "2026-11-26 09:00 UTC"),
        ("2026-11-26T10:30:00+01:00", "2026-11-26 09:30 UTC"),
        ("2026-11-26T09:00:00", "2026-11-26 09:00 UTC"),
        ("not a time", "not a time"),
    ],
)
def test_when_the_coverage_was_counted_reads_in_utc(iso: str, shown: str) -> None:
    assert stamp(iso) == shown


def test_the_status_page_leaves_out_a_coverage_of_another_period_or_none() -> None:
    other = Coverage(
        Period("2026-Q3", Q4.start - timedelta(days=92), Q4.start - timedelta(days=1)), NOW.isoformat()
    )
    for coverage in (None, other):
        assert 'class="coverage"' not in render_status_page(DOC, [], {}, now=NOW, coverage=coverage)
    assert 'class="coverage"' not in render_status_page(
        None, [], {}, now=NOW, coverage=COVERAGE
    )  # no tree yet


def test_the_cli_exports_the_stored_coverage_of_the_demo_company(
    demo_store: DemoStore, tmp_path: Path
) -> None:
    with StateStore.open(demo_store.url) as store:
        stored = Coverage.of_json(store.get_meta(META_COVERAGE))
        data = load_report_data(store)
    assert stored is not None and stored.resolved > 0
    assert data.coverage == stored
    cov = json.loads(render("json", data))["coverage"]
    assert (cov["resolved"], cov["aligned"], cov["share"]) == (
        stored.resolved,
        stored.aligned,
        round(stored.share or 0, 4),
    )
    rows = [
        r for r in csv.DictReader(io.StringIO(render("csv", data), newline="")) if r["kind"] == "coverage"
    ]
    company = rows[0]
    assert (company["level"], company["resolved"], company["aligned"]) == (
        "company",
        str(stored.resolved),
        str(stored.aligned),
    )
    assert company["coverage"] == f"{(stored.share or 0) * 100:.1f}"
    assert [(r["id"], int(r["resolved"]), int(r["aligned"])) for r in rows[1:]] == [
        (p.project, p.resolved, p.aligned) for p in stored.projects
    ]
    assert sum(int(r["resolved"]) for r in rows[1:]) == stored.resolved  # the company is the projects' sum
