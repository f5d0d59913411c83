"""The changes a plan holds (field edits, the issue property, comments) and what it is planned
from (the write-back field ids, what Jira shows, the comments already made, the comment policy)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from okrsync.core.field_types import FieldFormat, FieldProblem
from okrsync.domain.doc import Doc


@dataclass(frozen=True, slots=True)
class WritebackIds:
    """Jira field ids of the configured write-back fields; ``None`` where the site lacks one."""

    progress: str | None = None
    expected: str | None = None
    status: str | None = None
    objective: str | None = None
    key_result: str | None = None
    objective_id: str | None = None
    """The labels field holding the objective's id (optional: sites set up before it existed)."""
    missing_optional: tuple[str, ...] = ()
    """Names of optional write-back fields Jira lacks; each is a plan warning."""
    formats: Mapping[str, FieldFormat] = field(default_factory=dict)
    """Field id → what an edit sends, by the field's schema (a field not here: its kind's default)."""
    unwritable: tuple[FieldProblem, ...] = ()
    """Configured fields of a type okrsync cannot write (their ids above are ``None``): one plan
    error each."""
    score: str | None = None
    """The ``OKR Score`` number field (a closed period's final score, 0.0–1.0); optional."""

    def present(self) -> tuple[str, ...]:
        return tuple(
            i
            for i in (
                self.progress,
                self.expected,
                self.status,
                self.objective,
                self.key_result,
                self.objective_id,
                self.score,
            )
            if i
        )


@dataclass(frozen=True, slots=True)
class CommentPolicy:
    status_change: bool = True
    celebrate: bool = True
    stale_reminder: bool = True
    stale_after_days: int = 14


@dataclass(frozen=True, slots=True)
class IssueNow:
    """What Jira shows now on one issue: raw field values by id, and the ``okrsync`` property."""

    fields: Mapping[str, Any] = field(default_factory=dict)
    property: Mapping[str, Any] | None = None
    property_known: bool = False
    """Whether ``property`` was read from Jira (Data Center searches cannot return properties)."""
    announced: str | None = None
    """The health okrsync's status comment on this issue states, where okrsync knows it better
    than the property does (a status comment that landed in a run that then died); a health value."""


@dataclass(frozen=True, slots=True)
class CommentRecord:
    comment_id: str
    value_hash: str


@dataclass(frozen=True, slots=True)
class FieldEdit:
    issue_key: str
    fields: Mapping[str, Any]
    """Field id → the value to PUT (Jira's JSON for the field's type)."""
    before: Mapping[str, Any]
    """Field id → the value Jira had (for the dry-run table)."""
    kind: Literal["field"] = "field"


@dataclass(frozen=True, slots=True)
class PropertySet:
    issue_key: str
    key: str
    value: Mapping[str, Any]
    value_hash: str
    kind: Literal["property"] = "property"


@dataclass(frozen=True, slots=True)
class CommentPost:
    issue_key: str
    identity: str
    doc: Doc
    value_hash: str
    summary: str
    existing_id: str | None = None
    """Set when the comment exists and is to be updated in place."""
    announces: str | None = None
    """A status comment: the health it states (a health value), kept in its marker."""
    kind: Literal["comment"] = "comment"


Change = FieldEdit | PropertySet | CommentPost


@dataclass(frozen=True, slots=True)
class Plan:
    changes: tuple[Change, ...]
    warnings: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    """What the run reports as errors, once each, though it writes everything else: a write-back
    field of a type okrsync cannot write, a select option Jira lacks."""

    @property
    def field_edits(self) -> tuple[FieldEdit, ...]:
        return tuple(c for c in self.changes if isinstance(c, FieldEdit))

    @property
    def properties(self) -> tuple[PropertySet, ...]:
        return tuple(c for c in self.changes if isinstance(c, PropertySet))

    @property
    def comments(self) -> tuple[CommentPost, ...]:
        return tuple(c for c in self.changes if isinstance(c, CommentPost))
