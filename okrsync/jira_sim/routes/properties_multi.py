"""Cloud's bulk issue properties: ``POST /rest/api/{2,3}/issue/properties/multi`` and its task,
``GET /rest/api/{2,3}/task/{taskId}``.

From the Cloud platform spec (``bulkSetIssuePropertiesByIssue``, ``MultiIssueEntityProperties``,
``getTask``, ``TaskProgressBeanObject``):

* "Up to 10 entity properties can be specified for each issue and up to 100 issues included in the
  request"; "The maximum length of an issue property value is 32768 characters" (more: 400, the
  whole request). The body is ``{"issues": [{"issueID": int64, "properties": {key: any JSON}}]}``.
* Asynchronous: 303 with ``Location`` to Get task; "non-transactional. Updating some entities may
  fail. Such information will available in the task result"; "if an issue is not found, it is
  ignored". Browse and Edit issues per issue: an issue okrsync's account may not edit is not
  written (its failure in the result); one it may not see (the fault ``forbidden_issues``) is
  treated as not found.
* Get task: "either of: Administer Jira, Creator of the task" (403 otherwise), 404 for an unknown
  task; details "retained for 14 days" (the simulator keeps them while it runs).

The spec does not document the task's ``result``; the simulator answers
``{"updated": [ids], "failed": [{"issueID", "errorMessages"}], "ignored": [ids]}``, which okrsync
does not depend on (it reads the values back). The work is done at submit, the task ``RUNNING`` for
``set_task_polls(sim, n)`` polls; the faults ``fail_tasks`` (the task ``FAILED``, nothing written)
and ``task_failed_issues`` (those issues not written) reach it. Data Center has no such route.
"""

from __future__ import annotations

import json
from typing import Any

from okrsync.jira_sim import render
from okrsync.jira_sim.errors import ApiError
from okrsync.jira_sim.routing import Request, Response, route
from okrsync.jira_sim.tasks import Job, job_progress, queue_of

MAX_ISSUES = 100
MAX_PROPERTIES = 10
MAX_VALUE_CHARS = 32768
MAX_KEY_CHARS = 255


def _items(body: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(issue id, properties) of each item, checked as Jira checks the request (a 400 for all)."""
    issues = body.get("issues")
    if not isinstance(issues, list) or not issues:
        raise ApiError(400, "The request must list at least one issue in 'issues'.")
    if len(issues) > MAX_ISSUES:
        raise ApiError(400, f"The number of issues in one request must not exceed {MAX_ISSUES}.")
    out: list[tuple[str, dict[str, Any]]] = []
    for item in issues:
        ident = item.get("issueID") if isinstance(item, dict) else None
        props = item.get("properties") if isinstance(item, dict) else None
        if not isinstance(ident, int) or isinstance(ident, bool):
            raise ApiError(400, "Each issue must have a numeric 'issueID'.")
        if not isinstance(props, dict) or not props:
            raise ApiError(400, f"Issue {ident}: at least one property must be specified.")
        if len(props) > MAX_PROPERTIES:
            raise ApiError(400, f"Issue {ident}: the number of properties must not exceed {MAX_PROPERTIES}.")
        for key, value in props.items():
            if not key or len(key) > MAX_KEY_CHARS:
                raise ApiError(400, f"The property key can not be longer than {MAX_KEY_CHARS} characters.")
            if len(json.dumps(value, separators=(",", ":"), ensure_ascii=False)) > MAX_VALUE_CHARS:
                raise ApiError(
                    400,
                    f"The property '{key}' of issue {ident} exceeds the maximum length of "
                    f"{MAX_VALUE_CHARS} characters.",
                )
        out.append((str(ident), props))
    return out


@route("POST", "/rest/api/{ver}/issue/properties/multi", flavors=("cloud",))
def set_properties_multi(req: Request) -> Response:
    items = _items(req.json_object())
    store, faults = req.store, req.sim.faults
    queue = queue_of(store)
    job = Job(
        queue.new_id(),
        f"Setting the properties of {len(items)} issues",
        str(req.me.get("accountId")),
        int(store.now().timestamp() * 1000),
    )
    result: dict[str, list[Any]] = {"updated": [], "failed": [], "ignored": []}
    if faults.task_fails():
        job.status = "FAILED"
        job.result = {"errorMessages": ["The task failed (an injected fault)."]}
    else:
        for ident, props in items:
            key = store.ids.get(ident)
            if key is None or key not in store.issues or faults.forbidden(key):
                result["ignored"].append(int(ident))  # "if an issue is not found, it is ignored"
                continue
            if faults.task_fails_on(key):
                result["failed"].append({"issueID": int(ident), "errorMessages": ["An injected fault."]})
                continue
            try:
                for pkey, value in props.items():
                    store.set_issue_property(key, pkey, value, req.me)
            except ApiError as exc:
                result["failed"].append({"issueID": int(ident), "errorMessages": exc.messages or [str(exc)]})
                continue
            result["updated"].append(int(ident))
        job.result = result
    queue.add_job(job)
    location = f"{render.api(req.base, req.version)}/task/{job.task_id}"
    return Response(303, None, {"Location": location})


@route("GET", "/rest/api/{ver}/task/{taskId}", flavors=("cloud",))
def get_task(req: Request) -> Response:
    job = queue_of(req.store).jobs.get(req.params["taskId"])
    if job is None:
        raise ApiError(404, f"The task with ID {req.params['taskId']} does not exist.")
    if job.submitted_by != str(req.me.get("accountId")) and not req.store.is_admin(req.me):
        raise ApiError(403, "You must be the creator of the task or a Jira administrator to see it.")
    return Response(200, job_progress(job, render.api(req.base, req.version)))
