"""The OKR report as JSON: the stored snapshot (``okrsync.tree/1``) plus three documented keys.

Pure: snapshot document (+ history, + last sync, + alignment coverage) → text. The document is the
snapshot exactly as :mod:`okrsync.core.stored_tree` describes it, with ``history`` (per KR or
objective id, its points by day, percentages 0–100 like the snapshot), ``last_sync`` (the newest
run, or ``null``) and ``coverage`` (the period's alignment coverage as the state store keeps it,
:meth:`okrsync.core.coverage.Coverage.as_json`, or ``null``) added. See ``docs/report-formats.md``.
"""

from __future__ import annotations

import json
from typing import Any

from okrsync.core.coverage import Coverage
from okrsync.report.outline import LastSync, TreeDoc, Trends


def report_document(
    doc: TreeDoc,
    history: Trends | None = None,
    *,
    last_sync: LastSync | None = None,
    coverage: Coverage | None = None,
) -> dict[str, Any]:
    out = dict(doc)
    out["history"] = {node: [p.as_dict() for p in points] for node, points in (history or {}).items()}
    out["last_sync"] = last_sync.as_dict() if last_sync is not None else None
    out["coverage"] = coverage.as_json() if coverage is not None else None
    return out


def render_json(
    doc: TreeDoc,
    history: Trends | None = None,
    *,
    last_sync: LastSync | None = None,
    coverage: Coverage | None = None,
) -> str:
    document = report_document(doc, history, last_sync=last_sync, coverage=coverage)
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
