"""Fields by their schema (pure): which value each field type takes, the fields okrsync cannot
write, the health options a select lacks, and the edits a plan sends."""

from __future__ import annotations

from typing import Any

import pytest

from okrsync.core.field_types import (
    CF,
    HEALTH_OPTIONS,
    LABELS,
    ROLE_BY_KEY,
    SELECT,
    TEXTAREA,
    TEXTFIELD,
    OptionGaps,
    accepted_options,
    option_gaps,
    options_problem,
    type_label,
    unwritable,
    value_format,
)
from okrsync.core.plan import FieldEdit, IssueNow, Plan, PropertySet, without_refused_options
from okrsync.core.plan.field_values import adf_paragraph, adf_text, field_edit, jira_value
from okrsync.domain.model import Health

NUMBER = {"type": "number", "custom": CF + "float", "customId": 10300}
SELECT_SCHEMA = {"type": "option", "custom": SELECT, "customId": 10302}
RADIO = {"type": "option", "custom": CF + "radiobuttons", "customId": 10309}
MULTISELECT = {"type": "array", "items": "option", "custom": CF + "multiselect", "customId": 10310}
TEXT = {"type": "string", "custom": TEXTFIELD, "customId": 10303}
PARAGRAPH = {"type": "string", "custom": TEXTAREA, "customId": 10304}
URL = {"type": "string", "custom": CF + "url", "customId": 10311}
LABELS_SCHEMA = {"type": "array", "items": "string", "custom": LABELS, "customId": 10305}
SYSTEM_LABELS = {"type": "array", "items": "string", "system": "labels"}
SUMMARY = {"type": "string", "system": "summary"}
STORY_POINTS = {"type": "number", "custom": "com.pyxis.greenhopper.jira:jsw-story-points", "customId": 10016}


@pytest.mark.parametrize(
    ("want", "schema", "v2", "v3"),
    [
        # a number field takes a number, whatever the version
        ("number", NUMBER, "number", "number"),
        ("number", STORY_POINTS, "number", "number"),
        ("number", TEXT, None, None),  # progress in a text field
        ("number", SELECT_SCHEMA, None, None),
        ("number", SUMMARY, None, None),
        # the health: a select or radio buttons take {"value": ...}
        ("option", SELECT_SCHEMA, "option", "option"),
        ("option", RADIO, "option", "option"),
        ("option", TEXT, None, None),  # case 5: "OKR Status" made a single-line text field
        ("option", NUMBER, None, None),  # status in a number field
        ("option", MULTISELECT, None, None),  # a list of options, not one
        ("option", LABELS_SCHEMA, None, None),
        # text: a single-line field a string; a paragraph a string on v2, a document on v3
        ("text", TEXT, "string", "string"),
        ("text", PARAGRAPH, "string", "adf"),
        ("text", URL, None, None),
        ("text", SELECT_SCHEMA, None, None),
        ("text", SUMMARY, None, None),  # a system field is not okrsync's to write
        # labels a list
        ("labels", LABELS_SCHEMA, "labels", "labels"),
        ("labels", SYSTEM_LABELS, None, None),
        ("labels", TEXT, None, None),
        ("labels", MULTISELECT, None, None),
        ("number", {}, None, None),  # no schema at all
    ],
)
def test_the_value_a_field_takes_by_its_schema(
    want: Any, schema: dict[str, Any], v2: str | None, v3: str | None
) -> None:
    assert value_format(want, schema, api_version="2") == v2
    assert value_format(want, schema, api_version="3") == v3


@pytest.mark.parametrize(
    ("kind", "want", "fmt", "sent"),
    [
        ("number", 16.7, "number", 16.7),
        ("number", None, "number", None),
        ("option", "Off track", "option", {"value": "Off track"}),
        ("option", None, "option", None),  # clearing a select
        ("text", "MOB-O: Mobile", "string", "MOB-O: Mobile"),
        ("text", "MOB-O: Mobile", "adf", adf_paragraph("MOB-O: Mobile")),
        ("text", None, "adf", None),
        ("labels", ["MOB-O"], "labels", ["MOB-O"]),
        # without a schema (a plan made from ids alone): the kind's own format
        ("option", "Done", None, {"value": "Done"}),
        ("text", "x", None, "x"),
    ],
)
def test_what_an_edit_sends(kind: str, want: Any, fmt: Any, sent: Any) -> None:
    assert jira_value(kind, want, fmt) == sent


def test_a_paragraph_on_cloud_is_written_as_a_document_and_compared_by_its_text() -> None:
    doc = adf_paragraph("MOB-O: A mobile app")
    assert doc == {
        "type": "doc",
        "version": 1,
        "content": [{"type": "paragraph", "content": [{"type": "text", "text": "MOB-O: A mobile app"}]}],
    }
    assert adf_text(doc) == "MOB-O: A mobile app"
    wanted: dict[str | None, tuple[str, Any]] = {"customfield_4": ("text", "MOB-O: A mobile app")}
    formats: dict[str, Any] = {"customfield_4": "adf"}
    # what Cloud shows after the write: the same document → nothing to edit
    assert field_edit("MOB-1", IssueNow({"customfield_4": doc}), wanted, formats) is None
    edit = field_edit("MOB-1", IssueNow({"customfield_4": adf_paragraph("old")}), wanted, formats)
    assert edit is not None and edit.fields == {"customfield_4": doc}


def test_type_labels_name_what_an_admin_sees() -> None:
    assert type_label(TEXT) == "Text Field (single line)"
    assert type_label(PARAGRAPH) == "Paragraph (multi-line text)"
    assert type_label(NUMBER) == "Number Field"
    assert type_label(SELECT_SCHEMA) == "Select List (single choice)"
    assert type_label({"type": "string", "custom": "com.acme:shiny"}) == "shiny"
    assert type_label(SUMMARY) == "the system field summary"


def test_an_unwritable_field_is_one_message_with_its_type_and_fix() -> None:
    problem = unwritable(ROLE_BY_KEY["status"], "OKR Status", "customfield_10303", TEXT)
    assert problem.role == "status" and problem.field == "OKR Status"
    assert problem.message == (
        '"OKR Status" (customfield_10303) is a Text Field (single line), which cannot hold the health '
        "(an option): okrsync leaves it out of every edit."
    )
    assert 'run `okrsync setup` to create "OKR Status" as a Select List (single choice)' in problem.fix
    assert "writeback.fields.status" in problem.fix
    assert problem.text == f"{problem.message} Fix: {problem.fix}"

    progress = unwritable(ROLE_BY_KEY["progress"], "OKR Progress", "customfield_10300", TEXT)
    assert "cannot hold the progress (a number)" in progress.message
    assert "as a Number Field" in progress.fix

    system = unwritable(ROLE_BY_KEY["objective"], "Summary", "summary", SUMMARY)
    assert system.message.startswith('"Summary" (summary) is the system field summary, not a custom field')
    assert "set writeback.fields.objective to the name of a Text Field (single line)" in system.fix


def test_the_health_options_come_from_the_healths() -> None:
    assert tuple(h.label for h in Health) == HEALTH_OPTIONS
    assert "Off track" in HEALTH_OPTIONS


def opts(*values: str, disabled: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    return [{"id": str(i), "value": v, "disabled": v in disabled} for i, v in enumerate(values)]


@pytest.mark.parametrize(
    ("options", "missing", "disabled"),
    [
        (opts(*HEALTH_OPTIONS), (), ()),
        (opts(*(v for v in HEALTH_OPTIONS if v != "Off track")), ("Off track",), ()),
        (opts(*HEALTH_OPTIONS, disabled=("At risk",)), (), ("At risk",)),
        ([], HEALTH_OPTIONS, ()),
        (opts(*HEALTH_OPTIONS, "Green"), (), ()),  # an extra option is no problem
    ],
)
def test_option_gaps(
    options: list[dict[str, Any]], missing: tuple[str, ...], disabled: tuple[str, ...]
) -> None:
    gaps = option_gaps(options)
    assert (gaps.missing, gaps.disabled) == (missing, disabled)
    assert bool(gaps) == bool(missing or disabled)
    assert accepted_options(options) == {o["value"] for o in options if not o["disabled"]}


def test_a_missing_option_names_setup_on_cloud_and_the_manual_step_on_data_center() -> None:
    gaps = OptionGaps(("Off track",))
    cloud = options_problem("OKR Status", "customfield_10302", gaps, cloud=True)
    assert cloud.message == (
        'The select field "OKR Status" (customfield_10302) has no option "Off track": Jira refuses that '
        "health, so okrsync leaves OKR Status out of the issues that show it."
    )
    assert cloud.fix == "run `okrsync setup` (as a Jira admin) to add them."
    dc = options_problem("OKR Status", "customfield_10302", gaps, cloud=False)
    assert "okrsync setup" not in dc.fix
    assert dc.fix == (
        "in Jira (Data Center has no REST to add options), Administration → Issues → Custom fields → "
        'OKR Status → ⚙ → Configure → Edit Options: add "Off track", exactly as written.'
    )
    both = options_problem("OKR Status", "cf", OptionGaps(("Overdue", "No data"), ("Done",)), cloud=True)
    assert 'has no options "Overdue", "No data" and has the option "Done" disabled' in both.message
    assert 'enable "Done"' in both.fix


def test_a_refused_option_is_left_out_of_its_edit_and_the_rest_of_the_edit_stays() -> None:
    status, progress = "customfield_3", "customfield_1"
    plan = Plan(
        (
            FieldEdit(
                "MOB-1", {progress: 16.7, status: {"value": "Off track"}}, {progress: None, status: None}
            ),
            FieldEdit("WEB-3", {status: {"value": "Off track"}}, {status: None}),
            FieldEdit("PLAT-2", {progress: 56.0, status: {"value": "On track"}}, {}),
            FieldEdit("MOB-5", {status: None}, {status: {"value": "Off track"}}),  # a clear is never refused
            PropertySet("MOB-1", "okrsync", {"health": "off_track"}, "h"),
        ),
        ("a warning",),
    )
    accepted = frozenset(v for v in HEALTH_OPTIONS if v != "Off track")
    kept, refused = without_refused_options(plan, status, accepted)
    assert refused == {"MOB-1": "Off track", "WEB-3": "Off track"}
    assert [(c.issue_key, c.kind) for c in kept.changes] == [
        ("MOB-1", "field"),
        ("PLAT-2", "field"),
        ("MOB-5", "field"),
        ("MOB-1", "property"),
    ]
    assert kept.field_edits[0].fields == {progress: 16.7} and kept.field_edits[0].before == {progress: None}
    assert kept.warnings == ("a warning",)
    assert without_refused_options(plan, status, frozenset(HEALTH_OPTIONS)) == (plan, {})
