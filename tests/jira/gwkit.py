"""Helpers shared by the gateway tests (imported by name: tests/jira is on sys.path)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import SecretStr

from okrsync.domain.config import JiraConfig
from okrsync.jira.gateway import JiraGateway

BASE = "https://jira.example.test"
EMAIL = "demo@example.com"
API_TOKEN = "cloud-token-SECRET"
PAT = "dc-pat-SECRET"


class FakeClock:
    """Monotonic and wall clocks that only move when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.wall0 = datetime(2026, 10, 5, 9, 30, tzinfo=UTC)
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def wall(self) -> datetime:
        return self.wall0 + timedelta(seconds=self.now - 1000.0)

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def make_cfg(flavor: str, **overrides: Any) -> JiraConfig:
    values: dict[str, Any] = {
        "url": BASE + "/",
        "flavor": flavor,
        "requests_per_second": 1000.0,
        "max_retries": 3,
        "max_retry_seconds": 120.0,
    }
    if flavor in ("cloud", "auto"):
        values.update(email=EMAIL, api_token=SecretStr(API_TOKEN))
    if flavor == "datacenter":
        values.update(pat=SecretStr(PAT))
    values.update(overrides)
    return JiraConfig(**values)


GatewayFactory = Callable[..., JiraGateway]


def body_of(call: Any) -> Any:
    raw = call.request.body
    if raw is None:
        return None
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8")
    return json.loads(raw)


def api(flavor: str) -> str:
    return "3" if flavor == "cloud" else "2"


def fields_payload(flavor: str) -> list[dict[str, Any]]:
    """A field list like each flavor's site has (ids as in okrsync/jira_sim/CONTRACT.md)."""
    common = [
        {
            "id": "summary",
            "name": "Summary",
            "custom": False,
            "schema": {"type": "string", "system": "summary"},
        },
        {
            "id": "parent",
            "name": "Parent",
            "custom": False,
            "schema": {"type": "issuelink", "system": "parent"},
        },
        {
            "id": "customfield_10200",
            "name": "OKR Progress",
            "custom": True,
            "clauseNames": ["cf[10200]", "OKR Progress"],
            "schema": {"type": "number", "custom": "com.atlassian.jira.plugin.system.customfieldtypes:float"},
        },
    ]
    if flavor == "cloud":
        return [
            *common,
            {
                "id": "customfield_10014",
                "name": "Epic Link",
                "custom": True,
                "schema": {"type": "any", "custom": "com.pyxis.greenhopper.jira:gh-epic-link"},
            },
            {
                "id": "customfield_10016",
                "name": "Story point estimate",
                "custom": True,
                "schema": {"type": "number", "custom": "com.pyxis.greenhopper.jira:jsw-story-points"},
            },
            {"id": "customfield_10028", "name": "Story Points", "custom": True, "schema": {"type": "number"}},
            {"id": "customfield_10020", "name": "Sprint", "custom": True, "schema": {"type": "array"}},
        ]
    return [
        *common,
        {
            "id": "customfield_10101",
            "name": "Epic Link",
            "custom": True,
            "schema": {"type": "any", "custom": "com.pyxis.greenhopper.jira:gh-epic-link"},
        },
        {"id": "customfield_10106", "name": "Story Points", "custom": True, "schema": {"type": "number"}},
        {"id": "customfield_10104", "name": "Sprint", "custom": True, "schema": {"type": "array"}},
    ]
