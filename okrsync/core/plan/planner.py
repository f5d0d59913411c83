"""plan_changes: the scored tree's desired Jira state minus what Jira shows, as ordered changes.

The steps: the field edits (KR epics and their action plans, objectives, then the issues that
left the tree, cleared), the comments, the ``okrsync`` properties; the warnings about write-back
fields Jira lacks.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import date

from okrsync.core.mappers.issue_fields import key_order
from okrsync.core.plan.changes import (
    Change,
    CommentPolicy,
    CommentPost,
    CommentRecord,
    FieldEdit,
    IssueNow,
    Plan,
    PropertySet,
    WritebackIds,
)
from okrsync.core.plan.closing_writes import ClosingPlan, close_comment, closed_property
from okrsync.core.plan.comments import kr_comments, objective_celebration
from okrsync.core.plan.field_values import (
    WantedFields,
    action_plan_fields,
    field_edit,
    has_value,
    kr_epic_fields,
    objective_fields,
    unlinked_fields,
    without_options,
)
from okrsync.core.plan.issue_property import explain_kr, explain_objective, property_set
from okrsync.core.plan.source_comment import source_failure_comment
from okrsync.core.rollup import ScoredTree
from okrsync.core.team_managed import project_of, sync_warning, team_managed_issues
from okrsync.domain.mirror_record import sharing_key
from okrsync.domain.model import Health, Objective, OkrTree


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
    team_managed: Collection[str] = (),
    closing: ClosingPlan | None = None,
) -> Plan:
    """Every change that makes Jira show ``scored``.

    ``now`` is what Jira shows per issue key; ``records`` the comments okrsync already made (by
    issue key and identity, from the state store); ``property_hashes`` the hash of the last
    ``okrsync`` property written per issue (used where Jira could not tell, on Data Center);
    ``out_of_scope`` keys of issues that carry okrsync values but left the tree (cleared);
    ``team_managed`` keys of the team-managed projects, whose issues take no global custom field:
    no field edit there (properties and comments as anywhere), one warning naming them;
    ``closing`` the closed periods (:mod:`okrsync.core.plan.closing_writes`): their scores shown,
    their frozen KRs and objectives written nothing else.
    """
    closing = closing or ClosingPlan()
    edits: list[FieldEdit] = []
    warnings: list[str] = []
    if write_fields:
        warnings = _missing_field_warnings(ids)
        edits = _tree_field_edits(scored, ids, now, closing)
        if closing.shown and ids.score is None:
            warnings.append(_NO_SCORE_FIELD)
        edits = _with_out_of_scope_cleared(edits, out_of_scope, ids, now)
        if team_managed:
            edits = [e for e in edits if project_of(e.issue_key) not in team_managed]
            found = team_managed_issues(scored.tree, team_managed)
            if found:
                warnings.append(sync_warning(found))
    props = _property_sets(scored, now, property_hashes or {}, closing)
    posts = _comment_posts(scored, ids, now, comments or CommentPolicy(), records or {}, last_change, closing)
    errors = tuple(p.text for p in ids.unwritable) if write_fields else ()
    # Comments before the ``okrsync`` property: the property's health is what okrsync last told Jira
    # (and what the next plan compares with, see ``health_in_jira``), so it is written only once the
    # status comment that announces it has landed. A run that dies in between leaves the old health
    # there, and the next run posts the comment: never lost (issue 14).
    return Plan((*_in_write_order(edits, scored.tree), *posts, *props), tuple(warnings), errors)


_NO_SCORE_FIELD = (
    'Jira has no number field "OKR Score" (writeback.score_field): run okrsync setup to add it; the '
    "closed periods' scores are in the okrsync property and the closing comments meanwhile"
)


def without_refused_options(
    plan: Plan, field_id: str, accepted: frozenset[str]
) -> tuple[Plan, dict[str, str]]:
    """``plan`` without the option values of ``field_id`` that Jira lacks (not in ``accepted``):
    the field is left out of those issues' edits (the rest of each edit stays). Also returns issue
    key → the value left out."""
    edits, refused = without_options(plan.field_edits, field_id, accepted)
    if not refused:
        return plan, {}
    by_key = {e.issue_key: e for e in edits}
    changes: list[Change] = []
    for change in plan.changes:
        if not isinstance(change, FieldEdit):
            changes.append(change)
        elif change.issue_key in by_key:
            changes.append(by_key[change.issue_key])
    return Plan(tuple(changes), plan.warnings, plan.errors), refused


def _missing_field_warnings(ids: WritebackIds) -> list[str]:
    warnings: list[str] = []
    unwritable = {p.role for p in ids.unwritable}  # there, but of a type okrsync cannot write: errors
    missing = [
        n
        for n, i in (("progress", ids.progress), ("status", ids.status))
        if i is None and n not in unwritable
    ]
    if missing:
        warnings.append(f"write-back fields missing in Jira: {', '.join(missing)} (run okrsync setup)")
    warnings.extend(
        f'Jira has no labels field "{name}": run okrsync setup to add {name} (the objective × health '
        "gadget and the company objectives' filters use it)"
        for name in ids.missing_optional
    )
    return warnings


def _tree_field_edits(
    scored: ScoredTree, ids: WritebackIds, now: Mapping[str, IssueNow], closing: ClosingPlan
) -> list[FieldEdit]:
    """One edit per issue of the tree that shows something else: each KR epic, followed by its
    action plans, in the tree's order; then the objectives' own issues. A frozen KR's action
    plans are left as they are; a closed KR or objective shows its score (``OKR Score``)."""
    tree = scored.tree
    objectives = _objectives_by_id(tree)
    wanted: list[tuple[str, WantedFields]] = []
    for kr in tree.key_results:
        obj = objectives.get(kr.objective_id)
        fields = kr_epic_fields(kr, scored.key_results[kr.id], obj, ids)
        if kr.stale:
            # its numbers are held, not measured: Jira keeps the last ones okrsync wrote
            fields = {
                fid: v for fid, v in fields.items() if fid not in (ids.progress, ids.expected, ids.status)
            }
        if kr.id in closing.shown and ids.score:
            fields = {**fields, ids.score: ("number", closing.shown[kr.id][1].score)}
        if kr.jira_key is not None or not kr.stale:
            wanted.append((kr.jira_key or kr.id, fields))
        if kr.id in closing.frozen:
            continue
        serves = action_plan_fields(kr, obj, ids)  # the same for each of them
        wanted.extend((plan.key, serves) for plan in kr.action_plans)
    for obj in tree.objectives:
        s = scored.objectives[obj.id]
        if obj.jira_key:
            parent = objectives.get(obj.aligns_to) if obj.aligns_to else None
            fields = objective_fields(s, parent, ids)
            if obj.id in closing.shown and ids.score:
                fields = {**fields, ids.score: ("number", closing.shown[obj.id][1].score)}
            wanted.append((obj.jira_key, fields))
    edits = (field_edit(key, now.get(key, IssueNow()), fields, ids.formats) for key, fields in wanted)
    return _sharing_values(e for e in edits if e is not None)


def _sharing_values(edits: Iterable[FieldEdit]) -> list[FieldEdit]:
    """``edits`` where each edit equal in values to the one before it (the action plans of one KR,
    as a first sync or a renamed objective has them) shares that one's dicts: at 100,000 action
    plans two dicts each were ~40 MiB of a cycle's peak (bench/README.md). Edits are never changed
    in place."""
    out: list[FieldEdit] = []
    last: FieldEdit | None = None
    for made in edits:
        edit = made
        if (
            last is not None
            and _same_values(made.fields, last.fields)
            and _same_values(made.before, last.before)
        ):
            edit = FieldEdit(made.issue_key, last.fields, last.before)
        out.append(edit)
        last = edit
    return out


def _same_values(a: Mapping[str, object], b: Mapping[str, object]) -> bool:
    """The same keys with values equal as JSON (``1``, ``1.0`` and ``True`` are equal in Python,
    not in an edit: :func:`~okrsync.domain.mirror_record.sharing_key`)."""
    return len(a) == len(b) and all(
        k in b and (b[k] is v or sharing_key(b[k]) == sharing_key(v)) for k, v in a.items()
    )


def _with_out_of_scope_cleared(
    edits: list[FieldEdit], out_of_scope: Iterable[str], ids: WritebackIds, now: Mapping[str, IssueNow]
) -> list[FieldEdit]:
    """``edits`` plus, for each issue that left the tree, one edit that unlinks it from its KR and
    objective and clears the numbers and health it still shows."""
    edits = list(edits)
    for key in sorted(set(out_of_scope)):
        current = now.get(key, IssueNow())
        unlink = field_edit(key, current, unlinked_fields(ids), ids.formats)
        if unlink is not None:
            edits.append(unlink)
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
    return edits


def _property_sets(
    scored: ScoredTree, now: Mapping[str, IssueNow], property_hashes: Mapping[str, str], closing: ClosingPlan
) -> list[PropertySet]:
    """The ``okrsync`` property of each KR epic, then of each objective's issue, where it differs;
    a closed one's says so (``closed``: the period, its final score and status)."""
    tree = scored.tree
    objectives = _objectives_by_id(tree)
    wanted = [
        (kr.jira_key, explain_kr(kr, scored.key_results[kr.id], objectives.get(kr.objective_id)))
        for kr in tree.key_results
        if kr.jira_key
    ]
    wanted.extend(
        (obj.jira_key, explain_objective(obj, scored.objectives[obj.id]))
        for obj in tree.objectives
        if obj.jira_key
    )
    wanted = [
        (key, {**value, "closed": closed_property(*closing.shown[value["id"]])})
        if value["id"] in closing.shown
        else (key, value)
        for key, value in wanted
    ]
    props = (
        property_set(key, value, now.get(key, IssueNow()), property_hashes.get(key)) for key, value in wanted
    )
    return [p for p in props if p is not None]


def _comment_posts(
    scored: ScoredTree,
    ids: WritebackIds,
    now: Mapping[str, IssueNow],
    policy: CommentPolicy,
    records: Mapping[tuple[str, str], CommentRecord],
    last_change: Mapping[str, date] | None,
    closing: ClosingPlan,
) -> list[CommentPost]:
    """The comments each KR epic is due, in the tree's order; then the objectives' celebrations.
    A closed KR gets its closing comment; a frozen one nothing else."""
    tree = scored.tree
    objectives = _objectives_by_id(tree)
    posts: list[CommentPost] = []
    for kr in tree.key_results:
        if kr.jira_key:
            s = scored.key_results[kr.id]
            obj = objectives.get(kr.objective_id)
            current = now.get(kr.jira_key, IssueNow())
            if kr.id in closing.shown:
                post = close_comment(kr, *closing.shown[kr.id], records)
                if post is not None:
                    posts.append(post)
            if kr.id in closing.frozen:
                continue
            if kr.stale:
                post = source_failure_comment(kr, s, records)
                if policy.status_change and post is not None:
                    posts.append(post)
                continue
            posts.extend(
                kr_comments(
                    kr,
                    s,
                    obj,
                    current,
                    ids,
                    policy,
                    records,
                    scored.as_of,
                    last_change,
                    kr.period_on(scored.as_of, tree.period),
                )
            )
    for obj in tree.objectives:
        if obj.id in closing.frozen:
            continue
        if policy.celebrate and scored.objectives[obj.id].health == Health.DONE:
            post = objective_celebration(obj, tree.krs_of(obj.id), records)
            if post is not None:
                posts.append(post)
    return posts


def _in_write_order(edits: list[FieldEdit], tree: OkrTree) -> list[FieldEdit]:
    """KR epics first (what dashboards show), then action plans and the rest, each by issue key."""
    kr_keys = {kr.jira_key or kr.id for kr in tree.key_results}
    return sorted(edits, key=lambda e: (e.issue_key not in kr_keys, key_order(e.issue_key)))


def _objectives_by_id(tree: OkrTree) -> dict[str, Objective]:
    return {o.id: o for o in tree.objectives}
