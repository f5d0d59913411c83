"""The Jira gateway: what the sync and the backfill ask of Jira, and the only door to Jira.

Issues, comments, issue and comment properties, statuses and changelogs are here; searches are in
:mod:`okrsync.jira.search`, the one request path (auth, pacing, retry, errors) in
:mod:`okrsync.jira.client`, and the setup-only calls in :mod:`okrsync.jira.admin` (``gateway.admin``).

Formats, per flavor (all checked against Atlassian's REST docs; links at each call):

* Cloud: REST v3, search with ``POST /rest/api/3/search/jql`` and ``nextPageToken``, comments in
  ADF, auth by email + API token (basic).
* Data Center: REST v2, search with ``POST /rest/api/2/search`` and ``startAt``, comments in wiki
  markup, auth by personal access token (``Authorization: Bearer``), or basic with email +
  password/API token when no PAT is configured.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from functools import cached_property
from typing import Any

import requests

from okrsync.domain.config import JiraConfig
from okrsync.domain.keys import COMMENT_FOOTER, COMMENT_PROPERTY
from okrsync.jira.admin import JiraAdmin
from okrsync.jira.auth import Flavor
from okrsync.jira.bulk import JiraBulk
from okrsync.jira.bulk_properties import JiraBulkProperties
from okrsync.jira.client import ADD_COMMENTS, BROWSE, EDIT, EDIT_COMMENTS, JiraClient, utc_now
from okrsync.jira.fields import FieldRegistry
from okrsync.jira.history import JiraHistory
from okrsync.jira.jql import MAX_IN_VALUES, MAX_JQL_CHARS
from okrsync.jira.jql_match import JqlMatch, match_jql
from okrsync.jira.markup import Doc, plain_text, to_adf, to_wiki
from okrsync.jira.search import JiraSearch
from okrsync.jira.stats import RequestStats

SILENT_EDIT = "Administer projects (or Administer Jira) for notifyUsers=false"
COMMENT_PAGE = 1000
COMMENT_LIST_IDS = 1000  # comment/list: "A maximum of 1000 IDs can be specified"


class JiraGateway:
    """Every Jira request okrsync makes, on one :class:`~okrsync.jira.client.JiraClient`."""

    def __init__(
        self,
        cfg: JiraConfig,
        *,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], datetime] = utc_now,
        stats: RequestStats | None = None,
        max_in_values: int = MAX_IN_VALUES,
        max_jql_chars: int = MAX_JQL_CHARS,
    ) -> None:
        self._client = JiraClient(
            cfg, session=session, sleep=sleep, clock=clock, wall_clock=wall_clock, stats=stats
        )
        self._bulk_sleep, self._bulk_clock = sleep, clock
        self._search = JiraSearch(self._client)
        self.max_in_values = max_in_values
        """Bounds of one ``clause in (...)`` query (see :func:`okrsync.jira.jql.batch_values`)."""
        self.max_jql_chars = max_jql_chars
        self._myself: dict[str, Any] | None = None
        self._fields: FieldRegistry | None = None

    def __repr__(self) -> str:  # never the credentials
        return f"JiraGateway(url={self.base_url!r}, flavor={self._client.configured_flavor!r})"

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> JiraGateway:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @cached_property
    def admin(self) -> JiraAdmin:
        """The setup-only calls (fields, screens, filters, dashboards, permissions), on this client."""
        return JiraAdmin(self._client, fields_changed=self._forget_fields)

    @cached_property
    def history(self) -> JiraHistory:
        """The backfill's reads (statuses, changelogs: :mod:`okrsync.jira.history`), on this client."""
        return JiraHistory(self._client, self.get_issue)

    @cached_property
    def bulk(self) -> JiraBulk:
        """Cloud's bulk edits (:mod:`okrsync.jira.bulk`), on this client; whether okrsync may use them
        is one ``mypermissions`` read (:meth:`JiraAdmin.permissions`) of BULK_CHANGE."""
        return JiraBulk(
            self._client,
            lambda: self.fields,
            lambda name: self.admin.permissions(name)[name],
            sleep=self._bulk_sleep,
            clock=self._bulk_clock,
        )

    @cached_property
    def bulk_properties(self) -> JiraBulkProperties:
        """Cloud's bulk issue properties (:mod:`okrsync.jira.bulk_properties`), on this client."""
        return JiraBulkProperties(self._client, sleep=self._bulk_sleep, clock=self._bulk_clock)

    # ------------------------------------------------------------------ the client's facts

    @property
    def base_url(self) -> str:
        return self._client.base_url

    @property
    def stats(self) -> RequestStats:
        return self._client.stats

    @property
    def flavor(self) -> Flavor:
        """``cloud`` or ``datacenter``: as configured, or from serverInfo's ``deploymentType``."""
        return self._client.flavor

    @property
    def api(self) -> str:
        return self._client.api

    def server_info(self) -> dict[str, Any]:
        """``GET /rest/api/2/serverInfo`` (v2 exists on both flavors), cached."""
        return self._client.server_info()

    def require_credential(self) -> None:
        """Raise :class:`~okrsync.jira.errors.MissingCredentialError` when no configured credential
        can work, without a request (see :meth:`JiraClient.require_credential`)."""
        self._client.require_credential()

    # ------------------------------------------------------------------ identity

    def myself(self) -> dict[str, Any]:
        with self._client.lock:
            if self._myself is None:
                self._myself = self._client.json(
                    self._client.call(
                        "GET", "/rest/api/{v}/myself", operation="read the current user", permission=""
                    )
                )
            return self._myself

    # ------------------------------------------------------------------ fields

    @property
    def fields(self) -> FieldRegistry:
        """The field registry, from one ``GET /rest/api/{v}/field`` per gateway."""
        with self._client.lock:
            if self._fields is None:
                self._fields = self.refresh_fields()
            return self._fields

    def refresh_fields(self) -> FieldRegistry:
        """Re-read the field list (after ``okrsync setup`` created fields)."""
        raw = self._client.json_any(
            self._client.call("GET", "/rest/api/{v}/field", operation="list the fields", permission=BROWSE)
        )
        registry = FieldRegistry(raw if isinstance(raw, list) else [])
        with self._client.lock:
            self._fields = registry
        return registry

    def _forget_fields(self) -> None:
        """Re-read the field list on next use (a field was created)."""
        with self._client.lock:
            self._fields = None

    # ------------------------------------------------------------------ searches

    def search(
        self,
        jql: str,
        fields: Sequence[str],
        *,
        expand: Sequence[str] = (),
        properties: Sequence[str] = (),
        page_size: int | None = None,
        reconcile: Sequence[int] = (),
    ) -> Iterator[dict[str, Any]]:
        """Every issue matching ``jql``, paging transparently (see :meth:`JiraSearch.search`);
        ``reconcile``: ids (≤ 50) Cloud must show as they are now, not as its search index has them."""
        return self._search.search(
            jql, fields, expand=expand, properties=properties, page_size=page_size, reconcile=reconcile
        )

    def search_keys(self, jql: str, *, reconcile: Sequence[int] = ()) -> Iterator[str]:
        """The keys of every issue matching ``jql``, in the largest pages Jira allows."""
        for issue in self.search(jql, ["key"], reconcile=reconcile):
            key = issue.get("key") or (issue.get("fields") or {}).get("key")
            if key:
                yield str(key)

    def count(self, jql: str) -> int:
        """How many issues match ``jql``: one request (see :meth:`JiraSearch.count`)."""
        return self._search.count(jql)

    @property
    def matches_jql(self) -> bool:
        """Whether :meth:`match_jql` is there (Cloud's ``POST /rest/api/3/jql/match``)."""
        return self.flavor == "cloud"

    def match_jql(self, issue_ids: Sequence[int], jqls: Sequence[str]) -> list[JqlMatch]:
        """Which of ``issue_ids`` each of ``jqls`` matches (:mod:`okrsync.jira.jql_match`; Cloud)."""
        return match_jql(self._client, issue_ids, jqls)

    @property
    def search_returns_properties(self) -> bool:
        """Whether :meth:`search` gets issue properties in the search itself (Cloud) or per issue (DC)."""
        return self._search.returns_properties

    @property
    def search_warnings(self) -> list[str]:
        """Data Center's ``warningMessages`` of every search so far (see :class:`JiraSearch`)."""
        return self._search.warnings

    def search_warning_mark(self) -> int:
        """A mark for :meth:`search_warnings_since`: how many search warnings there have been."""
        return self._search.warning_mark()

    def search_warnings_since(self, mark: int) -> list[str]:
        """The search warnings Jira gave after ``mark`` (from :meth:`search_warning_mark`)."""
        return self._search.warnings_since(mark)

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
        return self._client.json(
            self._client.call(
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

        ``notifyUsers=false`` needs Administer Jira or Administer projects. Without it Cloud
        ignores it ("If the user doesn't have the necessary permission the request is ignored":
        the edit is made and notifies the watchers,
        https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/#api-rest-api-3-issue-issueidorkey-put);
        Data Center refuses the edit, 403 "if the user doesn't have permissions to disable users
        notification" (DC 10.3 spec, PUT /api/2/issue/{issueIdOrKey}). ``okrsync check`` says up
        front which one a site will do (:mod:`okrsync.provision.check`).
        """
        if not fields:
            return
        self._client.call(
            "PUT",
            "/rest/api/{v}/issue/{key}",
            path={"key": key},
            params={"notifyUsers": "true" if notify else "false"},
            body={"fields": dict(fields)},
            operation=f"edit {key}",
            permission=EDIT if notify or self.flavor == "cloud" else f"{EDIT}, and {SILENT_EDIT}",
            key=key,
        )

    # ------------------------------------------------------------------ comments

    def render(self, doc: Doc) -> Any:
        """The comment body for this flavor: ADF (Cloud, v3) or wiki markup (Data Center, v2)."""
        return to_adf(doc) if self.flavor == "cloud" else to_wiki(doc)

    def comments(self, key: str, *, properties: bool = False) -> list[dict[str, Any]]:
        """All comments of an issue, every page (``GET …/issue/{key}/comment``).

        With ``properties``, the comments that carry okrsync's footer (:data:`COMMENT_FOOTER`) get
        their ``okrsync`` property as ``comment["properties"] = [{"key", "value"}]``, read the way
        each dialect documents it (see :meth:`_read_comment_properties`); the others are not asked
        about: okrsync's property is only on okrsync's comments, and they all carry the footer.
        """
        out = self._comment_pages(key)
        if properties:
            marked = [c for c in out if COMMENT_FOOTER in plain_text(c.get("body"))]
            self._read_comment_properties(key, marked)
        return out

    def _comment_pages(self, key: str) -> list[dict[str, Any]]:
        # the documented expand of this operation is renderedBody only (both dialects): properties
        # are not asked for here
        out: list[dict[str, Any]] = []
        start = 0
        while True:
            params: dict[str, Any] = {"startAt": start, "maxResults": COMMENT_PAGE}
            data = self._client.json(
                self._client.call(
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

    def _read_comment_properties(self, key: str, comments: Sequence[dict[str, Any]]) -> None:
        """Put okrsync's comment property on each of ``comments`` (``[]`` where it has none).

        Cloud: ``POST /rest/api/3/comment/list?expand=properties`` with ``{"ids": [...]}``, at most
        1000 ids a request ("Returned if the request contains more than 1000 IDs"; the expand
        "``properties`` Returns the comment's properties"): one request for an issue's comments.
        Data Center has no such operation and documents no properties expand: one
        ``GET /rest/api/2/comment/{id}/properties/okrsync`` per comment, 404 when it has none.
        """
        if not comments:
            return
        if self.flavor != "cloud":
            for comment in comments:
                value = self.comment_property(str(comment.get("id")), COMMENT_PROPERTY, issue_key=key)
                comment["properties"] = [] if value is None else [{"key": COMMENT_PROPERTY, "value": value}]
            return
        by_id = {str(c.get("id")): c for c in comments}
        ids = [i for i in by_id if i.isdigit()]
        for start in range(0, len(ids), COMMENT_LIST_IDS):
            chunk = ids[start : start + COMMENT_LIST_IDS]
            data = self._client.json(
                self._client.call(
                    "POST",
                    "/rest/api/3/comment/list",
                    params={"expand": "properties"},
                    body={"ids": [int(i) for i in chunk]},
                    idempotent=True,  # it only reads
                    operation=f"read the properties of {len(chunk)} comments on {key}",
                    permission=BROWSE,
                    key=key,
                )
            )
            for listed in data.get("values") or []:
                found = by_id.get(str(listed.get("id"))) if isinstance(listed, dict) else None
                if found is not None:
                    props = listed.get("properties")
                    found["properties"] = (
                        [p for p in props if isinstance(p, dict)] if isinstance(props, list) else []
                    )
        for comment in comments:
            comment.setdefault("properties", [])

    def comment_property(self, comment_id: str, prop: str, *, issue_key: str | None = None) -> Any | None:
        """``GET /rest/api/{v}/comment/{id}/properties/{prop}``: the value, ``None`` when not set (404)."""
        resp = self._client.call(
            "GET",
            "/rest/api/{v}/comment/{id}/properties/{prop}",
            path={"id": comment_id, "prop": prop},
            operation=f"read property {prop} of comment {comment_id}",
            permission=BROWSE,
            key=issue_key or comment_id,
            none_on_404=True,
        )
        if resp is None:
            return None
        body = self._client.json(resp)
        return body.get("value") if isinstance(body, dict) else None

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
        created = self._client.json(
            self._client.call(
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

    def update_comment(
        self,
        key: str,
        comment_id: str,
        body: Doc,
        *,
        notify: bool = True,
        properties: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """``PUT /rest/api/{v}/issue/{key}/comment/{id}`` with the new body.

        Cloud notifies watchers of an edited comment unless ``notifyUsers=false``
        (https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-comments/
        #api-rest-api-3-issue-issueidorkey-comment-id-put); Data Center has no such parameter.

        On Cloud, ``properties`` go in the same request (the ``Comment`` schema: "A list of comment
        properties. Optional on create and update."), so the body and its marker land together or
        not at all; on Data Center they are set right after, one PUT each (as for a new comment).
        """
        params = {"notifyUsers": "false"} if not notify and self.flavor == "cloud" else None
        payload: dict[str, Any] = {"body": self.render(body)}
        cloud = self.flavor == "cloud"
        if properties and cloud:
            payload["properties"] = [{"key": k, "value": v} for k, v in properties.items()]
        updated = self._client.json(
            self._client.call(
                "PUT",
                "/rest/api/{v}/issue/{key}/comment/{id}",
                path={"key": key, "id": comment_id},
                params=params,
                body=payload,
                operation=f"update comment {comment_id} on {key}",
                permission=EDIT_COMMENTS,
                key=key,
            )
        )
        if properties and not cloud:
            for prop, value in properties.items():
                self.set_comment_property(comment_id, prop, value)
        return updated

    def set_comment_property(self, comment_id: str, prop: str, value: Any) -> None:
        """``PUT /rest/api/{v}/comment/{id}/properties/{prop}``, the body being the raw JSON value."""
        self._client.call(
            "PUT",
            "/rest/api/{v}/comment/{id}/properties/{prop}",
            path={"id": comment_id, "prop": prop},
            body=value,
            operation=f"set property {prop} of comment {comment_id}",
            permission=EDIT_COMMENTS,
            key=comment_id,
        )

    # ------------------------------------------------------------------ issue properties

    def issue_property(self, key: str, prop: str) -> Any | None:
        """``GET /rest/api/{v}/issue/{key}/properties/{prop}``: the property's value, ``None`` when the
        issue has none (404). Data Center searches cannot return properties; this reads one."""
        resp = self._client.call(
            "GET",
            "/rest/api/{v}/issue/{key}/properties/{prop}",
            path={"key": key, "prop": prop},
            operation=f"read property {prop} of {key}",
            permission=BROWSE,
            key=key,
            none_on_404=True,
        )
        if resp is None:
            return None
        body = self._client.json(resp)
        return body.get("value") if isinstance(body, dict) else None

    def set_issue_property(self, key: str, prop: str, value: Any) -> None:
        """``PUT /rest/api/{v}/issue/{key}/properties/{prop}``, the body being the raw JSON value.

        https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-properties/
        #api-rest-api-3-issue-issueidorkey-properties-propertykey-put (200 updated, 201 created).
        """
        self._client.call(
            "PUT",
            "/rest/api/{v}/issue/{key}/properties/{prop}",
            path={"key": key, "prop": prop},
            body=value,
            operation=f"set property {prop} of {key}",
            permission=EDIT,
            key=key,
        )
