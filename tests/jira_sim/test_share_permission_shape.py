"""A filter's share permissions are answered as Jira's ``SharePermission`` (objects), not as the
``SharePermissionInputBean`` they were given (ids): checked against the spec's response schema."""

from __future__ import annotations

import socket
import time

import pytest
from sim_http import post

from okrsync.jira_sim.simulator import JiraSimulator


@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ({"type": "project", "projectId": "10000"}, ("project", {"id": "10000"})),
        ({"type": "group", "groupname": "okr-champions"}, ("group", {"name": "okr-champions"})),
    ],
)
def test_a_share_is_answered_as_jira_shows_it(
    flavor: str, given: dict[str, str], shown: tuple[str, dict[str, str]]
) -> None:
    with JiraSimulator(flavor, validate_responses=True) as sim:
        made = post(sim, "/filter", {"name": "OKR: shared", "jql": "project = PLAT"})
        assert made.status_code == 200, made.text
        resp = post(sim, f"/filter/{made.json()['id']}/permission", given)
        assert resp.status_code == 201, resp.text
        (share,) = [p for p in resp.json() if p["type"] == given["type"]]
        key, value = shown
        assert share[key] == value and "projectId" not in share and "groupname" not in share
        assert sim.deviations() == []


def test_a_request_whose_body_never_fully_arrives_is_not_served_nor_a_deviation() -> None:
    with JiraSimulator("cloud") as sim:
        head = (
            "PUT /rest/api/3/issue/PLAT-2 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            "Content-Length: 200\r\n\r\n"
        )
        with socket.create_connection((sim.host, sim.port), timeout=5) as conn:
            conn.sendall(head.encode() + b'{"fields": {')  # then the process dies
        sim.webhooks.wait_idle(1.0)
        time.sleep(0.2)
        assert sim.deviations() == [] and sim.requests()["log"] == []
