"""The real ``jira`` client library cannot tell the simulator from Jira Cloud / Data Center."""

from __future__ import annotations

import pytest
from jira import JIRA, JIRAError

from okrsync.jira_sim.simulator import JiraSimulator


def client(sim: JiraSimulator, api_version: str = "2") -> JIRA:
    return JIRA(
        server=sim.url,
        basic_auth=("demo@example.com", "demo-token"),
        options={"rest_api_version": api_version},
        max_retries=0,
    )


def test_connects_and_detects_the_dialect(sim: JiraSimulator) -> None:
    jira = client(sim)
    assert jira._is_cloud is (sim.flavor == "cloud")
    assert jira.myself()["emailAddress"] == "demo@example.com"
    assert jira.server_info()["baseUrl"] == sim.url


def test_datacenter_pat(sim_datacenter: JiraSimulator) -> None:
    jira = JIRA(server=sim_datacenter.url, token_auth="demo-pat", max_retries=0)
    assert jira.myself()["name"] == "demo"


def test_search_both_dialects(sim: JiraSimulator) -> None:
    jira = client(sim)
    jql = "project = PLAT AND issuetype = Epic ORDER BY key"
    if sim.flavor == "cloud":
        issues = jira.enhanced_search_issues(
            jql, maxResults=0, fields=["summary", "status", "customfield_10016"]
        )
        with pytest.raises(JIRAError):
            jira.search_issues(jql, startAt=2)
    else:
        issues = jira.search_issues(jql, maxResults=False, fields="summary,status")
        assert issues.total == 4
    assert [i.key for i in issues] == ["PLAT-2", "PLAT-3", "PLAT-4", "PLAT-5"]
    assert issues[2].fields.status.statusCategory.key == "done"


def test_search_all_pages(sim: JiraSimulator) -> None:
    jira = client(sim)
    if sim.flavor == "cloud":
        issues = jira.enhanced_search_issues(
            "project in (PLAT, MOB, WEB, DATA)", maxResults=0, fields="summary"
        )
    else:
        issues = jira.search_issues("project in (PLAT, MOB, WEB, DATA)", maxResults=False, fields="summary")
    assert len(issues) == len({i.key for i in issues}) == 162


def test_issue_edit_and_changelog(sim_okr: JiraSimulator) -> None:
    jira = client(sim_okr)
    progress = sim_okr.field_id("OKR Progress")
    status = sim_okr.field_id("OKR Status")
    issue = jira.issue("MOB-1")
    issue.update(fields={progress: 17.0, status: {"value": "At risk"}}, notify=False)
    again = jira.issue("MOB-1", expand="changelog")
    assert getattr(again.fields, progress) == 17.0
    assert getattr(again.fields, status).value == "At risk"
    assert again.changelog.histories[-1].items[0].field in ("OKR Progress", "OKR Status")
    with pytest.raises(JIRAError) as err:
        issue.update(fields={status: {"value": "Great"}})
    assert err.value.status_code == 400


@pytest.mark.deviations_expected  # the library's update sends notifyUsers, which Data Center's updateComment does not declare
def test_comments(sim: JiraSimulator) -> None:
    jira = client(sim)
    comment = jira.add_comment("WEB-1", "KR progress: 40 %")
    assert [c.id for c in jira.comments("WEB-1")] == [comment.id]
    comment.update(body="KR progress: 45 %", notify=False)
    assert jira.comment("WEB-1", comment.id).body == "KR progress: 45 %"
    if sim.flavor == "cloud":  # the same comment read through v3 is an ADF document
        v3 = client(sim, "3").comment("WEB-1", comment.id).raw["body"]
        assert v3["type"] == "doc" and "45 %" in str(v3)


def test_issue_properties(sim: JiraSimulator) -> None:
    jira = client(sim)
    r = jira.add_issue_property("DATA-1", "okrsync.kr", {"objective": "DATA-O", "progress": 0.6})
    assert r.status_code == 201
    assert jira.issue_property("DATA-1", "okrsync.kr").value.progress == 0.6
    assert [p.key for p in jira.issue_properties("DATA-1")] == ["okrsync.kr"]


def test_fields(sim: JiraSimulator) -> None:
    jira = client(sim)
    names = {f["name"]: f["id"] for f in jira.fields()}
    points = "Story point estimate" if sim.flavor == "cloud" else "Story Points"
    assert names[points] == ("customfield_10016" if sim.flavor == "cloud" else "customfield_10106")
    assert names["Epic Link"] == ("customfield_10014" if sim.flavor == "cloud" else "customfield_10101")
    assert "OKR Current" in names


def test_filters(sim: JiraSimulator) -> None:
    jira = client(sim)
    created = jira.create_filter(
        name="OKR: key results", description="okrsync", jql="labels = okr", favourite=True
    )
    assert created.jql == "labels = okr"
    assert [f.name for f in jira.favourite_filters()] == ["OKR: key results"]
    assert jira.filter(created.id).name == "OKR: key results"


@pytest.mark.deviations_expected  # the library pages gadgets and item properties with maxResults, which Cloud does not declare
def test_dashboards(sim: JiraSimulator) -> None:
    jira = client(sim)
    assert [d.name for d in jira.dashboards()] == ["System Dashboard"]
    if sim.flavor == "datacenter":
        return
    dash = jira.create_dashboard(
        name="OKRs", description="by okrsync", edit_permissions=[], share_permissions=[]
    )
    gadget = jira.add_gadget_to_dashboard(
        dash.id,
        color="blue",
        title="Key results",
        uri="rest/gadgets/1.0/g/com.atlassian.jira.gadgets:filter-results-gadget/gadgets/filter-results-gadget.xml",
    )
    jira.set_dashboard_item_property(dash.id, str(gadget.id), "config", {"filterId": "10000", "num": "50"})
    fetched = jira.dashboard(dash.id)
    assert fetched.name == "OKRs"
    assert [g.title for g in fetched.gadgets] == ["Key results"]
    assert {d.name for d in jira.dashboards()} == {"System Dashboard", "OKRs"}
