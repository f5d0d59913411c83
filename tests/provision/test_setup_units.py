"""The pure parts of setup and check: what is wanted from a configuration, and findings by owner."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from okrsync.core.coach import Finding, Severity
from okrsync.core.requirements import config_projects, metric_fields
from okrsync.domain.config import Settings, config_from_mapping
from okrsync.provision.check import NO_OWNER, group_by_owner
from okrsync.provision.specs import (
    FLOAT,
    LABELS,
    OBJECTIVE_GADGET,
    PROJECT_GADGET,
    SELECT,
    TEXTFIELD,
    TWO_DIMENSIONAL,
    desired_fields,
    filter_specs,
    gadget_specs,
)

PERIOD = {"name": "2026-Q4", "start": date(2026, 10, 1), "end": date(2026, 12, 31)}


def cfg(**raw: Any) -> Settings:
    return config_from_mapping({"period": PERIOD, **raw})


OBJECTIVES = [
    {"id": "CO-1", "title": "Delight customers", "level": "company"},
    {"id": "CO-2", "title": 'Grow "self-serve" revenue', "level": "company"},
    {"id": "ENG", "title": "Ship reliably", "level": "department", "aligns_to": "CO-1"},
    {"id": "PLAT-O", "title": "Platform", "aligns_to": "ENG"},
    {"id": "WEB-O", "title": "Web", "aligns_to": "CO-2"},
]


@pytest.mark.parametrize(
    ("key_results", "extra", "expected"),
    [
        (
            [{"objective": "PLAT-O", "epic": "PLAT-2"}, {"objective": "PLAT-O", "epic": "MOB-1"}],
            {},
            ["PLAT", "MOB"],
        ),
        ([{"objective": "PLAT-O", "jql": "project = DATA AND labels = kr"}], {}, ["DATA"]),
        ([{"objective": "PLAT-O", "jql": 'project in (WEB, "OPS") ORDER BY key'}], {}, ["WEB", "OPS"]),
        ([{"objective": "PLAT-O", "jql": "labels = kr"}], {}, []),
        (
            [{"objective": "@parent", "epic": "PLAT-2"}],
            {"objectives_from_jira": {"jql": "project = OKR AND issuetype = Objective"}},
            ["PLAT", "OKR"],
        ),
    ],
)
def test_config_projects(
    key_results: list[dict[str, Any]], extra: dict[str, Any], expected: list[str]
) -> None:
    objectives = [] if extra else OBJECTIVES
    assert config_projects(cfg(objectives=objectives, key_results=key_results, **extra)) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            {},
            [
                ("OKR Progress", FLOAT),
                ("OKR Expected", FLOAT),
                ("OKR Status", SELECT),
                ("OKR Objective", TEXTFIELD),
                ("OKR Key Result", TEXTFIELD),
                ("OKR Objective ID", LABELS),
                ("OKR Confidence", SELECT),
                ("OKR Check-in", TEXTFIELD),
                ("OKR Score", FLOAT),
            ],
        ),
        ({"writeback": {"enabled": False}}, []),
        (
            {
                "writeback": {"enabled": False},
                "key_results": [
                    {"objective": "PLAT-O", "epic": "PLAT-2", "measure": "manual"},
                    {
                        "objective": "PLAT-O",
                        "epic": "PLAT-3",
                        "measure": "manual",
                        "manual": {"field": "Gut feel"},
                    },
                    {"objective": "PLAT-O", "epic": "PLAT-4", "measure": "manual"},
                ],
            },
            [("OKR Manual Progress", FLOAT), ("Gut feel", FLOAT)],
        ),
        (
            {"writeback": {"fields": {"status": "Health"}}, "key_results": []},
            [
                ("OKR Progress", FLOAT),
                ("OKR Expected", FLOAT),
                ("Health", SELECT),
                ("OKR Objective", TEXTFIELD),
                ("OKR Key Result", TEXTFIELD),
                ("OKR Objective ID", LABELS),
                ("OKR Confidence", SELECT),
                ("OKR Check-in", TEXTFIELD),
                ("OKR Score", FLOAT),
            ],
        ),
    ],
)
def test_desired_fields(raw: dict[str, Any], expected: list[tuple[str, str]]) -> None:
    specs = desired_fields(cfg(objectives=OBJECTIVES, **raw))
    assert [(s.name, s.type_key) for s in specs] == expected
    assert all(s.searcher_key.startswith("com.atlassian.jira.plugin.system.customfieldtypes:") for s in specs)
    labels = [s for s in specs if s.type_key == LABELS]
    assert [s.searcher_key for s in labels] == [
        "com.atlassian.jira.plugin.system.customfieldtypes:labelsearcher"
    ] * len(labels)


def test_metric_fields_are_listed_once() -> None:
    krs = [
        {
            "objective": "PLAT-O",
            "epic": f"PLAT-{i}",
            "measure": "metric",
            "metric": {"field": f, "start": 1, "target": 2},
        }
        for i, f in enumerate(["Latency", "Latency", "Uptime"])
    ]
    assert metric_fields(cfg(objectives=OBJECTIVES, key_results=krs)) == ["Latency", "Uptime"]


def test_filters_one_per_company_objective_over_its_whole_subtree() -> None:
    specs = {s.name: s.jql for s in filter_specs(cfg(objectives=OBJECTIVES))}
    assert list(specs) == [
        "OKR: key results",
        "OKR: at risk or off track",
        "OKR: CO-1 Delight customers",
        'OKR: CO-2 Grow "self-serve" revenue',
    ]
    assert (
        specs["OKR: key results"]
        == '"OKR Progress" is not EMPTY ORDER BY "OKR Status" ASC, "OKR Progress" ASC'
    )
    assert specs["OKR: at risk or off track"].startswith(
        '"OKR Status" in ("At risk", "Off track", "Overdue") ORDER BY'
    )
    # exact: the ids of the company objective and of every objective aligned to it, in the labels field
    assert specs["OKR: CO-1 Delight customers"] == (
        '"OKR Progress" is not EMPTY AND "OKR Objective ID" in ("CO-1", "ENG", "PLAT-O") '
        'ORDER BY "OKR Status" ASC, "OKR Progress" ASC'
    )
    assert '"OKR Objective ID" in ("CO-2", "WEB-O") ORDER BY' in specs['OKR: CO-2 Grow "self-serve" revenue']


def test_filters_fall_back_to_phrase_search_without_the_objective_id_field() -> None:
    specs = {s.name: s.jql for s in filter_specs(cfg(objectives=OBJECTIVES), objective_ids=False)}
    co1 = specs["OKR: CO-1 Delight customers"]
    for phrase in ("CO 1 Delight customers", "ENG Ship reliably", "PLAT O Platform"):
        assert f'"OKR Objective" ~ "\\"{phrase}\\""' in co1
    assert "WEB" not in co1 and "OKR Objective ID" not in co1
    # quotes and Lucene operators of titles never reach the JQL: words only
    co2 = specs['OKR: CO-2 Grow "self-serve" revenue']
    assert '"OKR Objective" ~ "\\"CO 2 Grow self serve revenue\\""' in co2


def test_objective_ids_with_spaces_are_filtered_as_their_labels() -> None:
    objectives = [
        {"id": "CO 1", "title": "Company", "level": "company"},
        {"id": "Team Alpha", "title": "Alpha", "aligns_to": "CO 1"},
    ]
    specs = {s.name: s.jql for s in filter_specs(cfg(objectives=objectives))}
    assert '"OKR Objective ID" in ("CO_1", "Team_Alpha")' in specs["OKR: CO 1 Company"]


@pytest.mark.parametrize("status_id", ["customfield_10043", ""])
def test_gadgets_are_configured_with_strings(status_id: str) -> None:
    ids = {"progress": "customfield_10041", "expected": "customfield_10042", "objective": "customfield_10044"}
    if status_id:
        ids["status"] = status_id
    specs = gadget_specs("10000", "10001", ids)
    positions = [(g.row, g.column) for g in specs]
    assert len(set(positions)) == len(specs) == 4
    assert all(isinstance(v, str) for g in specs for v in g.config.values())
    assert specs[0].config["filterId"] == "filter-10000" and specs[3].config["filterId"] == "filter-10001"
    columns = specs[0].config["columnNames"].split("|")
    assert columns[:2] == ["issuetype", "issuekey"] and "customfield_10041" in columns
    assert (status_id in columns) == bool(status_id)
    assert specs[1].config["statType"] == status_id


@pytest.mark.parametrize(
    ("objective_id", "title", "y_axis", "replaces"),
    [
        ("customfield_10046", OBJECTIVE_GADGET, "customfield_10046", (PROJECT_GADGET,)),
        (None, PROJECT_GADGET, "project", ()),  # no usable OKR Objective ID field
    ],
)
def test_the_two_dimensional_table_is_objective_by_health(
    objective_id: str | None, title: str, y_axis: str, replaces: tuple[str, ...]
) -> None:
    ids = {"progress": "customfield_10041", "status": "customfield_10043"}
    if objective_id:
        ids["objective_id"] = objective_id
    table = next(g for g in gadget_specs("10000", "10001", ids) if g.uri == TWO_DIMENSIONAL)
    assert (table.title, table.replaces) == (title, replaces)
    assert table.config["filterId"] == "filter-10000"  # the key results filter
    assert table.config["xstattype"] == "customfield_10043"  # OKR Status across
    assert table.config["ystattype"] == y_axis  # one row per objective


def _finding(subject: str, owner: str | None, severity: Severity = Severity.WARNING) -> Finding:
    return Finding("stale", severity, subject, "key_result", owner, f"{subject} m", "fix")


def test_group_by_owner_sorts_owners_and_puts_the_unowned_last() -> None:
    findings = [_finding("A", None), _finding("B", "zoe"), _finding("C", "Alice"), _finding("D", "zoe")]
    groups = group_by_owner(findings)
    assert list(groups) == ["Alice", "zoe", NO_OWNER]
    assert [f.subject for f in groups["zoe"]] == ["B", "D"]


# Create custom field, searcherKey: "You must specify a searcher that is valid for the field type, as
# listed below" (Cloud platform spec, CustomFieldDefinitionJsonBean; Data Center takes the same keys)
SEARCHERS_BY_SPEC = {
    "float": {"exactnumber", "numberrange"},
    "labels": {"labelsearcher"},
    "select": {"multiselectsearcher"},
    "textfield": {"textsearcher"},
}


@pytest.mark.parametrize("type_name", sorted(SEARCHERS_BY_SPEC))
def test_each_created_field_type_gets_a_searcher_the_spec_lists_for_it(type_name: str) -> None:
    from okrsync.provision.specs import SEARCHER

    prefix = "com.atlassian.jira.plugin.system.customfieldtypes:"
    searcher = SEARCHER[prefix + type_name]
    assert searcher.startswith(prefix)
    assert searcher.removeprefix(prefix) in SEARCHERS_BY_SPEC[type_name]


def test_every_type_setup_creates_has_a_listed_searcher() -> None:
    from okrsync.provision.specs import KIND_TYPE, SEARCHER

    prefix = "com.atlassian.jira.plugin.system.customfieldtypes:"
    assert {t.removeprefix(prefix) for t in KIND_TYPE.values()} <= set(SEARCHERS_BY_SPEC)
    assert set(KIND_TYPE.values()) <= set(SEARCHER)
