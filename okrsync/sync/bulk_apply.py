"""The bulk part of applying a plan: field edits that set the same values on many issues (Cloud).

Before the per-issue loop (:class:`okrsync.sync.apply.Applier`), the plan's field edits are grouped
(:func:`okrsync.core.plan.bulk.group_bulk_edits`); every group is submitted as one bulk edit
(``gateway.bulk``), then every task is polled until it is done. Each issue the task edited is
recorded exactly as a per-issue edit is (the applied records, the mirror, ``touched``, the
outcome's counts); an issue that failed in the task's result, a task that did not complete, or an
issue the task neither edited nor failed is left to the per-issue path in the same run, which
records its error the usual way (and the next run retries it, as any failure). A crash mid-task
records nothing of it: the next plan compares with what Jira shows, and a repeated bulk edit sets
the same values again.

Where bulk edits are not available (Data Center, or an account without the global Bulk change
permission) the edits stay per issue, and a Cloud run says so once.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from okrsync.core.plan import FieldEdit, Plan
from okrsync.core.plan.bulk import BulkEdit, group_bulk_edits
from okrsync.domain.hashing import value_hash
from okrsync.domain.records import AppliedWrite
from okrsync.jira.bulk import BulkResult
from okrsync.jira.errors import JiraAuthError, JiraBadRequest, JiraError, JiraUnavailable
from okrsync.sync.lanes import parallel_map

if TYPE_CHECKING:
    from okrsync.sync.apply import Applier, ApplyOutcome

log = logging.getLogger(__name__)

NO_BULK_CHANGE = (
    "{n} field edits setting the same values went out one issue at a time: okrsync's account lacks "
    "Jira's global Bulk change permission (grant it to write them in {b} bulk edits)"
)


def _issue_id(raw: Mapping[str, Any] | None) -> str | None:
    ident = raw.get("id") if raw is not None else None
    return str(ident) if ident is not None and str(ident).isdigit() else None


def apply_bulk(applier: Applier, plan: Plan, outcome: ApplyOutcome) -> Plan:
    """Apply ``plan``'s bulkable field edits; return the plan of the changes left per issue."""
    edits = [c for c in plan.changes if isinstance(c, FieldEdit)]
    if len(edits) < 2 or applier.stop():
        return plan
    gateway = applier.gateway
    ids = {e.issue_key: _issue_id(applier.mirror.get(e.issue_key)) for e in edits}
    try:
        registry = gateway.fields
        bulks, _singles = group_bulk_edits(
            (e for e in edits if ids[e.issue_key] is not None),
            lambda fid: gateway.bulk.bulkable([fid]) if fid in registry else False,
        )
        if not bulks:
            return plan
        if not gateway.bulk.available():
            if gateway.flavor == "cloud":
                n = sum(len(b.edits) for b in bulks)
                outcome.warnings.append(NO_BULK_CHANGE.format(n=n, b=len(bulks)))
            return plan
    except (JiraAuthError, JiraUnavailable):
        return plan  # the per-issue path meets the same error and stops there
    done = _run(applier, bulks, ids, outcome)
    left = tuple(c for c in plan.changes if not (isinstance(c, FieldEdit) and id(c) in done))
    return Plan(left, plan.warnings, plan.errors)


def _run(
    applier: Applier, bulks: tuple[BulkEdit, ...], ids: Mapping[str, str | None], outcome: ApplyOutcome
) -> set[int]:
    """Submit every bulk edit, then poll each (both on the apply's workers); the ``id()`` s of the
    edits that landed."""
    gateway = applier.gateway
    stop = applier.stop
    halted = False

    def submit(bulk: BulkEdit) -> str | None:
        nonlocal halted
        if halted or stop():
            return None
        try:
            return gateway.bulk.submit(
                [str(ids[k]) for k in bulk.issue_keys], dict(bulk.fields), notify=applier.notify
            )
        except (JiraAuthError, JiraUnavailable):
            halted = True  # the per-issue path meets it and stops with it
        except JiraBadRequest as exc:
            log.warning("bulk edit of %d issues refused, per issue instead: %s", len(bulk.edits), exc)
        except JiraError as exc:
            log.warning("bulk edit of %d issues failed, per issue instead: %s", len(bulk.edits), exc)
        return None

    tasks = parallel_map(bulks, submit, lock=applier.lock, workers=applier.concurrency)
    submitted = [(bulk, task) for bulk, task in zip(bulks, tasks, strict=True) if isinstance(task, str)]
    _raise_bug(tasks)

    def poll(item: tuple[BulkEdit, str]) -> BulkResult | None:
        try:
            return gateway.bulk.poll(item[1])
        except JiraError as exc:
            # whether it landed is unknown: the per-issue edits set the same values again
            log.warning("bulk edit task %s unreadable, per issue instead: %s", item[1], exc)
            return None

    results = parallel_map(submitted, poll, lock=applier.lock, workers=applier.concurrency)
    _raise_bug(results)
    done: set[int] = set()
    for (bulk, _task), result in zip(submitted, results, strict=True):
        if isinstance(result, BulkResult):
            done.update(_record(applier, bulk, ids, result, outcome))
    return done


def _raise_bug(results: Sequence[object]) -> None:
    """An exception other than Jira's (a bug) that a worker met is raised here, as sequentially."""
    for result in results:
        if isinstance(result, BaseException):
            raise result


def _record(
    applier: Applier, bulk: BulkEdit, ids: Mapping[str, str | None], result: BulkResult, outcome: ApplyOutcome
) -> set[int]:
    if not result.complete:
        log.warning(
            "bulk edit task %s ended %s, per issue instead", result.task_id, result.status or "unfinished"
        )
    landed = [e for e in bulk.edits if ids[e.issue_key] in result.processed]
    for edit in bulk.edits:
        reasons = result.failed.get(str(ids[edit.issue_key]))
        if reasons:
            log.info("bulk edit of %s failed (%s), per issue instead", edit.issue_key, "; ".join(reasons))
    now = applier.clock()
    applier._record(
        AppliedWrite(e.issue_key, "field", fid, value_hash(value), None, applier.run_id, now)
        for e in landed
        for fid, value in e.fields.items()
    )
    for edit in landed:
        raw = applier.mirror.get(edit.issue_key)
        if raw is not None:
            raw.setdefault("fields", {}).update(edit.fields)
        applier.touched.add(edit.issue_key)
        outcome.field_edits += 1
        outcome.field_values += len(edit.fields)
        applier.on_change()
    if landed:
        outcome.bulk_edits += 1
    return {id(e) for e in landed}
