"""Cloud's bulk edit: ``POST /rest/api/3/bulk/issues/fields`` and ``GET /rest/api/3/bulk/queue/{taskId}``.

From the Cloud platform spec (``IssueBulkEditPayload``, ``BulkOperationProgress``):

* "A single request can accommodate a maximum of 1000 issues (including subtasks) and 200 fields"
  (more: 400 with ``BulkOperationErrorResponse``, ``{"errors": [{"message"}]}``).
* ``selectedActions`` lists every field id edited and ``editedFieldsInput`` holds their values by
  field type (``clearableNumberFields``, ``singleLineTextFields``, ``richTextFields``,
  ``labelsFields``, ``singleSelectFields``); a field in one and not the other is refused ("The
  following editedFieldInput values are not listed as selectedActions : issuetype", the spec's
  example).
* Needs the global *Bulk change* permission (403 without), Browse and Edit issues in the issues'
  projects; an issue that cannot be edited fails in the task's result
  (``failedAccessibleIssues``: id → reasons), not the whole request; an issue that does not exist
  or cannot be seen counts in ``invalidOrInaccessibleIssueCount``.
* Asynchronous: 201 ``{"taskId"}``; the queue (:mod:`okrsync.jira_sim.tasks`) answers its progress.

Only the field types okrsync writes are implemented; another type is refused with a 400 that says
so (the simulator never pretends to have applied what it cannot).
"""

from __future__ import annotations

from typing import Any

from okrsync.jira_sim.errors import ApiError
from okrsync.jira_sim.routing import Request, Response, route
from okrsync.jira_sim.tasks import Task, may_bulk_change, progress, queue_of
from okrsync.jira_sim.timeutil import fmt

MAX_ISSUES = 1000
MAX_FIELDS = 200
LABEL_OPTIONS = ("ADD", "REMOVE", "REPLACE", "REMOVE_ALL")


def _refuse(status: int, message: str) -> Response:
    return Response(status, {"errors": [{"message": message}]})


def _labels(item: dict[str, Any], current: Any) -> list[str]:
    names = [str(x.get("name")) for x in item.get("labels") or [] if isinstance(x, dict)]
    have = [str(x) for x in current] if isinstance(current, list) else []
    option = item.get("bulkEditMultiSelectFieldOption")
    if option == "REPLACE":
        return names
    if option == "ADD":
        return have + [n for n in names if n not in have]
    if option == "REMOVE":
        return [h for h in have if h not in names]
    return []  # REMOVE_ALL


def _values(edited: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    """field id → (its input type, its item), refusing a type the simulator does not implement."""
    out: dict[str, tuple[str, dict[str, Any]]] = {}
    for kind, items in edited.items():
        if kind not in (
            "clearableNumberFields",
            "singleLineTextFields",
            "richTextFields",
            "labelsFields",
            "singleSelectFields",
        ):
            raise ApiError(400, f"The simulator does not implement bulk edits of {kind}.")
        for item in items if isinstance(items, list) else []:
            if isinstance(item, dict) and isinstance(item.get("fieldId"), str):
                out[item["fieldId"]] = (kind, item)
    return out


def _put_value(kind: str, item: dict[str, Any], current: Any) -> Any:
    """What ``PUT /issue`` would be sent for this bulk input ("To clear, …" per the spec)."""
    if kind == "clearableNumberFields":
        return item.get("value")
    if kind == "singleLineTextFields":
        return item.get("text") or None
    if kind == "richTextFields":
        adf = (item.get("richText") or {}).get("adfValue")
        return adf or None
    if kind == "singleSelectFields":
        option = (item.get("option") or {}).get("optionId")
        return None if option in (None, -1) else {"id": str(option)}
    return _labels(item, current)


@route("POST", "/rest/api/{ver}/bulk/issues/fields", flavors=("cloud",))
def bulk_edit(req: Request) -> Response:
    body = req.json_object()
    if not may_bulk_change(req.store, req.me):
        return _refuse(403, "You don't have the global Bulk Change permission required for this operation.")
    issues = [str(i) for i in body.get("selectedIssueIdsOrKeys") or []]
    actions = [str(a) for a in body.get("selectedActions") or []]
    if not issues:
        return _refuse(400, "selectedIssueIdsOrKeys must not be empty.")
    if len(set(issues)) > MAX_ISSUES:
        return _refuse(400, f"A maximum of {MAX_ISSUES} issues can be edited in one bulk edit.")
    if len(set(actions)) > MAX_FIELDS:
        return _refuse(400, f"A maximum of {MAX_FIELDS} fields can be edited in one bulk edit.")
    values = _values(body.get("editedFieldsInput") or {})
    unlisted = sorted(set(values) - set(actions))
    if unlisted:
        return _refuse(
            400,
            "The following editedFieldInput values are not listed as selectedActions : "
            + ", ".join(unlisted),
        )
    missing = sorted(set(actions) - set(values))
    if missing:
        return _refuse(
            400, f"The following selectedActions have no editedFieldInput value : {', '.join(missing)}"
        )
    queue = queue_of(req.store)
    task = Task(queue.new_id(), str(req.me.get("accountId")), fmt(req.store.now()), len(issues))
    if req.sim.faults.task_fails():  # the fault fail_tasks: the task fails, nothing written
        task.status = "FAILED"
        issues = []
    for ref in dict.fromkeys(issues):
        try:
            issue = req.store.get_issue(ref)
        except ApiError:
            task.invalid += 1
            continue
        if req.sim.faults.forbidden(issue["key"]):  # the fault key_forbidden_issues: not visible
            task.invalid += 1
            continue
        if req.sim.faults.task_fails_on(issue["key"]):  # the fault task_failed_issues
            task.failed[str(issue["id"])] = ["An injected fault."]
            continue
        current = issue.get("fields") or {}
        put = {fid: _put_value(kind, item, current.get(fid)) for fid, (kind, item) in values.items()}
        try:
            req.store.edit_issue(issue["key"], {"fields": put}, req.me, api_version="3")
        except ApiError as exc:
            reasons = list(exc.messages) + [f"{k}: {v}" for k, v in exc.errors.items()]
            task.failed[str(issue["id"])] = reasons or [str(exc)]
            continue
        task.processed.append(int(issue["id"]))
    queue.add(task)
    return Response(201, {"taskId": task.task_id})


@route("GET", "/rest/api/{ver}/bulk/queue/{taskId}", flavors=("cloud",))
def bulk_queue(req: Request) -> Response:
    if not may_bulk_change(req.store, req.me):
        return _refuse(403, "You don't have the global Bulk Change permission required for this operation.")
    task = queue_of(req.store).tasks.get(req.params["taskId"])
    if task is None:
        return Response(
            400,
            {"errors": [{"message": "The task associated with this taskId is not a bulk operation task"}]},
        )
    return Response(200, progress(task))
