"""The digest's content (okrsync.core.digest) and its rendering (okrsync.core.digest_render): table-driven."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from okrsync.core.digest import COMPANY, build_digests, default_since, issue_url
from okrsync.core.digest_render import render_html, render_markdown, render_message, render_text
from okrsync.domain.records import ProgressPoint

AS_OF = date(2026, 11, 23)
SINCE = date(2026, 11, 16)
SITE = "https://acme.atlassian.net/"


def kr(id: str, progress: float | None, health: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": id,
        "objective": extra.pop("objective", "O1"),
        "title": extra.pop("title", f"Key result {id}"),
        "owner": extra.pop("owner", "Ann Lee"),
        "jira_key": extra.pop("jira_key", id),
        "progress": progress,
        "expected": 59.0,
        "health": health,
        "due": None,
        **extra,
    }


def doc(*krs: dict[str, Any], objectives: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "schema": "okrsync.tree/1",
        "period": {"name": "2026-Q4", "start": "2026-10-01", "end": "2026-12-31"},
        "as_of": AS_OF.isoformat(),
        "objectives": objectives
        or [
            {
                "id": "O1",
                "title": "Delight",
                "owner": "Bo Chan",
                "jira_key": None,
                "progress": 50.0,
                "expected": 59.0,
                "health": "on_track",
                "aligns_to": None,
            }
        ],
        "key_results": list(krs),
    }


def point(node: str, day: date, progress: float | None, health: str = "on_track") -> ProgressPoint:
    return ProgressPoint(
        day=day, node_id=node, kind="key_result", progress=progress, expected=0.5, health=health
    )


@pytest.mark.parametrize(
    ("item", "points", "moved", "achieved", "attention"),
    [
        # moved: from the last point on or before the last digest
        (kr("A", 60.0, "on_track"), [point("A", SINCE, 0.4), point("A", date(2026, 11, 20), 0.5)],
         [(40.0, 60.0, 20.0)], False, []),
        # moved less; it changed on 2026-11-20, so it is not stale
        (kr("B", 50.0, "on_track"), [point("B", SINCE, 0.4), point("B", date(2026, 11, 20), 0.5)],
         [(40.0, 50.0, 10.0)], False, []),
        # done since the last digest: moved and achieved
        (kr("C", 100.0, "done"), [point("C", SINCE, 0.8)], [(80.0, 100.0, 20.0)], True, []),
        # done before the last digest: no celebration again
        (kr("D", 100.0, "done"), [point("D", SINCE, 1.0, "done")], [], False, []),
        # no history before the digest (a new KR): achieved, nothing to compare for moved
        (kr("E", 100.0, "done"), [], [], True, []),
        # at risk and off track and overdue: attention with the reason
        (kr("F", 20.0, "at_risk"), [point("F", date(2026, 11, 22), 0.2)], [], False, ["at_risk"]),
        (kr("G", 10.0, "overdue", due="2026-11-15"), [point("G", date(2026, 11, 22), 0.1)], [], False,
         ["overdue"]),
        # no movement for 14 days (the coach's stale rule, policy.stale_after_days): stale
        (kr("H", 30.0, "on_track"), [point("H", date(2026, 11, 1), 0.3), point("H", SINCE, 0.3)], [], False,
         ["stale"]),
        # its source failing: stale with the reason, and confidence Low
        (kr("I", 30.0, "on_track", source_error="JQL refused", stale_since="2026-11-20", confidence="low"),
         [point("I", date(2026, 11, 22), 0.3)], [], False, ["stale", "low_confidence"]),
        # a closed period's KR: final numbers, overdue, unmoved for weeks and Low: nothing to act on
        (kr("J", 40.0, "overdue", closed={"period": "2026-Q3"}, score=0.4, confidence="low"),
         [point("J", date(2026, 9, 30), 0.4), point("J", SINCE, 0.4)], [], False, []),
        # moved on its period's last day, after the last digest: that movement still shows
        (kr("K", 100.0, "done", closed={"period": "2026-Q3"}, score=1.0), [point("K", SINCE, 0.9)],
         [(90.0, 100.0, 10.0)], True, []),
    ],
)  # fmt: skip
def test_what_moved_was_achieved_and_needs_attention(
    item: dict[str, Any],
    points: list[ProgressPoint],
    moved: list[tuple[float, float, float]],
    achieved: bool,
    attention: list[str],
) -> None:
    [digest] = build_digests(doc(item), points, since=SINCE, site_url=SITE)
    krs_moved = [(m.before, m.after, m.delta) for m in digest.moved if m.item.kind == "key_result"]
    assert krs_moved == moved
    assert [i.id for i in digest.achieved] == ([item["id"]] if achieved else [])
    assert [a.reason for a in digest.attention] == attention
    assert digest.key_results[0].url == f"https://acme.atlassian.net/browse/{item['id']}"


def test_one_digest_per_owner_holds_their_objectives_their_krs_and_those_under_their_objectives() -> None:
    tree = doc(
        kr("A", 10.0, "at_risk", owner="Ann Lee"),
        kr("B", 10.0, "at_risk", owner="Cy Dunn"),
        kr("C", 10.0, "at_risk", owner="Ann Lee", objective="O2"),
        objectives=[
            {"id": "O1", "title": "One", "owner": "Bo Chan", "jira_key": "OKR-1", "progress": 10.0,
             "expected": 59.0, "health": "at_risk"},
            {"id": "O2", "title": "Two", "owner": "Cy Dunn", "jira_key": None, "progress": 10.0,
             "expected": 59.0, "health": "at_risk"},
        ],
    )  # fmt: skip
    digests = build_digests(tree, [], since=SINCE, site_url=SITE, owners=True)
    by = {d.audience: ([o.id for o in d.objectives], [k.id for k in d.key_results]) for d in digests}
    assert by == {
        COMPANY: (["O1", "O2"], ["A", "B", "C"]),
        "owner:Bo Chan": (["O1"], ["A", "B"]),
        "owner:Ann Lee": ([], ["A", "C"]),
        "owner:Cy Dunn": (["O2"], ["B", "C"]),
    }
    assert digests[1].title == "OKR digest for Bo Chan: 2026-Q4, week to 2026-11-23"


@pytest.mark.parametrize(
    ("as_of", "last", "since"),
    [
        (AS_OF, None, date(2026, 11, 16)),
        (AS_OF, date(2026, 11, 9), date(2026, 11, 9)),
        (AS_OF, AS_OF, date(2026, 11, 16)),  # a digest of the same day does not count
    ],
)
def test_since_the_last_digest_or_a_week(as_of: date, last: date | None, since: date) -> None:
    assert default_since(as_of, last) == since


@pytest.mark.parametrize(
    ("site", "key", "url"),
    [
        ("https://acme.atlassian.net", "PLAT-2", "https://acme.atlassian.net/browse/PLAT-2"),
        ("https://jira.example.com/jira/", "WEB-1", "https://jira.example.com/jira/browse/WEB-1"),
        ("https://acme.atlassian.net", None, None),
        ("", "PLAT-2", None),
    ],
)
def test_links_into_jira(site: str, key: str | None, url: str | None) -> None:
    assert issue_url(site, key) == url


def test_every_format_escapes_titles_and_links_to_jira() -> None:
    nasty = kr("A", 20.0, "at_risk", title="<script>x</script> *bold* [link](http://evil)", owner="Ann <Lee>")
    [digest] = build_digests(doc(nasty), [point("A", SINCE, 0.1)], since=SINCE, site_url=SITE)
    md = render_markdown(digest)
    assert (
        "[A \\<script\\>x\\</script\\> \\*bold\\* \\[link\\](http://evil)](https://acme.atlassian.net/browse/A)"
        in md
    )
    assert "owner Ann \\<Lee\\>" in md
    page = render_html(digest)
    assert "<script>" not in page and "&lt;script&gt;x&lt;/script&gt;" in page
    assert '<a href="https://acme.atlassian.net/browse/A">' in page and "Ann &lt;Lee&gt;" in page
    text = render_text(digest)
    assert "* A <script>x</script> *bold* [link](http://evil): 10 % → 20 % (+10 pts) · Ann <Lee>" in text
    assert "  https://acme.atlassian.net/browse/A" in text
    message = render_message(digest)
    assert message.audience == "company" and message.title == digest.title


def test_empty_sections_say_so() -> None:
    [digest] = build_digests(doc(kr("A", 50.0, "on_track")), [point("A", date(2026, 11, 22), 0.5)],
                             since=SINCE, site_url=SITE)  # fmt: skip
    md = render_markdown(digest)
    assert "_Nothing moved._" in md and "_Nothing reached 100 % this week._" in md
    assert "_Nothing at risk, overdue or stale._" in md


def test_the_company_digest_carries_the_alignment_coverage() -> None:
    from okrsync.core.coverage import Coverage, ProjectCoverage, UnalignedEpic
    from okrsync.domain.model import Period

    coverage = Coverage(
        Period("2026-Q4", date(2026, 10, 1), date(2026, 12, 31)),
        "2026-11-23T08:00:00+00:00",
        (ProjectCoverage("PLAT", 10, 8), ProjectCoverage("WEB", 10, 4)),
        (UnalignedEpic("WEB-90", 5, "Legacy <checkout>"),),
    )
    company, owner, *_ = build_digests(
        doc(kr("A", 50.0, "on_track")), [], since=SINCE, site_url=SITE, owners=True, coverage=coverage
    )
    assert (
        company.alignment[0]
        == "Alignment coverage 2026-Q4: 60.0 % (12 of 20 issues resolved serve a key result)"
    )
    assert owner.alignment == ()
    assert "- PLAT: 80.0 % (8 of 10)" in render_markdown(company)
    assert "WEB-90 Legacy &lt;checkout&gt;: 5" in render_html(company)
    assert "* WEB-90 Legacy <checkout>: 5" in render_text(company)


def test_a_closed_objective_shows_its_final_score_not_its_live_health() -> None:
    closed = {
        "id": "O9",
        "title": "Ship the vendor portal",
        "owner": "Bo Chan",
        "jira_key": "O9",
        "progress": 45.0,
        "expected": 100.0,
        "health": "overdue",
        "score": 0.5,
        "closed": {"period": "2026-Q3"},
        "aligns_to": None,
    }
    live = {**closed, "id": "O1", "title": "Delight", "health": "on_track", "score": None, "expected": 59.0}
    del live["closed"]
    item = kr("J", 45.0, "overdue", objective="O9", closed={"period": "2026-Q3"}, score=0.5)
    [digest] = build_digests(doc(item, objectives=[closed, live]), [], since=SINCE, site_url=SITE)
    by_id = {o.id: o for o in digest.objectives}
    assert (by_id["O9"].closed, by_id["O9"].score) == ("2026-Q3", 0.5) and by_id["O1"].closed is None
    assert digest.attention == ()
    text = render_text(digest)
    assert "O9 Ship the vendor portal: closed with 2026-Q3, final score 0.5, 45 % · Bo Chan" in text
    assert "O1 Delight: 45 % (expected 59 %), On track · Bo Chan" in text
    assert "closed with 2026-Q3, final score 0.5" in render_markdown(digest)
    assert "closed with 2026-Q3, final score 0.5" in render_html(digest)
