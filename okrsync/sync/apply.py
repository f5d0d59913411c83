"""Apply a plan to Jira: each change isolated, each recorded as it lands.

On Cloud, field edits that set the same values on many issues go first as bulk edits
(:mod:`okrsync.sync.bulk_apply`) and the issues' ``okrsync`` properties last, in batches, after
their comments (:mod:`okrsync.sync.bulk_properties`); what those leave, and everything on Data
Center, goes one request per change:

* A failure on one issue (403, 404, 400 — e.g. a field missing from one project's screen) is
  recorded with Jira's reason and the run goes on; the next run retries it, because the plan
  still sees the difference. A field edit rejected for some of its fields is retried once with the
  fields Jira accepts.
* Every comment is recorded in the state store the moment it lands, so a crash and restart never
  repeats one; field and property writes are recorded in batches (repeating one after a crash is
  harmless, and the next plan compares with what Jira shows), which keeps a 10,000-issue first
  sync from spending its time on one database commit per write.
* Independent issues are applied at once (``concurrency`` workers, :mod:`okrsync.sync.lanes`): the
  changes of one issue stay in the plan's order on one worker (its field edit, its comments in
  order, its property last), and everything but the requests runs under one lock.
* Comments carry their identity twice: as the comment property ``okrsync`` (created in the same
  request on Cloud) and as a footer line ``— okrsync · <identity>``. Before posting a comment the
  state store does not know of, the issue's comments are known (read, or shown whole by a search
  without any okrsync footer: :mod:`okrsync.sync.searched_comments`), and an existing comment with
  that identity is adopted instead of posting a second one (after a crash, or a lost database).
  A sync learns them while it plans (:func:`okrsync.sync.writeback.plan_with_jira_comments`, so
  that a dry run plans what the run does) and hands them over; the check here stays the last word.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from okrsync.core.plan import Change, CommentPost, FieldEdit, Plan, PropertySet
from okrsync.domain.doc import Doc, Paragraph, Text
from okrsync.domain.hashing import value_hash
from okrsync.domain.keys import COMMENT_FOOTER, COMMENT_PROPERTY
from okrsync.domain.records import AppliedWrite
from okrsync.jira.errors import (
    JiraAuthError,
    JiraBadRequest,
    JiraError,
    JiraNotFound,
    JiraPermissionError,
    JiraUnavailable,
)
from okrsync.jira.gateway import JiraGateway
from okrsync.jira.markup import plain_text
from okrsync.state.store import StateStore
from okrsync.sync.bulk_apply import apply_bulk
from okrsync.sync.bulk_properties import apply_with_properties
from okrsync.sync.lanes import BigLock, in_lanes, run_lanes, unlocked

log = logging.getLogger(__name__)

RECORD_BATCH = 200
REPOST_ATTEMPTS = 3
"""How often a comment POST that failed ambiguously, and is then not found in Jira, is sent in one run."""
NOTIFY_HINT = (
    " — okrsync edits without notifications (writeback.notify_users: false), which Jira allows only "
    "with Administer projects: grant it to okrsync's account, or set writeback.notify_users: true"
)
_FOOTER = re.compile(re.escape(COMMENT_FOOTER) + r"(\S.*?)\s*$")
_FIELD_ID = re.compile(r"\bcustomfield_\d+\b")


@dataclass(frozen=True, slots=True)
class ApplyError:
    issue_key: str
    kind: str
    reason: str
    status: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"issue": self.issue_key, "kind": self.kind, "reason": self.reason, "status": self.status}


@dataclass
class ApplyOutcome:
    field_edits: int = 0
    field_values: int = 0
    bulk_edits: int = 0
    """Bulk edit requests whose task completed (their issues count in ``field_edits`` too)."""
    properties: int = 0
    property_batches: int = 0
    """``properties/multi`` requests Jira accepted (their issues count in ``properties`` if written)."""
    comments_posted: int = 0
    comments_updated: int = 0
    comments_adopted: int = 0
    errors: list[ApplyError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    stopped: bool = False

    @property
    def writes(self) -> int:
        return self.field_edits + self.properties + self.comments_posted + self.comments_updated


def _about_notifications(exc: JiraError) -> bool:
    """Jira's 403 for ``notifyUsers=false`` without Administer projects ("To discard the user
    notification either admin or project admin permissions are required.")."""
    return any("notification" in m.lower() for m in exc.messages)


def with_footer(doc: Doc, identity: str) -> Doc:
    return Doc(*doc.blocks, Paragraph(Text(f"{COMMENT_FOOTER}{identity}", italic=True)))


def _marker(comment: Mapping[str, Any]) -> Mapping[str, Any]:
    """The value of the comment's ``okrsync`` property (``{"identity", "hash"}``), or ``{}``."""
    props = comment.get("properties")
    for prop in props if isinstance(props, list) else ():
        if isinstance(prop, Mapping) and prop.get("key") == COMMENT_PROPERTY:
            value = prop.get("value")
            return value if isinstance(value, Mapping) else {}
    return {}


def _marker_for(change: CommentPost) -> dict[str, Any]:
    """The ``okrsync`` comment property: identity, content hash and, for a status comment, the
    health it states (what okrsync announced there, readable back from Jira)."""
    marker: dict[str, Any] = {"identity": change.identity, "hash": change.value_hash}
    if change.announces:
        marker["health"] = change.announces
    return marker


def marker_hash(comment: Mapping[str, Any]) -> str:
    """The content hash in the comment's ``okrsync`` property, or ``""`` (a footer only)."""
    value = _marker(comment).get("hash")
    return value if isinstance(value, str) else ""


def identity_of(comment: Mapping[str, Any]) -> str | None:
    """The okrsync identity of a Jira comment: its ``okrsync`` property, else its footer line."""
    identity = _marker(comment).get("identity")
    if isinstance(identity, str):
        return identity
    match = _FOOTER.search(plain_text(comment.get("body")).strip())
    return match.group(1) if match else None


class Applier:
    """Executes one plan; ``clock`` gives the time recorded with each write."""

    def __init__(
        self,
        gateway: JiraGateway,
        store: StateStore,
        *,
        run_id: int | None,
        notify: bool,
        clock: Callable[[], datetime],
        mirror: MutableMapping[str, dict[str, Any]] | None = None,
        stop: Callable[[], bool] = lambda: False,
        on_change: Callable[[], None] = lambda: None,
        comments: Mapping[str, Iterable[Mapping[str, Any]]] | None = None,
        on_comment_recorded: Callable[[str, str], None] = lambda key, identity: None,
        bulk: bool = False,
        concurrency: int = 1,
    ) -> None:
        """``comments``: issue key → its comments, where the planning read them already;
        ``on_comment_recorded(key, identity)`` after each comment's record lands (the outbox);
        ``concurrency``: how many issues are applied at once (``jira.max_concurrency``)."""
        self.on_comment_recorded = on_comment_recorded
        self.bulk = bulk
        """Send field edits that set the same values on many issues as bulk edits (Cloud;
        :mod:`okrsync.sync.bulk_apply`), the rest per issue."""
        self.concurrency = max(1, concurrency)
        self.lock = BigLock()
        """Held by whoever runs the apply's bookkeeping; let go of only while a request waits."""
        self.gateway = unlocked(gateway, self.lock)
        self.store = store
        self.run_id = run_id
        self.notify = notify
        self.clock = clock
        self.mirror = mirror if mirror is not None else {}
        self.stop = stop
        self.on_change = on_change
        self.touched: set[str] = set()
        self._comments: dict[str, list[dict[str, Any]]] = {
            key: [dict(c) for c in read] for key, read in (comments or {}).items()
        }
        self._pending: list[AppliedWrite] = []
        self._total = 0
        self._started = 0
        self._halted = False
        self._unannounced: set[str] = set()
        """Issues whose status comment did not land this run: their ``okrsync`` property keeps the
        health okrsync last announced, so that the next run posts the comment."""

    def apply(self, plan: Plan, out_of_scope: Iterable[str] = ()) -> ApplyOutcome:
        outcome = ApplyOutcome()
        self._started, self._halted = 0, False
        with self.lock.held():
            try:
                if self.bulk:
                    plan = apply_bulk(self, plan, outcome)
                self._total = len(plan.changes)  # what the per-issue loops (one or more) have to do
                apply_with_properties(self, plan, set(out_of_scope), outcome)
            finally:
                self._flush()
        order = {key: i for i, key in enumerate(dict.fromkeys(c.issue_key for c in plan.changes))}
        outcome.errors.sort(key=lambda e: order.get(e.issue_key, len(order)))  # the plan's order
        return outcome

    def _apply(self, plan: Plan, leaving: set[str], outcome: ApplyOutcome) -> None:
        """Every issue's changes in the plan's order; issues at once on ``concurrency`` workers."""
        changes = plan.changes
        if self._halted:
            return

        def lane(indexes: list[int]) -> None:
            for index in indexes:
                if self._halted:
                    return
                if self.stop():
                    outcome.stopped = self._halted = True
                    return
                self._started += 1
                try:
                    going_on = self._one(changes[index], leaving, outcome)
                except BaseException:  # a bug, or the process going down: the other workers stop too
                    self._halted = True
                    raise
                if not going_on:
                    self._halted = True
                    return

        run_lanes(
            in_lanes([c.issue_key for c in changes]),
            lane,
            lock=self.lock,
            workers=self.concurrency,
            halted=lambda: self._halted,
        )

    def _one(self, change: Change, leaving: set[str], outcome: ApplyOutcome) -> bool:
        """Apply one change; ``False`` when the apply must stop (Jira refused the credential, or is down)."""
        try:
            if isinstance(change, FieldEdit):
                self._edit(change, outcome)
            elif isinstance(change, PropertySet) and change.issue_key in self._unannounced:
                outcome.warnings.append(
                    f"{change.issue_key}: its okrsync property waits for its status comment (next run)"
                )
            elif isinstance(change, PropertySet):
                self._property(change, outcome)
            else:
                self._comment_or_leave_due(change, outcome)
        except JiraNotFound as exc:
            if change.issue_key in leaving:
                outcome.warnings.append(f"{change.issue_key}: gone from Jira; nothing to clear")
            else:
                outcome.errors.append(ApplyError(change.issue_key, change.kind, self._speak(exc), exc.status))
        except (JiraAuthError, JiraUnavailable) as exc:
            # the credential was refused, or Jira is down: every other change would fail the
            # same way after its own retries (and failed logins can lock the account)
            self._give_up(change, exc, outcome)
            return False
        except JiraPermissionError as exc:
            if isinstance(change, FieldEdit) and not self.notify and _about_notifications(exc):
                self._give_up(change, exc, outcome, hint=NOTIFY_HINT)
                return False
            outcome.errors.append(ApplyError(change.issue_key, change.kind, self._speak(exc), exc.status))
        except JiraError as exc:
            outcome.errors.append(ApplyError(change.issue_key, change.kind, self._speak(exc), exc.status))
            log.warning("%s %s failed: %s", change.kind, change.issue_key, exc)
        self.on_change()
        return True

    def _speak(self, exc: JiraError) -> str:
        """Jira's message with each field id it names followed by the field's name, once:
        "Field 'customfield_10041 (OKR Progress)' cannot be set"."""
        text = str(exc)
        seen: set[str] = set()

        def named(m: re.Match[str]) -> str:
            fid = m.group(0)
            if fid in seen:
                return fid
            seen.add(fid)
            try:
                name = self.gateway.fields.name_of(fid)
            except JiraError:
                return fid
            return fid if name == fid else f"{fid} ({name})"

        return _FIELD_ID.sub(named, text)

    def _give_up(self, change: Change, exc: JiraError, outcome: ApplyOutcome, hint: str = "") -> None:
        outcome.errors.append(
            ApplyError(change.issue_key, change.kind, f"{self._speak(exc)}{hint}", exc.status)
        )
        if outcome.stopped:
            return  # another worker gave up first: one "stopped" line
        outcome.stopped = self._halted = True
        left = self._total - self._started + 1  # this one, and those not started
        outcome.warnings.append(
            f"stopped applying after this error; {left} change(s) left for the next cycle"
        )

    # ------------------------------------------------------------------------------ records

    def _record(self, writes: Iterable[AppliedWrite]) -> None:
        """Field and property writes are recorded in batches: repeating one after a crash is
        harmless (the same value again, and the next plan sees Jira's value first)."""
        self._pending.extend(writes)
        if len(self._pending) >= RECORD_BATCH:
            self._flush()

    def _record_now(self, writes: Iterable[AppliedWrite]) -> None:
        """Comments are recorded the moment they land: posting one twice is what must never happen."""
        self._pending.extend(writes)
        self._flush()

    def _flush(self) -> None:
        if self._pending:
            batch, self._pending = self._pending, []
            self.store.record_applied(batch)

    def _edit(self, change: FieldEdit, outcome: ApplyOutcome) -> None:
        fields = dict(change.fields)
        try:
            self.gateway.edit_issue(change.issue_key, fields, notify=self.notify)
        except JiraBadRequest as exc:
            rejected = {k for k in (exc.errors or {}) if k in fields}
            rest = {k: v for k, v in fields.items() if k not in rejected}
            if not rejected or not rest:
                raise
            # write what Jira accepts; report the rest (e.g. a field missing from a screen)
            outcome.errors.append(ApplyError(change.issue_key, "field", self._speak(exc), exc.status))
            self.gateway.edit_issue(change.issue_key, rest, notify=self.notify)
            fields = rest
        now = self.clock()
        self._record(
            AppliedWrite(change.issue_key, "field", fid, value_hash(value), None, self.run_id, now)
            for fid, value in fields.items()
        )
        raw = self.mirror.get(change.issue_key)
        if raw is not None:
            raw.setdefault("fields", {}).update(fields)
        self.touched.add(change.issue_key)
        outcome.field_edits += 1
        outcome.field_values += len(fields)

    def _property(self, change: PropertySet, outcome: ApplyOutcome) -> None:
        self.gateway.set_issue_property(change.issue_key, change.key, dict(change.value))
        self._record(
            [
                AppliedWrite(
                    change.issue_key,
                    "property",
                    change.key,
                    change.value_hash,
                    None,
                    self.run_id,
                    self.clock(),
                )
            ]
        )
        raw = self.mirror.get(change.issue_key)
        if raw is not None:
            raw.setdefault("properties", {})[change.key] = dict(change.value)
        self.touched.add(change.issue_key)
        outcome.properties += 1

    def _existing(self, key: str, identity: str, *, fresh: bool = False) -> dict[str, Any] | None:
        if fresh or key not in self._comments:
            self._comments[key] = self.gateway.comments(key, properties=True)
        for comment in self._comments[key]:
            if identity_of(comment) == identity:
                return comment
        return None

    def _comment_or_leave_due(self, change: CommentPost, outcome: ApplyOutcome) -> None:
        """Post (or update, or adopt) one comment; one that did not land stays due for the next run.

        A POST that failed without an answer that says "not applied" (a 5xx, a dropped connection, a
        timeout) may have landed: the issue's comments are read again and a comment with its
        identity is adopted (on Data Center its marker property repaired). If it is not there, the
        POST is safe to send again: up to ``REPOST_ATTEMPTS`` times in all, then it stays due and the
        apply goes on. Only if that read fails too (Jira is down) does the apply stop.
        """
        for attempt in range(1, REPOST_ATTEMPTS + 1):
            try:
                self._comment(change, outcome)
                return
            except JiraUnavailable as exc:
                if change.identity == "status":
                    self._unannounced.add(change.issue_key)
                if change.existing_id is not None:
                    # an update (PUT) is idempotent: it was retried already; the next run sends it
                    self._left_due(change, exc, outcome)
                    return
                found = self._existing(change.issue_key, change.identity, fresh=True)
                if found is not None:
                    self._adopt(change, found, outcome)
                    self._unannounced.discard(change.issue_key)
                    return
                log.info(
                    "comment %s on %s did not land (attempt %d)", change.identity, change.issue_key, attempt
                )
                if attempt == REPOST_ATTEMPTS:
                    self._left_due(change, exc, outcome)
            except JiraError:
                if change.identity == "status":
                    self._unannounced.add(change.issue_key)
                raise

    def _left_due(self, change: CommentPost, exc: JiraError, outcome: ApplyOutcome) -> None:
        outcome.errors.append(
            ApplyError(
                change.issue_key,
                change.kind,
                f"{exc}; the comment did not land, it stays due: the next run posts it",
                exc.status,
            )
        )

    def _adopt(self, change: CommentPost, found: Mapping[str, Any], outcome: ApplyOutcome) -> None:
        """Take a comment okrsync finds in Jira as the one it meant to post; a comment known by its
        footer only (Data Center, killed between the POST and the property PUT) gets its marker."""
        comment_id = str(found.get("id"))
        if not _marker(found):
            self.gateway.set_comment_property(comment_id, COMMENT_PROPERTY, _marker_for(change))
            outcome.warnings.append(f"{change.issue_key}: comment {comment_id}'s okrsync marker repaired")
        self._record_comment(change, comment_id)
        outcome.comments_adopted += 1

    def _comment(self, change: CommentPost, outcome: ApplyOutcome) -> None:
        body = with_footer(change.doc, change.identity)
        existing_id = change.existing_id
        if existing_id is None:
            found = self._existing(change.issue_key, change.identity)
            if found is not None:
                # posted before (a crash, or a lost state database): adopt it, never post twice
                existing_id = str(found.get("id"))
                updatable = change.identity == "status"
                if not updatable or _marker(found).get("hash") == change.value_hash:
                    self._adopt(change, found, outcome)
                    return
                outcome.comments_adopted += 1
        marker = _marker_for(change)
        if existing_id is not None:
            try:
                self.gateway.update_comment(
                    change.issue_key,
                    existing_id,
                    body,
                    notify=self.notify,
                    properties={COMMENT_PROPERTY: marker},
                )
            except JiraNotFound:
                # someone deleted it: forget it and post it again (a status comment is kept current)
                self.store.forget_applied(change.issue_key, "comment", change.identity)
                existing_id = None
            else:
                self._record_comment(change, existing_id)
                outcome.comments_updated += 1
                return
        created = self.gateway.add_comment(change.issue_key, body, properties={COMMENT_PROPERTY: marker})
        comment_id = str(created.get("id"))
        self._record_comment(change, comment_id)
        self._comments.setdefault(change.issue_key, []).append(
            {"id": comment_id, "properties": [{"key": COMMENT_PROPERTY, "value": marker}]}
        )
        outcome.comments_posted += 1

    def _record_comment(self, change: CommentPost, comment_id: str) -> None:
        self._record_now(
            [
                AppliedWrite(
                    change.issue_key,
                    "comment",
                    change.identity,
                    change.value_hash,
                    comment_id,
                    self.run_id,
                    self.clock(),
                )
            ]
        )
        self.on_comment_recorded(change.issue_key, change.identity)
        self.touched.add(change.issue_key)
