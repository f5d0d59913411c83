"""Cloud's bulk issue properties: each issue its own property values, up to 100 issues a request.

``POST /rest/api/3/issue/properties/multi`` (Cloud platform spec, ``bulkSetIssuePropertiesByIssue``,
``MultiIssueEntityProperties``): ``{"issues": [{"issueID": int64, "properties": {key: value}}]}``,
"Up to 10 entity properties can be specified for each issue and up to 100 issues included in the
request", each value at most 32,768 characters; permissions Browse projects and Edit issues per
issue's project (no global permission). It is

* asynchronous: the answer is **303** with a ``Location`` to ``GET /rest/api/3/task/{taskId}``
  (``TaskProgressBeanObject``: ``ENQUEUED``/``RUNNING`` until ``COMPLETE``, ``FAILED``,
  ``CANCELLED`` or ``DEAD``). The client does not follow it (that GET would be neither paced nor
  counted); the task is read here, with the bulk edit's backoff. Get task needs "Administer Jira"
  or being the "Creator of the task" (okrsync is), and its details are kept 14 days;
* non-transactional: "Updating some entities may fail. Such information will available in the task
  result", whose shape the spec does not document; and "if an issue is not found, it is ignored".

So what landed is read back: ``POST /rest/api/3/issue/bulkfetch`` (``BulkFetchIssueRequestBean``:
up to 100 ``issueIdsOrKeys``, ``properties`` "A maximum of 5 issue property keys", ``fields``
default ``*navigable``, so okrsync asks for ``id`` only), a direct read of the issues, not the
search index. An issue counts as written when every property read back equals what was sent.
Data Center has neither operation.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from okrsync.jira.bulk import POLL_DEADLINE, poll_task
from okrsync.jira.client import BROWSE, EDIT, JiraClient
from okrsync.jira.errors import JiraAuthError, JiraError, JiraUnavailable

log = logging.getLogger(__name__)

MAX_ISSUES = 100
MAX_PROPERTIES = 10
MAX_READ_PROPERTIES = 5
TASK_PERMISSION = "Administer Jira, or being the task's creator"
_TASK_ID = re.compile(r"/task/([^/?#]+)/?(?:[?#].*)?$")


@dataclass(frozen=True, slots=True)
class PropertiesResult:
    """What a :meth:`JiraBulkProperties.set_many` call did: the issue ids whose every property value
    reads back as sent, the requests it made, and each task's last status."""

    written: frozenset[str] = frozenset()
    batches: int = 0
    """``properties/multi`` requests Jira accepted."""
    tasks: Mapping[str, str] = field(default_factory=dict)
    """Task id → its last status (``""``: unreadable)."""


def task_id_of(location: str | None) -> str:
    """The task id at the end of a ``Location`` (``…/rest/api/3/task/{taskId}``)."""
    match = _TASK_ID.search(location or "")
    if match is None:
        raise JiraError(f"Jira accepted a bulk property update without a task Location ({location!r})")
    return match.group(1)


class JiraBulkProperties:
    """``gateway.bulk_properties``: set properties on many issues at once (Cloud)."""

    def __init__(
        self,
        client: JiraClient,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._sleep = sleep
        self._clock = clock

    def available(self) -> bool:
        """Cloud (the operation needs Browse and Edit issues only, as the per-issue PUT does)."""
        return self._client.flavor == "cloud"

    def submit(self, values: Mapping[str, Mapping[str, Any]]) -> str:
        """One ``POST /rest/api/3/issue/properties/multi`` of ``values`` (issue id → property key →
        value); returns its task id. Repeating it sets the same values again: retried as idempotent."""
        if not 0 < len(values) <= MAX_ISSUES or not all(
            0 < len(p) <= MAX_PROPERTIES for p in values.values()
        ):
            raise ValueError(f"a bulk property update takes 1-{MAX_ISSUES} issues, 1-{MAX_PROPERTIES} each")
        body = {"issues": [{"issueID": int(i), "properties": dict(p)} for i, p in values.items()]}
        resp = self._client.call(
            "POST",
            "/rest/api/3/issue/properties/multi",
            body=body,
            idempotent=True,
            see_other=True,
            operation=f"set the properties of {len(values)} issues",
            permission=f"{BROWSE} and {EDIT}",
        )
        return task_id_of(resp.headers.get("Location") if resp is not None else None)

    def poll(self, task_id: str, *, deadline: float = POLL_DEADLINE) -> Mapping[str, Any]:
        """``GET /rest/api/3/task/{taskId}`` until the task is done (:func:`okrsync.jira.bulk.poll_task`);
        after ``deadline`` seconds the last answer as it is."""
        return poll_task(
            self._client,
            "/rest/api/3/task/{id}",
            task_id,
            operation=f"read task {task_id}",
            permission=TASK_PERMISSION,
            sleep=self._sleep,
            clock=self._clock,
            deadline=deadline,
        )

    def read(self, issue_ids: Sequence[str], keys: Sequence[str]) -> dict[str, dict[str, Any]]:
        """One ``POST /rest/api/3/issue/bulkfetch``: issue id → its properties among ``keys``, for
        the issues Jira returns (one not found or not visible is left out)."""
        if not 0 < len(issue_ids) <= MAX_ISSUES or not 0 < len(keys) <= MAX_READ_PROPERTIES:
            raise ValueError(f"a bulk fetch takes 1-{MAX_ISSUES} issues, 1-{MAX_READ_PROPERTIES} properties")
        data = self._client.json(
            self._client.call(
                "POST",
                "/rest/api/3/issue/bulkfetch",
                body={"issueIdsOrKeys": list(issue_ids), "fields": ["id"], "properties": list(keys)},
                idempotent=True,
                operation=f"read the properties of {len(issue_ids)} issues",
                permission=BROWSE,
            )
        )
        out: dict[str, dict[str, Any]] = {}
        for issue in data.get("issues") or []:
            if isinstance(issue, Mapping) and issue.get("id") is not None:
                props = issue.get("properties")
                out[str(issue["id"])] = dict(props) if isinstance(props, Mapping) else {}
        return out

    def set_many(self, values: Mapping[str, Mapping[str, Any]]) -> PropertiesResult:
        """Set ``values`` (issue id → property key → value) in batches of 100 issues: every batch
        submitted first, then every task polled, then every batch read back. An issue is written
        when each of its values reads back as sent, whatever the task said; a batch Jira refuses, or
        whose read fails, is not (the caller writes those one by one). ``JiraAuthError`` and
        ``JiraUnavailable`` propagate: the per-issue path meets them too."""
        ids = list(values)
        batches = [ids[i : i + MAX_ISSUES] for i in range(0, len(ids), MAX_ISSUES)]
        submitted: list[tuple[list[str], str]] = []
        for batch in batches:
            try:
                submitted.append((batch, self.submit({i: values[i] for i in batch})))
            except (JiraAuthError, JiraUnavailable):
                raise
            except JiraError as exc:
                log.warning(
                    "bulk property update of %d issues refused, per issue instead: %s", len(batch), exc
                )
        tasks: dict[str, str] = {}
        for _batch, task in submitted:
            try:
                data = self.poll(task)
            except (JiraAuthError, JiraUnavailable):
                raise
            except JiraError as exc:
                log.warning("task %s unreadable, its issues are read back: %s", task, exc)
                tasks[task] = ""
                continue
            tasks[task] = str(data.get("status") or "")
            if tasks[task] != "COMPLETE" or data.get("result"):
                log.info("task %s ended %s: %s", task, tasks[task] or "unfinished", data.get("result"))
        written: set[str] = set()
        for batch, _task in submitted:
            keys = sorted({k for i in batch for k in values[i]})
            try:
                read: dict[str, dict[str, Any]] = {}
                for start in range(0, len(keys), MAX_READ_PROPERTIES):
                    for ident, props in self.read(batch, keys[start : start + MAX_READ_PROPERTIES]).items():
                        read.setdefault(ident, {}).update(props)
            except (JiraAuthError, JiraUnavailable):
                raise
            except JiraError as exc:
                log.warning(
                    "reading back %d issues' properties failed, per issue instead: %s", len(batch), exc
                )
                continue
            written.update(i for i in batch if _landed(values[i], read.get(i, {})))
        return PropertiesResult(frozenset(written), len(submitted), tasks)


def _landed(sent: Mapping[str, Any], read: Mapping[str, Any]) -> bool:
    """Every value sent reads back equal (as JSON: a tuple sent is a list read)."""
    return all(k in read and read[k] == json.loads(json.dumps(v)) for k, v in sent.items())
