"""The OKR report as CSV: one row per objective, key result and action plan, then the alignment
coverage.

Pure: snapshot document (+ coverage) → text (RFC 4180: comma-separated, double-quoted where needed,
CRLF line ends, UTF-8). The columns and their order are stable (see ``docs/report-formats.md``);
new columns are only ever added at the end. Rows come in tree order: an objective, its key results
each followed by its action plans, then the objectives aligned to it; after the tree, with a
coverage of the period, one ``coverage`` row for the company, one per OKR project, and one
``unaligned_epic`` row per largest unaligned epic (:mod:`okrsync.core.coverage`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from typing import Any, Final

from okrsync.core.coverage import Coverage, ProjectCoverage
from okrsync.core.team_managed import project_of
from okrsync.report.outline import TreeDoc, ap_state, outline, walk


def _checkin_columns(kr: Mapping[str, Any]) -> dict[str, Any]:
    checkin = kr.get("checkin")
    if not isinstance(checkin, Mapping):
        return {}
    return {
        "confidence": kr.get("confidence"),
        "checkin_day": checkin.get("day"),
        "checkin_note": checkin.get("note"),
        "checkin_author": checkin.get("author"),
    }


COLUMNS: Final = (
    "kind",
    "level",
    "depth",
    "id",
    "parent",
    "title",
    "owner",
    "measure",
    "weight",
    "points",
    "progress",
    "expected",
    "health",
    "score",
    "status",
    "cancelled",
    "due",
    "jira_key",
    "stale_since",
    "source_error",
    "confidence",
    "checkin_day",
    "checkin_note",
    "checkin_author",
    "resolved",
    "aligned",
    "coverage",
)
"""The CSV header, in order. ``kind`` is objective, key_result, action_plan, coverage or
unaligned_epic."""


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        # anyone who can title an issue could plant a spreadsheet formula (CSV injection, OWASP):
        # a leading apostrophe makes Excel and Sheets show it as text
        return "'" + value
    return str(value)


def rows(doc: TreeDoc) -> Iterator[dict[str, Any]]:
    """The report's rows as dicts keyed by :data:`COLUMNS`."""
    for node in walk(outline(doc)):
        o = node.data
        yield {
            "kind": "objective",
            "level": o.get("level"),
            "depth": node.depth,
            "id": o["id"],
            "parent": node.parent,
            "title": o.get("title"),
            "owner": o.get("owner"),
            "weight": o.get("weight"),
            "progress": o.get("progress"),
            "expected": o.get("expected"),
            "health": o.get("health"),
            "score": o.get("score"),
            "due": o.get("due"),
            "jira_key": o.get("jira_key"),
        }
        for kr in node.key_results:
            yield from _kr_rows(kr, node.depth + 1)


def _kr_rows(kr: Mapping[str, Any], depth: int) -> Iterator[dict[str, Any]]:
    yield {
        "kind": "key_result",
        "depth": depth,
        "id": kr["id"],
        "parent": kr.get("objective"),
        "title": kr.get("title"),
        "owner": kr.get("owner"),
        "measure": kr.get("measure"),
        "weight": kr.get("weight"),
        "progress": kr.get("progress"),
        "expected": kr.get("expected"),
        "health": kr.get("health"),
        "score": kr.get("score"),
        "due": kr.get("due"),
        "jira_key": kr.get("jira_key"),
        "stale_since": kr.get("stale_since"),
        "source_error": kr.get("source_error"),
        **_checkin_columns(kr),
    }
    for p in kr.get("action_plans") or ():
        yield {
            "kind": "action_plan",
            "depth": depth + 1,
            "id": p["key"],
            "parent": kr["id"],
            "title": p.get("summary"),
            "owner": p.get("owner"),
            "points": p.get("points"),
            "status": ap_state(p),
            "cancelled": bool(p.get("cancelled")),
            "due": p.get("due"),
            "jira_key": p["key"],
        }


def _share(share: float | None) -> float | None:
    """A coverage share as the other percentages of the report: 0–100, one decimal."""
    return None if share is None else round(share * 100, 1)


def _project_row(p: ProjectCoverage, company: str) -> dict[str, Any]:
    return {
        "kind": "coverage",
        "level": "project",
        "depth": 1,
        "id": p.project,
        "parent": company,
        "title": f"{p.project} (team-managed: epic children only)" if p.team_managed else p.project,
        "resolved": p.resolved,
        "aligned": p.aligned,
        "coverage": _share(p.share),
    }


def coverage_rows(coverage: Coverage | None) -> Iterator[dict[str, Any]]:
    """The alignment coverage as rows: the company (``id`` the period's name), each project, the
    largest unaligned epics (``resolved``: their issues resolved in the period, none aligned)."""
    if coverage is None:
        return
    company = coverage.period.name
    yield {
        "kind": "coverage",
        "level": "company",
        "depth": 0,
        "id": company,
        "title": f"Alignment coverage {company}",
        "resolved": coverage.resolved,
        "aligned": coverage.aligned,
        "coverage": _share(coverage.share),
    }
    for p in coverage.projects:
        yield _project_row(p, company)
    for epic in coverage.unaligned_epics:
        yield {
            "kind": "unaligned_epic",
            "depth": 2,
            "id": epic.key,
            "parent": project_of(epic.key) or company,
            "title": epic.summary or None,
            "jira_key": epic.key,
            "resolved": epic.issues,
            "aligned": 0,
        }


def render_csv(doc: TreeDoc, coverage: Coverage | None = None) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in (*rows(doc), *coverage_rows(coverage)):
        writer.writerow([_cell(row.get(c)) for c in COLUMNS])
    return out.getvalue()
