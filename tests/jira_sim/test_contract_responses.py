"""The simulator answers as Jira's spec says: okrsync's main flows (setup, check, sync, a sync after
changes, a second sync, backfill) on both dialects with every answer checked against the spec's
response schema for its operation and status, and every request against its request contract.
Zero deviations either way; and the check itself sees a wrong answer."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from simkit import SimFactory

from okrsync.data import DEMO_CONFIG
from okrsync.domain.config import Settings, load_config
from okrsync.jira.gateway import JiraGateway
from okrsync.jira_sim.contract import load_contract
from okrsync.jira_sim.simulator import JiraSimulator
from okrsync.provision.check import run_check
from okrsync.provision.setup import run_setup
from okrsync.provision.specs import HEALTH_OPTIONS
from okrsync.state.store import StateStore
from okrsync.sync.backfill import run_backfill
from okrsync.sync.engine import run_sync

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)  # day 57 of the demo's 2026-Q4


def settings_for(sim: JiraSimulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Settings:
    monkeypatch.setenv("OKRSYNC_JIRA__URL", sim.url)
    monkeypatch.setenv("OKRSYNC_JIRA__PAT", "demo-pat")
    monkeypatch.setenv("OKRSYNC_JIRA__REQUESTS_PER_SECOND", "1000")
    monkeypatch.setenv("OKRSYNC_SYNC__STATE_URL", f"sqlite:///{tmp_path / 'state.db'}")
    return load_config(DEMO_CONFIG)


def operations_seen(sim: JiraSimulator) -> set[str]:
    return {k for k in sim.requests()["counts"] if not k.startswith(("GET /_sim", "POST /_sim"))}


@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
def test_the_main_flows_see_only_answers_the_spec_describes(
    flavor: str, sim_factory: SimFactory, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    sim = sim_factory(flavor, strict=True, validate_responses=True)
    cfg = settings_for(sim, monkeypatch, tmp_path)
    with JiraGateway(cfg.jira) as gateway:
        setup = run_setup(cfg, gateway)
    assert setup.field_ids
    if flavor == "datacenter":  # the manual steps setup prints there
        requests.post(
            f"{sim.url}/_sim/field-options",
            json={"field": "OKR Status", "options": list(HEALTH_OPTIONS)},
            timeout=10,
        ).raise_for_status()
        sim.put_on_screens()
    with JiraGateway(cfg.jira) as gateway:
        check = run_check(cfg, gateway, as_of=NOW.date())
    assert check.flavor == ("cloud" if flavor == "cloud" else "datacenter")
    with StateStore.open(cfg.sync.state_url) as store:
        with JiraGateway(cfg.jira) as gateway:
            first = run_sync(cfg, store=store, gateway=gateway, now=NOW)
        assert first.status == "ok", first.as_dict()
        sim.transition("MOB-5", "Done")  # a change a user makes between runs
        sim.set_fields("PLAT-5", {"Story Points": 8})
        with JiraGateway(cfg.jira) as gateway:
            second = run_sync(cfg, store=store, gateway=gateway, now=NOW)
        assert second.status == "ok", second.as_dict()
        with JiraGateway(cfg.jira) as gateway:
            backfill = run_backfill(cfg, store=store, gateway=gateway, now=NOW)
        assert backfill.status in ("ok", "partial")
    seen = operations_seen(sim)
    assert len(seen) >= 15, seen  # the flows cover much of the contract: reads, edits, comments, admin
    assert sim.deviations() == []


def test_a_wrong_answer_is_a_response_deviation() -> None:
    contract = load_contract("cloud")
    op = contract.operation("GET", "/rest/api/3/serverInfo")
    assert contract.check_response(
        op, 200, {"baseUrl": "http://x", "defaultLocale": {"locale": "en_US"}}
    ) == ["the body: Additional properties are not allowed ('defaultLocale' was unexpected)"]
    assert contract.check_response(op, 201, {}) == [
        "getServerInfo answered 201; its documented success statuses: 200"
    ]
    edit = contract.operation("PUT", "/rest/api/3/issue/{issueIdOrKey}")
    assert contract.check_response(edit, 204, None) == []


@pytest.mark.parametrize(
    ("dialect", "operation", "body"),
    [
        # Data Center returns arrays where an item schema is declared (the specs' README): both pass
        ("datacenter", ("GET", "/api/2/field"), [{"id": "summary", "name": "Summary", "custom": False}]),
        ("datacenter", ("GET", "/api/2/field"), {"id": "summary", "name": "Summary", "custom": False}),
        # `created` as a number where the schema says a date-time string (the README): both pass
        (
            "cloud",
            ("POST", "/rest/api/3/changelog/bulkfetch"),
            {
                "issueChangeLogs": [
                    {"issueId": "10001", "changeHistories": [{"id": "1", "created": 1764000000000}]}
                ]
            },
        ),
        (
            "cloud",
            ("POST", "/rest/api/3/changelog/bulkfetch"),
            {
                "issueChangeLogs": [
                    {
                        "issueId": "10001",
                        "changeHistories": [{"id": "1", "created": "2026-10-05T09:30:00.000+0000"}],
                    }
                ]
            },
        ),
        # a JSON value Data Center types as a string (an entity property's value)
        (
            "datacenter",
            ("GET", "/api/2/issue/{issueIdOrKey}/properties/{propertyKey}"),
            {"key": "okrsync", "value": {"p": 1}},
        ),
    ],
)
def test_the_known_spec_defects_accept_both_forms(
    dialect: str, operation: tuple[str, str], body: Any
) -> None:
    contract = load_contract(dialect)
    op = contract.operation(*operation)
    code = next(iter(op.spec["responses"]))
    assert contract.check_response(op, int(code), body) == []


def test_the_survey_knob_turns_on_response_checks(
    sim_factory: SimFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OKRSYNC_SIM_CHECK_RESPONSES", "1")
    sim = sim_factory("cloud")
    assert sim.contract.validate_responses is True
    assert requests.get(sim.url + "/rest/api/2/serverInfo", timeout=10).status_code == 200
    assert sim.deviations() == []  # the simulator's serverInfo is Cloud's ServerInformation
