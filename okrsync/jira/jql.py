"""Safe JQL building: quoting of values and batching of long value lists into bounded queries."""

from __future__ import annotations

import re
from collections.abc import Iterable

# Bounds for one `clause in (...)` query. Jira has no documented JQL length limit for POSTed
# searches; what is known: Cloud's JQL engine fails on "a large number of operands", from "around
# the few thousands" and always at ~25,000 (JRACLOUD-84010), and proxies cap request bodies (nginx's
# default client_max_body_size is 1 MiB). 500 values a list and 20,000 characters a query (a
# 20 KB body) keep each query well inside both, and cut 1,000 keys into two searches even where
# each is named in two clauses (`key in` and `parent in`: 1,000 operands a query at most on Cloud).
MAX_IN_VALUES = 500
MAX_JQL_CHARS = 20_000

_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_ORDER_BY = re.compile(r"\s+order\s+by\s+(?=[^\"']*$)(.*)$", re.IGNORECASE | re.DOTALL)


def jql_quote(value: str) -> str:
    """A JQL string literal: double-quoted, with ``\\``, ``"`` and control characters escaped."""
    return '"' + "".join(_ESCAPES.get(ch, ch) for ch in value) + '"'


def split_order_by(jql: str) -> tuple[str, str]:
    """``("where part", "ORDER BY ...")``; the second is empty when the query has no ORDER BY."""
    m = _ORDER_BY.search(jql)
    if not m:
        return jql.strip(), ""
    return jql[: m.start()].strip(), "ORDER BY " + m.group(1).strip()


def batch_values(
    values: Iterable[str],
    *,
    max_values: int = MAX_IN_VALUES,
    max_chars: int = MAX_JQL_CHARS,
    fixed_chars: int = 0,
) -> list[list[str]]:
    """``values`` in batches for ``in (...)`` lists, covering every value once.

    Values are de-duplicated (first occurrence kept, order kept; empty ones dropped); a batch has at
    most ``max_values`` values, and ``fixed_chars`` (the rest of its query) plus its quoted values
    joined by ``", "`` take at most ``max_chars`` characters (a single value longer than that still
    gets a batch of its own).
    """
    batches: list[list[str]] = []
    batch: list[str] = []
    length = fixed_chars
    seen: set[str] = set()
    for value in values:
        if not value or value in seen:
            continue
        seen.add(value)
        size = len(jql_quote(value))
        extra = size + (2 if batch else 0)
        if batch and (len(batch) >= max_values or length + extra > max_chars):
            batches.append(batch)
            batch, length = [], fixed_chars
            extra = size
        batch.append(value)
        length += extra
    if batch:
        batches.append(batch)
    return batches


def batch_in_clauses(
    clause: str,
    values: Iterable[str],
    *,
    extra_jql: str = "",
    max_values: int = MAX_IN_VALUES,
    max_chars: int = MAX_JQL_CHARS,
) -> list[str]:
    """JQL queries ``clause in ("v1", "v2", ...) AND (extra)`` covering every value once.

    Values are de-duplicated (first occurrence kept, order kept) and quoted; each query has at
    most ``max_values`` values and at most ``max_chars`` characters (a single value longer than
    that still gets a query of its own). See :func:`batch_values`.
    """
    where, order = split_order_by(extra_jql) if extra_jql else ("", "")
    suffix = (f" AND ({where})" if where else "") + (f" {order}" if order else "")
    head = f"{clause} in ("
    batches = batch_values(
        values, max_values=max_values, max_chars=max_chars, fixed_chars=len(head) + 1 + len(suffix)
    )
    return [head + ", ".join(jql_quote(v) for v in batch) + ")" + suffix for batch in batches]
