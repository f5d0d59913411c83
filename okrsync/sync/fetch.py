"""Fetch the OKR scope from Jira: everything the first time, then only what changed.

Searches per cycle (besides serverInfo, the field list and, for incremental cycles, ``myself`` for
the user's time zone — all once per gateway):

* objectives kept in Jira, if configured: one search (they are few);
* the KR sources given by JQL: each searched whole the first time, on a full reconcile, or when its
  JQL changed or calls a function; afterwards one search for all the others together, of the epics
  that joined or changed since the watermark (:mod:`okrsync.sync.source_reads`);
* the configured epics and every KR epic's children: ``key in (...) OR parent in (...)``, in full
  the first time (or with an empty mirror), afterwards only ``AND updated >= watermark - skew``,
  plus the full children of epics that are new to the scope;
* a full reconcile (``--full`` or every ``full_reconcile_hours``) lists the scope's keys only, to
  notice deleted issues and issues moved out of scope, then fetches just the new and changed ones.

An issue key that no longer names a browsable issue (a configured epic deleted, archived or
hidden from okrsync's account, an issue deleted after a webhook) would fail every search that
names it: Jira answers 400 "An issue with key 'PLAT-9' does not exist for field 'key'." (also for
``parent`` and ``"Epic Link"`` values). Data Center searches send ``validateQuery: false`` (the key
then matches nothing and the message comes back as a warning); on Cloud, which has no such
option, the keys Jira names are dropped from the query and it is sent again (at most
``MAX_KEY_RETRIES`` times). Either way the key counts as gone: a configured epic's KR is left out
(the mapper says so), a refreshed issue leaves the mirror. A KR or objective source's own JQL is
never rewritten: if Jira rejects it, that source is left out for the cycle with a warning naming
its configuration key, and the rest of the sync goes on: the failure is reported per source
(``FetchResult.failed_sources``), and the mapper keeps the source's KRs visible, stale.

Cloud's search is eventually consistent: every search sends the ids of the issues a webhook named
and of those okrsync wrote in the last minutes that it may return (``reconcileIssues``, at most 50,
no extra request), and a fetched copy older than the mirror's is not taken
(:mod:`okrsync.sync.reconcile`). Data Center's search is consistent.

JQL dates are read in the Jira user's time zone ("updated >= '2026-11-20 10:05'" means 10:05 in
the time zone of the user's profile: https://support.atlassian.com/jira-software-cloud/docs/
jql-fields/#Updated), so the watermark is converted to ``myself().timeZone`` before it is written.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from okrsync.core.mappers import children, issue_fields
from okrsync.core.mappers.tree import RawTree
from okrsync.domain.config import Settings
from okrsync.domain.keys import ISSUE_PROPERTY
from okrsync.domain.mirror_record import RecordSharing, compact_issue
from okrsync.jira.errors import JiraBadRequest, JiraError
from okrsync.jira.gateway import JiraGateway
from okrsync.jira.jql import batch_values, jql_quote
from okrsync.sync.fetch_sources import Found as _Found
from okrsync.sync.fetch_sources import Runner, SourceReading
from okrsync.sync.reconcile import Reconciliation
from okrsync.sync.scope import ReadScope
from okrsync.sync.source_reads import Members

log = logging.getLogger(__name__)

MAX_KEY_RETRIES = 3
"""How many times one search is sent again without the issue keys Jira said it cannot find."""

# Jira's validation messages that name an issue key: "An issue with key 'FOO-9' does not exist for
# field 'key'." (also 'issuekey', 'parent', 'Epic Link'), and "The issue key 'foo' for field 'key'
# is invalid."
_NAMED_KEY = re.compile(
    r"An issue with key '(?P<missing>[^']+)' does not exist for field"
    r"|The issue key '(?P<invalid>[^']+)' for field '[^']*' is invalid"
)


def keys_named(messages: Iterable[str]) -> set[str]:
    """The issue keys (upper-cased) that Jira's messages say do not exist or cannot be browsed."""
    out: set[str] = set()
    for message in messages:
        for m in _NAMED_KEY.finditer(message):
            out.add((m.group("missing") or m.group("invalid")).upper())
    return out


@dataclass(frozen=True, slots=True)
class FetchResult:
    snapshot: RawTree
    issues: Mapping[str, issue_fields.RawIssue]
    """Every in-scope issue after the merge, by key."""
    fresh: Mapping[str, issue_fields.RawIssue]
    """The issues fetched from Jira in this cycle (to store in the mirror)."""
    removed: tuple[str, ...] = ()
    """Keys that left the scope (deleted, moved out, or no longer a KR epic)."""
    kr_epics: tuple[str, ...] = ()
    mode: str = "full"
    warnings: tuple[str, ...] = field(default_factory=tuple)
    gone: tuple[str, ...] = ()
    """Keys Jira said do not exist or cannot be browsed (also in ``removed``): writing to them is futile."""
    failed_sources: Mapping[int, str] = field(default_factory=dict)
    """``key_results[i]`` whose own JQL Jira rejected this cycle → why."""
    epics_to_remember: tuple[str, ...] = ()
    """The KR epics the next cycle should know: ``kr_epics``, plus, while a source fails, the known
    epics it could not confirm (so that they are cleared if the source is later removed)."""
    source_members: Mapping[int, Members] = field(default_factory=dict)
    """``key_results[i]`` given by JQL that was read this cycle → its JQL and the epics it matched
    (what the next cycle reads incrementally: :mod:`okrsync.sync.source_reads`)."""


def jql_datetime(at: datetime, time_zone: str | None) -> str:
    """``at`` as a quoted JQL date-time in the Jira user's time zone (minutes, Jira's precision)."""
    try:
        tz: Any = ZoneInfo(time_zone) if time_zone else UTC
    except (ZoneInfoNotFoundError, ValueError):
        tz = UTC
    return jql_quote(at.astimezone(tz).strftime("%Y-%m-%d %H:%M"))


def _chunks(keys: Sequence[str], clauses: int, max_values: int, max_chars: int) -> list[list[str]]:
    """Split keys so that a query naming each chunk ``clauses`` times stays within the bounds: each
    ``in (...)`` list gets an even share of ``max_chars``, less 80 for the rest (at least 200)."""
    share = max(200, max_chars // max(1, clauses) - 80)
    return batch_values(keys, max_values=max_values, max_chars=share, fixed_chars=len("()"))


def _in(keys: Iterable[str]) -> str:
    return ", ".join(jql_quote(k) for k in keys)


def _as_record(sharing: RecordSharing, raw: issue_fields.RawIssue) -> issue_fields.RawIssue:
    return sharing.share(compact_issue(raw))


def _as_read(raw: issue_fields.RawIssue) -> issue_fields.RawIssue:
    return raw


class Fetcher(SourceReading):
    """One cycle's reads; ``mirror`` is what the state store holds from earlier cycles.

    ``expand``: what every search also expands (a backfill on Data Center reads changelogs so).
    """

    def __init__(
        self, gateway: JiraGateway, cfg: Settings, scope: ReadScope, *, expand: Sequence[str] = ()
    ) -> None:
        self.gateway = gateway
        self.cfg = cfg
        self.scope = scope
        self.expand = tuple(expand)
        self.properties: list[str] = [ISSUE_PROPERTY] if gateway.search_returns_properties else []
        self._gone: set[str] = set()  # upper-cased keys Jira said are gone, this fetch
        self._warnings: list[str] = []
        self._reconcile = Reconciliation()
        self._record: Callable[[issue_fields.RawIssue], issue_fields.RawIssue] = _as_read

    def _search(self, jql: str, reconcile: Sequence[int] = ()) -> list[issue_fields.RawIssue]:
        """Every issue ``jql`` matches, each made a record as its page arrives (see ``fetch``)."""
        fields = list(self.scope.fields)
        issues = self.gateway.search(
            jql, fields, expand=self.expand, properties=self.properties, reconcile=reconcile
        )
        return [self._record(raw) for raw in issues]

    def _scope_chunks(
        self, fetch_keys: Sequence[str], epics: Sequence[str]
    ) -> list[tuple[list[str], list[str]]]:
        """``(keys, epics)`` pieces such that ``_scope_jql`` of each stays within Jira's bounds."""
        clause_names = children.jql_clauses(self.scope.ids)
        wanted = set(fetch_keys)
        epic_set = set(epics)
        chunks = _chunks(
            list(dict.fromkeys([*epics, *fetch_keys])),
            len(clause_names) + 1,
            self.gateway.max_in_values,
            self.gateway.max_jql_chars,
        )
        return [([k for k in c if k in wanted], [k for k in c if k in epic_set]) for c in chunks]

    def _scope_jql(self, keys: Sequence[str], epics: Sequence[str], suffix: str = "") -> str | None:
        """``(key in (keys) OR parent in (epics) [OR "Epic Link" in (epics)]){suffix}``, without the keys
        Jira said are gone; None when nothing is left to ask for."""
        keys_here = [k for k in keys if k.upper() not in self._gone]
        epics_here = [k for k in epics if k.upper() not in self._gone]
        parts = []
        if keys_here:
            parts.append(f"key in ({_in(keys_here)})")
        if epics_here:
            parts.extend(f"{c} in ({_in(epics_here)})" for c in children.jql_clauses(self.scope.ids))
        if not parts:
            return None
        return f"({' OR '.join(parts)}){suffix} ORDER BY key ASC"

    def _key_jql(self, keys: Sequence[str]) -> str | None:
        rest = [k for k in keys if k.upper() not in self._gone]
        return f"key in ({_in(rest)}) ORDER BY key ASC" if rest else None

    def _scope(self, fetch_keys: Sequence[str], epics: Sequence[str], run: Runner, suffix: str = "") -> None:
        for keys_here, epics_here in self._scope_chunks(fetch_keys, epics):
            self._keyed(
                partial(self._scope_jql, keys_here, epics_here, suffix),
                [*keys_here, *epics_here],
                run,
                self._reconcile.for_search(keys_here, epics_here),
            )

    def _by_key(self, keys: Sequence[str], run: Runner) -> None:
        for chunk in _chunks(keys, 1, self.gateway.max_in_values, self.gateway.max_jql_chars):
            self._keyed(partial(self._key_jql, chunk), chunk, run, self._reconcile.for_search(chunk))

    def _keyed(
        self,
        build: Callable[[], str | None],
        named: Collection[str],
        run: Runner,
        reconcile: Sequence[int] = (),
    ) -> None:
        """Run the search ``build()`` makes from key lists; keys Jira says are gone are dropped.

        Cloud answers 400 naming them: they are marked gone and the search is rebuilt and sent again
        (at most ``MAX_KEY_RETRIES`` times; any other 400 is raised). Data Center (``validateQuery``
        warn) answers with warnings naming them: they are marked gone, no second request.
        """
        ours = {k.upper() for k in named}
        for attempt in range(MAX_KEY_RETRIES + 1):
            jql = build()
            if jql is None:
                return
            mark = self.gateway.search_warning_mark()
            try:
                run(jql, reconcile)
            except JiraBadRequest as exc:
                gone = keys_named(exc.messages) & ours - self._gone
                if not gone or attempt == MAX_KEY_RETRIES:
                    raise
                self._mark_gone(gone)
                continue
            for message in self.gateway.search_warnings_since(mark):
                gone = keys_named([message]) & ours
                text = f"Jira warned about a search okrsync made: {message}"
                if gone:
                    self._mark_gone(gone)
                elif text not in self._warnings:
                    self._warnings.append(text)
            return

    def _mark_gone(self, keys: Iterable[str]) -> None:
        for key in sorted(keys):
            if key not in self._gone:
                log.info("%s does not exist in Jira or okrsync cannot browse it: left out", key)
                self._gone.add(key)

    def fetch(
        self,
        mirror: Mapping[str, issue_fields.RawIssue],
        *,
        since: datetime | None,
        full: bool,
        known_epics: Iterable[str] = (),
        previous_epic_of: Mapping[str, str] | None = None,
        refresh_keys: Iterable[str] = (),
        recently_written: Sequence[str] = (),
        source_members: Mapping[int, Members] | None = None,
    ) -> FetchResult:
        """Read this cycle's issues; ``refresh_keys`` (e.g. from webhooks) are re-read by key, so an
        issue moved out of scope or deleted is noticed at once, not only at the next full reconcile.

        ``refresh_keys`` and ``recently_written`` (the issues okrsync wrote in the last minutes, newest
        first) are reconciled on Cloud (see the module doc)."""
        self._gone = set()
        self._warnings = []
        refresh_keys = tuple(refresh_keys)
        self._reconcile = Reconciliation.plan(
            self.gateway.flavor, mirror, refresh_keys, recently_written, previous_epic_of or {}
        )
        # each issue kept as its compact record (what the store keeps of it), equal values of the
        # fetch's records one shared object: at 100,000 issues a first sync held ~7 KiB an issue of
        # raw JSON, ~1.3 KiB as shared records (bench/README.md). A fetch that expands (a backfill's
        # changelogs) keeps the issues as Jira returned them.
        self._record = _as_read if self.expand else partial(_as_record, RecordSharing())
        found = _Found()
        incremental = since is not None and bool(mirror) and not full
        self._read_sources(
            found, mirror, since if incremental else None, (source_members or {}) if incremental else {}
        )
        configured = [k.epic for k in self.cfg.key_results if k.epic]
        epics = list(
            dict.fromkeys(
                [*configured, *(issue_fields.key_of(e) for es in found.jql_epics.values() for e in es)]
            )
        )
        known = set(known_epics)
        first = since is None or not mirror
        if since is None or not mirror:
            self._scope(
                [k for k in configured if k not in found.fresh], epics, found.search_into(self._search)
            )
        else:
            self._read_changed(found, mirror, since, full, configured, epics, known)
        refresh = sorted({k for k in refresh_keys if k} - set(found.fresh))
        if refresh and mirror and since is not None:
            self._refresh(found, refresh, epics)
        gone = {k for k in [*epics, *refresh, *mirror] if k.upper() in self._gone}
        epics = self._drop_gone(found, gone, epics)
        # epics that stopped being KRs leave the scope too, and their action plans with them (unless
        # a source could not be read: then the scope is unknown and nothing leaves)
        remember = list(epics)
        # a configured epic Jira cannot show is a failing source: its KR stays (stale), nothing clears
        unreadable = {e for e in configured if e in gone}
        remember += sorted(unreadable & known)
        if not found.sources_failed:
            left = known - set(epics) - unreadable
            found.removed |= left
            found.removed |= {
                k
                for k, epic in (previous_epic_of or {}).items()
                if epic in left and k in mirror and k not in found.fresh
            }
        else:
            remember += sorted(known - set(epics) - gone)
        # nor do the action plans of an unreadable epic (a full reconcile no longer finds them)
        found.removed -= {
            k for k, epic in (previous_epic_of or {}).items() if epic in unreadable and k not in gone
        }
        result = self._result(
            found, mirror, epics, gone, "full" if first or full else "incremental", previous_epic_of
        )
        return replace(
            result,
            failed_sources=dict(found.failed_sources),
            epics_to_remember=tuple(remember),
            source_members=dict(found.members),
        )

    def _changed_since(self, since: datetime) -> str:
        """``since`` less the skew, as a JQL date-time in the user's time zone (without it, widened by
        the largest UTC offset there is)."""
        tz = self._time_zone()
        slack = timedelta(minutes=self.cfg.sync.skew_minutes) + (timedelta(0) if tz else timedelta(hours=14))
        return jql_datetime(since - slack, tz)

    def _read_changed(
        self,
        found: _Found,
        mirror: Mapping[str, issue_fields.RawIssue],
        since: datetime,
        full: bool,
        configured: Sequence[str],
        epics: Sequence[str],
        known: set[str],
    ) -> None:
        """A later cycle: what changed since ``since``; a full reconcile also lists the scope's keys."""
        changed_since = self._changed_since(since)
        into_fresh = found.search_into(self._search)
        new_epics = [e for e in epics if e not in known]
        if full:
            # keys only: what is in scope now, to notice deletions and moves out of scope
            current: set[str] = set()

            def list_keys(jql: str, ids: Sequence[int]) -> None:
                current.update(self.gateway.search_keys(jql, reconcile=ids))

            self._scope(configured, epics, list_keys)
            if not found.sources_failed:  # else the scope is unknown: remove nothing this cycle
                objective_keys = {issue_fields.key_of(o) for o in found.objective_issues}
                in_mirror = {k for k in mirror if k not in objective_keys}
                found.removed = {k for k in in_mirror if k not in current and k not in found.fresh}
            missing = [k for k in sorted(current) if k not in mirror and k not in found.fresh]
            self._by_key(missing, into_fresh)
        elif new_epics:
            self._scope(
                [k for k in new_epics if k in configured and k not in found.fresh], new_epics, into_fresh
            )
        self._scope(configured, epics, into_fresh, f" AND updated >= {changed_since}")

    def _refresh(self, found: _Found, refresh: Sequence[str], epics: Sequence[str]) -> None:
        """Re-read ``refresh`` by key; one that is gone or under no KR any more leaves the scope."""
        self._by_key(refresh, found.search_into(self._search))
        epic_set = set(epics)
        objective_set = {issue_fields.key_of(o) for o in found.objective_issues}
        for key in refresh:
            raw = found.fresh.get(key)
            if key in epic_set or key in objective_set:
                continue
            if raw is None or not children.epics_of(raw, self.scope.ids, epic_set):
                found.removed.add(key)  # deleted, no longer visible, or moved out of every KR

    def _drop_gone(self, found: _Found, gone: set[str], epics: Sequence[str]) -> list[str]:
        """Keys Jira says are gone (deleted, or okrsync cannot browse them) leave the scope: a
        configured epic's KR is then left out, and the mapper says so ("was not found in Jira")."""
        found.removed |= gone
        for index, matched in list(found.jql_epics.items()):
            for epic in matched:
                if issue_fields.key_of(epic) in gone:
                    self._warnings.append(
                        f"{issue_fields.key_of(epic)} (key_results[{index}]) does not exist in Jira or "
                        "okrsync cannot browse it: its KR is left out"
                    )
            found.jql_epics[index] = [e for e in matched if issue_fields.key_of(e) not in gone]
        return [e for e in epics if e not in gone]

    def _result(
        self,
        found: _Found,
        mirror: Mapping[str, issue_fields.RawIssue],
        epics: Sequence[str],
        gone: set[str],
        mode: str,
        previous_epic_of: Mapping[str, str] | None,
    ) -> FetchResult:
        """The mirror with this cycle's reads merged in, grouped as the tree mapper wants it."""
        removed = found.removed
        merged: dict[str, issue_fields.RawIssue] = {k: v for k, v in mirror.items() if k not in removed}
        # an older copy than the mirror's is Cloud's index lagging behind (okrsync.sync.reconcile)
        fresh = {k: raw for k, raw in found.fresh.items() if not self._reconcile.is_stale(raw, mirror.get(k))}
        merged.update(fresh)
        for key in removed:
            merged.pop(key, None)
        kr_epics: list[list[issue_fields.RawIssue]] = []
        for index, source in enumerate(self.cfg.key_results):
            if source.epic:
                kr_epics.append([merged[source.epic]] if source.epic in merged else [])
            else:
                kr_epics.append(found.jql_epics.get(index, []))
        not_children = set(epics) | {issue_fields.key_of(o) for o in found.objective_issues}
        snapshot = RawTree(
            kr_epics=kr_epics,
            children=[raw for key, raw in merged.items() if key not in not_children],
            objective_issues=found.objective_issues,
            previous_epic_of=dict(previous_epic_of or {}),
            failed_sources=dict(found.failed_sources),
        )
        return FetchResult(
            snapshot=snapshot,
            issues=merged,
            fresh=fresh,
            removed=tuple(sorted(removed)),
            kr_epics=tuple(epics),
            mode=mode,
            warnings=tuple(self._warnings),
            gone=tuple(sorted(gone)),
        )

    def _time_zone(self) -> str | None:
        try:
            tz = self.gateway.myself().get("timeZone")
        except JiraError:  # the caller widens the window instead
            return None
        return tz if isinstance(tz, str) else None
