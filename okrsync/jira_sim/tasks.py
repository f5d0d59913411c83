"""The simulator's queue of asynchronous tasks (Cloud bulk operations), one per store.

Cloud's ``POST /rest/api/3/bulk/issues/fields`` answers ``201 {"taskId"}`` and does its work in the
background; ``GET /rest/api/3/bulk/queue/{taskId}`` shows ``ENQUEUED``/``RUNNING`` with a
``progressPercent``, then ``COMPLETE`` with ``processedAccessibleIssues`` (the ids edited),
``failedAccessibleIssues`` (id → reasons), ``invalidOrInaccessibleIssueCount`` and
``totalIssueCount`` (spec: ``BulkOperationProgress``). The simulator applies the edits when the task
is submitted and reports it ``RUNNING`` for ``polls_running`` polls first (default 0: the first
poll sees it complete), so that a client's polling and a crash between submit and poll are
testable. ``properties/multi``'s tasks (:class:`Job`, read at ``GET /rest/api/3/task/{taskId}``)
share its ids and ``polls_running``. The queue also holds who may bulk change (the global *Bulk
change* permission, granted to every account unless revoked with :func:`revoke_bulk_change`).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

if TYPE_CHECKING:
    from okrsync.jira_sim.simulator import JiraSimulator
    from okrsync.jira_sim.store import Json, Store


@dataclass
class Task:
    task_id: str
    submitted_by: str
    created: str
    total: int
    processed: list[int] = field(default_factory=list)
    failed: dict[str, list[str]] = field(default_factory=dict)
    invalid: int = 0
    polls_left: int = 0
    polled: int = 0
    status: str = "COMPLETE"
    """What the task ends as (``FAILED``: the fault ``fail_tasks``, nothing written)."""


@dataclass
class Job:
    """A long-running task of ``GET /rest/api/3/task/{taskId}`` (``TaskProgressBeanObject``): its
    work is done at submit, its ``result`` any JSON (the spec documents none for properties/multi)."""

    task_id: str
    description: str
    submitted_by: str
    submitted: int
    """Epoch milliseconds, as the bean's timestamps are."""
    status: str = "COMPLETE"
    result: Any = None
    polls_left: int = 0


@dataclass
class TaskQueue:
    tasks: dict[str, Task] = field(default_factory=dict)
    next_id: int = 10000
    polls_running: int = 0
    """How many polls of a new task show it ``RUNNING`` before it shows ``COMPLETE``."""
    bulk_change_denied: set[str] = field(default_factory=set)
    """Account ids without the global Bulk change permission."""
    submitted: int = 0
    jobs: dict[str, Job] = field(default_factory=dict)
    """The tasks ``GET /rest/api/3/task/{taskId}`` answers (``properties/multi``'s)."""

    def add_job(self, job: Job) -> Job:
        job.polls_left = self.polls_running
        self.jobs[job.task_id] = job
        self.submitted += 1
        return job

    def add(self, task: Task) -> Task:
        task.polls_left = self.polls_running
        self.tasks[task.task_id] = task
        self.submitted += 1
        return task

    def new_id(self) -> str:
        self.next_id += 1
        return str(self.next_id)


_QUEUES: WeakKeyDictionary[Store, TaskQueue] = WeakKeyDictionary()
_LOCK = threading.Lock()


def queue_of(store: Store) -> TaskQueue:
    """The task queue of ``store`` (a fresh store, after a reset, has an empty one)."""
    with _LOCK:
        queue = _QUEUES.get(store)
        if queue is None:
            queue = _QUEUES[store] = TaskQueue()
        return queue


def may_bulk_change(store: Store, user: Json) -> bool:
    return str(user.get("accountId")) not in queue_of(store).bulk_change_denied


def revoke_bulk_change(sim: JiraSimulator, account_id: str | None = None) -> None:
    """Take the global Bulk change permission from ``account_id`` (default: the demo account)."""
    from okrsync.jira_sim.simulator import catalog_demo_account

    queue_of(sim.store).bulk_change_denied.add(account_id or catalog_demo_account())


def set_task_polls(sim: JiraSimulator, polls_running: int) -> None:
    """Show each new task ``RUNNING`` for this many polls before ``COMPLETE``."""
    queue_of(sim.store).polls_running = polls_running


def job_progress(job: Job, api: str) -> dict[str, Any]:
    """One ``GET /rest/api/3/task/{taskId}`` answer (``TaskProgressBeanObject``: ``submittedBy`` is
    an int64 there, which a Cloud account id is not; the simulator answers 10000, as the example)."""
    body: dict[str, Any] = {
        "self": f"{api}/task/{job.task_id}",
        "id": job.task_id,
        "description": job.description,
        "submittedBy": 10000,
        "submitted": job.submitted,
        "started": job.submitted,
        "lastUpdate": job.submitted,
        "elapsedRuntime": 0,
    }
    if job.polls_left > 0:
        job.polls_left -= 1
        return {**body, "status": "RUNNING", "progress": 50}
    return {**body, "status": job.status, "progress": 100, "finished": job.submitted, "result": job.result}


def progress(task: Task) -> dict[str, Any]:
    """One poll's answer (``BulkOperationProgress``; its timestamps are date-time strings)."""
    task.polled += 1
    body: dict[str, Any] = {
        "taskId": task.task_id,
        "submittedBy": {"accountId": task.submitted_by},
        "created": task.created,
        "started": task.created,
        "updated": task.created,
    }
    if task.polls_left > 0:
        task.polls_left -= 1
        return {**body, "status": "RUNNING", "progressPercent": 50}
    return {
        **body,
        "status": task.status,
        "progressPercent": 100,
        "processedAccessibleIssues": list(task.processed),
        "failedAccessibleIssues": {k: list(v) for k, v in task.failed.items()},
        "invalidOrInaccessibleIssueCount": task.invalid,
        "totalIssueCount": task.total,
    }
