"""Which issues a fetch reconciles in Cloud's eventually consistent search, and stale copies.

Cloud's search is eventually consistent: "Recent updates might not be immediately visible in the
returned search results. If you need read-after-write consistency, you can utilize the
``reconcileIssues`` parameter" (Cloud platform v3 spec, searchAndReconsileIssuesUsingJqlPost:
"Accepts max 50 ids", the same list on every page). Two kinds of issue need it, and every search of
a cycle that may return one of them sends their ids (webhook-named first; at most 50 a request, in
the requests the cycle makes anyway, never one more):

* the issues a webhook named (``refresh_keys``): the change that fired it is seconds old, so the
  incremental ``updated >= watermark`` search would not see it (the index still has the issue's old
  ``updated``) and the re-read by key would return the old values;
* the issues okrsync wrote in the last minutes (``recently_written``, see
  :mod:`okrsync.sync.recent_writes`): they changed after the watermark, so the next incremental
  search matches them, and an index that has not caught up returns them as they were before
  okrsync's write whenever their old ``updated`` still falls in the window (a user's change just
  before that cycle); merged over the mirror, the old values would make the plan write them again.

Beyond 50 such issues in one search, and as a second line: a fetched issue older than the mirror's
copy (by ``updated``), or no newer for an issue okrsync wrote since (an edit or a comment moves
``updated``; a property alone does not, and the mirror's copy has it), is such a stale read and the
mirror's copy is kept (:meth:`Reconciliation.is_stale`).

Data Center's search is consistent (its index is updated with the issue) and has no such parameter:
nothing is reconciled there. Webhook-named issues the mirror does not know (no id yet) cannot be
reconciled; the next cycles' ``updated >= watermark - skew`` searches find them once indexed, as
long as the index lags less than ``sync.skew_minutes``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field

from okrsync.core.mappers import issue_fields
from okrsync.jira.search import MAX_RECONCILE_ISSUES


@dataclass(frozen=True, slots=True)
class Reconciliation:
    """The issues one fetch reconciles: key → issue id in priority order, and what okrsync wrote."""

    ids: Mapping[str, int] = field(default_factory=dict)
    written: frozenset[str] = frozenset()
    epic_of: Mapping[str, str] = field(default_factory=dict)
    """The mirror's epic of each action plan (which searches may return it)."""

    @classmethod
    def plan(
        cls,
        flavor: str,
        mirror: Mapping[str, issue_fields.RawIssue],
        refresh: Iterable[str],
        written: Iterable[str],
        epic_of: Mapping[str, str],
    ) -> Reconciliation:
        """Cloud: the webhook-named issues, then okrsync's latest writes (ids from the mirror)."""
        if flavor != "cloud":
            return cls(epic_of=epic_of)
        written = list(written)
        ids: dict[str, int] = {}
        for key in [*sorted(set(refresh)), *written]:
            issue_id = str((mirror.get(key) or {}).get("id") or "")
            if issue_id.isdigit() and key not in ids:
                ids[key] = int(issue_id)
        return cls(ids, frozenset(written), epic_of)

    def for_search(
        self, keys: Collection[str] = (), epics: Collection[str] = (), *, any_epic: bool = False
    ) -> list[int]:
        """The ids to send with a search of ``keys`` and the children of ``epics`` (``any_epic``: a
        source's JQL, which may match any issue but an action plan): those it may return, ≤ 50."""
        key_set, epic_set = set(keys), set(epics)
        chosen = [
            issue_id
            for key, issue_id in self.ids.items()
            if key in key_set
            or key in epic_set
            or self.epic_of.get(key) in epic_set
            or (any_epic and key not in self.epic_of)
        ]
        return chosen[:MAX_RECONCILE_ISSUES]

    def is_stale(self, raw: issue_fields.RawIssue, kept: issue_fields.RawIssue | None) -> bool:
        """Whether ``raw`` (as a search returned it) is older than the mirror's copy ``kept``."""
        if kept is None:
            return False
        new, old = issue_fields.timestamp(raw, "updated"), issue_fields.timestamp(kept, "updated")
        if new is None or old is None:
            return False
        return new < old or (new == old and issue_fields.key_of(raw) in self.written)
