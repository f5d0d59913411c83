"""The Jira gateway: the only code in okrsync that talks to Jira.

Why plain ``requests`` and not the ``jira`` library's ``JIRA`` client: constructing ``JIRA``
makes requests of its own (serverInfo, and more with some options), and it sends everything
through ``ResilientSession``, which retries 429/5xx itself with its own delays. okrsync needs
exact control over every request: which endpoint and body (the enhanced Cloud search, the
largest page sizes), one retry layer whose bounds come from the configuration, a pacer that
keeps us under ``requests_per_second``, and a count and timing of every request for the run
record. So the REST calls go through one ``requests.Session`` whose transport adapters have
retries off (``max_retries=0``), and all retrying happens in :mod:`okrsync.jira.retry` (tenacity):
the ``jira`` library's retries are never layered under ours. The ``jira`` library stays a
dependency of okrsync for what it is good at outside the sync path; nothing here imports it.

Formats, per flavor (all checked against Atlassian's REST docs; links at each call):

* Cloud: REST v3, search with ``POST /rest/api/3/search/jql`` and ``nextPageToken``, comments in
  ADF, auth by email + API token (basic).
* Data Center: REST v2, search with ``POST /rest/api/2/search`` and ``startAt``, comments in wiki
  markup, auth by personal access token (``Authorization: Bearer``), or basic with email +
  password/API token when no PAT is configured.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import quote, urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.auth import AuthBase, HTTPBasicAuth

from okrsync.domain.config import JiraConfig
from okrsync.domain.model import OkrsyncError
from okrsync.jira.errors import (
    JiraAuthError,
    JiraBadRequest,
    JiraError,
    JiraHTTPError,
    JiraNotFound,
    JiraPermissionError,
    JiraUnavailable,
    MissingCredentialError,
    describe_jira_reasons,
    jira_messages,
)
from okrsync.jira.fields import FieldRegistry
from okrsync.jira.jql import MAX_IN_VALUES, MAX_JQL_CHARS, batch_in_clauses
from okrsync.jira.markup import Doc, to_adf, to_wiki
from okrsync.jira.retry import (
    RETRYABLE_SERVER_STATUSES,
    ConnectFailure,
    Pacer,
    RetriesExhausted,
    RetryPolicy,
    connect_failure,
)
from okrsync.jira.stats import RequestStats

log = logging.getLogger(__name__)

Flavor = Literal["cloud", "datacenter"]

# Page sizes. Cloud's enhanced search returns up to 5,000 issues a page when only id/key are
# requested and caps other pages itself (100 today) "where a large number of fields are
# requested" (https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-search/
# #api-rest-api-3-search-jql-post). Asking 5,000 always costs nothing (never more requests than
# asking 100) and takes any larger page Jira is willing to give. Data Center caps silently at
# jira.search.views.default.max (1,000 by default) and echoes the cap it applied in maxResults.
CLOUD_SEARCH_PAGE = 5000
CLOUD_KEYS_PAGE = 5000
DC_SEARCH_PAGE = 1000
MAX_SEARCH_WARNINGS = 1000  # search_warnings keeps the latest ones
COMMENT_PAGE = 1000
BULK_CHANGELOG_ISSUES = 1000  # changelog/bulkfetch: up to 1000 issues and 10 field ids a request
BULK_CHANGELOG_FIELDS = 10

ENV_API_TOKEN = "OKRSYNC_JIRA__API_TOKEN"  # noqa: S105  (a variable name, not a secret)
ENV_PAT = "OKRSYNC_JIRA__PAT"
ENV_EMAIL = "OKRSYNC_JIRA__EMAIL"

BROWSE = "Browse projects"
EDIT = "Edit issues"
ADD_COMMENTS = "Add comments"
EDIT_COMMENTS = "Edit all comments (or Edit own comments)"
ADMIN = "Administer Jira"

_NO_BODY: Any = object()
_KEY_FIELDS = frozenset({"key", "id"})


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _error_name(error: BaseException | None) -> str:
    """``ReadTimeout`` and the like; a timeout also names the setting that bounds it."""
    name = type(error).__name__ if error is not None else "unknown"
    if isinstance(error, requests.Timeout):
        return f"{name}: no answer within jira.timeout_seconds"
    return name


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class JiraGateway:
    """Every Jira request okrsync makes; see the module docstring for the choices."""

    def __init__(
        self,
        cfg: JiraConfig,
        *,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], datetime] = _utc_now,
        stats: RequestStats | None = None,
        max_in_values: int = MAX_IN_VALUES,
        max_jql_chars: int = MAX_JQL_CHARS,
    ) -> None:
        if not cfg.url:
            raise OkrsyncError(
                "jira.url is not set: put your site's address (e.g. https://acme.atlassian.net) "
                "under jira.url in the configuration, or set OKRSYNC_JIRA__URL."
            )
        self._cfg = cfg
        self.base_url = cfg.url.rstrip("/")
        self._session = session if session is not None else self._new_session()
        self._clock = clock
        self.stats = stats if stats is not None else RequestStats()
        self._pacer = Pacer(cfg.requests_per_second, clock=clock, sleep=sleep)
        self._retry = RetryPolicy(
            max_retries=cfg.max_retries,
            max_seconds=cfg.max_retry_seconds,
            sleep=sleep,
            clock=clock,
            wall_clock=wall_clock,
            on_retry=self.stats.record_retry,
        )
        self.max_in_values = max_in_values
        self.max_jql_chars = max_jql_chars
        self.search_warnings: list[str] = []
        """Data Center's ``warningMessages`` of every search so far, in order (a search's repeated
        pages add them once); e.g. "An issue with key 'FOO-9' does not exist for field 'key'."; only
        the latest :data:`MAX_SEARCH_WARNINGS` are kept. See :meth:`search_warnings_since`."""
        self._search_warnings_total = 0
        self._lock = threading.RLock()
        self._flavor: Flavor | None = None if cfg.flavor == "auto" else cfg.flavor
        self._server_info: dict[str, Any] | None = None
        self._myself: dict[str, Any] | None = None
        self._fields: FieldRegistry | None = None

    @staticmethod
    def _new_session() -> requests.Session:
        session = requests.Session()
        adapter = HTTPAdapter(max_retries=0)  # one retry layer only: ours
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        session.headers.update({"Accept": "application/json", "User-Agent": "okrsync"})
        return session

    def __repr__(self) -> str:  # never the credentials
        return f"JiraGateway(url={self.base_url!r}, flavor={self._flavor or 'auto'!r})"

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> JiraGateway:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ flavor, identity

    @property
    def flavor(self) -> Flavor:
        """``cloud`` or ``datacenter``: as configured, or from serverInfo's ``deploymentType``."""
        with self._lock:
            if self._flavor is None:
                deployment = str(self.server_info().get("deploymentType", "")).casefold()
                self._flavor = "cloud" if deployment == "cloud" else "datacenter"
            return self._flavor

    @property
    def api(self) -> str:
        return "3" if self.flavor == "cloud" else "2"

    def server_info(self) -> dict[str, Any]:
        """``GET /rest/api/2/serverInfo`` (v2 exists on both flavors), cached."""
        with self._lock:
            if self._server_info is None:
                self._server_info = self._json(
                    self._call(
                        "GET", "/rest/api/2/serverInfo", operation="read the server info", permission=""
                    )
                )
            return self._server_info

    def myself(self) -> dict[str, Any]:
        with self._lock:
            if self._myself is None:
                self._myself = self._json(
                    self._call(
                        "GET", "/rest/api/{v}/myself", operation="read the current user", permission=""
                    )
                )
            return self._myself

    def permissions(self, *names: str, project_key: str | None = None) -> dict[str, bool]:
        """``{"EDIT_ISSUES": True, ...}`` from ``GET /rest/api/{v}/mypermissions``."""
        params: dict[str, str] = {"permissions": ",".join(names)}
        if project_key:
            params["projectKey"] = project_key
        data = self._json(
            self._call(
                "GET",
                "/rest/api/{v}/mypermissions",
                params=params,
                operation="read permissions",
                permission="",
            )
        )
        perms = data.get("permissions", {})
        return {n: bool(perms.get(n, {}).get("havePermission", False)) for n in names}

    # ------------------------------------------------------------------ fields

    @property
    def fields(self) -> FieldRegistry:
        """The field registry, from one ``GET /rest/api/{v}/field`` per gateway."""
        with self._lock:
            if self._fields is None:
                self._fields = self.refresh_fields()
            return self._fields

    def refresh_fields(self) -> FieldRegistry:
        """Re-read the field list (after ``okrsync setup`` created fields)."""
        raw = self._json_any(
            self._call("GET", "/rest/api/{v}/field", operation="list the fields", permission=BROWSE)
        )
        registry = FieldRegistry(raw if isinstance(raw, list) else [])
        with self._lock:
            self._fields = registry
        return registry

    # ------------------------------------------------------------------ searches

    def search(
        self,
        jql: str,
        fields: Sequence[str],
        *,
        expand: Sequence[str] = (),
        properties: Sequence[str] = (),
        page_size: int | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every issue matching ``jql`` (raw issue JSON with only ``fields``), paging transparently.

        ``properties`` (issue property keys) come back as ``issue["properties"][key]`` on both
        flavors. Data Center's search cannot return properties (JRASERVER-62898), so there they
        cost one ``GET /rest/api/2/issue/{key}?properties=...`` per issue; avoid on large scopes.
        """
        wanted = list(fields) or ["key"]
        if self.flavor == "cloud":
            pages = self._search_cloud(jql, wanted, expand, properties, page_size)
            yield from pages
            return
        for issue in self._search_dc(jql, wanted, expand, page_size):
            if properties:
                issue["properties"] = self._dc_issue_properties(str(issue.get("key")), properties)
            yield issue

    def search_keys(self, jql: str) -> Iterator[str]:
        """The keys of every issue matching ``jql``, in the largest pages Jira allows."""
        for issue in self.search(jql, ["key"]):
            key = issue.get("key") or (issue.get("fields") or {}).get("key")
            if key:
                yield str(key)

    def search_in(
        self,
        clause: str,
        values: Sequence[str],
        fields: Sequence[str],
        *,
        extra_jql: str = "",
        expand: Sequence[str] = (),
        properties: Sequence[str] = (),
        page_size: int | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Issues where ``clause in (values)`` (e.g. ``key``, ``parent``, ``"Epic Link"``), batched.

        Values are quoted and split into queries of at most ``max_in_values`` values and
        ``max_jql_chars`` characters; ``extra_jql`` is ANDed to each (its ORDER BY kept last).
        """
        for jql in batch_in_clauses(
            clause, values, extra_jql=extra_jql, max_values=self.max_in_values, max_chars=self.max_jql_chars
        ):
            yield from self.search(jql, fields, expand=expand, properties=properties, page_size=page_size)

    def _search_cloud(
        self,
        jql: str,
        fields: list[str],
        expand: Sequence[str],
        properties: Sequence[str],
        page_size: int | None,
    ) -> Iterator[dict[str, Any]]:
        # POST (not GET) so that long `key in (...)` queries never hit URL length limits.
        # Body and response: https://developer.atlassian.com/cloud/jira/platform/rest/v3/
        # api-group-issue-search/#api-rest-api-3-search-jql-post ; `expand` is a comma-separated
        # string there, unlike elsewhere. The last page may omit nextPageToken (JRACLOUD-92184),
        # so we stop on isLast or on a missing token.
        keys_only = set(fields) <= _KEY_FIELDS and not expand and not properties
        size = page_size or (CLOUD_KEYS_PAGE if keys_only else CLOUD_SEARCH_PAGE)
        body: dict[str, Any] = {"jql": jql, "fields": fields, "maxResults": size}
        if expand:
            body["expand"] = ",".join(expand)
        if properties:
            body["properties"] = list(properties)
        token: str | None = None
        seen_tokens: set[str] = set()
        while True:
            page_body = dict(body)
            if token:
                page_body["nextPageToken"] = token
            data = self._json(
                self._call(
                    "POST",
                    "/rest/api/3/search/jql",
                    body=page_body,
                    idempotent=True,  # a search only reads
                    operation=f"search {_short(jql)!r}",
                    permission=BROWSE,
                )
            )
            yield from data.get("issues") or []
            token = data.get("nextPageToken")
            if data.get("isLast") is True or not token or token in seen_tokens:
                return
            seen_tokens.add(token)

    def _search_dc(
        self, jql: str, fields: list[str], expand: Sequence[str], page_size: int | None
    ) -> Iterator[dict[str, Any]]:
        # https://developer.atlassian.com/server/jira/platform/rest/v10005/api-group-search/
        # Jira caps maxResults silently (jira.search.views.default.max) and echoes the applied
        # value; we advance startAt by the issues actually received, stop at the latest `total`
        # (it may change between pages) and never yield an issue twice.
        #
        # validateQuery "warn": a query naming an issue key that does not exist (or that the account
        # cannot browse) would otherwise fail whole with 400 ("An issue with key 'FOO-9' does not
        # exist for field 'key'."); with "warn" Jira "returns all errors as warnings"
        # (`warningMessages` in the response) and the key simply matches nothing. A query that does
        # not parse is still a 400. https://docs.atlassian.com/software/jira/docs/api/REST/latest/
        # #api/2/search-searchUsingSearchRequest (Cloud's /search/jql has no such parameter.)
        size = page_size or DC_SEARCH_PAGE
        start = 0
        seen: set[str] = set()
        warned: set[str] = set()
        while True:
            body: dict[str, Any] = {
                "jql": jql,
                "startAt": start,
                "maxResults": size,
                "fields": fields,
                "validateQuery": "warn",
            }
            if expand:
                body["expand"] = list(expand)
            data = self._json(
                self._call(
                    "POST",
                    "/rest/api/2/search",
                    body=body,
                    idempotent=True,
                    operation=f"search {_short(jql)!r}",
                    permission=BROWSE,
                )
            )
            for message in data.get("warningMessages") or []:
                if isinstance(message, str) and message not in warned:
                    warned.add(message)
                    self._search_warning(jql, message)
            issues = data.get("issues") or []
            for issue in issues:
                ident = str(issue.get("id") or issue.get("key"))
                if ident in seen:
                    continue
                seen.add(ident)
                yield issue
            start += len(issues)
            total = data.get("total")
            if not issues or (isinstance(total, int) and start >= total):
                return

    def search_warning_mark(self) -> int:
        """A mark for :meth:`search_warnings_since`: how many search warnings there have been."""
        with self._lock:
            return self._search_warnings_total

    def search_warnings_since(self, mark: int) -> list[str]:
        """The search warnings Jira gave after ``mark`` (from :meth:`search_warning_mark`)."""
        with self._lock:
            new = min(self._search_warnings_total - mark, len(self.search_warnings))
            return self.search_warnings[-new:] if new > 0 else []

    def _search_warning(self, jql: str, message: str) -> None:
        with self._lock:
            if len(self.search_warnings) >= MAX_SEARCH_WARNINGS:
                del self.search_warnings[: MAX_SEARCH_WARNINGS // 2]
            self.search_warnings.append(message)
            self._search_warnings_total += 1
        log.warning("Jira warned about the search %r: %s", _short(jql), message)

    def _dc_issue_properties(self, key: str, properties: Sequence[str]) -> dict[str, Any]:
        data = self._json(
            self._call(
                "GET",
                "/rest/api/2/issue/{key}",
                path={"key": key},
                params={"fields": "key", "properties": ",".join(properties)},
                operation=f"read the properties of {key}",
                permission=BROWSE,
                key=key,
            )
        )
        props = data.get("properties")
        return dict(props) if isinstance(props, Mapping) else {}

    @property
    def search_returns_properties(self) -> bool:
        """Whether :meth:`search` gets issue properties in the search itself (Cloud) or per issue (DC)."""
        return self.flavor == "cloud"

    # ------------------------------------------------------------------ issues

    def get_issue(
        self,
        key: str,
        fields: Sequence[str],
        *,
        expand: Sequence[str] = (),
        properties: Sequence[str] = (),
    ) -> dict[str, Any]:
        """One issue (for the rare single read; use searches for many)."""
        params: dict[str, str] = {"fields": ",".join(fields) or "key"}
        if expand:
            params["expand"] = ",".join(expand)
        if properties:
            params["properties"] = ",".join(properties)
        return self._json(
            self._call(
                "GET",
                "/rest/api/{v}/issue/{key}",
                path={"key": key},
                params=params,
                operation=f"read {key}",
                permission=BROWSE,
                key=key,
            )
        )

    def edit_issue(self, key: str, fields: Mapping[str, Any], *, notify: bool) -> None:
        """One ``PUT /rest/api/{v}/issue/{key}?notifyUsers=...`` with all changed fields (204).

        https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/#api-rest-api-3-issue-issueidorkey-put
        ``notifyUsers=false`` needs the Administer projects (or Administer Jira) permission.
        """
        if not fields:
            return
        self._call(
            "PUT",
            "/rest/api/{v}/issue/{key}",
            path={"key": key},
            params={"notifyUsers": "true" if notify else "false"},
            body={"fields": dict(fields)},
            operation=f"edit {key}",
            permission=EDIT if notify else f"{EDIT}, and Administer projects for notifyUsers=false",
            key=key,
        )

    # ------------------------------------------------------------------ comments

    def render(self, doc: Doc) -> Any:
        """The comment body for this flavor: ADF (Cloud, v3) or wiki markup (Data Center, v2)."""
        return to_adf(doc) if self.flavor == "cloud" else to_wiki(doc)

    def comments(self, key: str, *, properties: bool = False) -> list[dict[str, Any]]:
        """All comments of an issue, every page; with their properties when ``properties``."""
        out: list[dict[str, Any]] = []
        start = 0
        while True:
            params: dict[str, Any] = {"startAt": start, "maxResults": COMMENT_PAGE}
            if properties:
                params["expand"] = "properties"
            data = self._json(
                self._call(
                    "GET",
                    "/rest/api/{v}/issue/{key}/comment",
                    path={"key": key},
                    params=params,
                    operation=f"read the comments of {key}",
                    permission=BROWSE,
                    key=key,
                )
            )
            page = data.get("comments") or []
            out.extend(page)
            start += len(page)
            total = data.get("total")
            if not page or not isinstance(total, int) or start >= total:
                return out

    def add_comment(
        self, key: str, body: Doc, *, properties: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """``POST /rest/api/{v}/issue/{key}/comment``; returns the created comment.

        Not idempotent: retried only on 429 and on failures before the request was sent (see
        :mod:`okrsync.jira.retry`). On Cloud, ``properties`` are created with the comment in the same
        request (https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-comments/
        #api-rest-api-3-issue-issueidorkey-comment-post), so a comment never lands without its
        marker; on Data Center they are set right after, one PUT each.
        """
        payload: dict[str, Any] = {"body": self.render(body)}
        cloud = self.flavor == "cloud"
        if properties and cloud:
            payload["properties"] = [{"key": k, "value": v} for k, v in properties.items()]
        created = self._json(
            self._call(
                "POST",
                "/rest/api/{v}/issue/{key}/comment",
                path={"key": key},
                body=payload,
                idempotent=False,
                operation=f"add a comment to {key}",
                permission=ADD_COMMENTS,
                key=key,
            )
        )
        if properties and not cloud:
            for prop, value in properties.items():
                self.set_comment_property(str(created.get("id")), prop, value)
        return created

    def update_comment(self, key: str, comment_id: str, body: Doc, *, notify: bool = True) -> dict[str, Any]:
        """``PUT /rest/api/{v}/issue/{key}/comment/{id}`` with the new body.

        Cloud notifies watchers of an edited comment unless ``notifyUsers=false``
        (https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-comments/
        #api-rest-api-3-issue-issueidorkey-comment-id-put); Data Center has no such parameter.
        """
        params = {"notifyUsers": "false"} if not notify and self.flavor == "cloud" else None
        return self._json(
            self._call(
                "PUT",
                "/rest/api/{v}/issue/{key}/comment/{id}",
                path={"key": key, "id": comment_id},
                params=params,
                body={"body": self.render(body)},
                operation=f"update comment {comment_id} on {key}",
                permission=EDIT_COMMENTS,
                key=key,
            )
        )

    def set_comment_property(self, comment_id: str, prop: str, value: Any) -> None:
        """``PUT /rest/api/{v}/comment/{id}/properties/{prop}``, the body being the raw JSON value."""
        self._call(
            "PUT",
            "/rest/api/{v}/comment/{id}/properties/{prop}",
            path={"id": comment_id, "prop": prop},
            body=value,
            operation=f"set property {prop} of comment {comment_id}",
            permission=EDIT_COMMENTS,
            key=comment_id,
        )

    def comment_property(self, comment_id: str, prop: str) -> Any | None:
        """The property's value, or ``None`` when the comment has no such property."""
        resp = self._call(
            "GET",
            "/rest/api/{v}/comment/{id}/properties/{prop}",
            path={"id": comment_id, "prop": prop},
            operation=f"read property {prop} of comment {comment_id}",
            permission=BROWSE,
            key=comment_id,
            none_on_404=True,
        )
        return None if resp is None else self._json(resp).get("value")

    # ------------------------------------------------------------------ issue properties

    def set_issue_property(self, key: str, prop: str, value: Any) -> None:
        """``PUT /rest/api/{v}/issue/{key}/properties/{prop}``, the body being the raw JSON value.

        https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-properties/
        #api-rest-api-3-issue-issueidorkey-properties-propertykey-put (200 updated, 201 created).
        """
        self._call(
            "PUT",
            "/rest/api/{v}/issue/{key}/properties/{prop}",
            path={"key": key, "prop": prop},
            body=value,
            operation=f"set property {prop} of {key}",
            permission=EDIT,
            key=key,
        )

    def issue_property(self, key: str, prop: str) -> Any | None:
        resp = self._call(
            "GET",
            "/rest/api/{v}/issue/{key}/properties/{prop}",
            path={"key": key, "prop": prop},
            operation=f"read property {prop} of {key}",
            permission=BROWSE,
            key=key,
            none_on_404=True,
        )
        return None if resp is None else self._json(resp).get("value")

    # ------------------------------------------------------------------ setup helpers

    def create_field(
        self, name: str, type_key: str, *, searcher_key: str | None = None, description: str = ""
    ) -> dict[str, Any]:
        """``POST /rest/api/{v}/field`` (a custom field; needs Administer Jira).

        ``type_key`` e.g. ``com.atlassian.jira.plugin.system.customfieldtypes:float``.
        """
        body: dict[str, Any] = {"name": name, "type": type_key, "description": description}
        if searcher_key:
            body["searcherKey"] = searcher_key
        created = self._json(
            self._call(
                "POST",
                "/rest/api/{v}/field",
                body=body,
                idempotent=False,
                operation=f"create the field {name!r}",
                permission=ADMIN,
            )
        )
        with self._lock:
            self._fields = None  # re-read on next use
        return created

    def field_contexts(self, field_id: str) -> list[dict[str, Any]]:
        """Cloud: the contexts of a custom field (``GET /rest/api/3/field/{id}/context``), all pages."""
        return self._paged_values(
            "/rest/api/3/field/{id}/context", {"id": field_id}, f"list the contexts of {field_id}", ADMIN
        )

    def field_options(self, field_id: str, context_id: str) -> list[dict[str, Any]]:
        """Cloud: the options of a select field's context, all pages."""
        return self._paged_values(
            "/rest/api/3/field/{id}/context/{context}/option",
            {"id": field_id, "context": context_id},
            f"list the options of {field_id}",
            ADMIN,
        )

    def add_field_options(
        self, field_id: str, context_id: str, values: Sequence[str]
    ) -> list[dict[str, Any]]:
        """Cloud: ``POST /rest/api/3/field/{id}/context/{context}/option``, ``{"options": [{"value"}]}``."""
        data = self._json(
            self._call(
                "POST",
                "/rest/api/3/field/{id}/context/{context}/option",
                path={"id": field_id, "context": context_id},
                body={"options": [{"value": v} for v in values]},
                idempotent=False,
                operation=f"add options to {field_id}",
                permission=ADMIN,
            )
        )
        return list(data.get("options") or [])

    def create_filter(self, name: str, jql: str, *, description: str = "") -> dict[str, Any]:
        """``POST /rest/api/{v}/filter``."""
        return self._json(
            self._call(
                "POST",
                "/rest/api/{v}/filter",
                body={"name": name, "jql": jql, "description": description},
                idempotent=False,
                operation=f"create the filter {name!r}",
                permission="Create shared objects",
            )
        )

    def find_filters(self, name: str, *, prefix: bool = False) -> list[dict[str, Any]]:
        """Filters named ``name`` (or, with ``prefix``, whose name starts with it) visible to the
        account (Cloud: filter search; DC: favourites, which okrsync's own filters are)."""
        if self.flavor == "cloud":
            found = self._paged_values(
                "/rest/api/3/filter/search",
                {},
                f"search filters named {name!r}",
                BROWSE,
                params={"filterName": name, "expand": "jql"},
            )
        else:
            raw = self._json_any(
                self._call(
                    "GET", "/rest/api/2/filter/favourite", operation="list favourite filters", permission=""
                )
            )
            found = list(raw) if isinstance(raw, list) else []
        if prefix:
            return [f for f in found if str(f.get("name") or "").startswith(name)]
        return [f for f in found if f.get("name") == name]

    def _paged_values(
        self,
        template: str,
        path: Mapping[str, str],
        operation: str,
        permission: str,
        *,
        params: Mapping[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        """Cloud's ``{"values", "isLast", "startAt", "maxResults"}`` pages, all of them."""
        out: list[dict[str, Any]] = []
        start = 0
        while True:
            page_params = {**(params or {}), "startAt": start, "maxResults": 100}
            data = self._json(
                self._call(
                    "GET", template, path=path, params=page_params, operation=operation, permission=permission
                )
            )
            values = data.get("values") or []
            out.extend(values)
            start += len(values)
            if not values or data.get("isLast", True):
                return out

    # ------------------------------------------------------------------ the one request path

    def _auth(self) -> tuple[dict[str, str], AuthBase | None]:
        """Headers and auth for the next request; raises MissingCredentialError when none fits."""
        cfg = self._cfg
        token = cfg.api_token.get_secret_value() if cfg.api_token else ""
        pat = cfg.pat.get_secret_value() if cfg.pat else ""
        flavor = self._flavor
        if flavor is None:  # detecting: send whatever we have; serverInfo also answers anonymously
            if cfg.email and token:
                return {}, HTTPBasicAuth(cfg.email, token)
            if pat:
                return {"Authorization": f"Bearer {pat}"}, None
            return {}, None
        if flavor == "cloud":
            if not (cfg.email and token):
                missing = " and ".join(
                    m
                    for m, ok in ((f"jira.email ({ENV_EMAIL})", cfg.email), (ENV_API_TOKEN, token))
                    if not ok
                )
                raise MissingCredentialError(
                    f"Jira Cloud needs an account email and an API token; {missing} not set. "
                    "Create a token at https://id.atlassian.com/manage-profile/security/api-tokens "
                    f"and set {ENV_API_TOKEN}."
                )
            return {}, HTTPBasicAuth(cfg.email, token)
        if pat:
            return {"Authorization": f"Bearer {pat}"}, None
        if cfg.email and token:
            return {}, HTTPBasicAuth(cfg.email, token)
        raise MissingCredentialError(
            f"Jira Data Center needs a personal access token: set {ENV_PAT} (create one under your Jira "
            f"profile, Personal Access Tokens), or jira.email with {ENV_API_TOKEN} for basic auth."
        )

    def require_credential(self) -> None:
        """Raise :class:`MissingCredentialError` when no configured credential can work, without a
        request: none at all, or none that fits the configured flavor. (With ``flavor: auto`` and one
        credential, which flavor needs which is only known once Jira has answered.)"""
        cfg = self._cfg
        token = cfg.api_token.get_secret_value() if cfg.api_token else ""
        pat = cfg.pat.get_secret_value() if cfg.pat else ""
        if self._flavor is None and not ((cfg.email and token) or pat):
            raise MissingCredentialError(
                f"No Jira credential is configured: set {ENV_API_TOKEN} with jira.email ({ENV_EMAIL}) "
                f"for Jira Cloud, or {ENV_PAT} for Data Center (secrets belong in the environment)."
            )
        if self._flavor is not None:
            self._auth()

    def _credential(self) -> tuple[str, str]:
        """(who, what to check) for 401 messages."""
        cfg = self._cfg
        bearer = self._flavor == "datacenter" and cfg.pat is not None
        if self._flavor is None and cfg.pat is not None and not (cfg.email and cfg.api_token):
            bearer = True
        if bearer:
            return (
                "the personal access token",
                f"check {ENV_PAT}: it may be mistyped, expired or revoked",
            )
        if cfg.email and cfg.api_token:
            what = "API token" if self._flavor != "datacenter" else "password/API token"
            return f"{cfg.email}'s {what}", f"check {ENV_API_TOKEN} and jira.email"
        return (
            "an anonymous request",
            f"configure a credential ({ENV_API_TOKEN} with jira.email, or {ENV_PAT})",
        )

    def _call(
        self,
        method: str,
        template: str,
        *,
        path: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        body: Any = _NO_BODY,
        idempotent: bool | None = None,
        operation: str,
        permission: str,
        key: str | None = None,
        ok: frozenset[int] = frozenset({200, 201, 204}),
        none_on_404: bool = False,
    ) -> requests.Response | None:
        path_t = template.replace("{v}", self.api) if "{v}" in template else template
        url_path = path_t.format(**{k: quote(str(v), safe="") for k, v in (path or {}).items()})
        url = self.base_url + url_path
        headers, auth = self._auth()
        data: bytes | None = None
        if body is not _NO_BODY:
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            headers = {**headers, "Content-Type": "application/json"}
        if idempotent is None:
            idempotent = method != "POST"
        attempts = 0

        def send() -> requests.Response:
            nonlocal attempts
            attempts += 1
            self.stats.record_pacing(self._pacer.acquire())
            started = self._clock()
            try:
                resp = self._session.request(
                    method,
                    url,
                    params=dict(params) if params else None,
                    data=data,
                    headers=headers,
                    auth=auth,
                    timeout=self._cfg.timeout_seconds,
                )
            except requests.RequestException:
                self.stats.record(method, path_t, None, self._clock() - started)
                raise
            self.stats.record(method, path_t, resp.status_code, self._clock() - started)
            return resp

        context: dict[str, Any] = {"method": method, "path": path_t, "key": key}
        began = self._clock()
        try:
            resp = self._retry.run(send, idempotent=idempotent)
        except RetriesExhausted as gave_up:
            raise self._unavailable(
                operation, gave_up.attempts, gave_up, gave_up.response, gave_up.error, context
            ) from gave_up.error
        except requests.RequestException as exc:
            not_retried = RetriesExhausted(attempts, 0.0, "not retried", elapsed=self._clock() - began)
            raise self._unavailable(operation, attempts, not_retried, None, exc, context) from exc
        if resp.status_code in ok:
            return resp
        if resp.status_code == 404 and none_on_404:
            return None
        if resp.status_code == 429 or resp.status_code in RETRYABLE_SERVER_STATUSES:
            # Only reached for a non-idempotent request that we must not repeat.
            why = RetriesExhausted(attempts, 0.0, "not retried: repeating it could apply it twice")
            raise self._unavailable(operation, attempts, why, resp, None, context)
        raise self._error_for(resp, operation, permission, context)

    def _unavailable(
        self,
        operation: str,
        attempts: int,
        gave_up: RetriesExhausted,
        response: requests.Response | None,
        error: BaseException | None,
        context: dict[str, Any],
    ) -> JiraUnavailable:
        tries = f"{attempts} attempt{'s' if attempts != 1 else ''} in {gave_up.elapsed:.1f} s"
        request = f"{context['method']} {context['path']}"
        fast = connect_failure(error) if error is not None else None
        if fast is not None:
            message = f"Could not {operation} ({request}, {tries}): {self._connect_failure_text(fast)}"
        else:
            if response is not None:
                last = f"last answer {response.status_code} {response.reason or ''}".rstrip()
                hint = "Jira is overloaded or down; try again later"
                if response.status_code == 429:
                    hint = "Jira is rate limiting okrsync; lower jira.requests_per_second or try again later"
            else:
                last = f"last error {_error_name(error)}"
                hint = f"check jira.url ({self.base_url}) and the network"
            message = (
                f"Could not {operation}: Jira did not answer {request} after {tries} "
                f"({gave_up.reason}; {last}). {hint[0].upper()}{hint[1:]}."
            )
        return JiraUnavailable(
            message,
            attempts=attempts,
            waited_seconds=gave_up.waited_seconds,
            status=response.status_code if response is not None else None,
            **context,
        )

    def _connect_failure_text(self, kind: ConnectFailure) -> str:
        """What a refused connection or an unknown host means, and what to check."""
        parts = urlsplit(self.base_url)
        host = parts.hostname or self.base_url
        port = parts.port or (443 if parts.scheme == "https" else 80)
        if kind == "refused":
            return (
                f"connection refused by {host}:{port} (nothing listens there) — is jira.url "
                f"({self.base_url}) right and Jira up?"
            )
        return f"the host name {host} does not resolve (DNS) — is jira.url ({self.base_url}) right?"

    def _error_for(
        self, resp: requests.Response, operation: str, permission: str, context: dict[str, Any]
    ) -> JiraError:
        status = resp.status_code
        try:
            parsed: Any = resp.json()
        except ValueError:
            parsed = None
        messages, errors = jira_messages(parsed)
        reasons = describe_jira_reasons(messages, errors)
        said = f" Jira said: {reasons}" if reasons else ""
        kw: dict[str, Any] = {**context, "status": status, "messages": messages, "errors": errors}
        denied = resp.headers.get("X-Authentication-Denied-Reason")
        if status == 401 or (status == 403 and denied):
            who, check = self._credential()
            extra = (
                f" (login denied: {denied}; log in once in a browser to clear a CAPTCHA)" if denied else ""
            )
            return JiraAuthError(
                f"Jira answered {status} to {who}{extra}: {check}. ({operation} at {self.base_url}).", **kw
            )
        if status == 403:
            who = self._cfg.email or ("the PAT's user" if self._cfg.pat else "the account")
            need = f' needs the "{permission}" permission' if permission else " lacks a permission"
            return JiraPermissionError(
                f"Jira refused to {operation} (403): {who}{need}. Ask a Jira admin to grant it in the "
                f"project's permission scheme, or use another account.{said}",
                permission=permission,
                **kw,
            )
        if status == 404:
            return JiraNotFound(
                f"Could not {operation}: Jira answered 404 (it does not exist, or the account cannot "
                f"see it).{said}",
                **kw,
            )
        if status in (400, 409, 422):
            return JiraBadRequest(f"Could not {operation}: Jira rejected the request ({status}).{said}", **kw)
        return JiraHTTPError(f"Could not {operation}: Jira answered {status}.{said}", **kw)

    def _json_any(self, resp: requests.Response | None) -> Any:
        if resp is None or resp.status_code == 204 or not resp.content:
            return {}
        try:
            return resp.json()
        except ValueError:
            raise JiraHTTPError(
                f"Jira at {self.base_url} answered {resp.status_code} with something that is not JSON "
                f"({resp.headers.get('Content-Type', 'no content type')}); check jira.url points at the "
                "Jira site itself (not a login page or proxy).",
                status=resp.status_code,
                method=(resp.request.method or "") if resp.request is not None else "",
            ) from None

    def _json(self, resp: requests.Response | None) -> dict[str, Any]:
        data = self._json_any(resp)
        return data if isinstance(data, dict) else {}

    # ------------------------------------------------------------------ history (backfill)

    def statuses(self) -> list[dict[str, Any]]:
        """Every status with its category: ``GET /rest/api/{v}/status`` (one request).

        https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-workflow-statuses/
        #api-rest-api-3-status-get — items ``{"id", "name", "statusCategory": {"key", ...}}``.
        """
        raw = self._json_any(
            self._call("GET", "/rest/api/{v}/status", operation="list the statuses", permission=BROWSE)
        )
        return [s for s in raw if isinstance(s, dict)] if isinstance(raw, list) else []

    def changelogs(
        self, issue_ids: Sequence[str], *, field_ids: Sequence[str] = (), page_size: int = 1000
    ) -> dict[str, list[dict[str, Any]]]:
        """Cloud: the changelogs of many issues, by issue id, oldest first.

        ``POST /rest/api/3/changelog/bulkfetch`` with ``{"issueIdsOrKeys", "fieldIds", "maxResults",
        "nextPageToken"}`` for up to 1000 issues a request (and up to 10 field ids), answering
        ``{"issueChangeLogs": [{"issueId", "changeHistories"}], "nextPageToken"}`` sorted by date
        (https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/
        #api-rest-api-3-changelog-bulkfetch-post). Data Center has no bulk endpoint: its search
        returns changelogs (``expand=changelog``); here it falls back to one request per issue.
        """
        out: dict[str, list[dict[str, Any]]] = {str(i): [] for i in issue_ids}
        if self.flavor != "cloud":
            for ident in out:
                out[ident] = self.issue_changelog(ident)
            return out
        wanted = list(out)
        for start in range(0, len(wanted), BULK_CHANGELOG_ISSUES):
            chunk = wanted[start : start + BULK_CHANGELOG_ISSUES]
            body: dict[str, Any] = {"issueIdsOrKeys": chunk, "maxResults": page_size}
            if field_ids:
                body["fieldIds"] = list(field_ids)[:BULK_CHANGELOG_FIELDS]
            seen_tokens: set[str] = set()
            while True:
                data = self._json(
                    self._call(
                        "POST",
                        "/rest/api/3/changelog/bulkfetch",
                        body=body,
                        idempotent=True,  # it only reads
                        operation=f"read the changelogs of {len(chunk)} issues",
                        permission=BROWSE,
                    )
                )
                for log_ in data.get("issueChangeLogs") or []:
                    if isinstance(log_, dict) and log_.get("issueId") is not None:
                        histories = log_.get("changeHistories") or []
                        out.setdefault(str(log_["issueId"]), []).extend(
                            h for h in histories if isinstance(h, dict)
                        )
                token = data.get("nextPageToken")
                if not token or token in seen_tokens:
                    break
                seen_tokens.add(token)
                body = {**body, "nextPageToken": token}
        return out

    def issue_changelog(self, key: str) -> list[dict[str, Any]]:
        """Every changelog of one issue, oldest first (when a bulk way is missing or truncated).

        Cloud: ``GET /rest/api/3/issue/{key}/changelog`` pages (``values``, ``isLast``); Data Center:
        ``GET /rest/api/2/issue/{key}?expand=changelog``, which holds the whole changelog.
        """
        if self.flavor == "cloud":
            return self._paged_values(
                "/rest/api/3/issue/{key}/changelog", {"key": key}, f"read the changelog of {key}", BROWSE
            )
        data = self.get_issue(key, ["key"], expand=("changelog",))
        log_ = data.get("changelog")
        histories = log_.get("histories") if isinstance(log_, dict) else None
        return [h for h in histories if isinstance(h, dict)] if isinstance(histories, list) else []

    # ------------------------------------------------------------------ setup: projects, contexts, screens

    def projects(self) -> list[dict[str, Any]]:
        """Every project the account can see (Cloud: ``/project/search`` pages; DC: ``/project``)."""
        if self.flavor == "cloud":
            return self._paged_values("/rest/api/3/project/search", {}, "list the projects", BROWSE)
        raw = self._json_any(
            self._call("GET", "/rest/api/2/project", operation="list the projects", permission=BROWSE)
        )
        return list(raw) if isinstance(raw, list) else []

    def create_field_context(self, field_id: str, name: str, *, description: str = "") -> dict[str, Any]:
        """Cloud: a global context for a custom field (``POST /rest/api/3/field/{id}/context``).

        Empty ``projectIds`` and ``issueTypeIds`` make it global and for any issue type
        (https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-custom-field-contexts/
        #api-rest-api-3-field-fieldid-context-post).
        """
        return self._json(
            self._call(
                "POST",
                "/rest/api/3/field/{id}/context",
                path={"id": field_id},
                body={"name": name, "description": description, "projectIds": [], "issueTypeIds": []},
                idempotent=False,
                operation=f"create a global context for {field_id}",
                permission=ADMIN,
            )
        )

    def dc_field_options(self, field_id: str) -> list[dict[str, Any]] | None:
        """Data Center: every option of a select field in all its contexts, or ``None`` where the
        site has no such resource (before Jira 8.x).

        ``GET /rest/api/2/customFields/{numericId}/options?useAllContexts=true`` answers
        ``{"options": [{"id", "value", "disabled"}...], "total"}`` in pages numbered from 1
        (https://developer.atlassian.com/server/jira/platform/rest/v10005/api-group-customfields/).
        """
        numeric = field_id.removeprefix("customfield_")
        out: list[dict[str, Any]] = []
        page = 1
        while True:
            resp = self._call(
                "GET",
                "/rest/api/2/customFields/{id}/options",
                path={"id": numeric},
                params={"useAllContexts": "true", "maxResults": 1000, "page": page},
                operation=f"list the options of {field_id}",
                permission=ADMIN,
                none_on_404=True,
            )
            if resp is None:
                return None
            data = self._json(resp)
            options = data.get("options") or data.get("values") or []
            out.extend(o for o in options if isinstance(o, dict))
            total = data.get("total")
            if not options or not isinstance(total, int) or len(out) >= total:
                return out
            page += 1

    def screens(self) -> list[dict[str, Any]]:
        """Cloud: every screen (``GET /rest/api/3/screens``, all pages)."""
        return self._paged_values("/rest/api/3/screens", {}, "list the screens", ADMIN)

    def screen_tabs(self, screen_id: str) -> list[dict[str, Any]]:
        """Cloud: the tabs of a screen, in order."""
        raw = self._json_any(
            self._call(
                "GET",
                "/rest/api/3/screens/{id}/tabs",
                path={"id": screen_id},
                operation=f"list the tabs of screen {screen_id}",
                permission=ADMIN,
            )
        )
        return [t for t in raw if isinstance(t, dict)] if isinstance(raw, list) else []

    def screen_tab_fields(self, screen_id: str, tab_id: str) -> list[dict[str, Any]]:
        """Cloud: the fields on one tab of a screen."""
        raw = self._json_any(
            self._call(
                "GET",
                "/rest/api/3/screens/{id}/tabs/{tab}/fields",
                path={"id": screen_id, "tab": tab_id},
                operation=f"list the fields of screen {screen_id}",
                permission=ADMIN,
            )
        )
        return [f for f in raw if isinstance(f, dict)] if isinstance(raw, list) else []

    def add_screen_field(self, screen_id: str, tab_id: str, field_id: str) -> dict[str, Any]:
        """Cloud: ``POST /rest/api/3/screens/{id}/tabs/{tab}/fields`` with ``{"fieldId"}``."""
        return self._json(
            self._call(
                "POST",
                "/rest/api/3/screens/{id}/tabs/{tab}/fields",
                path={"id": screen_id, "tab": tab_id},
                body={"fieldId": field_id},
                idempotent=False,
                operation=f"add {field_id} to screen {screen_id}",
                permission=ADMIN,
            )
        )

    # ------------------------------------------------------------------ setup: filters, dashboards

    def create_shared_filter(
        self,
        name: str,
        jql: str,
        *,
        description: str = "",
        share: Sequence[Mapping[str, Any]] = ({"type": "authenticated"},),
    ) -> dict[str, Any]:
        """``POST /rest/api/{v}/filter`` shared as ``share`` (default: every logged-in user).

        ``{"type": "authenticated"}`` shares with logged-in users (Jira shows it as ``loggedin``);
        ``global`` would include anonymous users
        (https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-filters/#api-rest-api-3-filter-post).
        """
        # favourite, so that Data Center (which lists filters only through favourites) finds it again
        body = {
            "name": name,
            "jql": jql,
            "description": description,
            "favourite": True,
            "sharePermissions": list(share),
        }
        return self._json(
            self._call(
                "POST",
                "/rest/api/{v}/filter",
                body=body,
                idempotent=False,
                operation=f"create the filter {name!r}",
                permission="Create shared objects",
            )
        )

    def update_filter(self, filter_id: str, *, name: str, jql: str, description: str | None = None) -> None:
        """``PUT /rest/api/{v}/filter/{id}`` (only the owner may)."""
        body: dict[str, Any] = {"name": name, "jql": jql}
        if description is not None:
            body["description"] = description
        self._call(
            "PUT",
            "/rest/api/{v}/filter/{id}",
            path={"id": filter_id},
            body=body,
            operation=f"update the filter {name!r}",
            permission="Create shared objects",
        )

    def find_dashboards(self, name: str) -> list[dict[str, Any]]:
        """Dashboards named exactly ``name`` that the account can see.

        Cloud: ``GET /rest/api/3/dashboard/search?dashboardName=``; Data Center has no search, so
        ``GET /rest/api/2/dashboard`` pages (``startAt``/``maxResults``, ``next`` while more).
        """
        if self.flavor == "cloud":
            found = self._paged_values(
                "/rest/api/3/dashboard/search",
                {},
                f"search dashboards named {name!r}",
                BROWSE,
                params={"dashboardName": name},
            )
            return [d for d in found if d.get("name") == name]
        out: list[dict[str, Any]] = []
        start = 0
        while True:
            data = self._json(
                self._call(
                    "GET",
                    "/rest/api/2/dashboard",
                    params={"startAt": start, "maxResults": 1000},
                    operation="list the dashboards",
                    permission="",
                )
            )
            page = [d for d in data.get("dashboards") or [] if isinstance(d, dict)]
            out.extend(d for d in page if d.get("name") == name)
            start += len(page)
            if not page or not data.get("next"):
                return out

    def create_dashboard(
        self,
        name: str,
        *,
        description: str = "",
        share: Sequence[Mapping[str, Any]] = ({"type": "authenticated"},),
    ) -> dict[str, Any]:
        """Cloud: ``POST /rest/api/3/dashboard`` (Data Center has no REST to create dashboards)."""
        return self._json(
            self._call(
                "POST",
                "/rest/api/3/dashboard",
                body={
                    "name": name,
                    "description": description,
                    "sharePermissions": list(share),
                    "editPermissions": [],
                },
                idempotent=False,
                operation=f"create the dashboard {name!r}",
                permission="Create shared objects",
            )
        )

    def dashboard_gadgets(self, dashboard_id: str) -> list[dict[str, Any]]:
        """Cloud: ``GET /rest/api/3/dashboard/{id}/gadget`` → its ``gadgets``."""
        data = self._json(
            self._call(
                "GET",
                "/rest/api/3/dashboard/{id}/gadget",
                path={"id": dashboard_id},
                operation=f"list the gadgets of dashboard {dashboard_id}",
                permission="",
            )
        )
        return [g for g in data.get("gadgets") or [] if isinstance(g, dict)]

    def add_gadget(
        self,
        dashboard_id: str,
        module_key: str,
        *,
        title: str,
        position: Mapping[str, int],
        color: str = "blue",
    ) -> dict[str, Any]:
        """Cloud: ``POST /rest/api/3/dashboard/{id}/gadget`` with ``moduleKey``
        (https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-dashboards/
        #api-rest-api-3-dashboard-dashboardid-gadget-post)."""
        return self._json(
            self._call(
                "POST",
                "/rest/api/3/dashboard/{id}/gadget",
                path={"id": dashboard_id},
                body={"moduleKey": module_key, "title": title, "color": color, "position": dict(position)},
                idempotent=False,
                operation=f"add the gadget {title!r} to dashboard {dashboard_id}",
                permission="",
            )
        )

    def dashboard_item_property(self, dashboard_id: str, item_id: str, prop: str) -> Any | None:
        """A dashboard item (gadget) property's value, ``None`` when it is not set."""
        resp = self._call(
            "GET",
            "/rest/api/{v}/dashboard/{id}/items/{item}/properties/{prop}",
            path={"id": dashboard_id, "item": item_id, "prop": prop},
            operation=f"read the {prop} of gadget {item_id}",
            permission="",
            none_on_404=True,
        )
        return None if resp is None else self._json(resp).get("value")

    def set_dashboard_item_property(self, dashboard_id: str, item_id: str, prop: str, value: Any) -> None:
        """``PUT .../dashboard/{id}/items/{item}/properties/{prop}``: a gadget's ``config`` is an
        object of strings (https://developer.atlassian.com/cloud/jira/platform/rest/v3/
        api-group-dashboards/#api-rest-api-3-dashboard-dashboardid-items-itemid-properties-propertykey-put)."""
        self._call(
            "PUT",
            "/rest/api/{v}/dashboard/{id}/items/{item}/properties/{prop}",
            path={"id": dashboard_id, "item": item_id, "prop": prop},
            body=value,
            operation=f"configure gadget {item_id} (only the dashboard's owner may)",
            permission="",
        )
