"""JQL search in both dialects.

Cloud: ``GET|POST /rest/api/{2,3}/search/jql`` (``nextPageToken``, ``isLast``, no ``total``; default
fields ``id`` only; up to 5000 per page when only id/key are requested, else 100) and
``POST /search/approximate-count``; the old ``/search`` answers 410 Gone. Data Center:
``GET|POST /rest/api/2/search`` (``startAt``/``maxResults``/``total``, default ``*navigable``,
``maxResults`` capped at 1000 and echoed; ``validateQuery`` a boolean: true (the default) refuses a
query in error, false answers with the errors in ``warningMessages``).
"""

from __future__ import annotations

import base64
import json
from typing import Any

from okrsync.jira_sim import render
from okrsync.jira_sim.errors import ApiError
from okrsync.jira_sim.fields import FieldSelection, split_params
from okrsync.jira_sim.routing import Request, Response, route
from okrsync.jira_sim.store import Json

CLOUD_DEFAULT_PAGE = 50
CLOUD_MAX_PAGE = 100
CLOUD_MAX_PAGE_IDS = 5000
DC_DEFAULT_PAGE = 50
DC_MAX_PAGE = 1000  # jira.search.views.default.max
CLOUD_SEARCH_COMMENTS = 100
"""The comments of one issue a Cloud search returns in its ``comment`` field (a PageOfComments:
``comments``, ``maxResults``, ``total``, ``startAt``); ``total`` still counts them all. Neither spec
documents a cap for the field; Cloud's own comment read pages at 100 (``GET /issue/{key}/comment``
``maxResults`` default 100, Cloud platform v3 spec) and its search trims other nested lists (40
changelog entries a search, JRACLOUD-96459), so the simulator caps the field at the comment read's
page and a client must judge completeness by ``total``. Data Center's comment field carries every
comment (its comment read's default page is every comment too: JRASERVER-74572)."""


def _search(req: Request, jql: str, validation: str = "strict") -> tuple[list[str], tuple[str, ...]]:
    """Keys and warnings; JQL errors answer 400 like Jira, including an issue key that does not exist
    or that the account may not browse (the ``forbidden_issues`` fault) in a key/parent/Epic Link
    clause: ``{"errorMessages": ["An issue with key 'FOO-9' does not exist for field 'key'."]}``."""
    from okrsync.jira_sim.jql import JqlError

    faults = req.sim.faults
    hidden = faults.forbidden if faults.config.forbidden_issues else None
    try:
        return req.store.search(jql, req.user, hidden=hidden, validation=validation)
    except JqlError as exc:
        raise ApiError(400, list(exc.messages) or [str(exc)]) from None


# Cloud's search/jql reads an eventually consistent index: "Recent updates might not be immediately
# visible in the returned search results" unless their ids are in `reconcileIssues`, "Strong
# consistency issue ids to be reconciled with search results. Accepts max 50 ids." (Cloud platform v3
# spec, searchAndReconsileIssuesUsingJql[Post]; int64 items). The store's SearchIndex lags by
# `index_lag_seconds` (0 by default: consistent). Atlassian does not document the refusal's text.
MAX_RECONCILE_ISSUES = 50


def _reconcile_ids(params: dict[str, Any]) -> list[str]:
    raw = params.get("reconcileIssues")
    if raw is None:
        return []
    values = raw if isinstance(raw, list) else [raw]
    ids: list[str] = []
    for value in values:
        parts = split_params([value]) if isinstance(value, str) else [value]  # GET: "1,2" or repeated
        for part in parts:
            if isinstance(part, bool) or not (isinstance(part, int) or str(part).strip().isdigit()):
                raise ApiError(400, f"The value '{part}' is invalid for the 'reconcileIssues' parameter.")
            ids.append(str(int(part)))
    if len(ids) > MAX_RECONCILE_ISSUES:
        raise ApiError(
            400,
            f"reconcileIssues accepts at most {MAX_RECONCILE_ISSUES} issue ids; {len(ids)} were given.",
        )
    return ids


def _indexed(req: Request, jql: str, reconcile: list[str]) -> list[Json]:
    """The issues matching ``jql`` as Cloud's search index shows them (``reconcile``: as they are now)."""
    from okrsync.jira_sim.jql import JqlError

    faults = req.sim.faults
    hidden = faults.forbidden if faults.config.forbidden_issues else None
    try:
        return req.store.search_indexed(jql, req.user, hidden=hidden, reconcile=reconcile)[0]
    except JqlError as exc:
        raise ApiError(400, list(exc.messages) or [str(exc)]) from None


# Data Center's validateQuery is a boolean, default true (SearchRequestBean.validateQuery and the GET
# parameter of the same name, Jira DC 10.3 REST spec): true validates the query strictly (an error is
# a 400), false runs it and returns the validation errors as `warningMessages` (SearchResultsBean),
# the clause in error matching nothing. Cloud's old "strict" / "warn" / "none" strings are refused
# in a body, as Jackson refuses to make a boolean of them. Cloud's /search/jql has no such parameter:
# its JQL is always validated strictly.
_BOOLEAN_TEXT = {"true": True, "false": False}


def _validation(req: Request, params: dict[str, Any]) -> str:
    raw = params.get("validateQuery")
    if raw is None:
        return "strict"
    if isinstance(raw, bool):
        strict = raw
    elif isinstance(raw, str) and raw.lower() in _BOOLEAN_TEXT:
        strict = _BOOLEAN_TEXT[raw.lower()]  # a query string's text (GET); Jackson takes it too
    elif req.method == "POST":
        raise ApiError(
            400,
            f"Can not deserialize value of type boolean from {type(raw).__name__} {json.dumps(raw)}: "
            "only true or false are recognized (validateQuery).",
        )
    else:
        raise ApiError(400, f"The value '{raw}' is invalid for the 'validateQuery' parameter.")
    return "strict" if strict else "warn"


def _params(req: Request) -> dict[str, Any]:
    """Search parameters from the query string (GET) or the JSON body (POST)."""
    if req.method == "POST":
        return req.json_object()
    out: dict[str, Any] = {}
    for name in ("jql", "nextPageToken", "maxResults", "startAt", "validateQuery", "fieldsByKeys"):
        value = req.q(name)
        if value is not None:
            out[name] = value
    for name in ("fields", "expand", "properties", "reconcileIssues"):
        if name in req.query:
            out[name] = req.q_all(name)
    return out


def _int(params: dict[str, Any], name: str, default: int) -> int:
    value = params.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ApiError(400, f"The value '{value}' is invalid for the '{name}' parameter.") from None


def _list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return split_params([value])
    return split_params(value)


def _encode_token(offset: int, jql: str) -> str:
    raw = json.dumps({"o": offset, "q": jql}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_token(token: str, jql: str) -> int:
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        offset = int(data["o"])
    except (ValueError, KeyError, TypeError):
        raise ApiError(400, "The provided next page token is invalid or expired.") from None
    if data.get("q") != jql:
        raise ApiError(400, "The provided next page token is invalid or expired.")
    return offset


def _render_page(
    req: Request,
    keys: list[str],
    selection: FieldSelection,
    expand: list[str],
    properties: list[str],
    *,
    id_only: bool,
) -> list[Json]:
    issues = [req.store.issues[k] for k in keys]
    return _render_issues(req, issues, selection, expand, properties, id_only=id_only)


def _render_issues(
    req: Request,
    issues: list[Json],
    selection: FieldSelection,
    expand: list[str],
    properties: list[str],
    *,
    id_only: bool,
) -> list[Json]:
    cap = CLOUD_SEARCH_COMMENTS if req.store.flavor == "cloud" else None
    return [
        render.issue(
            req.store,
            issue,
            req.base,
            req.version,
            selection,
            expand=expand,
            properties=properties,
            id_only_when_empty=id_only,
            comments_cap=cap,
        )
        for issue in issues
    ]


@route("GET|POST", "/rest/api/{ver}/search/jql", flavors=("cloud",))
def search_jql(req: Request) -> Response:
    params = _params(req)
    jql = str(params.get("jql") or "").strip()
    if not jql or jql.lower().startswith("order by"):
        raise ApiError(
            400, "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."
        )
    selection = FieldSelection.parse(_list(params.get("fields")), default="")
    expand = _list(params.get("expand"))
    properties = _list(params.get("properties"))
    cap = CLOUD_MAX_PAGE_IDS if selection.ids_only and not expand and not properties else CLOUD_MAX_PAGE
    max_results = max(0, min(_int(params, "maxResults", CLOUD_DEFAULT_PAGE), cap))
    token = params.get("nextPageToken")
    offset = _decode_token(str(token), jql) if token else 0
    found = _indexed(req, jql, _reconcile_ids(params))
    page = found[offset : offset + max_results]
    body: Json = {"issues": _render_issues(req, page, selection, expand, properties, id_only=True)}
    end = offset + len(page)
    if end < len(found) and max_results > 0:
        body["nextPageToken"] = _encode_token(end, jql)
        body["isLast"] = False
    else:
        body["isLast"] = True
    if "names" in expand:
        body["names"] = {str(f["id"]): f["name"] for f in req.store.fields}
    return Response(200, body)


@route("POST", "/rest/api/{ver}/search/approximate-count", flavors=("cloud",))
def approximate_count(req: Request) -> Response:
    body = req.json_object()
    jql = str(body.get("jql") or "").strip()
    if not jql:
        raise ApiError(
            400, "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."
        )
    return Response(200, {"count": len(_indexed(req, jql, []))})  # the index's count, as search/jql's


@route("GET|POST", "/rest/api/{ver}/search", flavors=("cloud",))
def search_gone(req: Request) -> Response:
    raise ApiError(
        410,
        "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. "
        "A full migration guideline is available at "
        "https://developer.atlassian.com/changelog/#CHANGE-2046",
    )


@route("GET|POST", "/rest/api/{ver}/search", flavors=("datacenter",))
def search_dc(req: Request) -> Response:
    params = _params(req)
    jql = str(params.get("jql") or "")
    selection = FieldSelection.parse(_list(params.get("fields")), default="*navigable")
    expand = _list(params.get("expand"))
    properties = _list(params.get("properties"))
    start_at = max(0, _int(params, "startAt", 0))
    max_results = _int(params, "maxResults", DC_DEFAULT_PAGE)
    if max_results < 0:
        max_results = DC_DEFAULT_PAGE
    max_results = min(max_results, DC_MAX_PAGE)
    keys, warnings = _search(req, jql, _validation(req, params))
    page = keys[start_at : start_at + max_results]
    body: Json = {
        "expand": "schema,names",
        "startAt": start_at,
        "maxResults": max_results,
        "total": len(keys),
        "issues": _render_page(req, page, selection, expand, properties, id_only=False),
    }
    if warnings:
        body["warningMessages"] = list(warnings)
    if "names" in expand:
        body["names"] = {str(f["id"]): f["name"] for f in req.store.fields}
    return Response(200, body)
