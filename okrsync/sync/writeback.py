"""The write-back path sync and backfill share: what Jira shows, what okrsync wrote before (as the
state store recorded it, and the comments Jira shows that the store does not know), the plan's
comment policy, and applying a plan with progress.

One path, not two copies: a sync cycle (:mod:`okrsync.sync.engine`) and a backfill of a past period
(:mod:`okrsync.sync.backfill`) both plan with :func:`~okrsync.core.plan.plan_changes` from the
values built here and apply with :func:`apply_plan`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from okrsync.core.mappers import issue_fields as fields
from okrsync.core.plan import CommentPolicy, CommentRecord, IssueNow, Plan, WritebackIds
from okrsync.domain.config import Settings
from okrsync.domain.keys import COMMENT_PROPERTY, ISSUE_PROPERTY
from okrsync.domain.records import AppliedWrite
from okrsync.jira.errors import JiraAuthError, JiraError, JiraUnavailable
from okrsync.jira.gateway import JiraGateway
from okrsync.state.store import StateStore
from okrsync.sync.apply import Applier, ApplyOutcome, identity_of, marker_hash
from okrsync.sync.comment_reads import comments_or_raise, read_comments
from okrsync.sync.outbox import Recovered
from okrsync.sync.outbox import close as outbox_close
from okrsync.sync.searched_comments import searched_comments

log = logging.getLogger(__name__)

Records = Mapping[tuple[str, str], CommentRecord]
"""(issue key, comment identity) → the comment's id and content hash."""


def issue_now(raw: fields.RawIssue, ids: WritebackIds, properties_known: bool) -> IssueNow:
    """What Jira shows on one issue: its write-back fields and okrsync's issue property."""
    values = fields.fields_of(raw)
    props = raw.get("properties")
    prop = props.get(ISSUE_PROPERTY) if isinstance(props, Mapping) else None
    return IssueNow(
        {fid: values.get(fid) for fid in ids.present()},
        prop if isinstance(prop, Mapping) else None,
        properties_known,
    )


class IssuesNow(Mapping[str, IssueNow]):
    """What Jira shows on each issue of ``issues`` (raw issues by key), as :func:`issue_now` makes
    it when asked, not held for every issue at once: at 100,000 issues a dict of them all was ~40 MiB
    beside the records they are read from (bench/README.md). A value set here (``now[key] = ...``)
    replaces the one made from ``issues``, also for a key ``issues`` lacks. The records must not
    change while the plan reads this (the apply step runs after the plan)."""

    __slots__ = ("_ids", "_issues", "_known", "_set")

    def __init__(self, issues: Mapping[str, fields.RawIssue], ids: WritebackIds, properties_known: bool):
        self._issues = issues
        self._ids = ids
        self._known = properties_known
        self._set: dict[str, IssueNow] = {}

    def __getitem__(self, key: str) -> IssueNow:
        found = self._set.get(key)
        if found is not None:
            return found
        return issue_now(self._issues[key], self._ids, self._known)

    def __setitem__(self, key: str, value: IssueNow) -> None:
        self._set[key] = value

    def __contains__(self, key: object) -> bool:
        return key in self._set or key in self._issues

    def __iter__(self) -> Iterator[str]:
        yield from self._issues
        yield from (k for k in self._set if k not in self._issues)

    def __len__(self) -> int:
        return len(self._issues) + sum(1 for k in self._set if k not in self._issues)


@dataclass(frozen=True, slots=True)
class PriorWrites:
    """What okrsync wrote before, from the state store: its comments and its property values."""

    comments: Mapping[tuple[str, str], CommentRecord]
    """(issue key, comment identity) → the comment's id and content hash."""
    property_hashes: Mapping[str, str]
    """issue key → the hash of the ``okrsync`` property value last written."""
    property_times: Mapping[str, datetime] = field(default_factory=dict)
    """issue key → when okrsync last wrote its ``okrsync`` property."""


def prior_writes(store: StateStore) -> PriorWrites:
    applied = store.applied(kinds=("comment", "property"))
    comments = {
        (key, target): CommentRecord(write.comment_id or "", write.value_hash)
        for (key, kind, target), write in applied.items()
        if kind == "comment"
    }
    props = {key: write for (key, kind, _target), write in applied.items() if kind == "property"}
    return PriorWrites(
        comments, {k: w.value_hash for k, w in props.items()}, {k: w.applied_at for k, w in props.items()}
    )


@dataclass(frozen=True, slots=True)
class AdoptedComment:
    """A comment okrsync posted before that Jira shows and the state store did not know of."""

    issue_key: str
    identity: str
    comment_id: str
    value_hash: str
    marked: bool = True
    """Whether it carries its ``okrsync`` comment property (Data Center: a run killed between the
    POST and the property PUT leaves the footer only; the apply step repairs it)."""


@dataclass(frozen=True, slots=True)
class CommentsInJira:
    """What the planning read of the comments on the issues its plan would post on."""

    adopted: tuple[AdoptedComment, ...] = ()
    """Comments found there under an identity the plan would post: not posted again."""
    read: Mapping[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Issue key → its comments, as read (the apply step reuses them)."""
    recovered: Recovered | None = None
    """The outbox entries a dead run left open, settled (:class:`okrsync.sync.outbox.Recovered`)."""


def plan_with_jira_comments(
    gateway: JiraGateway,
    records: Records,
    plan_with: Callable[[Records], Plan],
    *,
    already_read: Mapping[str, list[dict[str, Any]]] | None = None,
    issues: Mapping[str, Mapping[str, Any]] | None = None,
    workers: int = 1,
) -> tuple[Plan, CommentsInJira]:
    """``plan_with(records)``, knowing the comments okrsync made that Jira shows but ``records``
    (the state store's) lack: after a crash, or with a new or lost state database.

    Each issue the plan would post a new comment on is read once (the read the apply step would
    make anyway); a comment carrying the identity of a planned one is adopted: a reminder or a
    celebration is not posted again, a status comment is updated in place where it differs. The
    plan is made again with them, so that a dry run plans what the run does. An issue whose
    comments cannot be read keeps its planned posts (the apply step reports its error).

    ``issues`` (the raw issues by key): the issues whose comments ``records`` know nothing of (all
    of them on a first sync) are searched first, many a request, and those the search shows whole
    and without an okrsync comment are not read (:mod:`okrsync.sync.searched_comments`). The reads
    left run on ``workers`` threads (``jira.max_concurrency``).
    """
    plan = plan_with(records)
    wanted = {(c.issue_key, c.identity): c for c in plan.comments if c.existing_id is None}
    read: dict[str, list[dict[str, Any]]] = dict(already_read or {})
    if issues is not None:
        on_record = {k for k, _identity in records}
        unknown = {k for k, _identity in wanted if k not in on_record and k not in read}
        read.update(searched_comments(gateway, unknown, issues))
    found: dict[tuple[str, str], CommentRecord] = {}
    keys = sorted({k for k, _identity in wanted}, key=fields.key_order)
    fetched = read_comments(gateway, [k for k in keys if k not in read], workers)
    for key in keys:
        try:
            comments = read[key] if key in read else comments_or_raise(fetched[key])
        except (JiraAuthError, JiraUnavailable):
            break  # the apply step meets the same error and stops there
        except JiraError:
            continue
        read[key] = comments
        for comment in comments:
            identity = identity_of(comment)
            if identity is not None and (key, identity) in wanted and (key, identity) not in found:
                found[(key, identity)] = CommentRecord(str(comment.get("id")), marker_hash(comment))
    if not found:
        return plan, CommentsInJira(read=read)
    plan = plan_with({**records, **found})
    still = {(c.issue_key, c.identity) for c in plan.comments}
    adopted = tuple(
        AdoptedComment(
            key, identity, record.comment_id, wanted[(key, identity)].value_hash, bool(record.value_hash)
        )
        for (key, identity), record in found.items()
        if (key, identity) not in still
    )
    return plan, CommentsInJira(adopted, read)


def comment_policy(cfg: Settings, *, celebrate: bool = True, remind: bool = True) -> CommentPolicy:
    """The configured comments; a past period's backfill turns celebrations and reminders off."""
    comments = cfg.writeback.comments
    return CommentPolicy(
        comments.status_change,
        comments.celebrate and celebrate,
        comments.stale_reminder and remind,
        cfg.policy.stale_after_days,
    )


def apply_plan(
    cfg: Settings,
    gateway: JiraGateway,
    store: StateStore,
    plan: Plan,
    *,
    run_id: int | None,
    clock: Callable[[], datetime],
    stop: Callable[[], bool],
    on_progress: Callable[[str, int, int], None],
    mirror: MutableMapping[str, dict[str, Any]] | None = None,
    out_of_scope: Iterable[str] = (),
    in_jira: CommentsInJira | None = None,
) -> tuple[ApplyOutcome, Applier]:
    """Apply ``plan``, reporting each change as stage ``write``; returns the outcome and the
    applier (whose ``touched`` keys the sync keeps in its mirror). ``in_jira``: the comments the
    planning read; those it adopted are recorded first, as okrsync's."""
    in_jira = in_jira or CommentsInJira()
    repaired: list[str] = []
    if in_jira.adopted:
        at = clock()
        store.record_applied(
            AppliedWrite(a.issue_key, "comment", a.identity, a.value_hash, a.comment_id, run_id, at)
            for a in in_jira.adopted
        )
        for a in in_jira.adopted:
            if not a.marked:
                try:
                    marker = {"identity": a.identity, "hash": a.value_hash}
                    gateway.set_comment_property(a.comment_id, COMMENT_PROPERTY, marker)
                    repaired.append(f"{a.issue_key}: comment {a.comment_id}'s okrsync marker repaired")
                except JiraError as exc:  # known by its footer still; the next run tries again
                    log.warning("could not repair the marker of comment %s: %s", a.comment_id, exc)
    recovered = in_jira.recovered.markers if in_jira.recovered is not None else {}
    for key, (comment_id, marker) in sorted(recovered.items()):
        try:  # a body that landed without its marker (okrsync.sync.outbox.recover)
            gateway.set_comment_property(comment_id, COMMENT_PROPERTY, marker)
            repaired.append(f"{key}: comment {comment_id}'s okrsync marker repaired")
        except JiraError as exc:  # its record is right; the text is what the next recovery reads
            log.warning("could not repair the marker of comment %s: %s", comment_id, exc)
    total = len(plan.changes)
    applied = 0

    def step() -> None:
        nonlocal applied
        applied += 1
        on_progress("write", applied, total)

    applier = Applier(
        gateway,
        store,
        run_id=run_id,
        notify=cfg.writeback.notify_users,
        clock=clock,
        mirror=mirror,
        stop=stop,
        on_change=step,
        comments=in_jira.read,
        on_comment_recorded=lambda key, identity: outbox_close(store, key, identity, clock()),
        bulk=True,
        concurrency=cfg.jira.max_concurrency,
    )
    outcome = applier.apply(plan, out_of_scope)
    outcome.comments_adopted += len(in_jira.adopted)
    outcome.warnings.extend(repaired)
    return outcome, applier
