"""The write-back fields by their schemas (``sync.field_schemas.schema_ids``), from a field list as
``GET /field`` answers it: ids, the format of each, and one problem per field okrsync cannot write."""

from __future__ import annotations

from typing import Any

import pytest

from okrsync.core.field_types import CF, LABELS, SELECT, TEXTAREA, TEXTFIELD
from okrsync.domain.config import Settings
from okrsync.jira.fields import FieldRegistry
from okrsync.sync.field_schemas import schema_ids

FLOAT = CF + "float"
OKR = {
    "OKR Progress": (10300, FLOAT, "number"),
    "OKR Expected": (10301, FLOAT, "number"),
    "OKR Status": (10302, SELECT, "option"),
    "OKR Objective": (10303, TEXTFIELD, "string"),
    "OKR Key Result": (10304, TEXTFIELD, "string"),
    "OKR Objective ID": (10305, LABELS, "array"),
}


def field(num: int, name: str, custom: str, stype: str) -> dict[str, Any]:
    return {
        "id": f"customfield_{num}",
        "name": name,
        "custom": True,
        "schema": {"type": stype, "custom": custom, "customId": num},
    }


def site(**changed: tuple[str, str]) -> FieldRegistry:
    """The OKR fields, with some made as another type (name → (custom type, schema type))."""
    raw = [
        {
            "id": "summary",
            "name": "Summary",
            "custom": False,
            "schema": {"type": "string", "system": "summary"},
        },
    ]
    for name, (num, own, own_type) in OKR.items():
        custom, stype = changed.get(name.replace(" ", "_"), (own, own_type))
        raw.append(field(num, name, custom, stype))
    return FieldRegistry(raw)


def settings(**fields: str) -> Settings:
    return Settings.model_validate(
        {
            "jira": {"url": "https://jira.example.test", "flavor": "cloud"},
            "period": {"name": "2026-Q4", "start": "2026-10-01", "end": "2026-12-31"},
            "objectives": [{"id": "CO-1", "title": "Customers", "level": "company"}],
            "key_results": [],
            "writeback": {"fields": fields} if fields else {},
        }
    )


def test_every_okr_field_of_its_own_type_is_written_in_its_format() -> None:
    ids = schema_ids(settings(), site(), api_version="3")
    assert ids.unwritable == ()
    assert ids.present() == tuple(f"customfield_{n}" for n, _, _ in OKR.values())
    assert ids.formats == {
        "customfield_10300": "number",
        "customfield_10301": "number",
        "customfield_10302": "option",
        "customfield_10303": "string",
        "customfield_10304": "string",
        "customfield_10305": "labels",
    }


@pytest.mark.parametrize(
    ("changed", "api", "left_out", "problem", "formats"),
    [
        # case 5: the health in a single-line text field
        ({"OKR_Status": (TEXTFIELD, "string")}, "3", "status", "is a Text Field (single line)", {}),
        ({"OKR_Status": (FLOAT, "number")}, "2", "status", "is a Number Field", {}),
        ({"OKR_Progress": (TEXTFIELD, "string")}, "3", "progress", "cannot hold the progress", {}),
        (
            {"OKR_Objective_ID": (TEXTFIELD, "string")},
            "3",
            "objective_id",
            "cannot hold the objective's id",
            {},
        ),
        # a paragraph is text: a document on v3, a string on v2
        ({"OKR_Objective": (TEXTAREA, "string")}, "3", None, None, {"customfield_10303": "adf"}),
        ({"OKR_Objective": (TEXTAREA, "string")}, "2", None, None, {"customfield_10303": "string"}),
    ],
)
def test_a_field_of_another_type(
    changed: dict[str, tuple[str, str]],
    api: str,
    left_out: str | None,
    problem: str | None,
    formats: dict[str, str],
) -> None:
    ids = schema_ids(settings(), site(**changed), api_version=api)
    if left_out is None:
        assert ids.unwritable == ()
    else:
        assert getattr(ids, left_out) is None
        assert [p.role for p in ids.unwritable] == [left_out]
        assert problem is not None and problem in ids.unwritable[0].message
        assert ids.missing_optional == ()  # it is there: an error of its own, not "run setup"
    for fid, fmt in formats.items():
        assert ids.formats[fid] == fmt


def test_a_system_field_is_not_okrsyncs_to_write() -> None:
    ids = schema_ids(settings(objective="Summary"), site(), api_version="3")
    assert ids.objective is None
    [problem] = ids.unwritable
    assert problem.message.startswith('"Summary" (summary) is the system field summary, not a custom field')


def test_a_missing_field_is_no_type_problem_and_the_objective_id_is_optional() -> None:
    without = FieldRegistry(f for f in site()._by_id.values() if f["name"] != "OKR Objective ID")
    ids = schema_ids(settings(), without, api_version="3")
    assert ids.objective_id is None and ids.unwritable == ()
    assert ids.missing_optional == ("OKR Objective ID",)


def test_with_write_back_off_nothing_is_a_problem() -> None:
    cfg = settings()
    cfg = cfg.model_copy(update={"writeback": cfg.writeback.model_copy(update={"enabled": False})})
    ids = schema_ids(cfg, site(OKR_Status=(TEXTFIELD, "string")), api_version="3")
    assert ids.status is None and ids.unwritable == () and ids.missing_optional == ()
