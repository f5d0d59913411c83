"""The rules an operation's description states, beyond its schemas (the spec's text is contract too).

Each rule quotes the spec text it enforces. Rules are keyed by dialect, method and spec path (Data
Center's operation ids are not stable: ``setProperty_1``, ``getProperty_2`` ...).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from okrsync.jira_sim.contract.adf_rules import problems as adf_problems

if TYPE_CHECKING:
    from okrsync.jira_sim.contract.validator import Operation

Query = dict[str, list[str]]
Rule = Callable[[Query, Any, bytes, bool], Iterator[str]]

CLOUD = "/rest/api/3"
DC = "/api/2"


def _items(query: Query, name: str) -> list[str]:
    return [v for value in query.get(name, []) for v in value.split(",") if v.strip()]


def _body_list(data: Any, name: str) -> list[Any]:
    value = data.get(name) if isinstance(data, dict) else None
    return value if isinstance(value, list) else []


def _jql(query: Query, data: Any) -> str | None:
    if isinstance(data, dict):
        value = data.get("jql")
        return value if isinstance(value, str) else None
    values = query.get("jql")
    return values[-1] if values else None


# ------------------------------------------------------------------------------ JQL text


def _split_order_by(jql: str) -> tuple[str, str | None]:
    """(the restriction, the ORDER BY field list or None), ``order by`` outside quotes only."""
    quote = ""
    i = 0
    while i < len(jql):
        ch = jql[i]
        if quote:
            if ch == "\\":
                i += 2
                continue
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        else:
            m = re.compile(r"\border\s+by\b", re.IGNORECASE).match(jql, i)
            if m is not None and (i == 0 or not (jql[i - 1].isalnum() or jql[i - 1] == "_")):
                return jql[:i], jql[m.end() :]
        i += 1
    return jql, None


def _order_fields(order_by: str) -> list[str]:
    fields, depth, quote, current = [], 0, "", ""
    for ch in order_by:
        if quote:
            current += ch
            if ch == quote:
                quote = ""
            continue
        if ch in "\"'":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            fields.append(current.strip())
            current = ""
            continue
        current += ch
    if current.strip():
        fields.append(current.strip())
    return fields


def _bounded_jql(query: Query, data: Any) -> Iterator[str]:
    # search/jql: "For performance reasons, this parameter requires a bounded query. A bounded query
    # is a query with a search restriction. Example of an unbounded query: `order by key desc`."
    # approximate-count: "This endpoint requires JQL to be bounded."
    jql = _jql(query, data)
    if jql is None:
        return
    restriction, _ = _split_order_by(jql)
    if not restriction.strip():
        yield (
            f"the JQL {jql!r} is unbounded: Jira requires a search restriction here "
            "(e.g. 'project = ABC ORDER BY key'), not an ORDER BY alone"
        )


def _order_by_at_most_7(query: Query, data: Any) -> Iterator[str]:
    # search/jql `jql`: "Additionally, `orderBy` clause can contain a maximum of 7 fields."
    jql = _jql(query, data)
    if jql is None:
        return
    _, order_by = _split_order_by(jql)
    if order_by is not None and len(_order_fields(order_by)) > 7:
        yield f"the JQL's ORDER BY has {len(_order_fields(order_by))} fields; search/jql takes at most 7"


def _at_most(name: str, limit: int, quote: str) -> Callable[[Query, Any], Iterator[str]]:
    def rule(query: Query, data: Any) -> Iterator[str]:
        count = len(_body_list(data, name)) if isinstance(data, dict) else len(_items(query, name))
        if count > limit:
            yield f"'{name}' has {count} values; the spec allows at most {limit} ({quote})"

    return rule


def _search_jql(query: Query, data: Any, raw: bytes, v3: bool) -> Iterator[str]:
    yield from _bounded_jql(query, data)
    yield from _order_by_at_most_7(query, data)
    yield from _at_most("properties", 5, '"A list of up to 5 issue properties"')(query, data)
    yield from _at_most("reconcileIssues", 50, '"Accepts max 50 ids"')(query, data)


def _body_expand(op: Operation, data: Any) -> Iterator[str]:
    """A body's ``expand`` (a comma-delimited string) takes only what the operation's description
    lists: the contract carries that list as the body's ``x-okrsync-expand``."""
    body = op.spec.get("requestBody") or {}
    vocabulary = body.get("x-okrsync-expand")
    expand = data.get("expand") if isinstance(data, dict) else None
    if vocabulary is None or not isinstance(expand, str):
        return
    for item in filter(None, (e.strip() for e in expand.split(","))):
        if item not in vocabulary:
            where = re.sub(r"^/(rest/)?api/\d+/", "", op.path)
            yield f"'expand': {item!r} is not an expand option of {where} ({', '.join(vocabulary)})"


def _old_search(query: Query, data: Any, raw: bytes, v3: bool) -> Iterator[str]:
    # GET /search `properties`: "A maximum of 5 issue property keys can be specified."
    yield from _at_most("properties", 5, '"A maximum of 5 issue property keys can be specified"')(query, data)


def _count(query: Query, data: Any, raw: bytes, v3: bool) -> Iterator[str]:
    yield from _bounded_jql(query, data)


def _property_value(query: Query, data: Any, raw: bytes, v3: bool) -> Iterator[str]:
    # "The value of the request body must be a valid, non-empty JSON blob. The maximum length is
    # 32768 characters." (issue, comment and dashboard item properties; Data Center: 32768 bytes)
    if not raw.strip():
        yield "a property's value must be a valid, non-empty JSON blob"
    elif len(raw) > 32768:
        yield f"the property value is {len(raw)} bytes; the maximum length is 32768"


def _property_key(path: str) -> Iterator[str]:
    # propertyKey: "The maximum length is 255 characters."
    key = path.rstrip("/").rsplit("/", 1)[-1]
    if len(key) > 255:
        yield f"the property key is {len(key)} characters; the maximum length is 255"


def _permissions_required(query: Query, data: Any, raw: bytes, v3: bool) -> Iterator[str]:
    # Cloud GET /mypermissions `permissions`: "A list of permission keys. (Required)"
    if not _items(query, "permissions"):
        yield "query parameter 'permissions' is required: \"A list of permission keys. (Required)\""


def _not_both(*pairs: tuple[str, str]) -> Rule:
    # filter/search, dashboard/search: "This parameter cannot be used with the `owner` parameter." ...
    def rule(query: Query, data: Any, raw: bytes, v3: bool) -> Iterator[str]:
        for a, b in pairs:
            if a in query and b in query:
                yield f"query parameters '{a}' and '{b}' cannot be used together"

    return rule


def _gadget(query: Query, data: Any, raw: bytes, v3: bool) -> Iterator[str]:
    # DashboardGadgetSettings: `moduleKey` "Can't be provided with `uri`." (and the reverse)
    if isinstance(data, dict) and "moduleKey" in data and "uri" in data:
        yield "a gadget takes 'moduleKey' or 'uri', not both"


def _options(query: Query, data: Any, raw: bytes, v3: bool) -> Iterator[str]:
    # "The maximum number of options that can be created per request is 1000"
    yield from _at_most("options", 1000, '"The maximum number of options ... per request is 1000"')(
        query, data
    )


def _comment_body(query: Query, data: Any, raw: bytes, v3: bool) -> Iterator[str]:
    # Cloud v3 Comment.body: "The comment text in Atlassian Document Format."
    if v3 and isinstance(data, dict) and "body" in data:
        yield from adf_problems(data["body"], "body.body")


def _edit_issue(query: Query, data: Any, raw: bytes, v3: bool) -> Iterator[str]:
    # Cloud v3: a rich-text field's value (description, a paragraph custom field) is an Atlassian
    # Document; any value that says it is one ({"type": "doc", ...}) must be a valid one.
    if not (v3 and isinstance(data, dict)):
        return
    for name, value in (data.get("fields") or {}).items():
        if isinstance(value, dict) and value.get("type") == "doc":
            yield from adf_problems(value, f"body.fields.{name}")
    for name, ops in (data.get("update") or {}).items():
        for i, op in enumerate(ops if isinstance(ops, list) else []):
            for verb, value in op.items() if isinstance(op, dict) else []:
                if isinstance(value, dict) and value.get("type") == "doc":
                    yield from adf_problems(value, f"body.update.{name}[{i}].{verb}")


_PROPERTY_PATHS = (
    "/issue/{issueIdOrKey}/properties/{propertyKey}",
    "/comment/{commentId}/properties/{propertyKey}",
    "/dashboard/{dashboardId}/items/{itemId}/properties/{propertyKey}",
)

RULES: dict[tuple[str, str, str], Rule] = {
    ("cloud", "GET", CLOUD + "/search/jql"): _search_jql,
    ("cloud", "POST", CLOUD + "/search/jql"): _search_jql,
    ("cloud", "GET", CLOUD + "/search"): _old_search,
    ("cloud", "POST", CLOUD + "/search"): _old_search,
    ("cloud", "POST", CLOUD + "/search/approximate-count"): _count,
    ("cloud", "GET", CLOUD + "/mypermissions"): _permissions_required,
    ("cloud", "GET", CLOUD + "/filter/search"): _not_both(("accountId", "owner"), ("groupname", "groupId")),
    ("cloud", "GET", CLOUD + "/dashboard/search"): _not_both(
        ("accountId", "owner"), ("groupname", "groupId")
    ),
    ("cloud", "POST", CLOUD + "/dashboard/{dashboardId}/gadget"): _gadget,
    ("cloud", "POST", CLOUD + "/field/{fieldId}/context/{contextId}/option"): _options,
    ("cloud", "POST", CLOUD + "/issue/{issueIdOrKey}/comment"): _comment_body,
    ("cloud", "PUT", CLOUD + "/issue/{issueIdOrKey}/comment/{id}"): _comment_body,
    ("cloud", "PUT", CLOUD + "/issue/{issueIdOrKey}"): _edit_issue,
    **{
        (dialect, "PUT", prefix + path): _property_value
        for dialect, prefix in (("cloud", CLOUD), ("datacenter", DC))
        for path in _PROPERTY_PATHS
    },
}


def check(dialect: str, op: Operation, path: str, query: Query, data: Any, raw: bytes) -> list[str]:
    """What ``op``'s description rules say is wrong with the request (empty: nothing)."""
    out: list[str] = []
    if op.method == "PUT" and op.path.endswith("/properties/{propertyKey}"):
        out.extend(_property_key(path))
    out.extend(_body_expand(op, data))
    rule = RULES.get((dialect, op.method, op.path))
    if rule is not None:
        out.extend(rule(query, data, raw, path.startswith("/rest/api/3/")))
    return out
