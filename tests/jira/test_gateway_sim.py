"""The gateway against the bundled Jira simulator over real loopback HTTP, for both dialects."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from gwkit import FakeClock
from pydantic import SecretStr

from okrsync.domain.config import JiraConfig
from okrsync.jira import (
    Doc,
    JiraAuthError,
    JiraGateway,
    JiraNotFound,
    JiraPermissionError,
    JiraUnavailable,
    Paragraph,
    Text,
)
from okrsync.jira.markup import plain_text

simulator = pytest.importorskip("okrsync.jira_sim.simulator")
catalog = pytest.importorskip("okrsync.jira_sim.catalog")


@pytest.fixture(params=["cloud", "datacenter"])
def sim(request: pytest.FixtureRequest) -> Iterator[Any]:
    running = simulator.JiraSimulator(flavor=request.param, okr_fields=True).start()
    try:
        yield running
    finally:
        running.stop()


def _gateway(sim: Any, clock: FakeClock | None = None, **overrides: Any) -> JiraGateway:
    creds: dict[str, Any] = (
        {"email": catalog.DEMO_EMAIL, "api_token": SecretStr(catalog.DEMO_TOKEN)}
        if sim.flavor == "cloud"
        else {"pat": SecretStr(catalog.DEMO_PAT)}
    )
    values: dict[str, Any] = {
        "url": sim.url,
        "flavor": "auto",
        "requests_per_second": 1000.0,
        **creds,
        **overrides,
    }
    if clock is None:
        return JiraGateway(JiraConfig(**values))
    return JiraGateway(JiraConfig(**values), sleep=clock.sleep, clock=clock.monotonic, wall_clock=clock.wall)


def test_detects_the_dialect_and_resolves_fields(sim: Any) -> None:
    gw = _gateway(sim)
    assert gw.flavor == sim.flavor
    assert gw.fields.require(["OKR Progress", "OKR Status"])
    assert gw.fields.story_points_id() == (
        "customfield_10016" if sim.flavor == "cloud" else "customfield_10106"
    )
    assert gw.fields.epic_link_id() == ("customfield_10014" if sim.flavor == "cloud" else "customfield_10101")


def test_searches_page(sim: Any) -> None:
    gw = _gateway(sim)
    keys = list(gw.search_keys("project is not EMPTY ORDER BY key"))
    assert len(keys) == len(set(keys)) > 100
    # Small pages force paging on both dialects.
    paged = [i["key"] for i in gw.search("project is not EMPTY ORDER BY key", ["summary"], page_size=7)]
    assert paged == keys
    assert gw.stats.by_endpoint[f"POST /rest/api/{gw.api}/search{'/jql' if gw.flavor == 'cloud' else ''}"] > 3


def test_writes_round_trip(sim: Any) -> None:
    gw = _gateway(sim)
    key = next(gw.search_keys("issuetype = Epic ORDER BY key"))
    progress = gw.fields.id_for("OKR Progress")
    gw.edit_issue(key, {progress: 42.5}, notify=False)
    assert gw.get_issue(key, [progress])["fields"][progress] == 42.5

    nasty = "*bold* {code} [link|http://x] h1. ![img]"
    created = gw.add_comment(
        key, Doc(Paragraph("KR ", Text(nasty, bold=True))), properties={"okrsync": {"kr": 1}}
    )
    comment_id = str(created["id"])
    footer = Paragraph(Text("— okrsync · status", italic=True))  # okrsync's comments carry it
    gw.update_comment(key, comment_id, Doc(Paragraph("now ", Text(nasty, italic=True)), footer))
    comments = gw.comments(key, properties=True)
    mine = next(c for c in comments if str(c["id"]) == comment_id)
    assert plain_text(mine["body"]).splitlines() == [f"now {nasty}", "— okrsync · status"]
    assert mine["properties"] == [{"key": "okrsync", "value": {"kr": 1}}]

    gw.set_issue_property(key, "okrsync.state", {"progress": 0.425})
    found = next(gw.search(f"key = {key}", ["summary"], properties=["okrsync.state", "okrsync.absent"]))
    assert found["properties"] == {"okrsync.state": {"progress": 0.425}}


def test_errors_over_http(sim: Any) -> None:
    bad = _gateway(sim, api_token=SecretStr("wrong"), pat=SecretStr("wrong"), flavor=sim.flavor)
    with pytest.raises(JiraAuthError):
        bad.myself()
    with pytest.raises(JiraNotFound):
        _gateway(sim).get_issue("NOPE-1", ["summary"])


def test_forbidden_issue_names_the_permission(sim: Any) -> None:
    gw = _gateway(sim)
    key = next(gw.search_keys("issuetype = Epic ORDER BY key"))
    sim.set_faults(forbidden_issues=[key])
    with pytest.raises((JiraPermissionError, JiraNotFound)) as info:
        gw.edit_issue(key, {"summary": "x"}, notify=True)
    if isinstance(info.value, JiraPermissionError):
        assert info.value.permission == "Edit issues"


def test_server_errors_are_retried_then_given_up(sim: Any, clock: FakeClock) -> None:
    gw = _gateway(sim, clock, max_retries=2)
    gw.myself()
    sim.set_faults(error_rate=1.0, error_statuses=[503])
    with pytest.raises(JiraUnavailable) as info:
        gw.get_issue("PLAT-1", ["summary"])
    assert info.value.attempts == 3
    assert gw.stats.retries == 2
    assert gw.stats.by_status["503"] == 3
    sim.clear_faults()
    assert gw.get_issue("PLAT-1", ["summary"])["key"] == "PLAT-1"


def test_a_silent_edit_without_administer_projects_notifies_on_cloud_and_is_refused_on_datacenter(
    sim: Any,
) -> None:
    with sim.store.lock:
        sim.store.add_user(
            "editor-1", "editor", "Eddie", "editor@example.com", token="editor-token", pat="editor-pat"
        )
        sim.store.editors.add("editor-1")
    editor = _gateway(
        sim, email="editor@example.com", api_token=SecretStr("editor-token"), pat=SecretStr("editor-pat")
    )
    progress = editor.fields.id_for("OKR Progress")
    if sim.flavor == "cloud":
        # "If the user doesn't have the necessary permission the request is ignored": made, and notifying
        editor.edit_issue("PLAT-2", {progress: 12.5}, notify=False)
        assert sim.issue("PLAT-2")["fields"][progress] == 12.5
        assert (sim.store.notify_ignored, sim.store.notify_suppressed) == (1, 0)
    else:
        with pytest.raises(JiraPermissionError) as info:
            editor.edit_issue("PLAT-2", {progress: 12.5}, notify=False)
        assert info.value.status == 403 and "Administer projects" in str(info.value)
        assert sim.issue("PLAT-2")["fields"].get(progress) != 12.5
    editor.edit_issue("PLAT-2", {progress: 13.5}, notify=True)  # notifying: Edit issues is enough
    assert sim.issue("PLAT-2")["fields"][progress] == 13.5
    _gateway(sim).edit_issue("PLAT-2", {progress: 14.5}, notify=False)  # an admin edits silently
    assert sim.store.notify_suppressed == 1
