"""The KR and objective sources given by JQL, as one cycle's fetch reads them (the part of
:class:`okrsync.sync.fetch.Fetcher` that reads its sources), and what a fetch has found so far."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from okrsync.core.mappers import issue_fields
from okrsync.jira.errors import JiraBadRequest, JiraError, describe_jira_reasons
from okrsync.jira.jql import split_order_by
from okrsync.sync.source_reads import Members, is_stable, read_incrementally

if TYPE_CHECKING:
    from okrsync.domain.config import Settings
    from okrsync.jira.gateway import JiraGateway
    from okrsync.sync.reconcile import Reconciliation

log = logging.getLogger(__name__)


@dataclass
class Found:
    """What one fetch has found so far."""

    fresh: dict[str, issue_fields.RawIssue] = field(default_factory=dict)
    objective_issues: list[issue_fields.RawIssue] = field(default_factory=list)
    jql_epics: dict[int, list[issue_fields.RawIssue]] = field(default_factory=dict)
    sources_failed: bool = False
    failed_sources: dict[int, str] = field(default_factory=dict)
    removed: set[str] = field(default_factory=set)
    members: dict[int, Members] = field(default_factory=dict)

    def keep(self, batch: Iterable[issue_fields.RawIssue]) -> list[issue_fields.RawIssue]:
        got = []
        for raw in batch:
            self.fresh[issue_fields.key_of(raw)] = raw
            got.append(raw)
        return got

    def search_into(self, search: Callable[[str, Sequence[int]], list[issue_fields.RawIssue]]) -> Runner:
        """A runner for ``_scope``/``_by_key`` that keeps what each search returns."""

        def run(jql: str, reconcile: Sequence[int]) -> None:
            self.keep(search(jql, reconcile))

        return run


Runner = Callable[[str, Sequence[int]], object]
"""Runs one search: its JQL and the ids to reconcile in it."""


class SourceReading:
    """The fetch's reads of its JQL sources (a part of :class:`okrsync.sync.fetch.Fetcher`)."""

    gateway: JiraGateway
    cfg: Settings
    _reconcile: Reconciliation
    _warnings: list[str]

    def _search(self, jql: str, reconcile: Sequence[int] = ()) -> list[issue_fields.RawIssue]:
        raise NotImplementedError

    def _changed_since(self, since: datetime) -> str:
        raise NotImplementedError

    def _source_search(
        self, jql: str, label: str, failed: dict[int, str] | None = None, index: int = -1
    ) -> list[issue_fields.RawIssue] | None:
        """A KR or objective source's own JQL; None if Jira rejects it: recorded in ``failed[index]``
        for a KR source, else as a warning naming ``label``."""
        mark = self.gateway.search_warning_mark()
        try:
            found = self._search(jql, self._reconcile.for_search(any_epic=True))
        except JiraBadRequest as exc:
            reason = describe_jira_reasons(exc.messages, exc.errors) or str(exc)
            if failed is not None:
                failed[index] = f"Jira rejected its JQL: {reason}"
            else:
                self._warnings.append(f"{label}: Jira rejected it: {reason}")
            return None
        warned = list(self.gateway.search_warnings_since(mark))
        if warned and failed is not None:
            # Data Center (validateQuery=false) answers a query with an unknown field or value with
            # warnings and what the rest matched: not a result to trust as the KR's scope
            failed[index] = f"Jira warned about its JQL: {'; '.join(warned)}"
            return None
        for message in warned:
            self._warnings.append(f"{label}: Jira warned: {message}")
        return found

    def _read_sources(
        self,
        found: Found,
        mirror: Mapping[str, issue_fields.RawIssue],
        since: datetime | None,
        known: Mapping[int, Members],
    ) -> None:
        """The JQL sources: objectives kept in Jira, and the epics of KRs given by JQL (those with a
        stable JQL incrementally, after ``since``: :mod:`okrsync.sync.source_reads`)."""
        cfg = self.cfg
        if cfg.objectives_from_jira is not None:
            objectives = self._source_search(cfg.objectives_from_jira.jql, "objectives_from_jira.jql")
            found.sources_failed |= objectives is None
            found.objective_issues = found.keep(objectives or [])
        jqls = {index: source.jql for index, source in enumerate(cfg.key_results) if source.jql}
        stable = {
            index: jql
            for index, jql in jqls.items()
            if since is not None
            and index in known
            and known[index].jql == jql
            and is_stable(jql)
            and all(k in mirror for k in known[index].epics)
        }
        done = self._read_stable(found, mirror, since, stable, known) if stable and since else set()
        for index, jql_text in jqls.items():
            if index in done:
                continue
            where, order = split_order_by(jql_text)
            jql = f"({where})" + (f" {order}" if order else "")
            matched = self._source_search(jql, f"key_results[{index}].jql", found.failed_sources, index)
            if matched is None:
                found.sources_failed = True
                continue
            kept = found.keep(matched)
            found.jql_epics[index] = [e for e in kept if issue_fields.is_epic(e)]
            found.members[index] = Members(
                jql_text, tuple(issue_fields.key_of(e) for e in found.jql_epics[index])
            )
            skipped = len(kept) - len(found.jql_epics[index])
            if skipped:
                self._warnings.append(
                    f"key_results[{index}]: the JQL matched {skipped} issue(s) that are not epics"
                )

    def _read_stable(
        self,
        found: Found,
        mirror: Mapping[str, issue_fields.RawIssue],
        since: datetime,
        stable: Mapping[int, str],
        known: Mapping[int, Members],
    ) -> set[int]:
        """The stable sources, read incrementally; the indexes done (none if a search failed or
        warned: they are searched whole then, and that search says which source Jira refused)."""
        mark = self.gateway.search_warning_mark()
        try:
            now, read = read_incrementally(
                lambda jql: self._search(jql, self._reconcile.for_search(any_epic=True)),
                stable,
                known,
                self._changed_since(since),
                max_values=self.gateway.max_in_values,
                max_chars=self.gateway.max_jql_chars,
                match=self._match if self.gateway.matches_jql else None,
            )
        except JiraError as exc:
            log.info("the KR sources could not be read incrementally, whole instead: %s", exc)
            return set()
        if list(self.gateway.search_warnings_since(mark)):
            return set()
        found.keep(read)
        for index, keys in now.items():
            epics = [found.fresh.get(k) or mirror[k] for k in keys]
            found.jql_epics[index] = [e for e in epics if issue_fields.is_epic(e)]
            found.members[index] = Members(
                stable[index], tuple(issue_fields.key_of(e) for e in found.jql_epics[index])
            )
        return set(now)

    def _match(self, issues: Sequence[issue_fields.RawIssue], jqls: Sequence[str]) -> list[set[str]]:
        """Which of ``issues`` each of ``jqls`` matches, by key (Cloud's ``jql/match``); a query Jira
        reports in error is a ``JiraBadRequest`` (the sources are then searched whole)."""
        keys = {
            int(str(raw.get("id"))): issue_fields.key_of(raw)
            for raw in issues
            if str(raw.get("id")).isdigit()
        }
        if len(keys) < len(issues):
            raise JiraBadRequest("an issue without an id cannot be matched", path="/rest/api/3/jql/match")
        out = []
        for found in self.gateway.match_jql(list(keys), list(jqls)):
            if found.errors:
                raise JiraBadRequest("; ".join(found.errors), path="/rest/api/3/jql/match")
            out.append({keys[i] for i in found.matched if i in keys})
        return out
