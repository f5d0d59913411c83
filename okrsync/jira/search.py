"""JQL searches in both dialects, paging transparently, and the warnings Jira gives about them.

* Cloud: ``POST /rest/api/3/search/jql``, paged by ``nextPageToken``.
* Data Center: ``POST /rest/api/2/search``, paged by ``startAt``, with ``validateQuery: false``
  (the query's errors come back as ``warningMessages``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from okrsync.jira.client import BROWSE, JiraClient

log = logging.getLogger("okrsync.jira.gateway")  # the name it logged under before the split

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
MAX_RECONCILE_ISSUES = 50
"""Cloud's search/jql ``reconcileIssues``: "Accepts max 50 ids" (Cloud platform v3 spec)."""

_KEY_FIELDS = frozenset({"key", "id"})


def _reconcile_ids(ids: Sequence[int]) -> list[int]:
    """``ids`` as ``reconcileIssues`` takes them (int64, at most 50, each once, in order)."""
    out = list(dict.fromkeys(int(i) for i in ids))
    if len(out) > MAX_RECONCILE_ISSUES:
        raise ValueError(
            f"reconcileIssues accepts at most {MAX_RECONCILE_ISSUES} issue ids, not {len(out)}: "
            "choose the ones that matter most"
        )
    return out


def short(text: str, limit: int = 160) -> str:
    """``text`` on one line, cut to ``limit`` characters (for messages naming a query)."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class JiraSearch:
    """JQL searches through one :class:`~okrsync.jira.client.JiraClient`."""

    def __init__(self, client: JiraClient) -> None:
        self._client = client
        self.warnings: list[str] = []
        """Data Center's ``warningMessages`` of every search so far, in order (a search's repeated
        pages add them once); e.g. "An issue with key 'FOO-9' does not exist for field 'key'."; only
        the latest :data:`MAX_SEARCH_WARNINGS` are kept. See :meth:`warnings_since`."""
        self._warnings_total = 0

    @property
    def returns_properties(self) -> bool:
        """Whether :meth:`search` gets issue properties in the search itself (Cloud) or per issue (DC)."""
        return self._client.flavor == "cloud"

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
        """Every issue matching ``jql`` (raw issue JSON with only ``fields``), paging transparently.

        ``properties`` (issue property keys) come back as ``issue["properties"][key]`` on both
        flavors. Data Center's search cannot return properties (JRASERVER-62898), so there they
        cost one ``GET /rest/api/2/issue/{key}?properties=...`` per issue; avoid on large scopes.

        ``reconcile``: numeric ids (at most :data:`MAX_RECONCILE_ISSUES`) of issues that must come
        back as they are now, not as Cloud's lagging search index last saw them (``reconcileIssues``;
        the same list on every page, as the spec asks). Data Center's search is consistent and has no
        such parameter: ignored there.
        """
        wanted = list(fields) or ["key"]
        if self._client.flavor == "cloud":
            ids = _reconcile_ids(reconcile)
            yield from self._search_cloud(jql, wanted, expand, properties, page_size, ids)
            return
        for issue in self._search_dc(jql, wanted, expand, page_size):
            if properties:
                issue["properties"] = self._dc_issue_properties(str(issue.get("key")), properties)
            yield issue

    def _search_cloud(
        self,
        jql: str,
        fields: list[str],
        expand: Sequence[str],
        properties: Sequence[str],
        page_size: int | None,
        reconcile: list[int],
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
        if reconcile:
            # "Recent updates might not be immediately visible in the returned search results. If you
            # need read-after-write consistency, you can utilize the reconcileIssues parameter"
            # (searchAndReconsileIssuesUsingJqlPost); "This list of ids should be consistent with
            # each paginated request across different pages": every page's body carries it.
            body["reconcileIssues"] = reconcile
        token: str | None = None
        seen_tokens: set[str] = set()
        while True:
            page_body = dict(body)
            if token:
                page_body["nextPageToken"] = token
            data = self._client.json(
                self._client.call(
                    "POST",
                    "/rest/api/3/search/jql",
                    body=page_body,
                    idempotent=True,  # a search only reads
                    operation=f"search {short(jql)!r}",
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
        # validateQuery is a boolean on Data Center (SearchRequestBean.validateQuery, default true;
        # Jira DC 10.3 REST spec, operation searchUsingSearchRequest): the old strings "strict" /
        # "warn" / "none" are Cloud's retired /rest/api/2/search and make a DC site refuse the body.
        # false: a query naming an issue key that does not exist (or that the account cannot browse)
        # does not fail whole with 400 ("An issue with key 'FOO-9' does not exist for field
        # 'key'."); the key matches nothing and the message comes back in the response's
        # `warningMessages` (SearchResultsBean), read below. A query that does not parse is still a
        # 400. (Cloud's /search/jql has no such parameter.)
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
                "validateQuery": False,
            }
            if expand:
                body["expand"] = list(expand)
            data = self._client.json(
                self._client.call(
                    "POST",
                    "/rest/api/2/search",
                    body=body,
                    idempotent=True,
                    operation=f"search {short(jql)!r}",
                    permission=BROWSE,
                )
            )
            for message in data.get("warningMessages") or []:
                if isinstance(message, str) and message not in warned:
                    warned.add(message)
                    self._warn(jql, message)
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

    def count(self, jql: str) -> int:
        """How many issues match ``jql``, with Jira's cheapest count: one request, no issue.

        Cloud: ``POST /rest/api/3/search/approximate-count`` (body ``{"jql"}`` only, the JQL must be
        bounded; "an estimated count", "Recent updates might not be immediately visible": Cloud
        platform v3 spec, countIssues). Data Center: ``POST /rest/api/2/search`` with
        ``maxResults: 0``, its ``total`` (consistent); validated strictly (the default), so that a
        query in error is a 400, never a count of what its other clauses match.
        """
        if self._client.flavor == "cloud":
            data = self._client.json(
                self._client.call(
                    "POST",
                    "/rest/api/3/search/approximate-count",
                    body={"jql": jql},
                    idempotent=True,
                    operation=f"count {short(jql)!r}",
                    permission=BROWSE,
                )
            )
            value = data.get("count")
        else:
            data = self._client.json(
                self._client.call(
                    "POST",
                    "/rest/api/2/search",
                    body={"jql": jql, "startAt": 0, "maxResults": 0, "fields": ["key"]},
                    idempotent=True,
                    operation=f"count {short(jql)!r}",
                    permission=BROWSE,
                )
            )
            value = data.get("total")
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"Jira answered the count of {short(jql)!r} without a number: {value!r}")
        return value

    def _dc_issue_properties(self, key: str, properties: Sequence[str]) -> dict[str, Any]:
        data = self._client.json(
            self._client.call(
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

    # ------------------------------------------------------------------ warnings

    def warning_mark(self) -> int:
        """A mark for :meth:`warnings_since`: how many search warnings there have been."""
        with self._client.lock:
            return self._warnings_total

    def warnings_since(self, mark: int) -> list[str]:
        """The search warnings Jira gave after ``mark`` (from :meth:`warning_mark`)."""
        with self._client.lock:
            new = min(self._warnings_total - mark, len(self.warnings))
            return self.warnings[-new:] if new > 0 else []

    def _warn(self, jql: str, message: str) -> None:
        with self._client.lock:
            if len(self.warnings) >= MAX_SEARCH_WARNINGS:
                del self.warnings[: MAX_SEARCH_WARNINGS // 2]
            self.warnings.append(message)
            self._warnings_total += 1
        log.warning("Jira warned about the search %r: %s", short(jql), message)
