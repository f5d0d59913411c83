"""The write-back fields by their schemas (``sync.field_schemas``): from a field list as ``GET /field``
answers it, the ids, the format of each and one problem per field okrsync cannot write; and a plan
checked against the health options (read only when it writes a health)."""

from __future__ import annotations

from typing import Any

import pytest

from okrsync.core.field_types import CF, HEALTH_OPTIONS, LABELS, SELECT, TEXTAREA, TEXTFIELD
from okrsync.core.plan import FieldEdit, Plan, WritebackIds
from okrsync.domain.config import Settings
from okrsync.jira.errors import JiraPermissionError
from okrsync.jira.fields import FieldRegistry
from okrsync.sync.field_schemas import schema_ids, with_health_options

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


# ------------------------------------------------------------------ the health options, lazily


class FakeAdmin:
    def __init__(self, options: list[dict[str, Any]] | Exception) -> None:
        self.options = options
        self.reads = 0

    def select_options(self, field_id: str) -> list[dict[str, Any]] | None:
        self.reads += 1
        if isinstance(self.options, Exception):
            raise self.options
        return self.options


class FakeGateway:
    flavor = "cloud"

    def __init__(self, admin: FakeAdmin) -> None:
        self.admin = admin


STATUS = "customfield_10302"
IDS = WritebackIds(progress="customfield_10300", status=STATUS, formats={STATUS: "option"})


def health_plan(*healths: str) -> Plan:
    edits = [
        FieldEdit(f"KR-{i}", {"customfield_10300": 10.0, STATUS: {"value": h}}, {})
        for i, h in enumerate(healths)
    ]
    return Plan((*edits, FieldEdit("AP-1", {"customfield_10300": 5.0}, {})))


def options_of(*values: str) -> list[dict[str, Any]]:
    return [{"id": str(i), "value": v, "disabled": False} for i, v in enumerate(values)]


def run(plan: Plan, admin: FakeAdmin) -> Plan:
    return with_health_options(settings(), FakeGateway(admin), IDS, plan)  # type: ignore[arg-type]


def test_no_health_to_write_reads_no_options() -> None:
    admin = FakeAdmin(options_of())
    plan = Plan((FieldEdit("AP-1", {"customfield_10300": 5.0}, {}),))
    assert run(plan, admin) is plan and admin.reads == 0


def test_every_option_there_changes_nothing() -> None:
    admin = FakeAdmin(options_of(*HEALTH_OPTIONS))
    plan = health_plan("Off track", "Done")
    assert run(plan, admin) == plan and admin.reads == 1


def test_a_missing_option_leaves_the_health_out_of_those_edits_with_one_error() -> None:
    admin = FakeAdmin(options_of(*(v for v in HEALTH_OPTIONS if v != "Off track")))
    out = run(health_plan("Off track", "Done", "Off track"), admin)
    assert [dict(e.fields) for e in out.field_edits] == [
        {"customfield_10300": 10.0},
        {"customfield_10300": 10.0, STATUS: {"value": "Done"}},
        {"customfield_10300": 10.0},
        {"customfield_10300": 5.0},
    ]
    [error] = out.errors
    assert error.startswith('The select field "OKR Status" (customfield_10302) has no option "Off track"')
    assert "Left out on 2 issues (KR-0, KR-2). Fix: run `okrsync setup`" in error
    assert admin.reads == 1


def test_a_missing_option_no_issue_needs_yet_is_a_warning() -> None:
    admin = FakeAdmin(options_of(*(v for v in HEALTH_OPTIONS if v != "Overdue")))
    plan = health_plan("Done")
    out = run(plan, admin)
    assert out.changes == plan.changes and out.errors == ()
    assert len(out.warnings) == 1 and 'has no option "Overdue"' in out.warnings[0]


def test_options_okrsync_may_not_read_are_a_warning_and_the_plan_stays() -> None:
    admin = FakeAdmin(
        JiraPermissionError("Jira answered 403: Administer Jira needed", permission="Administer Jira")
    )
    plan = health_plan("Off track")
    out = run(plan, admin)
    assert out.changes == plan.changes and out.errors == ()
    assert out.warnings[0].startswith('could not read the options of "OKR Status"')
