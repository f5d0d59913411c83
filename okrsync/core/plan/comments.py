"""Comments: a KR's status change, a KR's or objective's celebration, a stale or overdue KR's
check-in reminder.

Each comment has an *identity* (``status``, ``celebrate``, ``celebrate-objective:ENG-1``,
``stale:2026-11-02``, ``overdue:2026-11-27``) and the hash of its document; a comment okrsync
made already is updated in place (the status comment) or left alone (the others), never posted
twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from okrsync.core.coach import stale_since
from okrsync.core.mappers.issue_fields import key_order
from okrsync.core.plan.changes import CommentPolicy, CommentPost, CommentRecord, IssueNow, WritebackIds
from okrsync.core.plan.field_values import health_in_jira, kr_label, label_of
from okrsync.core.plan.issue_property import announced_checkin
from okrsync.core.rollup import Score, due_day
from okrsync.domain.doc import BulletList, Doc, Inline, Mention, Paragraph, Text
from okrsync.domain.hashing import value_hash
from okrsync.domain.model import ActionPlan, CheckIn, Health, KeyResult, Objective, Period, StatusCategory

Records = Mapping[tuple[str, str], CommentRecord]
"""The comments okrsync made already, by issue key and identity."""


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
    records: Records,
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


def post_once(key: str, identity: str, doc: Doc, summary: str, records: Records) -> CommentPost | None:
    """A comment posted once under ``identity`` and never updated."""
    return _post(key, identity, doc, summary, records, update=False)


def _health(value: str | None) -> Health | None:
    try:
        return Health(value) if value else None
    except ValueError:
        return None


def _doc_fingerprint(doc: Doc) -> Any:
    return repr(doc)


# ------------------------------------------------------------------------------ key results


def kr_comments(
    kr: KeyResult,
    s: Score,
    obj: Objective | None,
    now: IssueNow,
    ids: WritebackIds,
    policy: CommentPolicy,
    records: Records,
    as_of: date,
    last_change: Mapping[str, date] | None,
    period: Period,
) -> list[CommentPost]:
    """The comments a KR epic is due, in this order: status change, celebration, check-in reminder
    (overdue: close or re-plan it; else stale: it has not moved)."""
    key = kr.jira_key or kr.id
    posts: list[CommentPost | None] = []
    before = _health(now.announced) or health_in_jira(now, ids.status)
    moved = before is not None and before != s.health
    # a check-in the status comment has not told yet (the property keeps what it told) updates it
    checked_in = kr.last_checkin is not None and _untold(kr.last_checkin, now)
    if policy.status_change and (moved or checked_in) and s.health not in (Health.DONE, Health.NO_DATA):
        posts.append(_status_change(key, kr, s, obj, before if moved else None, as_of, records))
    if policy.celebrate and s.health == Health.DONE:
        posts.append(_kr_celebration(key, kr, obj, records))
    since = stale_since(kr, period, as_of, policy.stale_after_days, (last_change or {}).get(kr.id))
    if policy.stale_reminder and s.health == Health.OVERDUE:
        # the stronger check-in: an overdue KR is asked to close or re-plan, not to move
        posts.append(_overdue_reminder(key, kr, s, due_day(kr.due, period), as_of, records))
    elif policy.stale_reminder and s.health not in (Health.DONE, Health.NO_DATA) and since is not None:
        posts.append(_stale_reminder(key, kr, s, since, as_of, records))
    return [p for p in posts if p is not None]


def _untold(checkin: CheckIn, now: IssueNow) -> bool:
    told = announced_checkin(now)
    return told != (checkin.confidence.value if checkin.confidence else None, checkin.note)


def checkin_paragraph(checkin: CheckIn) -> Paragraph:
    """``Check-in by Ann Lee on 2026-11-03: confidence Low — “the vendor is late”.``"""
    who = f" by {checkin.author}" if checkin.author else ""
    said = f"confidence {checkin.confidence.label}" if checkin.confidence else "no confidence given"
    parts: list[Inline | str] = [
        Text("Owner's check-in", bold=True),
        Text(f"{who} on {checkin.day.isoformat()}: {said}"),
    ]
    if checkin.note:
        parts.append(Text(f" — “{checkin.note}”"))
    parts.append(Text("."))
    return Paragraph(*parts)


def _status_change(
    key: str,
    kr: KeyResult,
    s: Score,
    obj: Objective | None,
    before: Health | None,
    as_of: date,
    records: Records,
) -> CommentPost | None:
    """The KR's one status comment, updated in place when its health moves again or its owner
    checks in (``before`` ``None``: the health did not move)."""
    moved = f"{before.label} → {s.health.label}" if before is not None else s.health.label
    blocks: list[Any] = [
        Paragraph(
            Text("OKR status: ", bold=True),
            Text(moved, bold=True),
            Text(f" (as of {as_of.isoformat()})"),
        ),
        Paragraph(
            Text(f"Progress {_fmt(s.progress)} against {_fmt(s.expected)} expected by now"),
            Text(f" — {s.explanation.summary}." if s.explanation.summary else "."),
        ),
    ]
    if kr.last_checkin is not None:
        blocks.append(checkin_paragraph(kr.last_checkin))
    if obj is not None:
        blocks.append(Paragraph(Text("Serves objective "), Text(label_of(obj), bold=True), Text(".")))
    holding = _open_plans(kr)
    if holding and s.health in (Health.AT_RISK, Health.OFF_TRACK, Health.OVERDUE):
        blocks.append(Paragraph(Text("Open action plans holding it back:")))
        blocks.append(
            BulletList(
                *[[Text(p.key, code=True), Text(f" {p.summary} ({p.status or 'open'})")] for p in holding]
            )
        )
    summary = (
        f"status {before.value} → {s.health.value}" if before is not None else f"check-in, {s.health.value}"
    )
    post = _post(key, "status", Doc(*blocks), summary, records, update=True)
    return replace(post, announces=s.health.value) if post is not None else None


def _kr_celebration(key: str, kr: KeyResult, obj: Objective | None, records: Records) -> CommentPost | None:
    """One celebration of a KR that reached 100 %, thanking who delivered its action plans."""
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
    return _post(key, "celebrate", Doc(*doc_blocks), "celebration", records, update=False)


def _stale_reminder(
    key: str, kr: KeyResult, s: Score, since: date, as_of: date, records: Records
) -> CommentPost | None:
    """One check-in reminder to the owner per stretch of no movement (identified by its start)."""
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
    return _post(key, f"stale:{since.isoformat()}", doc, f"stale since {since}", records, update=False)


def _overdue_reminder(
    key: str, kr: KeyResult, s: Score, due: date, as_of: date, records: Records
) -> CommentPost | None:
    """One reminder to the owner of a KR past its due day and not done, asking to close or re-plan
    it (identified by the due day: a new due date that passes too gets its own)."""
    late = (as_of - due).days
    blocks: list[Any] = [
        Paragraph(
            Text("Check-in reminder: ", bold=True),
            _mention(kr.owner, kr.owner_id),
            Text(
                f", {kr_label(kr)} was due {due.isoformat()} and is not done: {_fmt(s.progress)} on "
                f"{as_of.isoformat()}, {late} day{'s' if late != 1 else ''} overdue."
            ),
        ),
        Paragraph(
            Text(
                "Please close it (finish or cancel what is left), or re-plan it with your team: "
                "a new due date, or move it to the next period."
            )
        ),
    ]
    holding = _open_plans(kr)
    if holding:
        blocks.append(Paragraph(Text("Still open:")))
        blocks.append(
            BulletList(
                *[[Text(p.key, code=True), Text(f" {p.summary} ({p.status or 'open'})")] for p in holding]
            )
        )
    return _post(
        key, f"overdue:{due.isoformat()}", Doc(*blocks), f"overdue since {due}", records, update=False
    )


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


# ------------------------------------------------------------------------------- objectives


def objective_celebration(
    obj: Objective,
    krs: Sequence[KeyResult],
    records: Records,
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
