"""HTTP-level behaviour of the simulator: auth, dialects, fields, edits, comments, properties."""

from __future__ import annotations

import pytest
import requests
from sim_http import AUTH, VIEWER, api, get, post, put

from okrsync.jira_sim.simulator import JiraSimulator


def test_server_info_names_the_dialect(sim: JiraSimulator) -> None:
    info = requests.get(f"{sim.url}/rest/api/2/serverInfo", timeout=5).json()
    assert info["deploymentType"] == ("Cloud" if sim.flavor == "cloud" else "Server")
    assert info["baseUrl"] == sim.url


def test_wrong_or_missing_credentials_get_401(sim: JiraSimulator) -> None:
    for auth in (None, ("demo@example.com", "wrong"), ("nobody@example.com", "demo-token")):
        r = get(sim, "/myself", auth=auth)
        assert r.status_code == 401
        assert r.json()["errorMessages"]


def test_pat_works_on_datacenter_only(sim: JiraSimulator) -> None:
    r = requests.get(api(sim) + "/myself", headers={"Authorization": "Bearer demo-pat"}, timeout=5)
    assert r.status_code == (401 if sim.flavor == "cloud" else 200)


def test_datacenter_accepts_username_password(sim_datacenter: JiraSimulator) -> None:
    assert get(sim_datacenter, "/myself", auth=("demo", "demo")).json()["name"] == "demo"


def test_cloud_old_search_is_gone_and_dc_has_no_search_jql(sim: JiraSimulator) -> None:
    if sim.flavor == "cloud":
        for ver in ("2", "3"):
            r = get(sim, "/search", version=ver, params={"jql": "project = PLAT"})
            assert r.status_code == 410
            assert "search/jql" in r.json()["errorMessages"][0]
    else:
        assert get(sim, "/search/jql", params={"jql": "project = PLAT"}).status_code == 404
        assert get(sim, "/myself", version="3").status_code == 404


def test_search_fields_selection_and_defaults(sim: JiraSimulator) -> None:
    if sim.flavor == "cloud":
        body = get(sim, "/search/jql", params={"jql": "key = PLAT-2"}).json()
        assert body["issues"] == [{"id": body["issues"][0]["id"]}]
        assert body["isLast"] is True and "total" not in body and "nextPageToken" not in body
        path = "/search/jql"
    else:
        body = get(sim, "/search", params={"jql": "key = PLAT-2"}).json()
        assert body["total"] == 1 and "summary" in body["issues"][0]["fields"]
        assert "comment" not in body["issues"][0]["fields"]  # not navigable
        path = "/search"
    one = get(sim, path, params={"jql": "key = PLAT-2", "fields": ["summary", "status"]}).json()["issues"][0]
    assert set(one["fields"]) == {"summary", "status"}
    excl = get(sim, path, params={"jql": "key = PLAT-2", "fields": "*navigable,-summary"}).json()["issues"][0]
    assert "summary" not in excl["fields"] and "status" in excl["fields"]
    full = get(sim, path, params={"jql": "key = PLAT-2", "fields": "*all", "expand": "changelog"}).json()
    issue = full["issues"][0]
    assert "comment" in issue["fields"]
    assert issue["changelog"]["total"] == len(issue["changelog"]["histories"]) > 0


def test_search_post_and_jql_errors(sim: JiraSimulator) -> None:
    path = "/search/jql" if sim.flavor == "cloud" else "/search"
    r = post(
        sim, path, {"jql": "project = PLAT AND issuetype = Epic", "fields": ["summary"], "maxResults": 100}
    )
    assert r.status_code == 200
    assert {i["key"] for i in r.json()["issues"]} == {"PLAT-2", "PLAT-3", "PLAT-4", "PLAT-5"}
    bad = get(sim, path, params={"jql": "project = = PLAT"})
    assert bad.status_code == 400 and bad.json()["errorMessages"]


def test_page_size_caps(sim_factory) -> None:
    cloud = sim_factory("cloud", "generated", epics=30, issues_per_epic=49)
    body = get(
        cloud,
        "/search/jql",
        params={"jql": "project in (GA, GB, GC, GD)", "fields": "summary", "maxResults": 1000},
    ).json()
    assert len(body["issues"]) == 100
    ids = get(
        cloud,
        "/search/jql",
        params={"jql": "project in (GA, GB, GC, GD)", "fields": "key", "maxResults": 5000},
    ).json()
    assert len(ids["issues"]) == 1500 and ids["isLast"]
    dc = sim_factory("datacenter", "generated", epics=30, issues_per_epic=49)
    body = get(dc, "/search", params={"jql": "project in (GA, GB, GC, GD)", "maxResults": 5000}).json()
    assert body["maxResults"] == 1000 and len(body["issues"]) == 1000 and body["total"] == 1500


def test_approximate_count_on_cloud(sim_cloud: JiraSimulator) -> None:
    r = post(sim_cloud, "/search/approximate-count", {"jql": "project = PLAT"})
    assert r.status_code == 200 and r.json()["count"] == 42


def test_create_field_and_select_options(sim: JiraSimulator) -> None:
    r = post(
        sim,
        "/field",
        {
            "name": "OKR Status",
            "type": "com.atlassian.jira.plugin.system.customfieldtypes:select",
            "searcherKey": "com.atlassian.jira.plugin.system.customfieldtypes:multiselectsearcher",
        },
    )
    assert r.status_code == 201
    field = r.json()
    num = field["schema"]["customId"]
    assert field["id"] == f"customfield_{num}" and field["clauseNames"] == [f"cf[{num}]", "OKR Status"]
    assert any(f["id"] == field["id"] for f in get(sim, "/field").json())
    if sim.flavor == "cloud":
        ctx = get(sim, f"/field/{field['id']}/context").json()["values"][0]
        added = post(
            sim,
            f"/field/{field['id']}/context/{ctx['id']}/option",
            {"options": [{"value": "On track"}, {"value": "At risk"}]},
        )
        assert added.status_code == 200 and [o["value"] for o in added.json()["options"]] == [
            "On track",
            "At risk",
        ]
        listed = get(sim, f"/field/{field['id']}/context/{ctx['id']}/option").json()["values"]
        assert len(listed) == 2
    else:  # Data Center: no REST to create options; the _sim admin API adds them
        assert get(sim, f"/field/{field['id']}/context").status_code == 404
        r = requests.post(
            f"{sim.url}/_sim/field-options",
            json={"field": "OKR Status", "options": ["On track", "At risk"]},
            timeout=5,
        )
        assert r.status_code == 200
    sim.put_on_screens()  # a field made over REST is on no screen (see the test below)
    assert put(sim, "/issue/PLAT-2", {"fields": {field["id"]: {"value": "At risk"}}}).status_code == 204
    bad = put(sim, "/issue/PLAT-2", {"fields": {field["id"]: {"value": "Foo"}}})
    assert bad.status_code == 400
    assert bad.json()["errors"] == {field["id"]: "Option value 'Foo' is not valid"}
    assert sim.issue("PLAT-2")["fields"][field["id"]]["value"] == "At risk"


def test_viewer_cannot_administer(sim: JiraSimulator) -> None:
    r = post(
        sim,
        "/field",
        {"name": "X", "type": "com.atlassian.jira.plugin.system.customfieldtypes:float"},
        auth=VIEWER,
    )
    assert r.status_code == 403 and r.json()["errorMessages"]
    assert put(sim, "/issue/PLAT-2", {"fields": {"summary": "x"}}, auth=VIEWER).status_code == 403
    assert post(sim, "/filter", {"name": "f", "jql": "project = PLAT"}, auth=VIEWER).status_code == 403
    # Cloud requires the keys wanted; Data Center has no such parameter and answers every permission
    wanted = {"permissions": "ADMINISTER,BROWSE_PROJECTS"} if sim.flavor == "cloud" else {}
    perms = get(sim, "/mypermissions", params=wanted, auth=VIEWER).json()
    assert perms["permissions"]["ADMINISTER"]["havePermission"] is False
    assert perms["permissions"]["BROWSE_PROJECTS"]["havePermission"] is True
    body = "looks good" if sim.flavor == "datacenter" else {"type": "doc", "version": 1, "content": []}
    if sim.flavor == "cloud":
        body = {
            "type": "doc",
            "version": 1,
            "content": [{"type": "paragraph", "content": [{"type": "text", "text": "hi"}]}],
        }
    assert post(sim, "/issue/PLAT-2/comment", {"body": body}, auth=VIEWER).status_code == 201


def test_edit_validates_per_schema_and_records_changelog(sim_okr: JiraSimulator) -> None:
    sim = sim_okr
    progress = sim.field_id("OKR Progress")
    text = sim.field_id("OKR Objective")
    before = sim.issue("PLAT-3")
    r = put(sim, "/issue/PLAT-3", {"fields": {progress: "high"}}, params={"notifyUsers": "false"})
    assert r.status_code == 400 and progress in r.json()["errors"]
    r = put(sim, "/issue/PLAT-3", {"fields": {text: 12}})
    assert r.status_code == 400 and text in r.json()["errors"]
    r = put(sim, "/issue/PLAT-3", {"fields": {"status": {"name": "Done"}}})
    assert r.status_code == 400
    assert r.json()["errors"]["status"] == (
        "Field 'status' cannot be set. It is not on the appropriate screen, or unknown."
    )
    assert put(sim, "/issue/PLAT-3", {"fields": {"customfield_99999": 1}}).status_code == 400
    r = put(
        sim,
        "/issue/PLAT-3",
        {"fields": {progress: 42.5, text: "CO-1"}, "update": {"labels": [{"add": "x"}]}},
        params={"notifyUsers": "false"},
    )
    assert r.status_code == 204 and r.text == ""
    after = sim.issue("PLAT-3")
    assert after["fields"][progress] == 42.5 and "x" in after["fields"]["labels"]
    assert after["fields"]["updated"] > before["fields"]["updated"]
    hist = get(sim, "/issue/PLAT-3", params={"expand": "changelog"}).json()["changelog"]["histories"][-1]
    assert {i["field"] for i in hist["items"]} == {"OKR Progress", "OKR Objective", "labels"}
    item = next(i for i in hist["items"] if i["field"] == "OKR Progress")
    assert item["fieldtype"] == "custom" and item["fieldId"] == progress and item["toString"] == "42.5"
    # nothing changed: no new history
    assert put(sim, "/issue/PLAT-3", {"fields": {progress: 42.5}}).status_code == 204
    assert (
        get(sim, "/issue/PLAT-3", params={"expand": "changelog"}).json()["changelog"]["histories"][-1] == hist
    )


def test_off_screen_field_cannot_be_set(sim_okr: JiraSimulator) -> None:
    progress = sim_okr.field_id("OKR Progress")
    requests.post(f"{sim_okr.url}/_sim/faults", json={"off_screen": {"MOB": ["OKR Progress"]}}, timeout=5)
    r = put(sim_okr, "/issue/MOB-1", {"fields": {progress: 10}})
    assert r.status_code == 400
    assert r.json()["errors"][progress] == (
        f"Field '{progress}' cannot be set. It is not on the appropriate screen, or unknown."
    )
    assert put(sim_okr, "/issue/PLAT-2", {"fields": {progress: 10}}).status_code == 204
    if sim_okr.flavor == "cloud":
        screens = get(sim_okr, "/screens").json()["values"]
        mob = next(s for s in screens if s["name"].startswith("MOB"))
        tab = get(sim_okr, f"/screens/{mob['id']}/tabs").json()[0]["id"]
        assert (
            post(sim_okr, f"/screens/{mob['id']}/tabs/{tab}/fields", {"fieldId": progress}).status_code == 200
        )
        assert put(sim_okr, "/issue/MOB-1", {"fields": {progress: 10}}).status_code == 204


def test_a_field_made_over_rest_is_on_no_screen_until_added(sim: JiraSimulator) -> None:
    """Like Jira: ``POST /field`` puts the new field on no screen; an edit that sets it is refused
    until an admin adds it (Cloud: to the screen's tab over REST; Data Center: by hand)."""
    made = post(
        sim,
        "/field",
        {
            "name": "OKR Progress",
            "type": "com.atlassian.jira.plugin.system.customfieldtypes:float",
            "searcherKey": "com.atlassian.jira.plugin.system.customfieldtypes:exactnumber",
        },
    ).json()
    fid = made["id"]
    r = put(sim, "/issue/PLAT-2", {"fields": {fid: 10}})
    assert r.status_code == 400
    assert (
        r.json()["errors"][fid]
        == f"Field '{fid}' cannot be set. It is not on the appropriate screen, or unknown."
    )
    if sim.flavor == "cloud":
        plat = next(s for s in get(sim, "/screens").json()["values"] if s["name"].startswith("PLAT:"))
        tab = get(sim, f"/screens/{plat['id']}/tabs").json()[0]["id"]
        listed = get(sim, f"/screens/{plat['id']}/tabs/{tab}/fields").json()
        assert fid not in {f["id"] for f in listed}
        assert post(sim, f"/screens/{plat['id']}/tabs/{tab}/fields", {"fieldId": fid}).status_code == 200
        assert put(sim, "/issue/PLAT-2", {"fields": {fid: 10}}).status_code == 204
        assert put(sim, "/issue/MOB-1", {"fields": {fid: 10}}).status_code == 400  # its own screen
    else:
        sim.put_on_screens()
        assert put(sim, "/issue/PLAT-2", {"fields": {fid: 10}}).status_code == 204
    assert sim.issue("PLAT-2")["fields"][fid] == 10


@pytest.mark.deviations_expected  # sends what Jira's contract refuses, on purpose
def test_comments_round_trip_in_both_body_formats(sim: JiraSimulator) -> None:
    if sim.flavor == "cloud":
        doc = {
            "type": "doc",
            "version": 1,
            "content": [{"type": "paragraph", "content": [{"type": "text", "text": "Progress 40 %"}]}],
        }
        assert post(sim, "/issue/PLAT-2/comment", {"body": "plain"}).status_code == 400
        r = post(sim, "/issue/PLAT-2/comment", {"body": doc})
        assert r.status_code == 201 and r.json()["body"] == doc
        v2 = get(sim, "/issue/PLAT-2/comment", version="2").json()
        assert v2["comments"][-1]["body"] == "Progress 40 %"
    else:
        r = post(sim, "/issue/PLAT-2/comment", {"body": "Progress *40 %*"})
        assert r.status_code == 201 and r.json()["body"] == "Progress *40 %*"
    cid = r.json()["id"]
    page = get(sim, "/issue/PLAT-2/comment", params={"startAt": 0, "maxResults": 10}).json()
    assert page["total"] == 1 and page["startAt"] == 0 and page["comments"][0]["id"] == cid
    new_body = doc if sim.flavor == "cloud" else "Progress 50 %"
    upd = put(sim, f"/issue/PLAT-2/comment/{cid}", {"body": new_body}, params={"notifyUsers": "false"})
    assert upd.status_code == 200 and upd.json()["id"] == cid
    prop = put(sim, f"/comment/{cid}/properties/okrsync", {"kind": "status", "hash": "abc"})
    assert prop.status_code == 201
    assert get(sim, f"/comment/{cid}/properties/okrsync").json() == {
        "key": "okrsync",
        "value": {"kind": "status", "hash": "abc"},
    }
    assert [k["key"] for k in get(sim, f"/comment/{cid}/properties").json()["keys"]] == ["okrsync"]
    counts = sim.requests()["counts"]
    ver = "3" if sim.flavor == "cloud" else "2"
    assert counts[f"PUT /rest/api/{ver}/comment/{{id}}/properties/{{propertyKey}}"] == 1
    assert counts[f"PUT /rest/api/{ver}/issue/{{key}}/comment/{{id}}"] == 1


@pytest.mark.deviations_expected  # sends what Jira's contract refuses, on purpose
def test_issue_properties_and_search_properties(sim: JiraSimulator) -> None:
    assert get(sim, "/issue/PLAT-2/properties/okrsync.state").status_code == 404
    assert put(sim, "/issue/PLAT-2/properties/okrsync.state", {"progress": 0.4}).status_code == 201
    assert put(sim, "/issue/PLAT-2/properties/okrsync.state", {"progress": 0.5}).status_code == 200
    assert get(sim, "/issue/PLAT-2/properties/okrsync.state").json()["value"] == {"progress": 0.5}
    assert get(sim, "/issue/PLAT-2/properties").json()["keys"][0]["key"] == "okrsync.state"
    path = "/search/jql" if sim.flavor == "cloud" else "/search"
    issue = get(
        sim, path, params={"jql": "key = PLAT-2", "fields": "summary", "properties": "okrsync.state"}
    ).json()["issues"][0]
    assert issue["properties"] == {"okrsync.state": {"progress": 0.5}}
    assert (
        requests.delete(api(sim) + "/issue/PLAT-2/properties/okrsync.state", auth=AUTH, timeout=5).status_code
        == 204
    )


def test_request_log_counts_templates(sim: JiraSimulator) -> None:
    ver = "3" if sim.flavor == "cloud" else "2"
    get(sim, "/issue/PLAT-2")
    get(sim, "/issue/MOB-1")
    put(sim, "/issue/MOB-1", {"fields": {"summary": "Ship offline mode"}})
    log = requests.get(f"{sim.url}/_sim/requests", timeout=5).json()
    assert log["counts"][f"GET /rest/api/{ver}/issue/{{key}}"] == 2
    assert log["counts"][f"PUT /rest/api/{ver}/issue/{{key}}"] == 1
    assert [e["path"] for e in log["log"]] == [
        f"/rest/api/{ver}/issue/PLAT-2",
        f"/rest/api/{ver}/issue/MOB-1",
        f"/rest/api/{ver}/issue/MOB-1",
    ]
    assert {"method", "path", "query", "status", "at"} <= set(log["log"][0])
    assert log["retry_after_violations"] == []
    assert requests.post(f"{sim.url}/_sim/reset-counters", timeout=5).status_code == 204
    assert requests.get(f"{sim.url}/_sim/requests", timeout=5).json()["counts"] == {}


def test_sim_transition_helper_changes_status_like_a_user(sim: JiraSimulator) -> None:
    r = requests.post(f"{sim.url}/_sim/issues/MOB-1/transition", json={"status": "Done"}, timeout=5)
    assert r.status_code == 200
    issue = get(sim, "/issue/MOB-1", params={"expand": "changelog"}).json()
    f = issue["fields"]
    assert f["status"]["name"] == "Done" and f["resolution"]["name"] == "Done"
    assert f["resolutiondate"] == f["statuscategorychangedate"] == f["updated"]
    items = issue["changelog"]["histories"][-1]["items"]
    assert [i["field"] for i in items] == ["status", "resolution"]
    r = requests.post(
        f"{sim.url}/_sim/issues/MOB-5/fields",
        json={"fields": {"Story Points" if sim.flavor == "datacenter" else "Story point estimate": 13}},
        timeout=5,
    )
    assert r.status_code == 200


def test_keep_alive_connection_reused(sim: JiraSimulator) -> None:
    with requests.Session() as s:
        s.auth = AUTH
        for _ in range(3):
            r = s.get(api(sim) + "/myself", timeout=5)
            assert r.status_code == 200
        assert r.headers["Content-Length"] == str(len(r.content))


def test_filters_and_dashboards(sim: JiraSimulator) -> None:
    f = post(sim, "/filter", {"name": "OKR epics", "jql": "labels = okr", "favourite": True})
    assert f.status_code == 200 and f.json()["jql"] == "labels = okr"
    dup = post(sim, "/filter", {"name": "OKR epics", "jql": "labels = okr"})
    assert dup.status_code == 400 and "filterName" in dup.json()["errors"]
    assert post(sim, "/filter", {"name": "bad", "jql": "labels = = okr"}).status_code == 400
    assert [x["name"] for x in get(sim, "/filter/favourite").json()] == ["OKR epics"]
    assert get(sim, "/filter/my").json()[0]["id"] == f.json()["id"]
    assert get(sim, "/dashboard").json()["total"] >= 1
    d = post(sim, "/dashboard", {"name": "OKRs", "sharePermissions": [], "editPermissions": []})
    if sim.flavor == "datacenter":
        assert d.status_code == 405
        return
    assert d.status_code == 200
    did = d.json()["id"]
    g = post(
        sim,
        f"/dashboard/{did}/gadget",
        {
            "uri": "rest/gadgets/1.0/g/com.atlassian.jira.gadgets:filter-results-gadget/gadgets/"
            "filter-results-gadget.xml",
            "title": "KRs",
            "color": "blue",
            "position": {"row": 0, "column": 0},
        },
    )
    assert g.status_code == 200
    gid = g.json()["id"]
    assert put(
        sim, f"/dashboard/{did}/items/{gid}/properties/config", {"filterId": f.json()["id"]}
    ).status_code in (200, 201)
    assert get(sim, f"/dashboard/{did}/gadget").json()["gadgets"][0]["title"] == "KRs"
    assert get(sim, "/dashboard/search", params={"dashboardName": "OKR"}).json()["total"] == 1
