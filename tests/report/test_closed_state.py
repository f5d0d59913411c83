"""A KR or objective whose period closed shows that it closed and its final state, on the report
and on the status page, never its last live health (a closed KR that missed its target is not
"Overdue", and needs no one's attention any more)."""

from __future__ import annotations

import copy
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from corekit import Q4
from reportkit import POLICY, hand_tree, scored_tree, stored_snapshot

from okrsync.core.closing import close_period, frozen_scores
from okrsync.core.period_tree import closed_tree
from okrsync.core.rollup import roll_up
from okrsync.daemon.status_page import render_status_page
from okrsync.report.html import render_html
from okrsync.report.page import closed_with, state_badge

DOC = stored_snapshot(scored_tree())
NOW = datetime.combine(Q4.end + timedelta(days=3), datetime.min.time(), UTC)


def _text(markup: str) -> str:
    return re.sub(r"<[^>]+>", "", markup)


@pytest.mark.parametrize(
    ("item", "doc_closed", "text", "final"),
    [
        ({"health": "off_track", "progress": 16.7, "score": None}, None, "Off track", None),  # live
        (
            {"health": "overdue", "progress": 16.7, "score": 0.2, "closed": {"period": "Q"}},
            None,
            "Closed · score 0.2",
            "overdue",
        ),
        (
            {"health": "done", "progress": 100.0, "score": 1.0, "closed": {"period": "Q"}},
            None,
            "Closed · achieved",
            "done",
        ),
        # 100 % after the due day: its final health says overdue, its state is achieved
        (
            {"health": "overdue", "progress": 100.0, "score": 1.0, "closed": {"period": "Q"}},
            None,
            "Closed · achieved",
            "overdue",
        ),
        (
            {"health": "no_data", "progress": None, "score": None, "closed": {"period": None}},
            None,
            "Closed",
            "no_data",
        ),
        # a closed period's own tree (report --period NAME): every node of it is closed
        (
            {"health": "at_risk", "progress": 50.0, "score": 0.5},
            {"on": "2027-01-01"},
            "Closed · score 0.5",
            "at_risk",
        ),
        ({"health": "at_risk", "progress": 50.0, "score": None}, {}, "At risk", None),  # no close recorded
    ],
)
def test_the_badge_of_a_closed_node_is_its_final_state(
    item: dict[str, Any], doc_closed: dict[str, Any] | None, text: str, final: str | None
) -> None:
    doc = {**DOC, **({"closed": doc_closed} if doc_closed is not None else {})}
    badge = str(state_badge(doc, item))
    assert _text(badge) == text
    if final is None:
        assert closed_with(doc, item) is None and "closed" not in badge
    else:
        assert f'data-final="{final}"' in badge and 'class="badge closed' in badge
        assert "final health" in badge  # its final health in the title


def _closed_kr(doc: dict[str, Any], kr_id: str) -> dict[str, Any]:
    """``doc`` with ``kr_id`` frozen by the close of an earlier period (as the snapshot stores it)."""
    out = copy.deepcopy(doc)
    for kr in out["key_results"]:
        if kr["id"] == kr_id:
            kr.update(health="overdue", score=0.2, expected=100.0, closed={"period": "2026-Q3"})
    return out


def _row(page: str, kr_id: str) -> str:
    return page.split(f'id="kr-{kr_id}"', 1)[1].split("</tr>", 1)[0]


def test_a_closed_kr_shows_closed_on_the_report_and_the_status_page_not_overdue() -> None:
    doc = _closed_kr(DOC, "MOB-1")  # MOB-1: 16.7 %, due 2026-12-18, closed with its score 0.2
    report = render_html(doc)
    status = render_status_page(doc, [], {}, now=NOW)
    for page in (report, status):
        row = _row(page, "MOB-1")
        assert ">Closed · score 0.2</span>" in row
        assert 'title="closed with 2026-Q3; final health Overdue"' in row
        assert ">Overdue<" not in row and "— Overdue" not in row and "due late" not in row
        assert 'class="badge h-at_risk">At risk</span>' in _row(page, "MOB-2")  # a live KR: its health
    attention = report.split('class="attention"', 1)[1].split("</ul>", 1)[0]
    assert "MOB-1" not in attention  # closed: nothing left to attend to
    assert "MOB-1" in render_html(DOC).split('class="attention"', 1)[1].split("</ul>", 1)[0]


def test_objectives_closed_by_a_real_close_and_a_closed_periods_tree() -> None:
    after = Q4.end + timedelta(days=3)
    tree = hand_tree()
    scored = roll_up(tree, after, POLICY)
    close = close_period(scored, Q4, POLICY, {})
    frozen = stored_snapshot(roll_up(tree, after, POLICY, frozen=frozen_scores(tree, {Q4.name: close})))
    page = render_html(frozen)
    nums = {
        oid: _text(page.split(f'data-id="{oid}"', 1)[1].split('class="obj-nums"', 1)[1].split("</div>", 1)[0])
        for oid in ("CO-2", "MOB-O", "EMPTY")
    }
    assert "Closed · achieved" in nums["CO-2"] and "Overdue" not in nums["CO-2"]  # 100 %: achieved
    assert "Closed · score 0.3" in nums["MOB-O"]  # 33.3 %
    assert "Closed" in nums["EMPTY"] and "No data" not in nums["EMPTY"]

    period = closed_tree(DOC, close)  # okrsync report --period 2026-Q4, once it closed
    page = render_html(period)
    for kr in period["key_results"]:
        assert "Closed" in _text(_row(page, kr["id"]).split('class="badge', 1)[1]), kr["id"]
    assert 'class="attention"' not in page  # nothing of a closed period needs attention


def _chips(page: str, name: str) -> dict[str, int]:
    dist = page.split(f'<div class="dist-name">{name} ', 1)[1].split("</ul>", 1)[0]
    return {h: int(n) for h, n in re.findall(r'data-health="([a-z_]+)">.*?<b class="count">(\d+)</b>', dist)}


def test_the_health_summary_and_the_filter_count_closed_nodes_apart() -> None:
    live, closed = render_html(DOC), render_html(_closed_kr(DOC, "MOB-1"))  # MOB-1 is off track live
    before, after = _chips(live, "Key results"), _chips(closed, "Key results")
    assert "closed" not in before and after["closed"] == 1
    assert after["off_track"] == before["off_track"] - 1  # not counted by its last health
    assert sum(after.values()) == sum(before.values()) == len(DOC["key_results"])
    assert 'title="Closed: 1"' in closed  # its share of the stacked bar
    row = closed.split('id="kr-MOB-1"', 1)[1].split(">", 1)[0]
    assert 'data-health="closed"' in row  # the health filter finds it under Closed
    assert '<option value="closed">Closed</option>' in closed
    assert '<option value="closed">' not in live  # no closed node: no such choice
