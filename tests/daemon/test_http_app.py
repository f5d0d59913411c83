"""The daemon's HTTP app with Starlette's TestClient, on a daemon object that synced once over the simulator."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from daemonkit import DEMO, SECRET
from prometheus_client.parser import text_string_to_metric_families
from simkit import SimFactory, ticking_clock
from starlette.testclient import TestClient

from okrsync.core.coverage import Coverage
from okrsync.daemon.http import create_app
from okrsync.daemon.service import Daemon
from okrsync.daemon.webhook_checks import sign
from okrsync.domain.config import load_config
from okrsync.domain.keys import META_COVERAGE
from okrsync.jira.gateway import JiraGateway
from okrsync.jira_sim.datasets.demo import AS_OF
from okrsync.jira_sim.simulator import JiraSimulator
from okrsync.state.store import StateStore


@dataclass
class Setup:
    sim: JiraSimulator
    daemon: Daemon
    client: TestClient


def _setup(
    sim_factory: SimFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, synced: bool
) -> Iterator[Setup]:
    sim = sim_factory("cloud", okr_fields=True)
    monkeypatch.setenv("OKRSYNC_JIRA__URL", sim.url)
    monkeypatch.setenv("OKRSYNC_JIRA__REQUESTS_PER_SECOND", "1000")
    monkeypatch.setenv("OKRSYNC_JIRA__MAX_RETRY_SECONDS", "1")
    monkeypatch.setenv("OKRSYNC_WEBHOOK__SECRET", SECRET)
    monkeypatch.setenv("OKRSYNC_WEBHOOK__MAX_BODY_BYTES", "50000")
    cfg = load_config(DEMO)
    with StateStore.open(f"sqlite:///{tmp_path / 'state.db'}") as store, JiraGateway(cfg.jira) as gateway:
        # the demo company's pinned moment, ticking on: the same picture on any day
        daemon = Daemon(cfg, store=store, gateway=gateway, interval_seconds=60, clock=ticking_clock(AS_OF))
        if synced:
            report = daemon.run_cycle("test")
            assert report is not None and report.status == "ok", report and report.as_dict()
        with TestClient(create_app(daemon)) as client:
            yield Setup(sim, daemon, client)
        daemon.shutdown()


@pytest.fixture
def setup(sim_factory: SimFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Setup]:
    """A daemon that synced the demo company once."""
    yield from _setup(sim_factory, tmp_path, monkeypatch, synced=True)


@pytest.fixture
def fresh(sim_factory: SimFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Setup]:
    """A daemon that has not synced yet."""
    yield from _setup(sim_factory, tmp_path, monkeypatch, synced=False)


def test_healthz_and_readyz(setup: Setup) -> None:
    assert setup.client.get("/healthz").json() == {"status": "alive"}
    ready = setup.client.get("/readyz")
    assert ready.status_code == 200, ready.text
    checks = ready.json()["checks"]
    assert checks["jira"]["ok"] and checks["store"]["ok"] and checks["last_sync"]["ok"]
    assert checks["last_sync"]["run_id"] == 1
    assert checks["last_sync"]["age_seconds"] < 60


def test_readyz_says_503_when_jira_is_unreachable(fresh: Setup) -> None:
    fresh.sim.stop()
    fresh.daemon.last_success_at = None  # no recent cycle vouches for Jira: the probe runs
    ready = fresh.client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["checks"]["jira"] == {"ok": False}
    assert ready.json()["checks"]["store"]["ok"] is True


def test_metrics_parse_with_the_prometheus_parser(setup: Setup) -> None:
    setup.client.get("/healthz")
    text = setup.client.get("/metrics").text
    families = {f.name: f for f in text_string_to_metric_families(text)}

    def value(name: str, sample: str, **labels: str) -> float:
        return sum(
            s.value
            for s in families[name].samples
            if s.name == sample and all(s.labels.get(k) == v for k, v in labels.items())
        )

    assert value("okrsync_sync_cycles", "okrsync_sync_cycles_total", status="ok") == 1
    assert value("okrsync_sync_cycle_duration_seconds", "okrsync_sync_cycle_duration_seconds_count") == 1
    assert value("okrsync_key_results", "okrsync_key_results") == 15  # every KR of the demo company
    assert value("okrsync_key_results", "okrsync_key_results", health="done") == 1  # PLAT-4
    overdue = [s for s in families["okrsync_key_results"].samples if s.labels.get("health") == "overdue"]
    assert [s.value for s in overdue] == [0]  # every health is a series, overdue too (none on the day)
    assert value("okrsync_jira_writes", "okrsync_jira_writes_total", kind="comments_posted") == 2
    assert value("okrsync_jira_writes", "okrsync_jira_writes_total", kind="field_edits") > 15
    assert value("okrsync_jira_requests", "okrsync_jira_requests_total", status="200") > 0
    assert value("okrsync_last_success_timestamp_seconds", "okrsync_last_success_timestamp_seconds") > 1.7e9
    assert value("okrsync_leader", "okrsync_leader") == 1
    assert value("okrsync_http_requests", "okrsync_http_requests_total", path="/healthz", status="200") == 1


def test_status_page_shows_the_tree_and_the_runs(setup: Setup) -> None:
    page = setup.client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "OKRs 2026-Q4" in html
    # company objective → department → team objective → KR, in tree order
    order = [
        html.index(s)
        for s in (
            'data-objective="CO-1"',
            'data-objective="ENG"',
            'data-objective="PLAT-O"',
            'data-kr="PLAT-2"',
        )
    ]
    assert order == sorted(order)
    assert 'data-health="done" data-kr="PLAT-4"' in html
    assert "16.7 %" in html  # MOB-1: 2 of 12 done
    assert f'href="{setup.sim.url}/browse/MOB-1"' in html
    assert '<tr data-run="1">' in html
    assert "http://" not in html.replace(setup.sim.url, "")  # nothing loaded from elsewhere
    # the alignment coverage the cycle counted, as the store keeps it (and /metrics shows it)
    coverage = Coverage.of_json(setup.daemon.store.get_meta(META_COVERAGE))
    assert coverage is not None and coverage.resolved > 0 and coverage.share is not None
    section = html.split('<section class="coverage"', 1)[1].split("</section>", 1)[0]
    assert f'<b class="share">{coverage.share * 100:.1f} %</b>' in section
    assert f"({coverage.aligned} of {coverage.resolved})" in section
    for p in coverage.projects:
        assert (
            f'<tr data-project="{p.project}"><td>{p.project}</td><td>{p.resolved}</td><td>{p.aligned}</td>'
            in section
        )


def test_a_signed_webhook_is_accepted_once(setup: Setup) -> None:
    body = json.dumps(
        {
            "webhookEvent": "jira:issue_updated",
            "user": {"accountId": "someone-else"},
            "issue": {"key": "MOB-7", "fields": {"parent": {"key": "MOB-1"}}},
        }
    ).encode()
    headers = {"X-Hub-Signature": sign(SECRET, body), "X-Atlassian-Webhook-Identifier": "abc-1"}
    first = setup.client.post("/webhooks/jira", content=body, headers=headers)
    assert first.status_code == 202, first.text
    assert first.json()["affected"] == ["MOB-1"]
    again = setup.client.post(
        "/webhooks/jira", content=body, headers={**headers, "X-Atlassian-Webhook-Retry": "1"}
    )
    assert again.status_code == 200 and again.json()["outcome"] == "duplicate"


def test_own_edits_are_ignored(fresh: Setup) -> None:
    fresh.daemon.learn_identity()  # what the daemon does before its first cycle (one request)
    me = fresh.daemon.gateway.myself()
    body = json.dumps(
        {"webhookEvent": "jira:issue_updated", "user": me, "issue": {"key": "MOB-1", "fields": {}}}
    ).encode()
    r = fresh.client.post("/webhooks/jira", content=body, headers={"X-Hub-Signature": sign(SECRET, body)})
    assert (r.status_code, r.json()["outcome"]) == (200, "own_user")


@pytest.mark.parametrize(
    ("headers", "status", "outcome"),
    [
        ({}, 401, "unsigned"),
        ({"X-Hub-Signature": "sha256=" + "0" * 64}, 401, "bad_signature"),
        ({"X-Hub-Signature": sign("not-the-secret", b"{}")}, 401, "bad_signature"),
    ],
)
def test_unsigned_or_wrongly_signed_webhooks_get_401(
    fresh: Setup, headers: dict[str, str], status: int, outcome: str
) -> None:
    r = fresh.client.post("/webhooks/jira", content=b"{}", headers=headers)
    assert (r.status_code, r.json()["outcome"]) == (status, outcome)
    text = fresh.client.get("/metrics").text
    assert f'okrsync_webhooks_total{{outcome="{outcome}"}} 1.0' in text


def test_body_cap_by_length_and_by_stream(fresh: Setup) -> None:
    big = b"{" + b" " * 60_000 + b"}"
    r = fresh.client.post("/webhooks/jira", content=big, headers={"X-Hub-Signature": sign(SECRET, big)})
    assert r.status_code == 413

    def chunks() -> Iterator[bytes]:  # no Content-Length: the cap applies while reading
        for _ in range(10):
            yield b" " * 10_000

    r = fresh.client.post("/webhooks/jira", content=chunks(), headers={"X-Hub-Signature": "sha256=00"})
    assert r.status_code == 413


def test_webhooks_are_off_without_a_secret(
    sim_factory: SimFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim = sim_factory("cloud", okr_fields=True)
    monkeypatch.setenv("OKRSYNC_JIRA__URL", sim.url)
    cfg = load_config(DEMO)
    with StateStore.open(f"sqlite:///{tmp_path / 'state.db'}") as store, JiraGateway(cfg.jira) as gateway:
        client = TestClient(create_app(Daemon(cfg, store=store, gateway=gateway)))
        r = client.post("/webhooks/jira", content=b"{}")
        assert r.status_code == 404
        assert "OKRSYNC_WEBHOOK__SECRET" in r.json()["message"]
        # no sync yet, but the daemon is young: still ready; and the page says there is no tree yet
        assert client.get("/readyz").json()["checks"]["last_sync"]["ok"] is True
        assert "No OKR tree yet" in client.get("/").text
