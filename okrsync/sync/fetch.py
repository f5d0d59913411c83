"""Fetch the OKR scope from Jira: everything the first time, then only what changed.

Searches per cycle (besides serverInfo, the field list and, for incremental cycles, ``myself`` for
the user's time zone — all once per gateway):

* objectives kept in Jira, if configured: one search (they are few);
* each KR source given by JQL: one search for its epics (few), so that epics joining or leaving
  a source are seen at once;
* the configured epics and every KR epic's children: ``key in (...) OR parent in (...)``, in full
  the first time (or with an empty mirror), afterwards only ``AND updated >= watermark - skew``,
  plus the full children of epics that are new to the scope;
* a full reconcile (``--full`` or every ``full_reconcile_hours``) lists the scope's keys only, to
  notice deleted issues and issues moved out of scope, then fetches just the new and changed ones.

JQL dates are read in the Jira user's time zone ("updated >= '2026-11-20 10:05'" means 10:05 in
the time zone of the user's profile: https://support.atlassian.com/jira-software-cloud/docs/
jql-fields/#Updated), so the watermark is converted to ``myself().timeZone`` before it is written.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from okrsync.config import Settings
from okrsync.jira.errors import JiraError
from okrsync.jira.gateway import JiraGateway
from okrsync.jira.jql import jql_quote, split_order_by
from okrsync.mappers import children
from okrsync.mappers import issue_fields as f
from okrsync.mappers.tree import JiraSnapshot
from okrsync.sync.scope import ReadPlan


@dataclass(frozen=True, slots=True)
class FetchResult:
    snapshot: JiraSnapshot
    issues: Mapping[str, f.RawIssue]
    """Every in-scope issue after the merge, by key."""
    fresh: Mapping[str, f.RawIssue]
    """The issues fetched from Jira in this cycle (to store in the mirror)."""
    removed: tuple[str, ...] = ()
    """Keys that left the scope (deleted, moved out, or no longer a KR epic)."""
    kr_epics: tuple[str, ...] = ()
    mode: str = "full"
    warnings: tuple[str, ...] = field(default_factory=tuple)


def jql_datetime(at: datetime, time_zone: str | None) -> str:
    """``at`` as a quoted JQL date-time in the Jira user's time zone (minutes, Jira's precision)."""
    try:
        tz: Any = ZoneInfo(time_zone) if time_zone else UTC
    except (ZoneInfoNotFoundError, ValueError):
        tz = UTC
    return jql_quote(at.astimezone(tz).strftime("%Y-%m-%d %H:%M"))


def _chunks(keys: Sequence[str], clauses: int, max_values: int, max_chars: int) -> list[list[str]]:
    """Split keys so that a query naming each chunk ``clauses`` times stays within the bounds."""
    out: list[list[str]] = []
    chunk: list[str] = []
    length = 0
    budget = max(200, max_chars // max(1, clauses) - 80)
    for key in keys:
        size = len(jql_quote(key)) + 2
        if chunk and (len(chunk) >= max_values or length + size > budget):
            out.append(chunk)
            chunk, length = [], 0
        chunk.append(key)
        length += size
    if chunk:
        out.append(chunk)
    return out


def _in(keys: Iterable[str]) -> str:
    return ", ".join(jql_quote(k) for k in keys)


def _is_epic(issue: f.RawIssue) -> bool:
    name, level = f.issue_type(issue)
    return level == 1 if level is not None else name.lower() == "epic"


class Fetcher:
    """One cycle's reads; ``mirror`` is what the state store holds from earlier cycles."""

    def __init__(self, gateway: JiraGateway, cfg: Settings, plan: ReadPlan) -> None:
        self.gateway = gateway
        self.cfg = cfg
        self.plan = plan
        self.properties: list[str] = ["okrsync"] if gateway.search_returns_properties else []

    def _search(self, jql: str) -> list[f.RawIssue]:
        return list(self.gateway.search(jql, list(self.plan.fields), properties=self.properties))

    def _scope_queries(self, fetch_keys: Sequence[str], epics: Sequence[str], suffix: str = "") -> list[str]:
        """``key in (fetch_keys) OR parent in (epics) [OR "Epic Link" in (epics)]`` in bounded pieces."""
        clause_names = children.jql_clauses(self.plan.ids)
        wanted = set(fetch_keys)
        queries: list[str] = []
        chunks = _chunks(
            list(dict.fromkeys([*epics, *fetch_keys])),
            len(clause_names) + 1,
            self.gateway.max_in_values,
            self.gateway.max_jql_chars,
        )
        for chunk in chunks:
            parts = []
            keys_here = [k for k in chunk if k in wanted]
            if keys_here:
                parts.append(f"key in ({_in(keys_here)})")
            epics_here = [k for k in chunk if k in epics]
            if epics_here:
                parts.extend(f"{c} in ({_in(epics_here)})" for c in clause_names)
            if parts:
                where = " OR ".join(parts)
                queries.append(f"({where}){suffix} ORDER BY key ASC")
        return queries

    def fetch(
        self,
        mirror: Mapping[str, f.RawIssue],
        *,
        since: datetime | None,
        full: bool,
        known_epics: Iterable[str] = (),
        previous_epic_of: Mapping[str, str] | None = None,
        refresh_keys: Iterable[str] = (),
    ) -> FetchResult:
        """Read this cycle's issues; ``refresh_keys`` (e.g. from webhooks) are re-read by key, so an
        issue moved out of scope or deleted is noticed at once, not only at the next full reconcile."""
        cfg = self.cfg
        fresh: dict[str, f.RawIssue] = {}
        warnings: list[str] = []

        def keep(batch: Iterable[f.RawIssue]) -> list[f.RawIssue]:
            got = []
            for raw in batch:
                fresh[f.key_of(raw)] = raw
                got.append(raw)
            return got

        objective_issues: list[f.RawIssue] = []
        if cfg.objectives_from_jira is not None:
            objective_issues = keep(self._search(cfg.objectives_from_jira.jql))
        jql_epics: dict[int, list[f.RawIssue]] = {}
        for index, source in enumerate(cfg.key_results):
            if source.jql:
                where, order = split_order_by(source.jql)
                found = keep(self._search(f"({where})" + (f" {order}" if order else "")))
                jql_epics[index] = [e for e in found if _is_epic(e)]
                skipped = len(found) - len(jql_epics[index])
                if skipped:
                    warnings.append(
                        f"key_results[{index}]: the JQL matched {skipped} issue(s) that are not epics"
                    )

        configured = [k.epic for k in cfg.key_results if k.epic]
        epics = list(dict.fromkeys([*configured, *(f.key_of(e) for es in jql_epics.values() for e in es)]))
        known = set(known_epics)
        first = since is None or not mirror
        mode = "full" if first or full else "incremental"
        removed: set[str] = set()

        if since is None or not mirror:
            for jql in self._scope_queries([k for k in configured if k not in fresh], epics):
                keep(self._search(jql))
        else:
            tz = self._time_zone()
            # without the user's time zone, widen the window by the largest UTC offset there is
            slack = timedelta(minutes=cfg.sync.skew_minutes) + (timedelta(0) if tz else timedelta(hours=14))
            changed_since = jql_datetime(since - slack, tz)
            new_epics = [e for e in epics if e not in known]
            if full:
                # keys only: what is in scope now, to notice deletions and moves out of scope
                current: set[str] = set()
                for jql in self._scope_queries(configured, epics):
                    current.update(self.gateway.search_keys(jql))
                in_mirror = {k for k in mirror if k not in {f.key_of(o) for o in objective_issues}}
                removed = {k for k in in_mirror if k not in current and k not in fresh}
                missing = [k for k in sorted(current) if k not in mirror and k not in fresh]
                for chunk in _chunks(missing, 1, self.gateway.max_in_values, self.gateway.max_jql_chars):
                    keep(self._search(f"key in ({_in(chunk)}) ORDER BY key ASC"))
            elif new_epics:
                for jql in self._scope_queries(
                    [k for k in new_epics if k in configured and k not in fresh], new_epics
                ):
                    keep(self._search(jql))
            for jql in self._scope_queries(configured, epics, f" AND updated >= {changed_since}"):
                keep(self._search(jql))

        refresh = sorted({k for k in refresh_keys if k} - set(fresh))
        if refresh and mirror and since is not None:
            for chunk in _chunks(refresh, 1, self.gateway.max_in_values, self.gateway.max_jql_chars):
                keep(self._search(f"key in ({_in(chunk)}) ORDER BY key ASC"))
            epic_set = set(epics)
            objective_set = {f.key_of(o) for o in objective_issues}
            for key in refresh:
                raw = fresh.get(key)
                if key in epic_set or key in objective_set:
                    continue
                if raw is None or not children.epics_of(raw, self.plan.ids, epic_set):
                    removed.add(key)  # deleted, no longer visible, or moved out of every KR

        # epics that stopped being KRs leave the scope too
        for gone in known - set(epics):
            removed.add(gone)
        merged: dict[str, f.RawIssue] = {k: v for k, v in mirror.items() if k not in removed}
        merged.update(fresh)
        for key in removed:
            merged.pop(key, None)
        merged_epics = set(epics)
        kr_epics: list[list[f.RawIssue]] = []
        for index, source in enumerate(cfg.key_results):
            if source.epic:
                kr_epics.append([merged[source.epic]] if source.epic in merged else [])
            else:
                kr_epics.append(jql_epics.get(index, []))
        objective_keys = {f.key_of(o) for o in objective_issues}
        snapshot = JiraSnapshot(
            kr_epics=kr_epics,
            children=[
                raw for key, raw in merged.items() if key not in merged_epics and key not in objective_keys
            ],
            objective_issues=objective_issues,
            previous_epic_of=dict(previous_epic_of or {}),
        )
        return FetchResult(
            snapshot=snapshot,
            issues=merged,
            fresh=fresh,
            removed=tuple(sorted(removed)),
            kr_epics=tuple(epics),
            mode=mode,
            warnings=tuple(warnings),
        )

    def _time_zone(self) -> str | None:
        try:
            tz = self.gateway.myself().get("timeZone")
        except JiraError:  # the caller widens the window instead
            return None
        return tz if isinstance(tz, str) else None
