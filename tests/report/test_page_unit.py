"""The shared HTML renderer's small rules: projected and final scores, links, mentions by name, the
coach's findings beside their items, the stored findings read back."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from reportkit import scored_tree, stored_snapshot

from okrsync.daemon.status_page import render_status_page
from okrsync.report.html import render_html
from okrsync.report.page import Score, TreeView, browse_url, is_final, score_of
from okrsync.report.people import name_mentions
from okrsync.sync.report_facts import findings_by_subject

DOC = stored_snapshot(scored_tree())
SITE = "https://acme.atlassian.net"
ANN = "712020:a1ce0000-0000-4000-8000-000000000011"


@pytest.mark.parametrize(
    ("item", "final", "expected"),
    [
        ({"progress": 16.7, "score": None}, False, Score("0.2", True)),  # running: projected
        ({"progress": 140.0, "score": None}, False, Score("1.0", True)),  # capped at 1.0
        ({"progress": None, "score": None}, False, Score("–", False)),
        ({"progress": 16.7, "score": None}, True, Score("–", False)),  # over, no final: no guess
        ({"progress": 16.7, "score": 0.3}, True, Score("0.3", False)),  # the final score
        ({"progress": 16.7, "score": 0.3}, False, Score("0.3", False)),
    ],
)
def test_the_score_is_projected_while_the_period_runs(
    item: dict[str, Any], final: bool, expected: Score
) -> None:
    assert score_of(item, final) == expected


@pytest.mark.parametrize(
    ("change", "final"),
    [
        ({}, False),
        ({"as_of": "2026-12-31"}, False),  # the last day still runs
        ({"as_of": "2027-01-01"}, True),
        ({"closed": {"on": "2027-01-01"}}, True),
        ({"closed": {}}, False),
    ],
)
def test_a_period_is_final_once_over_or_closed(change: dict[str, Any], final: bool) -> None:
    assert is_final({**DOC, **change}) is final


@pytest.mark.parametrize(
    ("text", "people", "expected"),
    [
        (f"Check-in reminder: @{ANN}, MOB-3", {ANN: "Alice Chen"}, "Check-in reminder: @Alice Chen, MOB-3"),
        (f"@{ANN} unknown", {}, f"@{ANN} unknown"),  # an unknown account stays as it is
        ("@5b10ac8d82e05b22cc7d4ef5 old id", {"5b10ac8d82e05b22cc7d4ef5": "Bo"}, "@Bo old id"),
        ("mail me@example.com", {}, "mail me@example.com"),
    ],
)
def test_mentions_by_display_name(text: str, people: dict[str, str], expected: str) -> None:
    assert name_mentions(text, people) == expected


def test_links_go_to_the_site_and_none_without_it() -> None:
    assert browse_url(SITE + "/", "MOB-1") == f"{SITE}/browse/MOB-1"
    page = render_html(DOC, view=TreeView(site=SITE))
    assert f'href="{SITE}/browse/MOB-1"' in page and f'href="{SITE}/browse/WEB-100"' in page  # KR, objective
    assert f'href="{SITE}/browse/MOB-10"' in page  # an action plan
    assert "/browse/" not in render_html(DOC)


def test_findings_show_beside_their_items_on_both_pages() -> None:
    stored = [
        {
            "subject": "MOB-1",
            "severity": "warning",
            "code": "stale",
            "message": "No <movement>",
            "fix": "Ask",
        },
        {"subject": "ENG", "severity": "error", "code": "no_owner", "message": "No owner", "fix": ""},
        {"subject": "", "message": "junk"},
        "junk",
    ]
    findings = findings_by_subject(json.loads(json.dumps(stored)))
    assert sorted(findings) == ["ENG", "MOB-1"]
    page = render_html(DOC, view=TreeView(findings=findings))
    row = page.split('id="kr-MOB-1"', 1)[1].split("</tr>", 1)[0]
    assert (
        '<li class="finding warning" data-code="stale">No &lt;movement&gt; <span class="fix">Ask</span>'
        in row
    )
    section = page.split('data-id="ENG"', 1)[1].split("<table", 1)[0]
    assert 'class="finding error" data-code="no_owner">No owner' in section
    status = render_status_page(DOC, [], {}, now=datetime(2026, 11, 26, tzinfo=UTC), findings=findings)
    assert 'data-code="stale"' in status and 'data-code="no_owner"' in status
    assert findings_by_subject(None) == {}
