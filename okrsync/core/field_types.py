"""Which value each Jira field type takes, and which write-back fields okrsync can write (pure).

A field's ``schema`` (from ``GET /rest/api/{2|3}/field``: ``{"type": "option", "custom":
"com.atlassian.jira.plugin.system.customfieldtypes:select", "customId": 10305}``) says what an
edit must send (https://developer.atlassian.com/server/jira/platform/jira-rest-api-examples/
#editing-an-issue-examples): a number field a number, a select or radio field ``{"value": ...}``,
a single-line text field a string, a paragraph field a string on REST v2 (Data Center) and an
Atlassian Document on v3 (Cloud), a labels field a list of strings.

Each write-back field has a *role* (progress, health, ...) and takes only the types that can hold
it: the health is a select (the filters and gadgets count by its options), the numbers are number
fields, the objective and key result are text, the objective's id is labels. A field of another
type, or a system field, is one :class:`FieldProblem` naming the field, its type and the fix, and
okrsync leaves it out of every edit instead of sending what Jira refuses on every issue.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from okrsync.domain.model import Health

CF = "com.atlassian.jira.plugin.system.customfieldtypes:"
FLOAT = CF + "float"
SELECT = CF + "select"
RADIO = CF + "radiobuttons"
TEXTFIELD = CF + "textfield"
TEXTAREA = CF + "textarea"
LABELS = CF + "labels"

TYPE_LABELS: Mapping[str, str] = {
    FLOAT: "Number Field",
    SELECT: "Select List (single choice)",
    RADIO: "Radio Buttons",
    TEXTFIELD: "Text Field (single line)",
    TEXTAREA: "Paragraph (multi-line text)",
    LABELS: "Labels",
    CF + "multiselect": "Select List (multiple choices)",
    CF + "multicheckboxes": "Checkboxes",
    CF + "cascadingselect": "Select List (cascading)",
    CF + "datepicker": "Date Picker",
    CF + "datetime": "Date Time Picker",
    CF + "url": "URL Field",
    CF + "userpicker": "User Picker (single user)",
    CF + "multiuserpicker": "User Picker (multiple users)",
    CF + "readonlyfield": "Text Field (read only)",
    "com.pyxis.greenhopper.jira:gh-epic-link": "Epic Link",
    "com.pyxis.greenhopper.jira:jsw-story-points": "Story point estimate",
}
"""The names Jira's "Create custom field" screen gives the types (what an admin recognises)."""

FieldFormat = Literal["number", "option", "string", "adf", "labels"]
"""What an edit sends: a number, ``{"value": ...}``, a string, an Atlassian Document, a list."""

Want = Literal["number", "option", "text", "labels"]
"""What okrsync has to write into a field (how :mod:`okrsync.core.plan.field_values` compares it)."""

HEALTH_OPTIONS: tuple[str, ...] = tuple(h.label for h in Health)
"""The options the health select field needs: one per health, its label (every health okrsync knows)."""


@dataclass(frozen=True, slots=True)
class Role:
    """One write-back field: its key in ``writeback.fields``, what okrsync writes there, how."""

    key: str
    want: Want
    what: str
    types: str
    """The field types that can hold it, as an admin would name them."""


ROLES: tuple[Role, ...] = (
    Role("progress", "number", "the progress (a number)", "a Number Field"),
    Role("expected", "number", "the expected progress (a number)", "a Number Field"),
    Role("status", "option", "the health (an option)", "a Select List (single choice)"),
    Role("objective", "text", "the objective (text)", "a Text Field (single line) or a Paragraph"),
    Role("key_result", "text", "the key result (text)", "a Text Field (single line) or a Paragraph"),
    Role("objective_id", "labels", "the objective's id (labels)", "a Labels field"),
)
ROLE_BY_KEY: Mapping[str, Role] = {r.key: r for r in ROLES}


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """A write-back field okrsync cannot write as it is: reported once, with its fix."""

    role: str
    """Its key in ``writeback.fields`` (``status``)."""
    field: str
    """The configured field name."""
    message: str
    """What is wrong: the field, its type, what okrsync does about it."""
    fix: str

    @property
    def text(self) -> str:
        """The message and its fix, as one line (a run's error)."""
        return f"{self.message} Fix: {self.fix}"


def value_format(want: Want, schema: Mapping[str, Any], *, api_version: str) -> FieldFormat | None:
    """The format a field with ``schema`` takes for a value of kind ``want``; ``None`` when it cannot
    hold it (another type, or a system field: okrsync writes only custom fields).

    ``api_version`` is the REST version okrsync speaks ("2": Data Center, "3": Cloud).
    """
    custom = schema.get("custom")
    if not isinstance(custom, str) or not custom:
        return None
    if want == "number":
        return "number" if schema.get("type") == "number" else None
    if want == "option":
        return "option" if custom in (SELECT, RADIO) else None
    if want == "text":
        if custom == TEXTFIELD:
            return "string"
        if custom == TEXTAREA:
            return "adf" if api_version == "3" else "string"
        return None
    return "labels" if custom == LABELS else None


def type_label(schema: Mapping[str, Any]) -> str:
    """How an admin names the field's type: "Text Field (single line)", "a system field"."""
    custom = schema.get("custom")
    if isinstance(custom, str) and custom:
        return TYPE_LABELS.get(custom, custom.rsplit(":", 1)[-1])
    system = schema.get("system")
    return f"the system field {system}" if system else "a field of unknown type"


def unwritable(role: Role, name: str, field_id: str, schema: Mapping[str, Any]) -> FieldProblem:
    """The error for a write-back field whose type cannot hold what ``role`` writes."""
    config = f"writeback.fields.{role.key}"
    if not schema.get("custom"):
        return FieldProblem(
            role.key,
            name,
            f'"{name}" ({field_id}) is {type_label(schema)}, not a custom field: okrsync writes '
            f"{role.what} only into its own custom field, so it leaves {field_id} out of every edit.",
            f"set {config} to the name of {role.types} (`okrsync setup` creates one by that name).",
        )
    return FieldProblem(
        role.key,
        name,
        f'"{name}" ({field_id}) is a {type_label(schema)}, which cannot hold {role.what}: okrsync '
        "leaves it out of every edit.",
        f"rename it in Jira (Administration → Issues → Custom fields) and run `okrsync setup` to "
        f'create "{name}" as {role.types}, or set {config} to the name of {role.types}.',
    )


# ------------------------------------------------------------------------------ select options


@dataclass(frozen=True, slots=True)
class OptionGaps:
    """The health options a select field lacks, or has disabled (Jira refuses both)."""

    missing: tuple[str, ...] = ()
    disabled: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.missing or self.disabled)

    @property
    def refused(self) -> tuple[str, ...]:
        return (*self.missing, *self.disabled)


def accepted_options(options: Iterable[Mapping[str, Any]]) -> frozenset[str]:
    """The option values an edit may send (enabled options)."""
    return frozenset(str(o.get("value")) for o in options if o.get("value") and not o.get("disabled"))


def option_gaps(options: Iterable[Mapping[str, Any]], wanted: Sequence[str] = HEALTH_OPTIONS) -> OptionGaps:
    by_value = {str(o.get("value")): o for o in options}
    return OptionGaps(
        tuple(v for v in wanted if v not in by_value),
        tuple(v for v in wanted if v in by_value and by_value[v].get("disabled")),
    )


def _quoted(values: Iterable[str]) -> str:
    return ", ".join(f'"{v}"' for v in values)


def options_problem(name: str, field_id: str, gaps: OptionGaps, *, cloud: bool) -> FieldProblem:
    """The error for health options the select field ``name`` lacks: what, and how to add them."""
    parts = []
    if gaps.missing:
        noun = "option" if len(gaps.missing) == 1 else "options"
        parts.append(f"has no {noun} {_quoted(gaps.missing)}")
    if gaps.disabled:
        noun = "option" if len(gaps.disabled) == 1 else "options"
        parts.append(f"has the {noun} {_quoted(gaps.disabled)} disabled")
    fixes = []
    if gaps.missing and cloud:
        fixes.append("run `okrsync setup` (as a Jira admin) to add them")
    elif gaps.missing:
        fixes.append(
            f"in Jira (Data Center has no REST to add options), Administration → Issues → Custom "
            f"fields → {name} → ⚙ → Configure → Edit Options: add {_quoted(gaps.missing)}, exactly as "
            "written"
        )
    if gaps.disabled:
        where = "Contexts and default value → Edit options" if cloud else "⚙ → Configure → Edit Options"
        fixes.append(
            f"enable {_quoted(gaps.disabled)} (Administration → Issues → Custom fields → {name} → {where})"
        )
    return FieldProblem(
        "status",
        name,
        f'The select field "{name}" ({field_id}) {" and ".join(parts)}: Jira refuses that health, so '
        f"okrsync leaves {name} out of the issues that show it.",
        "; ".join(fixes) + ".",
    )
