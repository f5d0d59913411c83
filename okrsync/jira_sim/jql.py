"""JQL engine of the Jira simulator.

Public interface (see ``CONTRACT.md``)::

    query = compile_jql('project = PLAT AND status != Done ORDER BY key', field_catalogue,
                        current_user=user, now=datetime.now(UTC))
    hits = query.sort(issue for issue in issues if query.matches(issue))

Compile once, then call :meth:`Query.matches` for every stored issue.  :meth:`Query.key_candidates`
tells the server when a query can only match a known set of keys (``key in (...)`` batches).

Implementation: ``jql_lexer`` (tokens) -> ``jql_parser`` (AST) -> ``jql_eval`` (predicates), with
``jql_fields`` (field catalogue, value extraction, sort keys), ``jql_dates`` and ``jql_text``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from okrsync.jira_sim.jql_eval import Compiler, Predicate, SortKey
from okrsync.jira_sim.jql_fields import FieldResolver
from okrsync.jira_sim.jql_lexer import JqlError
from okrsync.jira_sim.jql_parser import parse

__all__ = ["JqlError", "Query", "compile_jql"]


def _match_all(_issue: Mapping[str, Any]) -> bool:
    return True


def _id_order(issue: Mapping[str, Any]) -> tuple[int, int, str]:
    raw = str(issue.get("id", ""))
    return (0, int(raw), "") if raw.isdigit() else (1, 0, raw)


class Query:
    """A compiled JQL query.  Create with :func:`compile_jql`."""

    __slots__ = ("_keys", "_pred", "_sort_keys", "jql", "warnings")

    def __init__(
        self,
        jql: str,
        pred: Predicate | None,
        sort_keys: Sequence[SortKey],
        keys: frozenset[str] | None,
        warnings: Sequence[str] = (),
    ) -> None:
        self.jql = jql
        self._pred: Predicate = pred or _match_all
        self._sort_keys = tuple(sort_keys)
        self._keys = keys
        self.warnings: tuple[str, ...] = tuple(warnings)
        """Validation errors turned into warnings (``validation="warn"``), in Jira's wording."""

    def matches(self, issue: Mapping[str, Any]) -> bool:
        """Whether ``issue`` (stored in CONTRACT shape) satisfies the WHERE part of the query."""
        return self._pred(issue)

    def sort(self, issues: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        """Apply ORDER BY (stable; EMPTY last ascending, first descending); without it, id ascending."""
        items = list(issues)
        if not self._sort_keys:
            items.sort(key=_id_order)
            return items
        for spec in reversed(self._sort_keys):
            decorated = [(spec.key(issue), issue) for issue in items]
            present = [d for d in decorated if d[0] is not None]
            empty = [issue for k, issue in decorated if k is None]
            present.sort(key=lambda d: d[0], reverse=spec.descending)
            ordered = [issue for _, issue in present]
            items = empty + ordered if spec.descending else ordered + empty
        return items

    def key_candidates(self) -> frozenset[str] | None:
        """Upper-cased issue keys outside which the query cannot match, or None if unconstrained.

        Derived from positive ``key = K`` / ``key in (...)`` clauses combined with AND (intersection)
        and OR (union, only if every branch is constrained).
        """
        return self._keys

    @property
    def has_order_by(self) -> bool:
        return bool(self._sort_keys)

    def __repr__(self) -> str:
        return f"Query({self.jql!r})"


def compile_jql(
    jql: str,
    fields: Sequence[Mapping[str, Any]],
    *,
    current_user: Mapping[str, Any] | None = None,
    now: datetime | None = None,
    known_values: Mapping[str, set[str]] | None = None,
    issue_key_lookup: Callable[[str], str | None] | None = None,
    issue_exists: Callable[[str], bool] | None = None,
    validation: str = "strict",
) -> Query:
    """Parse and validate ``jql`` against the field catalogue ``fields``.

    ``current_user`` is the user ``currentUser()`` refers to (None: anonymous, matches nobody).
    ``now`` anchors relative dates and date functions (default: the current UTC time; naive values
    are taken as UTC).  ``known_values`` optionally maps ``"project"``, ``"issuetype"``, ``"status"``
    (also ``"resolution"``, ``"priority"``) to the lower-cased names/keys/ids that exist, so unknown
    values raise Jira's "The value 'X' does not exist for the field 'project'." error.
    ``issue_key_lookup`` optionally maps an issue id to its key, letting ``"Epic Link" = 10001``
    match children that store the epic's key.  ``issue_exists`` (an issue key or id -> whether it
    exists and the user may browse it) makes ``key``/``issuekey``/``id``, ``parent`` and ``"Epic Link"``
    values strict, as in Jira: "An issue with key 'FOO-9' does not exist for field 'key'."
    ``validation`` is the search's ``validateQuery``: ``"strict"`` raises :class:`JqlError` on any
    error; ``"warn"`` puts the validation errors in :attr:`Query.warnings` (a clause in error matches
    nothing; an unknown issue key matches nothing); ``"none"`` drops them. A query that does not
    parse raises whatever ``validation`` says (https://docs.atlassian.com/software/jira/docs/api/
    REST/latest/#api/2/search-searchUsingSearchRequest: "If the JQL is not correctly formed a 400
    response code is returned, regardless of the validateQuery value").
    """
    if now is None:
        now = datetime.now(UTC)
    elif now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    parsed = parse(jql)
    compiler = Compiler(
        FieldResolver(fields),
        current_user=current_user,
        now=now,
        known_values=known_values,
        issue_key_lookup=issue_key_lookup,
        issue_exists=issue_exists,
    )
    compiled = compiler.compile(parsed.where) if parsed.where is not None else None
    sort_keys = compiler.sort_keys(parsed.order_by)
    if validation == "strict":
        compiler.raise_errors()
    return Query(
        jql,
        compiled.pred if compiled else None,
        sort_keys,
        compiled.keys if compiled else None,
        compiler.errors if validation == "warn" else (),
    )
