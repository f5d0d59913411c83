"""Compiles a parsed JQL AST into fast Python predicates and sort keys.

``NOT`` is pushed down to the clauses with De Morgan's laws and operator inversion (``=`` <-> ``!=``,
``in`` <-> ``not in``, ``<`` <-> ``>=``, ``~`` <-> ``!~``, ``is`` <-> ``is not``), as Jira does; with
Jira's rule that ``!=``, ``not in``, ``!~`` and the range operators never match an EMPTY field, this
means ``NOT assignee = bob`` does not match unassigned issues either.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from okrsync.jira_sim.jql_dates import DATE_FUNCTIONS, date_function_minutes, parse_query_date
from okrsync.jira_sim.jql_fields import (
    ALIAS_KINDS,
    ORDERED_KINDS,
    SPRINT_STATE_MARK,
    STANDARD_MARK,
    SUBTASK_MARK,
    FieldDef,
    FieldResolver,
    Issue,
    Kind,
    alias_extractor,
    key_tuple,
    minutes_extractor,
    number_extractor,
    sort_key,
    text_extractor,
    user_aliases,
)
from okrsync.jira_sim.jql_lexer import JqlError
from okrsync.jira_sim.jql_parser import (
    And,
    Clause,
    EmptyOperand,
    FunctionOperand,
    ListOperand,
    Node,
    Not,
    Operand,
    Or,
    SortSpec,
    ValueOperand,
)
from okrsync.jira_sim.jql_text import text_matcher

__all__ = ["Compiled", "Compiler", "Predicate", "SortKey"]

Predicate = Callable[[Issue], bool]

_INVERSE = {
    "=": "!=",
    "!=": "=",
    "in": "not in",
    "not in": "in",
    "~": "!~",
    "!~": "~",
    "is": "is not",
    "is not": "is",
    "<": ">=",
    ">=": "<",
    ">": "<=",
    "<=": ">",
}
_EQUALITY_OPS = frozenset({"=", "!=", "in", "not in", "is", "is not"})
_RANGE_OPS = frozenset({"<", "<=", ">", ">="})
_TEXT_OPS = frozenset({"~", "!~"})
_POSITIVE_OPS = frozenset({"=", "in", "is"})
_LIST_OPS = frozenset({"in", "not in"})
_STATUS_CATEGORIES = frozenset(
    {"new", "indeterminate", "done", "undefined", "to do", "in progress", "no category", "1", "2", "3", "4"}
)
_ISSUE_KINDS = frozenset({Kind.KEY, Kind.PARENT, Kind.EPIC_LINK})
_SPRINT_FUNCTIONS = {"opensprints": "active", "closedsprints": "closed", "futuresprints": "future"}
_ISSUETYPE_FUNCTIONS = {"standardissuetypes": STANDARD_MARK, "subtaskissuetypes": SUBTASK_MARK}
_KNOWN_FUNCTIONS = frozenset(
    {"currentuser", "now", *DATE_FUNCTIONS, *_SPRINT_FUNCTIONS, *_ISSUETYPE_FUNCTIONS}
)


def _never(_issue: Issue) -> bool:
    return False


def _all_of(preds: list[Predicate]) -> Predicate:
    if len(preds) == 1:
        return preds[0]
    if len(preds) == 2:
        a, b = preds
        return lambda issue: a(issue) and b(issue)
    tup = tuple(preds)
    return lambda issue: all(p(issue) for p in tup)


def _any_of(preds: list[Predicate]) -> Predicate:
    if len(preds) == 1:
        return preds[0]
    if len(preds) == 2:
        a, b = preds
        return lambda issue: a(issue) or b(issue)
    tup = tuple(preds)
    return lambda issue: any(p(issue) for p in tup)


@dataclass(frozen=True, slots=True)
class Compiled:
    pred: Predicate
    keys: frozenset[str] | None  # the only issue keys this (sub)query can match, if known


@dataclass(frozen=True, slots=True)
class SortKey:
    key: Callable[[Issue], Any]
    descending: bool


@dataclass(slots=True)
class _Values:
    """Operand values converted for one clause."""

    items: list[Any]
    has_empty: bool = False
    unknown_keys: bool = False  # a key clause value that is not a key (an id, a function)


class Compiler:
    def __init__(
        self,
        resolver: FieldResolver,
        *,
        current_user: Mapping[str, Any] | None,
        now: datetime,
        known_values: Mapping[str, set[str]] | None,
        issue_key_lookup: Callable[[str], str | None] | None,
        issue_exists: Callable[[str], bool] | None = None,
    ) -> None:
        self.resolver = resolver
        self.current_user = current_user
        self.now = now
        self.known_values = {k.lower(): v for k, v in (known_values or {}).items()}
        self.issue_key_lookup = issue_key_lookup
        self.issue_exists = issue_exists
        self.errors: list[str] = []

    def error(self, message: str) -> Compiled:
        if message not in self.errors:
            self.errors.append(message)
        return Compiled(_never, None)

    def raise_errors(self) -> None:
        if self.errors:
            raise JqlError(self.errors)

    # -- boolean structure ---------------------------------------------------------------------
    def compile(self, node: Node, negate: bool = False) -> Compiled:
        if isinstance(node, Not):
            return self.compile(node.child, not negate)
        if isinstance(node, Clause):
            return self.clause(node, negate)
        parts = [self.compile(child, negate) for child in node.children]
        preds = [p.pred for p in parts]
        conjunction = isinstance(node, And) != negate
        if conjunction:
            known = [p.keys for p in parts if p.keys is not None]
            keys = frozenset.intersection(*known) if known else None
            return Compiled(_all_of(preds), keys)
        assert isinstance(node, Or) or negate
        union = (
            None if any(p.keys is None for p in parts) else frozenset().union(*(p.keys or () for p in parts))
        )
        return Compiled(_any_of(preds), union)

    # -- ORDER BY --------------------------------------------------------------------------------
    def sort_keys(self, specs: tuple[SortSpec, ...]) -> list[SortKey]:
        out: list[SortKey] = []
        for spec in specs:
            fd = self.resolver.resolve(spec.field)
            if fd is None:
                self.error(f"Field '{spec.field}' does not exist or you do not have permission to view it.")
            elif not fd.sortable:
                self.error(f"Field '{spec.field}' does not support sorting.")
            else:
                out.append(SortKey(sort_key(fd), spec.descending))
        return out

    # -- clauses ---------------------------------------------------------------------------------
    def clause(self, clause: Clause, negate: bool) -> Compiled:
        name = clause.field
        fd = self.resolver.resolve(name)
        if fd is None:
            return self.error(f"Field '{name}' does not exist or you do not have permission to view it.")
        written = clause.op
        kind = fd.kind
        allowed = set(_EQUALITY_OPS) if kind in ALIAS_KINDS or kind in ORDERED_KINDS else {"is", "is not"}
        if kind in ORDERED_KINDS:
            allowed |= _RANGE_OPS
        if kind in (Kind.TEXT, Kind.STRING):
            allowed |= _TEXT_OPS
        if kind is Kind.KEY:
            allowed -= {"is", "is not"}
        if written not in allowed:
            return self.error(f"The operator '{written}' is not supported by the '{name}' field.")
        operand = clause.operand
        if written in _LIST_OPS and not isinstance(operand, ListOperand | FunctionOperand):
            return self.error(
                f"The operator '{written}' does not support the non-list value '{operand.raw}' "
                f"for field '{name}'."
            )
        if written not in _LIST_OPS and isinstance(operand, ListOperand):
            return self.error(
                f"The operator '{written}' does not support the list value '{operand.raw}' "
                f"for field '{name}'."
            )
        if written in _RANGE_OPS and isinstance(operand, EmptyOperand):
            return self.error(
                f"The operator '{written}' does not support the value 'EMPTY' for field '{name}'."
            )
        op = _INVERSE[written] if negate else written
        if written in _TEXT_OPS and not isinstance(operand, EmptyOperand):
            return self.text_clause(fd, name, op, operand)
        if kind in (Kind.NUMBER, Kind.DATE, Kind.DATETIME):
            return self.ordered_clause(fd, name, op, operand)
        if kind is Kind.TEXT:  # is / is not EMPTY (or ~ EMPTY)
            text = text_extractor(fd)
            positive = op in _POSITIVE_OPS or op == "~"
            return Compiled((lambda i: not text(i)) if positive else (lambda i: bool(text(i))), None)
        if kind is Kind.KEY and op in _RANGE_OPS:
            return self.key_range_clause(name, op, operand)
        return self.alias_clause(fd, name, op, operand)

    def _items(self, operand: Operand) -> tuple[ValueOperand | EmptyOperand | FunctionOperand, ...]:
        return operand.items if isinstance(operand, ListOperand) else (operand,)

    def _function(self, fn: FunctionOperand, name: str, accepted: frozenset[str]) -> str | None:
        """Validate a function operand; returns its lower-cased name, or None after recording an error."""
        low = fn.name.lower()
        if low not in _KNOWN_FUNCTIONS:
            self.error(f"Unable to find JQL function '{fn.raw}'.")
            return None
        if low not in accepted:
            self.error(f"A value provided by the function '{fn.name}' is invalid for the field '{name}'.")
            return None
        if low not in DATE_FUNCTIONS and fn.args:
            self.error(f"Function '{fn.name}' expected '0' arguments but received '{len(fn.args)}'.")
            return None
        return low

    # equality on name/id-like values ----------------------------------------------------------
    def alias_values(self, fd: FieldDef, name: str, operand: Operand) -> _Values | None:
        kind = fd.kind
        vals = _Values([])
        accepted: frozenset[str] = frozenset()
        if kind is Kind.USER:
            accepted = frozenset({"currentuser"})
        elif kind is Kind.SPRINT:
            accepted = frozenset(_SPRINT_FUNCTIONS)
        elif kind is Kind.ISSUETYPE:
            accepted = frozenset(_ISSUETYPE_FUNCTIONS)
        known = (
            self.known_values.get(fd.canonical)
            if kind in (Kind.PROJECT, Kind.ISSUETYPE, Kind.STATUS)
            else None
        )
        if kind in (Kind.RESOLUTION, Kind.PRIORITY):
            known = self.known_values.get(fd.canonical)
        ok = True
        for item in self._items(operand):
            if isinstance(item, EmptyOperand):
                vals.has_empty = True
                continue
            if isinstance(item, FunctionOperand):
                fn = self._function(item, name, accepted)
                if fn is None:
                    ok = False
                elif fn == "currentuser":
                    vals.items.extend(user_aliases(self.current_user))
                elif fn in _SPRINT_FUNCTIONS:
                    vals.items.append(SPRINT_STATE_MARK + _SPRINT_FUNCTIONS[fn])
                else:
                    vals.items.append(_ISSUETYPE_FUNCTIONS[fn])
                vals.unknown_keys = True
                continue
            text = item.text.strip()
            low = text.lower()
            if kind is Kind.RESOLUTION and low == "unresolved":
                vals.has_empty = True
                continue
            if kind is Kind.STATUSCATEGORY and low not in _STATUS_CATEGORIES:
                self.error(f"The value '{text}' does not exist for the field '{name}'.")
                ok = False
            if known is not None and low not in known:
                self.error(f"The value '{text}' does not exist for the field '{name}'.")
                ok = False
            if kind in _ISSUE_KINDS and self.issue_exists is not None:
                self._check_issue(kind, name, text)
            vals.items.append(low)
            if kind is Kind.KEY and low.isdigit():
                vals.unknown_keys = True
            if kind is Kind.EPIC_LINK and low.isdigit() and self.issue_key_lookup is not None:
                epic_key = self.issue_key_lookup(text)
                if epic_key:
                    vals.items.append(epic_key.lower())
        return vals if ok else None

    def _check_issue(self, kind: Kind, name: str, text: str) -> None:
        """Jira's validation of a key/issuekey/id, parent or Epic Link value: the issue must exist and
        the user must be allowed to browse it, else the whole search is rejected (400), e.g. "An issue
        with key 'FOO-9' does not exist for field 'key'." (Atlassian's own func tests:
        ``parent = 'HSP-1'`` -> "An issue with key 'HSP-1' does not exist for field 'parent'.").

        The message is recorded without failing the clause: with ``validateQuery=warn`` it becomes a
        warning and the value simply matches nothing, while the clause's other values still match.
        """
        assert self.issue_exists is not None
        if kind is Kind.KEY and not text.isdigit() and key_tuple(text)[1] < 0:
            self.error(f"The issue key '{text}' for field '{name}' is invalid.")
        elif not self.issue_exists(text):
            self.error(f"An issue with key '{text}' does not exist for field '{name}'.")

    def alias_clause(self, fd: FieldDef, name: str, op: str, operand: Operand) -> Compiled:
        vals = self.alias_values(fd, name, operand)
        if vals is None:
            return Compiled(_never, None)
        extract = alias_extractor(fd)
        wanted = frozenset(vals.items)
        has_empty = vals.has_empty
        if op in _POSITIVE_OPS:
            if len(wanted) == 1 and not has_empty:
                (single,) = wanted
                pred: Predicate = lambda issue: single in extract(issue)  # noqa: E731
            else:

                def pred(issue: Issue) -> bool:
                    aliases = extract(issue)
                    if not aliases:
                        return has_empty
                    return not wanted.isdisjoint(aliases)

            keys = None
            if fd.kind is Kind.KEY and not vals.unknown_keys:
                keys = frozenset(v.upper() for v in wanted)
            return Compiled(pred, keys)

        def negative(issue: Issue) -> bool:
            aliases = extract(issue)
            return bool(aliases) and wanted.isdisjoint(aliases)

        return Compiled(negative, None)

    def key_range_clause(self, name: str, op: str, operand: Operand) -> Compiled:
        if isinstance(operand, FunctionOperand):
            self._function(operand, name, frozenset())
            return Compiled(_never, None)
        assert isinstance(operand, ValueOperand)
        text = operand.text.strip()
        cmp = _COMPARATORS[op]
        if text.isdigit():
            target_id = int(text)

            def by_id(issue: Issue) -> bool:
                iid = str(issue.get("id", ""))
                return iid.isdigit() and cmp(int(iid), target_id)

            return Compiled(by_id, None)
        project, number = key_tuple(text)
        if number < 0:
            return self.error(f"The issue key '{text}' for field '{name}' is invalid.")

        def by_key(issue: Issue) -> bool:
            p, n = key_tuple(str(issue.get("key", "")))
            return p == project and cmp(n, number)

        return Compiled(by_key, None)

    # numbers and dates -----------------------------------------------------------------------
    def ordered_clause(self, fd: FieldDef, name: str, op: str, operand: Operand) -> Compiled:
        is_number = fd.kind is Kind.NUMBER
        extract: Callable[[Issue], float | int | None] = (
            number_extractor(fd) if is_number else minutes_extractor(fd)
        )
        values: list[float | int] = []
        has_empty = False
        ok = True
        date_fns = frozenset() if is_number else frozenset({"now", *DATE_FUNCTIONS})
        for item in self._items(operand):
            try:
                if isinstance(item, EmptyOperand):
                    has_empty = True
                elif isinstance(item, FunctionOperand):
                    fn = self._function(item, name, date_fns)
                    if fn is None:
                        ok = False
                    else:
                        values.append(date_function_minutes(item.name, item.args, self.now))
                elif is_number:
                    values.append(self._number(item.text, name))
                else:
                    values.append(parse_query_date(item.text, name, self.now, allow_millis=True))
            except JqlError as exc:
                for message in exc.messages:
                    self.error(message)
                ok = False
        if not ok:
            return Compiled(_never, None)
        if op in _RANGE_OPS:
            cmp = _COMPARATORS[op]
            target = values[0]

            def ranged(issue: Issue) -> bool:
                v = extract(issue)
                return v is not None and cmp(v, target)

            return Compiled(ranged, None)
        wanted = frozenset(values)
        if op in _POSITIVE_OPS:

            def equal(issue: Issue) -> bool:
                v = extract(issue)
                return has_empty if v is None else v in wanted

            return Compiled(equal, None)

        def unequal(issue: Issue) -> bool:
            v = extract(issue)
            return v is not None and v not in wanted

        return Compiled(unequal, None)

    @staticmethod
    def _number(text: str, name: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise JqlError(f"The value '{text}' for field '{name}' is not a valid number.") from None
        if not math.isfinite(value):
            raise JqlError(f"The value '{text}' for field '{name}' is not a valid number.")
        return value

    # text search -------------------------------------------------------------------------------
    def text_clause(self, fd: FieldDef, name: str, op: str, operand: Operand) -> Compiled:
        if isinstance(operand, FunctionOperand):
            self._function(operand, name, frozenset())
            return Compiled(_never, None)
        assert isinstance(operand, ValueOperand)
        matcher = text_matcher(operand.text)
        text = text_extractor(fd)
        if op == "~":

            def contains(issue: Issue) -> bool:
                t = text(issue)
                return bool(t) and matcher(t)

            return Compiled(contains, None)

        def lacks(issue: Issue) -> bool:
            t = text(issue)
            return bool(t) and not matcher(t)

        return Compiled(lacks, None)


def _lt(a: Any, b: Any) -> bool:
    return bool(a < b)


def _le(a: Any, b: Any) -> bool:
    return bool(a <= b)


def _gt(a: Any, b: Any) -> bool:
    return bool(a > b)


def _ge(a: Any, b: Any) -> bool:
    return bool(a >= b)


_COMPARATORS: dict[str, Callable[[Any, Any], bool]] = {"<": _lt, "<=": _le, ">": _gt, ">=": _ge}
