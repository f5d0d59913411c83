"""HTTP-level tests of the Jira client (through the gateway): flavor, auth, errors, retries, pacing, stats."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
import requests
import responses
from gwkit import API_TOKEN, BASE, EMAIL, PAT, FakeClock, GatewayFactory, api, fields_payload
from urllib3.exceptions import MaxRetryError, NewConnectionError

from okrsync.domain.model import OkrsyncError
from okrsync.jira import (
    Doc,
    JiraAuthError,
    JiraBadRequest,
    JiraNotFound,
    JiraPermissionError,
    JiraUnavailable,
    MissingCredentialError,
    Paragraph,
)

FLAVORS = ["cloud", "datacenter"]


def _add_fields(rsps: responses.RequestsMock, flavor: str) -> None:
    rsps.get(f"{BASE}/rest/api/{api(flavor)}/field", json=fields_payload(flavor))


# ----------------------------------------------------------------------------- flavor and auth


@pytest.mark.parametrize(
    ("deployment", "flavor", "version"),
    [("Cloud", "cloud", "3"), ("Server", "datacenter", "2"), ("DataCenter", "datacenter", "2")],
)
def test_auto_flavor_comes_from_server_info_once(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory, deployment: str, flavor: str, version: str
) -> None:
    rsps.get(f"{BASE}/rest/api/2/serverInfo", json={"deploymentType": deployment, "version": "10.0"})
    gw = make_gateway("auto", pat=None)
    assert gw.flavor == flavor
    assert gw.api == version
    assert gw.flavor == flavor
    assert len(rsps.calls) == 1


@pytest.mark.parametrize("flavor", FLAVORS)
def test_configured_flavor_makes_no_detection_request(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory, flavor: str
) -> None:
    gw = make_gateway(flavor)
    assert gw.flavor == flavor
    assert len(rsps.calls) == 0


def test_cloud_sends_basic_auth_with_email_and_api_token(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory
) -> None:
    rsps.get(f"{BASE}/rest/api/3/myself", json={"accountId": "abc"})
    make_gateway("cloud").myself()
    expected = "Basic " + base64.b64encode(f"{EMAIL}:{API_TOKEN}".encode()).decode()
    assert rsps.calls[0].request.headers["Authorization"] == expected
    assert rsps.calls[0].request.headers["Accept"] == "application/json"


def test_datacenter_sends_the_pat_as_bearer(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory
) -> None:
    rsps.get(f"{BASE}/rest/api/2/myself", json={"name": "demo"})
    make_gateway("datacenter").myself()
    assert rsps.calls[0].request.headers["Authorization"] == f"Bearer {PAT}"


def test_datacenter_without_pat_falls_back_to_basic(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory
) -> None:
    rsps.get(f"{BASE}/rest/api/2/myself", json={"name": "demo"})
    from pydantic import SecretStr

    make_gateway("datacenter", pat=None, email=EMAIL, api_token=SecretStr("pw")).myself()
    assert rsps.calls[0].request.headers["Authorization"].startswith("Basic ")


@pytest.mark.parametrize(
    ("flavor", "overrides", "env"),
    [
        ("cloud", {"api_token": None}, "OKRSYNC_JIRA__API_TOKEN"),
        ("cloud", {"email": None}, "OKRSYNC_JIRA__EMAIL"),
        ("datacenter", {"pat": None}, "OKRSYNC_JIRA__PAT"),
    ],
)
def test_missing_credential_names_the_variable_and_sends_nothing(
    rsps: responses.RequestsMock,
    make_gateway: GatewayFactory,
    flavor: str,
    overrides: dict[str, Any],
    env: str,
) -> None:
    gw = make_gateway(flavor, **overrides)
    with pytest.raises(MissingCredentialError, match=env) as info:
        gw.myself()
    assert isinstance(info.value, OkrsyncError)
    assert len(rsps.calls) == 0


@pytest.mark.parametrize("flavor", FLAVORS)
def test_secrets_never_in_repr_or_errors(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory, flavor: str
) -> None:
    rsps.get(f"{BASE}/rest/api/{api(flavor)}/myself", status=401, json={"errorMessages": ["Unauthorized"]})
    gw = make_gateway(flavor)
    with pytest.raises(JiraAuthError) as info:
        gw.myself()
    for text in (repr(gw), str(info.value)):
        assert API_TOKEN not in text
        assert PAT not in text


def test_401_on_cloud_names_the_account_and_token(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory
) -> None:
    rsps.get(f"{BASE}/rest/api/3/myself", status=401)
    with pytest.raises(JiraAuthError) as info:
        make_gateway("cloud").myself()
    assert (
        "Jira answered 401 to demo@example.com's API token: check OKRSYNC_JIRA__API_TOKEN and jira.email"
        in str(info.value)
    )


def test_401_on_datacenter_names_the_pat(rsps: responses.RequestsMock, make_gateway: GatewayFactory) -> None:
    rsps.get(f"{BASE}/rest/api/2/myself", status=401)
    with pytest.raises(JiraAuthError, match=r"personal access token: check OKRSYNC_JIRA__PAT"):
        make_gateway("datacenter").myself()


def test_403_with_denied_reason_is_an_auth_error(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory
) -> None:
    rsps.get(
        f"{BASE}/rest/api/2/myself",
        status=403,
        headers={"X-Authentication-Denied-Reason": "CAPTCHA_CHALLENGE; login-url=https://x/login.jsp"},
    )
    with pytest.raises(JiraAuthError, match="CAPTCHA"):
        make_gateway("datacenter").myself()


@pytest.mark.parametrize("flavor", FLAVORS)
@pytest.mark.parametrize(
    ("operation", "permission"),
    [("edit", "Edit issues"), ("search", "Browse projects"), ("comment", "Add comments")],
)
def test_403_names_the_operation_and_permission(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory, flavor: str, operation: str, permission: str
) -> None:
    v = api(flavor)
    rsps.put(
        f"{BASE}/rest/api/{v}/issue/PLAT-1",
        status=403,
        json={"errorMessages": ["You do not have permission"]},
    )
    rsps.post(f"{BASE}/rest/api/3/search/jql", status=403)
    rsps.post(f"{BASE}/rest/api/2/search", status=403)
    rsps.post(f"{BASE}/rest/api/{v}/issue/PLAT-1/comment", status=403)
    gw = make_gateway(flavor)
    with pytest.raises(JiraPermissionError) as info:
        if operation == "edit":
            gw.edit_issue("PLAT-1", {"summary": "x"}, notify=True)
        elif operation == "search":
            list(gw.search("project = PLAT", ["summary"]))
        else:
            gw.add_comment("PLAT-1", Doc(Paragraph("hi")))
    assert f'"{permission}"' in str(info.value)
    assert info.value.permission == permission
    assert len(rsps.calls) == 1


# ----------------------------------------------------------------------------- errors, retries


@pytest.mark.parametrize("flavor", FLAVORS)
@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, JiraBadRequest),
        (401, JiraAuthError),
        (403, JiraPermissionError),
        (404, JiraNotFound),
        (409, JiraBadRequest),
    ],
)
def test_client_errors_are_never_retried(
    rsps: responses.RequestsMock,
    make_gateway: GatewayFactory,
    clock: FakeClock,
    flavor: str,
    status: int,
    error: type,
) -> None:
    rsps.put(f"{BASE}/rest/api/{api(flavor)}/issue/PLAT-1", status=status, json={"errorMessages": ["nope"]})
    gw = make_gateway(flavor)
    with pytest.raises(error) as info:
        gw.edit_issue("PLAT-1", {"summary": "x"}, notify=False)
    assert len(rsps.calls) == 1
    assert clock.sleeps == []
    assert info.value.status == status
    assert info.value.key == "PLAT-1"
    assert gw.stats.retries == 0


def test_bad_request_carries_jiras_reasons(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory
) -> None:
    rsps.put(
        f"{BASE}/rest/api/3/issue/PLAT-1",
        status=400,
        json={"errorMessages": [], "errors": {"customfield_10200": "Field 'OKR Progress' cannot be set."}},
    )
    with pytest.raises(JiraBadRequest) as info:
        make_gateway("cloud").edit_issue("PLAT-1", {"customfield_10200": 1}, notify=False)
    assert "customfield_10200: Field 'OKR Progress' cannot be set." in str(info.value)
    assert info.value.errors == {"customfield_10200": "Field 'OKR Progress' cannot be set."}


@pytest.mark.parametrize("flavor", FLAVORS)
def test_429_waits_retry_after_seconds(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory, clock: FakeClock, flavor: str
) -> None:
    url = f"{BASE}/rest/api/{api(flavor)}/issue/PLAT-1"
    rsps.get(url, status=429, headers={"Retry-After": "7"})
    rsps.get(url, json={"key": "PLAT-1"})
    gw = make_gateway(flavor)
    assert gw.get_issue("PLAT-1", ["summary"])["key"] == "PLAT-1"
    assert clock.sleeps == [7.0]
    assert len(rsps.calls) == 2
    assert gw.stats.retries == 1
    assert gw.stats.retry_wait_seconds == 7.0


def test_429_waits_until_x_ratelimit_reset(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory, clock: FakeClock
) -> None:
    url = f"{BASE}/rest/api/3/issue/PLAT-1"
    # The fake wall clock reads 2026-10-05T09:30:00Z; Jira's format is yyyy-MM-ddTHH:mmZ.
    rsps.get(url, status=429, headers={"X-RateLimit-Reset": "2026-10-05T09:31Z"})
    rsps.get(url, json={"key": "PLAT-1"})
    make_gateway("cloud").get_issue("PLAT-1", ["summary"])
    assert clock.sleeps == [60.0]


def test_429_asking_more_than_the_budget_gives_up_at_once(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory, clock: FakeClock
) -> None:
    rsps.get(f"{BASE}/rest/api/3/issue/PLAT-1", status=429, headers={"Retry-After": "600"})
    with pytest.raises(JiraUnavailable) as info:
        make_gateway("cloud", max_retry_seconds=120).get_issue("PLAT-1", ["summary"])
    assert len(rsps.calls) == 1
    assert clock.sleeps == []
    assert "Jira asked to wait 600 s" in str(info.value)
    assert "requests_per_second" in str(info.value)


@pytest.mark.parametrize("flavor", FLAVORS)
def test_503_is_retried_with_jittered_backoff_then_succeeds(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory, clock: FakeClock, flavor: str
) -> None:
    url = f"{BASE}/rest/api/{api(flavor)}/issue/PLAT-1"
    rsps.put(url, status=503)
    rsps.put(url, status=502)
    rsps.put(url, status=204)
    # a pacer this fast never sleeps, even when a jittered wait comes out shorter than 1 ms
    gw = make_gateway(flavor, requests_per_second=1e9)
    gw.edit_issue("PLAT-1", {"summary": "x"}, notify=False)
    assert len(rsps.calls) == 3
    assert len(clock.sleeps) == 2
    assert 0 <= clock.sleeps[0] <= 0.5 and 0 <= clock.sleeps[1] <= 1.0
    assert gw.stats.by_status == {"503": 1, "502": 1, "204": 1}


def test_503_with_retry_after_honours_it(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory, clock: FakeClock
) -> None:
    url = f"{BASE}/rest/api/3/issue/PLAT-1"
    rsps.get(url, status=503, headers={"Retry-After": "3"})
    rsps.get(url, json={"key": "PLAT-1"})
    make_gateway("cloud").get_issue("PLAT-1", [])
    assert clock.sleeps == [3.0]


@pytest.mark.parametrize("flavor", FLAVORS)
def test_gives_up_after_max_retries(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory, clock: FakeClock, flavor: str
) -> None:
    rsps.get(f"{BASE}/rest/api/{api(flavor)}/issue/PLAT-1", status=503)
    # a pacer this fast never sleeps, even when a jittered wait comes out shorter than 1 ms
    gw = make_gateway(flavor, max_retries=3, requests_per_second=1e9)
    with pytest.raises(JiraUnavailable) as info:
        gw.get_issue("PLAT-1", ["summary"])
    assert len(rsps.calls) == 4
    assert info.value.attempts == 4
    assert info.value.status == 503
    assert "after 4 attempts" in str(info.value)
    assert "jira.max_retries is 3" in str(info.value)
    assert len(clock.sleeps) == 3
    assert gw.stats.retries == 3


def test_gives_up_when_the_total_time_runs_out(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory, clock: FakeClock
) -> None:
    rsps.get(f"{BASE}/rest/api/3/issue/PLAT-1", status=503, headers={"Retry-After": "40"})
    with pytest.raises(JiraUnavailable) as info:
        make_gateway("cloud", max_retries=20, max_retry_seconds=100).get_issue("PLAT-1", [])
    assert clock.sleeps == [40.0, 40.0]
    assert info.value.attempts == 3


def test_connection_errors_are_retried_and_name_the_url(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory, clock: FakeClock
) -> None:
    rsps.get(f"{BASE}/rest/api/3/myself", body=requests.ConnectionError("refused"))
    with pytest.raises(JiraUnavailable) as info:
        make_gateway("cloud", max_retries=2).myself()
    assert len(rsps.calls) == 3
    assert f"Check jira.url ({BASE})" in str(info.value)
    assert info.value.status is None


def _connect_error() -> requests.ConnectionError:
    reason = NewConnectionError(None, "Failed to establish a new connection")  # type: ignore[arg-type]
    return requests.ConnectionError(MaxRetryError(None, "/", reason))  # type: ignore[arg-type]


def test_comment_post_is_retried_on_429_and_connect_errors_only(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory, clock: FakeClock
) -> None:
    url = f"{BASE}/rest/api/3/issue/PLAT-1/comment"
    rsps.post(url, status=429, headers={"Retry-After": "2"})
    rsps.post(url, body=_connect_error())
    rsps.post(url, status=201, json={"id": "5"})
    assert make_gateway("cloud").add_comment("PLAT-1", Doc(Paragraph("x")))["id"] == "5"
    assert len(rsps.calls) == 3
    assert clock.sleeps[0] == 2.0


@pytest.mark.parametrize(
    "failure",
    [
        {"status": 503},
        {"status": 500},
        {"body": requests.ReadTimeout("read timed out")},
        {"body": requests.ConnectionError("reset by peer")},
    ],
)
def test_comment_post_is_not_retried_once_it_may_have_landed(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory, clock: FakeClock, failure: dict[str, Any]
) -> None:
    rsps.post(f"{BASE}/rest/api/3/issue/PLAT-1/comment", **failure)
    with pytest.raises(JiraUnavailable) as info:
        make_gateway("cloud").add_comment("PLAT-1", Doc(Paragraph("x")))
    assert len(rsps.calls) == 1
    assert clock.sleeps == []
    assert info.value.attempts == 1


def test_searches_are_retried_although_they_are_posts(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory
) -> None:
    url = f"{BASE}/rest/api/3/search/jql"
    rsps.post(url, status=504)
    rsps.post(url, json={"issues": [{"id": "1", "key": "P-1"}], "isLast": True})
    assert [i["key"] for i in make_gateway("cloud").search("project = P", ["summary"])] == ["P-1"]


# ----------------------------------------------------------------------------- pacing and stats


def test_pacer_spaces_requests_to_the_budget(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory, clock: FakeClock
) -> None:
    rsps.get(f"{BASE}/rest/api/3/issue/PLAT-1", json={"key": "PLAT-1"})
    gw = make_gateway("cloud", requests_per_second=4)
    for _ in range(3):
        gw.get_issue("PLAT-1", [])
    assert clock.sleeps == [0.25, 0.25]
    assert gw.stats.pacing_wait_seconds == 0.5


def test_stats_count_every_request_by_template_and_status(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory
) -> None:
    rsps.get(f"{BASE}/rest/api/2/serverInfo", json={"deploymentType": "Cloud"})
    rsps.get(f"{BASE}/rest/api/3/issue/PLAT-1", status=429, headers={"Retry-After": "1"})
    rsps.get(f"{BASE}/rest/api/3/issue/PLAT-1", json={"key": "PLAT-1"})
    rsps.get(f"{BASE}/rest/api/3/issue/PLAT-2", json={"key": "PLAT-2"})
    rsps.put(f"{BASE}/rest/api/3/issue/PLAT-2", status=204)
    gw = make_gateway("auto")
    gw.get_issue("PLAT-1", [])
    gw.get_issue("PLAT-2", [])
    gw.edit_issue("PLAT-2", {"summary": "y"}, notify=False)
    snap = gw.stats.snapshot()
    assert snap["requests"] == 5
    assert snap["retries"] == 1
    assert snap["retry_wait_seconds"] == 1.0
    assert snap["by_endpoint"] == {
        "GET /rest/api/2/serverInfo": 1,
        "GET /rest/api/3/issue/{key}": 3,
        "PUT /rest/api/3/issue/{key}": 1,
    }
    assert snap["by_status"] == {"200": 3, "204": 1, "429": 1}
    json.dumps(snap)


def test_path_parameters_are_escaped(rsps: responses.RequestsMock, make_gateway: GatewayFactory) -> None:
    rsps.put(f"{BASE}/rest/api/3/issue/PLAT-1/properties/a%2Fb%3Fc", status=200)
    make_gateway("cloud").set_issue_property("PLAT-1", "a/b?c", 1)
    assert rsps.calls[0].request.path_url == "/rest/api/3/issue/PLAT-1/properties/a%2Fb%3Fc"
