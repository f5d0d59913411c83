"""Cloud's bulk edit: the same field values on up to 1000 issues in one asynchronous request.

``POST /rest/api/3/bulk/issues/fields`` (Cloud platform spec, ``IssueBulkEditPayload``):
``{"selectedIssueIdsOrKeys": [...], "selectedActions": [field ids], "editedFieldsInput": {...},
"sendBulkNotification": bool}``; "A single request can accommodate a maximum of 1000 issues
(including subtasks) and 200 fields"; it needs the global *Bulk change* permission besides Browse
and Edit issues. The answer is ``201 {"taskId"}``; ``GET /rest/api/3/bulk/queue/{taskId}`` shows
``ENQUEUED``/``RUNNING`` until ``COMPLETE`` (or ``FAILED``, ``CANCELLED``, ``DEAD``) with
``processedAccessibleIssues`` (ids edited), ``failedAccessibleIssues`` (id → reasons) and
``invalidOrInaccessibleIssueCount``. Data Center has no bulk edit.

``editedFieldsInput`` holds each value under its field type, not as ``PUT /issue`` takes it
(``JiraIssueFields``): a number field in ``clearableNumberFields`` (``value``, ``null`` clears), a
single-line text field in ``singleLineTextFields`` (``text``, "To clear, set `text` to an empty
string"), a paragraph in ``richTextFields`` (``richText.adfValue``; "To clear, use an empty
`richText` object"), a labels field in ``labelsFields`` with ``REPLACE`` ("To clear labels, use the
`REMOVE_ALL` option with an empty `labels` array"). A select list takes an ``optionId`` there,
which okrsync's edits (by option name) do not carry: such an edit stays per issue.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from okrsync.jira.client import BROWSE, EDIT, JiraClient
from okrsync.jira.errors import JiraError, JiraPermissionError
from okrsync.jira.fields import FieldRegistry

MAX_ISSUES = 1000
MAX_FIELDS = 200
BULK_CHANGE = "BULK_CHANGE"
BULK_PERMISSION = "the global Bulk change permission"
POLL_FIRST = 0.05
POLL_MAX = 2.0
POLL_DEADLINE = 300.0
DONE = frozenset({"COMPLETE", "FAILED", "CANCELLED", "DEAD"})

# the custom field types okrsync writes (as in okrsync.core.field_types, which an adapter may not import)
_CF = "com.atlassian.jira.plugin.system.customfieldtypes:"
FLOAT, TEXTFIELD, TEXTAREA, LABELS = (_CF + t for t in ("float", "textfield", "textarea", "labels"))
_INPUT_OF = {
    FLOAT: "clearableNumberFields",
    TEXTFIELD: "singleLineTextFields",
    TEXTAREA: "richTextFields",
    LABELS: "labelsFields",
}


def input_kind(schema: Mapping[str, Any]) -> str | None:
    """The ``editedFieldsInput`` member a custom field of ``schema`` goes in; ``None``: not bulked."""
    custom = schema.get("custom")
    return _INPUT_OF.get(custom) if isinstance(custom, str) else None


def _item(kind: str, field_id: str, value: Any) -> dict[str, Any]:
    if kind == "clearableNumberFields":
        return {"fieldId": field_id, "value": value}
    if kind == "singleLineTextFields":
        return {"fieldId": field_id, "text": "" if value is None else str(value)}
    if kind == "richTextFields":
        return {"fieldId": field_id, "richText": {"adfValue": value} if value else {}}
    labels = [{"name": str(v)} for v in value or []]
    return {
        "fieldId": field_id,
        "bulkEditMultiSelectFieldOption": "REPLACE" if labels else "REMOVE_ALL",
        "labels": labels,
    }


def edited_fields_input(
    fields: Mapping[str, Any], schemas: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any]:
    """``editedFieldsInput`` for ``fields`` (field id → the value ``PUT /issue`` would send);
    ``ValueError`` for a field no bulk input holds."""
    out: dict[str, list[dict[str, Any]]] = {}
    for fid, value in fields.items():
        kind = input_kind(schemas.get(fid, {}))
        if kind is None:
            raise ValueError(f"{fid}: no bulk edit input for its type")
        out.setdefault(kind, []).append(_item(kind, fid, value))
    return out


@dataclass(frozen=True, slots=True)
class BulkResult:
    """A finished task: the issue ids edited, those that failed with Jira's reasons, and the rest."""

    task_id: str
    status: str
    processed: frozenset[str] = frozenset()
    failed: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    invalid: int = 0

    @property
    def complete(self) -> bool:
        return self.status == "COMPLETE"


class JiraBulk:
    """Bulk edits on one client (``gateway.bulk``): submit, poll, and whether this account may."""

    def __init__(
        self,
        client: JiraClient,
        fields: Callable[[], FieldRegistry],
        permissions: Callable[[str], bool],
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._fields = fields
        self._permissions = permissions
        self._sleep = sleep
        self._clock = clock
        self._allowed: bool | None = None

    def available(self) -> bool:
        """Cloud, and okrsync's account has the global Bulk change permission (one
        ``mypermissions`` request per gateway, cached)."""
        if self._client.flavor != "cloud":
            return False
        if self._allowed is None:
            try:
                self._allowed = self._permissions(BULK_CHANGE)
            except JiraPermissionError:
                self._allowed = False
        return self._allowed

    def bulkable(self, field_ids: Sequence[str]) -> bool:
        """Whether every one of ``field_ids`` has a bulk edit input type."""
        registry = self._fields()
        return all(input_kind(registry.schema_of(f)) is not None for f in field_ids)

    def submit(self, issue_ids: Sequence[str], fields: Mapping[str, Any], *, notify: bool) -> str:
        """One ``POST /rest/api/3/bulk/issues/fields``; returns its task id. Repeating it sets the
        same values again, so it is retried like an idempotent request."""
        if not 0 < len(issue_ids) <= MAX_ISSUES or not 0 < len(fields) <= MAX_FIELDS:
            raise ValueError(f"a bulk edit takes 1-{MAX_ISSUES} issues and 1-{MAX_FIELDS} fields")
        registry = self._fields()
        schemas = {fid: registry.schema_of(fid) for fid in fields}
        body = {
            "selectedIssueIdsOrKeys": [str(i) for i in issue_ids],
            "selectedActions": list(fields),
            "editedFieldsInput": edited_fields_input(fields, schemas),
            "sendBulkNotification": notify,
        }
        data = self._client.json(
            self._client.call(
                "POST",
                "/rest/api/3/bulk/issues/fields",
                body=body,
                idempotent=True,
                operation=f"bulk edit {len(issue_ids)} issues",
                permission=f"{BULK_PERMISSION}, {BROWSE} and {EDIT}",
            )
        )
        task_id = data.get("taskId")
        if not task_id:
            raise JiraError("Jira accepted a bulk edit without answering its taskId")
        return str(task_id)

    def poll(self, task_id: str, *, deadline: float = POLL_DEADLINE) -> BulkResult:
        """``GET /rest/api/3/bulk/queue/{taskId}`` until the task is done (:func:`poll_task`); a
        task still running after ``deadline`` seconds comes back with its last status (its issues
        neither done nor failed)."""
        data = poll_task(
            self._client,
            "/rest/api/3/bulk/queue/{id}",
            task_id,
            operation=f"read bulk edit task {task_id}",
            permission=BULK_PERMISSION,
            sleep=self._sleep,
            clock=self._clock,
            deadline=deadline,
        )
        return _result(task_id, str(data.get("status") or ""), data)


def poll_task(
    client: JiraClient,
    template: str,
    task_id: str,
    *,
    operation: str,
    permission: str,
    sleep: Callable[[float], None],
    clock: Callable[[], float],
    deadline: float = POLL_DEADLINE,
) -> dict[str, Any]:
    """GET ``template`` (``{id}``: the task) until its ``status`` is one of :data:`DONE`, waiting
    50 ms, then twice as long each time up to 2 s; after ``deadline`` seconds the last answer as it
    is. Cloud's bulk edit queue and its long-running tasks (``/task/{taskId}``) both answer so."""
    wait = POLL_FIRST
    began = clock()
    while True:
        data = client.json(
            client.call("GET", template, path={"id": task_id}, operation=operation, permission=permission)
        )
        if str(data.get("status") or "") in DONE or clock() - began >= deadline:
            return data
        sleep(wait)
        wait = min(wait * 2, POLL_MAX)


def _result(task_id: str, status: str, data: Mapping[str, Any]) -> BulkResult:
    processed = data.get("processedAccessibleIssues")
    failed = data.get("failedAccessibleIssues")
    invalid = data.get("invalidOrInaccessibleIssueCount")
    return BulkResult(
        task_id,
        status,
        frozenset(str(i) for i in processed) if isinstance(processed, list) else frozenset(),
        {str(k): tuple(str(r) for r in v) if isinstance(v, list) else (str(v),) for k, v in failed.items()}
        if isinstance(failed, Mapping)
        else {},
        invalid if isinstance(invalid, int) else 0,
    )
