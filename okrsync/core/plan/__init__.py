"""Plan: the desired Jira state of the scored tree, minus what Jira already shows (pure).

The result is an ordered list of changes — field edits (one per issue, with all its changed
fields), the ``okrsync`` issue property, and comments — each of which the apply step executes with
one request. Nothing is planned where Jira already has the value: numbers are compared at the
field's precision, selects by option value, text after trimming.

Comments carry an *identity* (``status``, ``celebrate``, ``celebrate-objective:ENG-1``,
``stale:2026-11-02``); the apply step marks each comment with it in Jira (a comment property and a
footer line) and records it in the state store, so that a comment is updated or skipped, never
posted twice.

The modules: :mod:`.changes` (the changes and what they are planned from), :mod:`.field_values`
(what each issue's write-back fields should show), :mod:`.issue_property` (the ``okrsync``
property), :mod:`.comments` (status, celebration, stale reminder) and :mod:`.planner`
(:func:`plan_changes`, which puts them together).
"""

from okrsync.core.plan.changes import (
    Change,
    CommentPolicy,
    CommentPost,
    CommentRecord,
    FieldEdit,
    IssueNow,
    Plan,
    PropertySet,
    WritebackIds,
)
from okrsync.core.plan.field_values import (
    LABEL_LIMIT,
    PRECISION,
    TEXT_LIMIT,
    has_value,
    health_in_jira,
    kr_label,
    label_of,
    objective_label,
    pct,
)
from okrsync.core.plan.issue_property import PROPERTY_KEY, explain_kr, explain_objective
from okrsync.core.plan.planner import plan_changes, without_refused_options

__all__ = [
    "LABEL_LIMIT",
    "PRECISION",
    "PROPERTY_KEY",
    "TEXT_LIMIT",
    "Change",
    "CommentPolicy",
    "CommentPost",
    "CommentRecord",
    "FieldEdit",
    "IssueNow",
    "Plan",
    "PropertySet",
    "WritebackIds",
    "explain_kr",
    "explain_objective",
    "has_value",
    "health_in_jira",
    "kr_label",
    "label_of",
    "objective_label",
    "pct",
    "plan_changes",
    "without_refused_options",
]
