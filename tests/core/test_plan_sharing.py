"""The plan's memory at scale: the action plans of one KR share their edit's dicts, and what Jira
shows is made per issue as the plan asks (okrsync.sync.writeback.IssuesNow), without changing a
single value the plan writes."""

from __future__ import annotations

from typing import Any

import pytest
from test_plan import AS_OF, IDS, ap, kr, tree

from okrsync.core.plan import FieldEdit, IssueNow, plan_changes
from okrsync.core.plan.planner import _sharing_values
from okrsync.core.rollup import roll_up
from okrsync.sync.writeback import IssuesNow, issue_now


def _edits(plan: Any) -> list[FieldEdit]:
    return [c for c in plan.changes if isinstance(c, FieldEdit)]


def test_the_action_plans_of_a_kr_share_one_edit_value() -> None:
    plans = [ap(f"ENG-{i}") for i in range(10, 60)]
    scored = roll_up(tree(kr("ENG-1", plans), kr("ENG-2", [ap("ENG-70"), ap("ENG-71")])), AS_OF)
    edits = {e.issue_key: e for e in _edits(plan_changes(scored, IDS, {}))}
    first = edits["ENG-10"]
    assert all(edits[p.key].fields is first.fields for p in plans)
    assert all(edits[p.key].before is first.before for p in plans)
    # another KR's plans say another KR: their own shared dict
    assert edits["ENG-70"].fields is edits["ENG-71"].fields is not first.fields
    assert edits["ENG-70"].fields[IDS.key_result] == "ENG-2: Title ENG-2"
    # the values each would have alone
    assert dict(first.fields) == {
        IDS.key_result: "ENG-1: Title ENG-1",
        IDS.objective: "ENG-1: Platform",
        IDS.objective_id: ["ENG-1"],
    }
    assert dict(first.before) == dict.fromkeys(first.fields)


def test_a_plan_that_already_shows_part_of_it_keeps_its_own_edit() -> None:
    plans = [ap("ENG-10"), ap("ENG-11"), ap("ENG-12")]
    scored = roll_up(tree(kr("ENG-1", plans)), AS_OF)
    label = "ENG-1: Title ENG-1"
    now = {"ENG-11": IssueNow({IDS.key_result: label})}
    edits = {e.issue_key: e for e in _edits(plan_changes(scored, IDS, now))}
    assert IDS.key_result not in edits["ENG-11"].fields
    assert edits["ENG-11"].fields is not edits["ENG-10"].fields
    assert edits["ENG-12"].fields is not edits["ENG-10"].fields  # only the one just before is shared
    assert edits["ENG-12"].fields == edits["ENG-10"].fields


@pytest.mark.parametrize(
    ("a", "b", "shared"),
    [
        ({"f": "x"}, {"f": "x"}, True),
        ({"f": ["a", "b"]}, {"f": ["a", "b"]}, True),
        ({"f": 1}, {"f": 1.0}, False),  # equal in Python, not as JSON
        ({"f": 1}, {"f": True}, False),
        ({"f": 0.0}, {"f": -0.0}, False),
        ({"f": None}, {"f": None}, True),
        ({"f": "x"}, {"f": "x", "g": None}, False),
        ({"f": {"value": "On track"}}, {"f": {"value": "On track"}}, True),
        ({"f": {"value": "On track"}}, {"f": {"value": "At risk"}}, False),
    ],
)
def test_only_values_equal_as_json_are_shared(a: dict[str, Any], b: dict[str, Any], shared: bool) -> None:
    one, two = _sharing_values([FieldEdit("A-1", a, {}), FieldEdit("A-2", b, {})])
    assert (two.fields is one.fields) is shared
    assert two.issue_key == "A-2" and dict(two.fields) == (a if shared else b)


def test_issues_now_makes_what_jira_shows_when_asked() -> None:
    raws: dict[str, dict[str, Any]] = {
        "ENG-1": {
            "key": "ENG-1",
            "fields": {IDS.progress: 40.0},
            "properties": {"okrsync": {"health": "at_risk"}},
        },
        "ENG-2": {"key": "ENG-2", "fields": {}},
    }
    now = IssuesNow(raws, IDS, True)
    assert now["ENG-1"] == issue_now(raws["ENG-1"], IDS, True)
    assert now.get("NOPE-1") is None and "NOPE-1" not in now
    with pytest.raises(KeyError):
        now["NOPE-1"]
    left = IssueNow({IDS.status: {"value": "Done"}})
    now["GONE-9"] = left  # an issue that left the tree, from the mirror
    now["ENG-2"] = IssueNow(announced="on_track")
    assert now["GONE-9"] is left and now["ENG-2"].announced == "on_track"
    assert list(now) == ["ENG-1", "ENG-2", "GONE-9"] and len(now) == 3
    assert "GONE-9" in now and "ENG-2" in now
    raws["ENG-1"]["fields"][IDS.progress] = 50.0  # made when asked: what the record says then
    assert now["ENG-1"].fields[IDS.progress] == 50.0
