"""Small HTTP helpers for the simulator tests."""

from __future__ import annotations

from typing import Any

import requests

from okrsync.jira_sim.simulator import JiraSimulator

AUTH = ("demo@example.com", "demo-token")
VIEWER = ("viewer@example.com", "viewer-token")


def api(sim: JiraSimulator, version: str | None = None) -> str:
    ver = version or ("3" if sim.flavor == "cloud" else "2")
    return f"{sim.url}/rest/api/{ver}"


def get(
    sim: JiraSimulator, path: str, *, version: str | None = None, auth: Any = AUTH, **kw: Any
) -> requests.Response:
    return requests.get(api(sim, version) + path, auth=auth, timeout=10, **kw)


def put(
    sim: JiraSimulator, path: str, body: Any, *, version: str | None = None, auth: Any = AUTH, **kw: Any
) -> requests.Response:
    return requests.put(api(sim, version) + path, json=body, auth=auth, timeout=10, **kw)


def post(
    sim: JiraSimulator, path: str, body: Any, *, version: str | None = None, auth: Any = AUTH, **kw: Any
) -> requests.Response:
    return requests.post(api(sim, version) + path, json=body, auth=auth, timeout=10, **kw)


def search_all(
    sim: JiraSimulator, jql: str, fields: str = "summary", page: int = 100
) -> list[dict[str, Any]]:
    """Every issue of ``jql``, paging the dialect's way."""
    out: list[dict[str, Any]] = []
    if sim.flavor == "cloud":
        token: str | None = None
        while True:
            params: dict[str, Any] = {"jql": jql, "fields": fields, "maxResults": page}
            if token:
                params["nextPageToken"] = token
            body = get(sim, "/search/jql", params=params).json()
            out.extend(body["issues"])
            token = body.get("nextPageToken")
            if body["isLast"]:
                assert token is None
                return out
    start = 0
    while True:
        body = get(
            sim, "/search", params={"jql": jql, "fields": fields, "maxResults": page, "startAt": start}
        ).json()
        out.extend(body["issues"])
        start += len(body["issues"])
        if start >= body["total"] or not body["issues"]:
            return out
