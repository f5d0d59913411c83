"""Plan: the desired Jira state of the scored tree, minus what Jira already shows (pure).

The result is an ordered list of changes — field edits (one per issue, with all its changed
fields), the ``okrsync`` issue property, and comments — each of which the apply step executes with
one request. Nothing is planned where Jira already has the value: numbers are compared at the
field's precision, selects by option value, text after trimming.

Comments carry an *identity* (``status``, ``celebrate``, ``celebrate-objective:ENG-1``,
``stale:2026-11-02``); the apply step marks each comment with it in Jira (a comment property and a
footer line) and records it in the state store, so that a comment is updated or skipped, never
posted twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from okrsync.core.coach import stale_since
from okrsync.core.mappers.issue_fields import key_order
from okrsync.core.rollup import Score, ScoredTree
from okrsync.domain.doc import BulletList, Doc, Inline, Link, Mention, Paragraph, Text
from okrsync.domain.hashing import value_hash
from okrsync.domain.keys import ISSUE_PROPERTY
from okrsync.domain.model import ActionPlan, Health, KeyResult, Objective, Period, StatusCategory

PROPERTY_KEY = ISSUE_PROPERTY
TEXT_LIMIT = 255  # Jira's single-line text fields hold 255 characters
LABEL_LIMIT = 255  # and a label 255 characters
PRECISION = 1  # percentages are written with one decimal

_HEALTH_BY_LABEL = {h.label.lower(): h for h in Health} | {h.value: h for h in Health}


@dataclass(frozen=True, slots=True)
class WritebackIds:
    """Jira field ids of the configured write-back fields; ``None`` where the site lacks one."""

    progress: str | None = None
    expected: str | None = None
    status: str | None = None
    objective: str | None = None
    key_result: str | None = None
    objective_id: str | None = None
    """The labels field holding the objective's id (optional: sites set up before it existed)."""
    missing_optional: tuple[str, ...] = ()
    """Names of optional write-back fields Jira lacks; each is a plan warning."""

    def present(self) -> tuple[str, ...]:
        return tuple(
            i
            for i in (
                self.progress,
                self.expected,
                self.status,
                self.objective,
                self.key_result,
                self.objective_id,
            )
            if i
        )


@dataclass(frozen=True, slots=True)
class CommentPolicy:
    status_change: bool = True
    celebrate: bool = True
    stale_reminder: bool = True
    stale_after_days: int = 14


@dataclass(frozen=True, slots=True)
class IssueNow:
    """What Jira shows now on one issue: raw field values by id, and the ``okrsync`` property."""

    fields: Mapping[str, Any] = field(default_factory=dict)
    property: Mapping[str, Any] | None = None
    property_known: bool = False
    """Whether ``property`` was read from Jira (Data Center searches cannot return properties)."""


@dataclass(frozen=True, slots=True)
class CommentRecord:
    comment_id: str
    value_hash: str


@dataclass(frozen=True, slots=True)
class FieldEdit:
    issue_key: str
    fields: Mapping[str, Any]
    """Field id → the value to PUT (Jira's JSON for the field's type)."""
    before: Mapping[str, Any]
    """Field id → the value Jira had (for the dry-run table)."""
    kind: Literal["field"] = "field"


@dataclass(frozen=True, slots=True)
class PropertySet:
    issue_key: str
    key: str
    value: Mapping[str, Any]
    value_hash: str
    kind: Literal["property"] = "property"


@dataclass(frozen=True, slots=True)
class CommentPost:
    issue_key: str
    identity: str
    doc: Doc
    value_hash: str
    summary: str
    existing_id: str | None = None
    """Set when the comment exists and is to be updated in place."""
    kind: Literal["comment"] = "comment"


Change = FieldEdit | PropertySet | CommentPost


@dataclass(frozen=True, slots=True)
class Plan:
    changes: tuple[Change, ...]
    warnings: tuple[str, ...] = ()

    @property
    def field_edits(self) -> tuple[FieldEdit, ...]:
        return tuple(c for c in self.changes if isinstance(c, FieldEdit))

    @property
    def properties(self) -> tuple[PropertySet, ...]:
        return tuple(c for c in self.changes if isinstance(c, PropertySet))

    @property
    def comments(self) -> tuple[CommentPost, ...]:
        return tuple(c for c in self.changes if isinstance(c, CommentPost))


# ----------------------------------------------------------------------------------- values


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


def _same_text(now: Any, want: str | None) -> bool:
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


# ------------------------------------------------------------------------------------ plan


def plan_changes(
    scored: ScoredTree,
    ids: WritebackIds,
    now: Mapping[str, IssueNow],
    *,
    comments: CommentPolicy | None = None,
    records: Mapping[tuple[str, str], CommentRecord] | None = None,
    property_hashes: Mapping[str, str] | None = None,
    last_change: Mapping[str, date] | None = None,
    out_of_scope: Iterable[str] = (),
    write_fields: bool = True,
) -> Plan:
    """Every change that makes Jira show ``scored``.

    ``now`` is what Jira shows per issue key; ``records`` the comments okrsync already made (by
    issue key and identity, from the state store); ``property_hashes`` the hash of the last
    ``okrsync`` property written per issue (used where Jira could not tell, on Data Center);
    ``out_of_scope`` keys of issues that carry okrsync values but left the tree (cleared).
    """
    comments = comments or CommentPolicy()
    records = records or {}
    property_hashes = property_hashes or {}
    tree = scored.tree
    objectives = {o.id: o for o in tree.objectives}
    edits: list[FieldEdit] = []
    props: list[PropertySet] = []
    posts: list[CommentPost] = []
    warnings: list[str] = []
    missing = [n for n, i in (("progress", ids.progress), ("status", ids.status)) if i is None]
    if missing and write_fields:
        warnings.append(f"write-back fields missing in Jira: {', '.join(missing)} (run okrsync setup)")
    if write_fields:
        warnings.extend(
            f'Jira has no labels field "{name}": run okrsync setup to add {name} (the objective × health '
            "gadget and the company objectives' filters use it)"
            for name in ids.missing_optional
        )

    def want_fields(key: str, values: Mapping[str | None, tuple[str, Any]]) -> None:
        current = now.get(key, IssueNow())
        out: dict[str, Any] = {}
        before: dict[str, Any] = {}
        for field_id, (kind, want) in values.items():
            if field_id is None:
                continue
            have = current.fields.get(field_id)
            same = _SAME[kind](have, want)
            if not same:
                if kind == "option":
                    out[field_id] = {"value": want} if want is not None else None
                else:
                    out[field_id] = want
                before[field_id] = have
        if out:
            edits.append(FieldEdit(key, out, before))

    def want_property(key: str, value: Mapping[str, Any]) -> None:
        current = now.get(key, IssueNow())
        digest = value_hash(value)
        if current.property_known:
            if current.property is not None and value_hash(current.property) == digest:
                return
        elif property_hashes.get(key) == digest:
            return
        props.append(PropertySet(key, PROPERTY_KEY, value, digest))

    kr_scores = scored.key_results
    for kr in tree.key_results:
        s = kr_scores[kr.id]
        obj = objectives.get(kr.objective_id)
        key = kr.jira_key or kr.id
        if write_fields:
            # a labels field's value is a list of strings: {"customfield_10046": ["ENG-1"]}
            # (https://developer.atlassian.com/server/jira-servicedesk/info/field-input-formats)
            label = objective_label(kr.objective_id)
            want_fields(
                key,
                {
                    ids.progress: ("number", pct(s.progress)),
                    ids.expected: ("number", pct(s.expected)),
                    ids.status: ("option", s.health.label),
                    ids.objective: ("text", label_of(obj) if obj else kr.objective_id),
                    ids.objective_id: ("labels", [label]),
                },
            )
            for plan in kr.action_plans:
                want_fields(
                    plan.key,
                    {
                        ids.key_result: ("text", kr_label(kr)),
                        ids.objective: ("text", label_of(obj) if obj else kr.objective_id),
                        ids.objective_id: ("labels", [label]),
                    },
                )
        if kr.jira_key:
            want_property(key, explain_kr(kr, s, obj))
            current = now.get(key, IssueNow())
            posts.extend(
                _kr_comments(
                    kr, s, obj, current, ids, comments, records, scored.as_of, last_change, tree.period
                )
            )

    for obj in tree.objectives:
        s = scored.objectives[obj.id]
        if obj.jira_key:
            if write_fields:
                parent = objectives.get(obj.aligns_to) if obj.aligns_to else None
                want_fields(
                    obj.jira_key,
                    {
                        ids.progress: ("number", pct(s.progress)),
                        ids.expected: ("number", pct(s.expected)),
                        ids.status: ("option", s.health.label),
                        ids.objective: ("text", label_of(parent) if parent else None),
                    },
                )
            want_property(obj.jira_key, explain_objective(obj, s))
        if comments.celebrate and s.health == Health.DONE:
            post = _objective_celebration(obj, tree.krs_of(obj.id), records)
            if post is not None:
                posts.append(post)

    if write_fields:
        for key in sorted(set(out_of_scope)):
            want_fields(
                key,
                {
                    **{fid: ("text", None) for fid in (ids.key_result, ids.objective) if fid},
                    ids.objective_id: ("labels", None),
                },
            )
            current = now.get(key, IssueNow())
            clear = {
                fid: None
                for fid in (ids.progress, ids.expected, ids.status)
                if fid and has_value(current.fields.get(fid))
            }
            if clear:
                merged = next((e for e in edits if e.issue_key == key), None)
                if merged is not None:
                    edits.remove(merged)
                    clear = {**merged.fields, **clear}
                edits.append(FieldEdit(key, clear, {fid: current.fields.get(fid) for fid in clear}))

    # KR epics first (what dashboards show), then action plans; properties; comments last
    kr_keys = {kr.jira_key or kr.id for kr in tree.key_results}
    edits.sort(key=lambda e: (e.issue_key not in kr_keys, key_order(e.issue_key)))
    return Plan((*edits, *props, *posts), tuple(warnings))


# ---------------------------------------------------------------------------- explanations


def explain_kr(kr: KeyResult, s: Score, obj: Objective | None) -> dict[str, Any]:
    """The ``okrsync`` issue property of a KR epic: every number and what it came from.

    Expected progress is left out on purpose: it changes every day and is on the field already.
    """
    return {
        "version": 1,
        "kind": "key_result",
        "id": kr.id,
        "objective": obj.id if obj else kr.objective_id,
        "measure": kr.measure.value,
        "progress": pct(s.progress),
        "health": s.health.value,
        "overachievement": pct(s.overachievement) if s.overachievement else 0,
        "score": s.score,
        "explanation": s.explanation.as_dict(),
        "warnings": list(s.warnings),
    }


def explain_objective(obj: Objective, s: Score) -> dict[str, Any]:
    return {
        "version": 1,
        "kind": "objective",
        "id": obj.id,
        "aligns_to": obj.aligns_to,
        "progress": pct(s.progress),
        "health": s.health.value,
        "score": s.score,
        "explanation": s.explanation.as_dict(),
    }


# -------------------------------------------------------------------------------- comments


def _fmt(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.0f} %"


def _mention(name: str | None, ident: str | None) -> Inline:
    if ident:
        # the id is an accountId on Cloud (ADF mentions) and a user name on Data Center ([~name])
        return Mention(account_id=ident, name=ident, display=name or ident)
    return Text(name or "the owner")


def _open_plans(kr: KeyResult, limit: int = 8) -> list[ActionPlan]:
    open_plans = [p for p in kr.action_plans if not p.cancelled and p.status_category != StatusCategory.DONE]
    # work in progress first: it is what is closest to moving the number
    open_plans.sort(key=lambda p: (p.status_category != StatusCategory.IN_PROGRESS, key_order(p.key)))
    return open_plans[:limit]


def _post(
    key: str,
    identity: str,
    doc: Doc,
    summary: str,
    records: Mapping[tuple[str, str], CommentRecord],
    *,
    update: bool,
) -> CommentPost | None:
    digest = value_hash(_doc_fingerprint(doc))
    record = records.get((key, identity))
    if record is not None:
        if not update or record.value_hash == digest:
            return None
        return CommentPost(key, identity, doc, digest, summary, existing_id=record.comment_id)
    return CommentPost(key, identity, doc, digest, summary)


def _doc_fingerprint(doc: Doc) -> Any:
    return repr(doc)


def _kr_comments(
    kr: KeyResult,
    s: Score,
    obj: Objective | None,
    now: IssueNow,
    ids: WritebackIds,
    policy: CommentPolicy,
    records: Mapping[tuple[str, str], CommentRecord],
    as_of: date,
    last_change: Mapping[str, date] | None,
    period: Period,
) -> list[CommentPost]:
    key = kr.jira_key or kr.id
    out: list[CommentPost] = []
    before = health_in_jira(now, ids.status)
    if (
        policy.status_change
        and before is not None
        and before != s.health
        and s.health not in (Health.DONE, Health.NO_DATA)
    ):
        blocks: list[Any] = [
            Paragraph(
                Text("OKR status: ", bold=True),
                Text(f"{before.label} → {s.health.label}", bold=True),
                Text(f" (as of {as_of.isoformat()})"),
            ),
            Paragraph(
                Text(f"Progress {_fmt(s.progress)} against {_fmt(s.expected)} expected by now"),
                Text(f" — {s.explanation.summary}." if s.explanation.summary else "."),
            ),
        ]
        if obj is not None:
            blocks.append(Paragraph(Text("Serves objective "), Text(label_of(obj), bold=True), Text(".")))
        holding = _open_plans(kr)
        if holding and s.health in (Health.AT_RISK, Health.OFF_TRACK):
            blocks.append(Paragraph(Text("Open action plans holding it back:")))
            blocks.append(
                BulletList(
                    *[[Text(p.key, code=True), Text(f" {p.summary} ({p.status or 'open'})")] for p in holding]
                )
            )
        post = _post(
            key, "status", Doc(*blocks), f"status {before.value} → {s.health.value}", records, update=True
        )
        if post is not None:
            out.append(post)
    if policy.celebrate and s.health == Health.DONE:
        contributors = _contributors(kr.action_plans)
        inlines: list[Inline | str] = [
            Text("🎉 Key result achieved: ", bold=True),
            Text(kr_label(kr), bold=True),
        ]
        doc_blocks: list[Any] = [Paragraph(*inlines)]
        if obj is not None:
            doc_blocks.append(
                Paragraph(Text("It moves objective "), Text(label_of(obj), bold=True), Text(" forward."))
            )
        if contributors:
            doc_blocks.append(
                Paragraph(
                    Text("Thank you to everyone who delivered it: "), *_join_mentions(contributors), Text(".")
                )
            )
        post = _post(key, "celebrate", Doc(*doc_blocks), "celebration", records, update=False)
        if post is not None:
            out.append(post)
    since = stale_since(kr, period, as_of, policy.stale_after_days, (last_change or {}).get(kr.id))
    if policy.stale_reminder and s.health not in (Health.DONE, Health.NO_DATA) and since is not None:
        idle = (as_of - since).days
        who = _mention(kr.owner, kr.owner_id)
        doc = Doc(
            Paragraph(
                Text("Check-in reminder: ", bold=True),
                who,
                Text(f", {kr_label(kr)} has not moved for {idle} days (since {since.isoformat()})."),
            ),
            Paragraph(
                Text(
                    f"Progress {_fmt(s.progress)} against {_fmt(s.expected)} expected. "
                    "Please update its action plans, or re-plan the key result with your team."
                )
            ),
        )
        post = _post(key, f"stale:{since.isoformat()}", doc, f"stale since {since}", records, update=False)
        if post is not None:
            out.append(post)
    return out


def _contributors(plans: Sequence[ActionPlan]) -> list[tuple[str | None, str | None]]:
    seen: dict[str, tuple[str | None, str | None]] = {}
    for p in plans:
        if p.status_category == StatusCategory.DONE and not p.cancelled and (p.owner or p.owner_id):
            seen.setdefault(p.owner_id or p.owner or "", (p.owner, p.owner_id))
    return list(seen.values())


def _join_mentions(people: Sequence[tuple[str | None, str | None]]) -> list[Inline]:
    out: list[Inline] = []
    for i, (name, ident) in enumerate(people):
        if i:
            out.append(Text(", " if i < len(people) - 1 else " and "))
        out.append(_mention(name, ident))
    return out


def _objective_celebration(
    obj: Objective,
    krs: Sequence[KeyResult],
    records: Mapping[tuple[str, str], CommentRecord],
) -> CommentPost | None:
    """One celebration per objective: on its own Jira issue, else on its first KR epic."""
    identity = f"celebrate-objective:{obj.id}"
    if any(ident == identity for _, ident in records):
        return None  # celebrated already, wherever it was posted
    epics = sorted((k.jira_key for k in krs if k.jira_key), key=key_order)
    target = obj.jira_key or (epics[0] if epics else None)
    if target is None:
        return None
    owners: dict[str, tuple[str | None, str | None]] = {}
    for kr in krs:
        if kr.owner or kr.owner_id:
            owners.setdefault(kr.owner_id or kr.owner or "", (kr.owner, kr.owner_id))
    blocks: list[Any] = [
        Paragraph(Text("🏆 Objective achieved: ", bold=True), Text(label_of(obj), bold=True))
    ]
    if krs:
        blocks.append(Paragraph(Text(f"All {len(krs)} key result(s) are done:")))
        blocks.append(BulletList(*[[Text(kr_label(k))] for k in krs]))
    if owners:
        blocks.append(
            Paragraph(Text("Congratulations to "), *_join_mentions(list(owners.values())), Text("."))
        )
    return _post(
        target, f"celebrate-objective:{obj.id}", Doc(*blocks), "objective celebration", records, update=False
    )


__all__ = [
    "Change",
    "CommentPolicy",
    "CommentPost",
    "CommentRecord",
    "FieldEdit",
    "IssueNow",
    "Link",
    "Plan",
    "PropertySet",
    "WritebackIds",
    "objective_label",
    "plan_changes",
]
