"""The backfill's reads: Jira's statuses and the changelogs of many issues, per dialect."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from okrsync.jira.client import BROWSE, JiraClient

BULK_CHANGELOG_ISSUES = 1000  # changelog/bulkfetch: up to 1000 issues and 10 field ids a request
BULK_CHANGELOG_FIELDS = 10


class JiraHistory:
    """Statuses and changelogs, on the gateway's client; ``get_issue`` reads one issue (Data Center
    returns a whole changelog with ``expand=changelog``)."""

    def __init__(self, client: JiraClient, get_issue: Callable[..., dict[str, Any]]) -> None:
        self._client = client
        self._get_issue = get_issue

    def statuses(self) -> list[dict[str, Any]]:
        """Every status with its category: ``GET /rest/api/{v}/status`` (one request).

        https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-workflow-statuses/
        #api-rest-api-3-status-get — items ``{"id", "name", "statusCategory": {"key", ...}}``.
        """
        raw = self._client.json_any(
            self._client.call("GET", "/rest/api/{v}/status", operation="list the statuses", permission=BROWSE)
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
        if self._client.flavor != "cloud":
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
                data = self._client.json(
                    self._client.call(
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
        if self._client.flavor == "cloud":
            return self._client.paged_values(
                "/rest/api/3/issue/{key}/changelog", {"key": key}, f"read the changelog of {key}", BROWSE
            )
        data = self._get_issue(key, ["key"], expand=("changelog",))
        log_ = data.get("changelog")
        histories = log_.get("histories") if isinstance(log_, dict) else None
        return [h for h in histories if isinstance(h, dict)] if isinstance(histories, list) else []
