"""Field values: what each KR epic, action plan and objective issue should show in the write-back
fields, and whether Jira shows it already.

Numbers compare at the field's precision, selects by option value, text after trimming, labels as
sets; a field is edited only where they differ.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from okrsync.core.field_types import FieldFormat
from okrsync.core.plan.changes import FieldEdit, IssueNow, WritebackIds
from okrsync.core.rollup import Score
from okrsync.domain.model import Health, KeyResult, Objective

TEXT_LIMIT = 255  # Jira's single-line text fields hold 255 characters
LABEL_LIMIT = 255  # and a label 255 characters
PRECISION = 1  # percentages are written with one decimal

_HEALTH_BY_LABEL = {h.label.lower(): h for h in Health} | {h.value: h for h in Health}

WantedFields = dict[str | None, tuple[str, Any]]
"""Field id (``None`` where the site lacks the field) → (how it compares, the value it should show)."""


def pct(value: float | None) -> float | None:
    return None if value is None else round(value * 100, PRECISION)


def has_value(value: Any) -> bool:
    """Whether a Jira field holds something (0 and 0.0 are values; None, "" and [] are not)."""
    return value is not None and value not in ("", [])


def _same_number(now: Any, want: float | None) -> bool:
    if want is None:
        return now is None
    if isinstance(now, bool) or not isinstance(now, int | float | str):
        return False
    try:
        return round(float(now), PRECISION) == round(want, PRECISION)
    except ValueError:
        return False


def _same_option(now: Any, want: str | None) -> bool:
    if want is None:
        return now is None
    current = now.get("value") if isinstance(now, Mapping) else now
    return isinstance(current, str) and current.strip() == want


def adf_text(doc: Any) -> str:
    """The text of an Atlassian Document (what Cloud's REST v3 shows of a paragraph field): its
    text nodes, a line per block."""
    if not isinstance(doc, Mapping):
        return ""
    if doc.get("type") == "text":
        return str(doc.get("text") or "")
    content = doc.get("content")
    parts = [adf_text(node) for node in content] if isinstance(content, list) else []
    joiner = "" if doc.get("type") in ("paragraph", "heading") else "\n"
    return joiner.join(parts)


def adf_paragraph(text: str) -> dict[str, Any]:
    """``text`` as an Atlassian Document of one paragraph (a paragraph field's value on REST v3)."""
    paragraph = {"type": "paragraph", "content": [{"type": "text", "text": text}]}
    return {"type": "doc", "version": 1, "content": [paragraph]}


def _same_text(now: Any, want: str | None) -> bool:
    if isinstance(now, Mapping):  # a paragraph field on Cloud: an Atlassian Document
        now = " ".join(adf_text(now).split())
    if want is None:
        return now in (None, "")
    return isinstance(now, str) and now.strip() == want.strip()


def _same_labels(now: Any, want: Sequence[str] | None) -> bool:
    """Labels compare as sets: Jira may return them in its own (alphabetical) order."""
    if not want:
        return now in (None, "", [])
    return isinstance(now, list | tuple) and sorted(str(v) for v in now) == sorted(want)


_SAME: dict[str, Callable[[Any, Any], bool]] = {
    "number": _same_number,
    "option": _same_option,
    "text": _same_text,
    "labels": _same_labels,
}


def _text(value: str) -> str:
    value = " ".join(value.split())
    return value if len(value) <= TEXT_LIMIT else value[: TEXT_LIMIT - 1] + "…"


def label_of(obj: Objective) -> str:
    return _text(f"{obj.id}: {obj.title}" if obj.title and obj.title != obj.id else obj.id)


def objective_label(objective_id: str) -> str:
    """``objective_id`` as one Jira label (the value of the OKR Objective ID labels field).

    A label cannot hold whitespace, so any run of it becomes ``_``; objective ids rarely have any
    (``ENG-1``, ``PLAT-O``). Labels are at most 255 characters.
    """
    return "_".join(objective_id.split())[:LABEL_LIMIT]


def kr_label(kr: KeyResult) -> str:
    return _text(f"{kr.id}: {kr.title}" if kr.title and kr.title != kr.id else kr.id)


def health_in_jira(now: IssueNow, status_field: str | None) -> Health | None:
    """The health Jira shows: the ``okrsync`` property's, else the status field's option."""
    if now.property and isinstance(now.property.get("health"), str):
        found = _HEALTH_BY_LABEL.get(str(now.property["health"]).lower())
        if found is not None:
            return found
    if status_field:
        raw = now.fields.get(status_field)
        value = raw.get("value") if isinstance(raw, Mapping) else raw
        if isinstance(value, str):
            return _HEALTH_BY_LABEL.get(value.strip().lower())
    return None


# ------------------------------------------------------------------ what each issue should show


def kr_epic_fields(kr: KeyResult, s: Score, obj: Objective | None, ids: WritebackIds) -> WantedFields:
    # a labels field's value is a list of strings: {"customfield_10046": ["ENG-1"]}
    # (https://developer.atlassian.com/server/jira-servicedesk/info/field-input-formats)
    return {
        ids.progress: ("number", pct(s.progress)),
        ids.expected: ("number", pct(s.expected)),
        ids.status: ("option", s.health.label),
        ids.objective: ("text", label_of(obj) if obj else kr.objective_id),
        ids.objective_id: ("labels", [objective_label(kr.objective_id)]),
    }


def action_plan_fields(kr: KeyResult, obj: Objective | None, ids: WritebackIds) -> WantedFields:
    """An action plan shows the KR it serves and that KR's objective."""
    return {
        ids.key_result: ("text", kr_label(kr)),
        ids.objective: ("text", label_of(obj) if obj else kr.objective_id),
        ids.objective_id: ("labels", [objective_label(kr.objective_id)]),
    }


def objective_fields(s: Score, parent: Objective | None, ids: WritebackIds) -> WantedFields:
    """An objective's issue shows its numbers and health, and the objective it aligns to."""
    return {
        ids.progress: ("number", pct(s.progress)),
        ids.expected: ("number", pct(s.expected)),
        ids.status: ("option", s.health.label),
        ids.objective: ("text", label_of(parent) if parent else None),
    }


def unlinked_fields(ids: WritebackIds) -> WantedFields:
    """An issue that left the tree shows no KR and no objective."""
    return {
        **{fid: ("text", None) for fid in (ids.key_result, ids.objective) if fid},
        ids.objective_id: ("labels", None),
    }


_DEFAULT_FORMAT: dict[str, FieldFormat] = {
    "number": "number",
    "option": "option",
    "text": "string",
    "labels": "labels",
}


def jira_value(kind: str, want: Any, fmt: FieldFormat | None = None) -> Any:
    """``want`` as an edit sends it to a field of format ``fmt`` (default: the kind's own):
    ``{"value": ...}`` for a select, an Atlassian Document for a paragraph on REST v3, else as is."""
    if want is None:
        return None
    fmt = fmt or _DEFAULT_FORMAT[kind]
    if fmt == "option":
        return {"value": want}
    if fmt == "adf":
        return adf_paragraph(str(want))
    return want


def field_edit(
    key: str,
    current: IssueNow,
    wanted: Mapping[str | None, tuple[str, Any]],
    formats: Mapping[str, FieldFormat] | None = None,
) -> FieldEdit | None:
    """The one edit that makes ``key`` show ``wanted``: only the fields Jira shows otherwise, each
    in the format its schema takes (``formats``, by field id)."""
    out: dict[str, Any] = {}
    before: dict[str, Any] = {}
    for field_id, (kind, want) in wanted.items():
        if field_id is None:
            continue
        have = current.fields.get(field_id)
        if not _SAME[kind](have, want):
            out[field_id] = jira_value(kind, want, (formats or {}).get(field_id))
            before[field_id] = have
    return FieldEdit(key, out, before) if out else None


def without_options(
    edits: Sequence[FieldEdit], field_id: str, accepted: frozenset[str]
) -> tuple[list[FieldEdit], dict[str, str]]:
    """``edits`` with ``field_id`` left out wherever it would send an option Jira lacks (not in
    ``accepted``); an edit left with nothing is dropped. Also returns issue key → refused value."""
    kept: list[FieldEdit] = []
    refused: dict[str, str] = {}
    for edit in edits:
        value = edit.fields.get(field_id)
        option = value.get("value") if isinstance(value, Mapping) else None
        if not isinstance(option, str) or option in accepted:
            kept.append(edit)
            continue
        refused[edit.issue_key] = option
        rest = {k: v for k, v in edit.fields.items() if k != field_id}
        if rest:
            before = {k: v for k, v in edit.before.items() if k != field_id}
            kept.append(FieldEdit(edit.issue_key, rest, before))
    return kept, refused
