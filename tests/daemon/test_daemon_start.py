"""`okrsync daemon` at start: a configuration that can never work exits 2 before it listens, with
the reason in its log; what may pass (Jira refusing connections, PostgreSQL not up yet) is retried."""

from __future__ import annotations

import json
import os
import signal
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import responses
from daemonkit import DaemonProcess, start_daemon, wait_for

from okrsync.daemon import preflight as daemon_start
from okrsync.daemon.cycle_log import CycleSummary
from okrsync.daemon.preflight import open_store, probe_jira
from okrsync.domain import exit_codes
from okrsync.domain.config import JiraConfig, load_config
from okrsync.jira.errors import JiraAuthError, MissingCredentialError
from okrsync.state.errors import StateStoreError
from okrsync.state.store import StateStore
from okrsync.sync.engine import SyncReport

pytestmark = pytest.mark.slow  # real subprocesses and waits: seconds each

CONFIG = """\
jira:
  url: {url}
  flavor: {flavor}
  email: {email}
period: {{name: 2026-Q4, start: 2026-10-01, end: 2026-12-31}}
objectives: [{{id: ENG-1, title: Engineering ships, level: company}}]
key_results: [{{objective: ENG-1, epic: PLAT-1}}]
"""
PAT = "pat-7Hh2-for-tests"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def config_file(tmp_path: Path, *, flavor: str = "auto", email: str = "null", url: str = "") -> Path:
    path = tmp_path / "okrsync.yaml"
    url = url or f"http://127.0.0.1:{closed_port()}"
    path.write_text(CONFIG.format(url=url, flavor=flavor, email=email), encoding="utf-8")
    return path


def daemon_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("OKRSYNC_")}
    env.update(
        {
            "OKRSYNC_SYNC__STATE_URL": f"sqlite:///{tmp_path / 'state.db'}",
            "OKRSYNC_DAEMON__RETRY_SECONDS": "0.5",
            **extra,
        }
    )
    return env


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Callable[..., DaemonProcess]]:
    """Start `okrsync daemon --config FILE` (the config after the command wins over daemonkit's)."""
    started: list[DaemonProcess] = []

    def go(config: Path, env: dict[str, str], *args: str) -> DaemonProcess:
        log = tmp_path / "daemon.log"
        d = start_daemon(env, log, "--config", str(config), "--interval-seconds", "600", *args)
        started.append(d)
        return d

    yield go
    for d in started:
        if d.proc.poll() is None:
            d.proc.kill()
            d.proc.wait(10)


def refused_at_start(d: DaemonProcess) -> str:
    assert d.proc.wait(20) == exit_codes.NEEDS_FIX, d.log()
    log = d.log()
    assert "listening" not in log and "Traceback" not in log
    return " ".join(log.split())


@pytest.mark.parametrize("log_format", ["plain", "json"])
def test_no_credential_exits_2_before_listening(
    tmp_path: Path, start: Callable[..., DaemonProcess], log_format: str
) -> None:
    d = start(config_file(tmp_path), daemon_env(tmp_path), "--log-format", log_format)
    log = refused_at_start(d)
    assert "okrsync daemon cannot start: No Jira credential is configured" in log
    assert "OKRSYNC_JIRA__API_TOKEN" in log and "OKRSYNC_JIRA__PAT" in log
    if log_format == "json":
        [record] = [json.loads(line) for line in d.log().splitlines()]
        assert record["event"] == "start_failed" and record["exit_code"] == 2 and record["level"] == "error"
    assert not (tmp_path / "state.db").exists()  # it stopped before touching anything


def test_data_center_without_a_token_exits_2_naming_the_pat(
    tmp_path: Path, start: Callable[..., DaemonProcess]
) -> None:
    config = config_file(tmp_path, flavor="datacenter", email="okrsync@example.com")
    log = refused_at_start(start(config, daemon_env(tmp_path)))
    assert "Jira Data Center needs a personal access token: set OKRSYNC_JIRA__PAT" in log


@pytest.mark.parametrize(
    ("state_url", "says"),
    [
        ("sqlite:////proc/okrsync-cannot-be-here.db", "unable to open database file"),
        ("sqlite:////no/such/dir/okrsync.db", "the directory /no/such/dir does not exist"),
        ("mysql://okrsync@db/okrsync", "names the database 'mysql'; okrsync supports SQLite and PostgreSQL"),
    ],
    ids=["not-writable", "no-directory", "wrong-database"],
)
def test_a_state_store_that_cannot_work_exits_2(
    tmp_path: Path, start: Callable[..., DaemonProcess], state_url: str, says: str
) -> None:
    env = daemon_env(tmp_path, OKRSYNC_JIRA__PAT=PAT, OKRSYNC_SYNC__STATE_URL=state_url)
    log = refused_at_start(start(config_file(tmp_path), env))
    assert "okrsync daemon cannot start:" in log and says in log
    assert PAT not in log


@pytest.mark.postgres
def test_a_postgres_login_that_is_refused_exits_2(
    tmp_path: Path, start: Callable[..., DaemonProcess]
) -> None:
    url = "postgresql+psycopg://no_such_role_okrsync@127.0.0.1:5432/test"
    env = daemon_env(tmp_path, OKRSYNC_JIRA__PAT=PAT, OKRSYNC_SYNC__STATE_URL=url)
    log = refused_at_start(start(config_file(tmp_path), env))
    assert 'role "no_such_role_okrsync" does not exist' in log


def test_a_postgres_server_not_up_yet_is_waited_for_and_sigterm_ends_the_wait(
    tmp_path: Path, start: Callable[..., DaemonProcess]
) -> None:
    url = f"postgresql+psycopg://okrsync@127.0.0.1:{closed_port()}/okrsync"
    env = daemon_env(tmp_path, OKRSYNC_JIRA__PAT=PAT, OKRSYNC_SYNC__STATE_URL=url)
    d = start(config_file(tmp_path), env, "--log-format", "json")

    def waits() -> list[dict[str, Any]]:
        lines = [json.loads(line) for line in d.log().splitlines() if line.startswith("{")]
        return [r for r in lines if r.get("event") == "store_unavailable"]

    records = wait_for("three waits for the store", lambda: w if len(w := waits()) >= 3 else None, timeout=15)
    assert d.proc.poll() is None  # still waiting: PostgreSQL may be starting
    assert [r["delay_seconds"] for r in records[:3]] == [0.5, 1.0, 2.0]  # daemon.retry_seconds, doubling
    assert "Connection refused" in records[0]["msg"]
    assert d.stop(signal.SIGTERM) == 0
    assert '"event": "start"' not in d.log()


def test_jira_refusing_connections_at_start_is_retried_not_fatal(
    tmp_path: Path, start: Callable[..., DaemonProcess]
) -> None:
    d = start(config_file(tmp_path), daemon_env(tmp_path, OKRSYNC_JIRA__PAT=PAT), "--log-format", "json")
    d.wait_ready()  # it listens: Jira may be restarting

    def records() -> list[dict[str, Any]]:
        return [json.loads(line) for line in d.log().splitlines() if line.startswith("{")]

    wait_for("a retry", lambda: [r for r in records() if r.get("event") == "retry"], timeout=15)
    events = [r.get("event") for r in records()]
    assert events.index("jira_unavailable_at_start") < events.index("start")
    [first, *_] = [r for r in records() if r.get("event") == "cycle"]
    assert first["status"] == "failed" and first["errors"] == 1  # not errors=0
    assert "connection refused by 127.0.0.1" in first["failure"]
    assert d.stop() == 0
    assert PAT not in d.log()


# ------------------------------------------------------------------------------------ in-process


def test_a_failed_cycle_counts_its_failure_as_an_error() -> None:
    report = SyncReport(run_id=7, mode="full", status="failed", failure="Jira is down")
    summary = CycleSummary("schedule", report, frozenset())
    assert summary.fields()["errors"] == 1
    assert "status=failed" in summary.message() and "errors=1" in summary.message()


def jira_cfg(**values: Any) -> JiraConfig:
    return JiraConfig(**{"url": "https://jira.example.test", "flavor": "cloud", **values})


def test_the_start_probe_asks_jira_once_and_tells_a_refused_credential_from_an_outage() -> None:
    cfg = jira_cfg(email="okrsync@example.com", api_token="wrong", max_retries=5)
    with responses.RequestsMock() as rsps:
        rsps.get("https://jira.example.test/rest/api/3/myself", status=401)
        with pytest.raises(JiraAuthError, match="Jira answered 401"):
            probe_jira(cfg)
    with responses.RequestsMock() as rsps:
        rsps.get("https://jira.example.test/rest/api/3/myself", status=503)
        assert probe_jira(cfg) is None  # may pass: the daemon starts and its cycles retry
        assert len(rsps.calls) == 1  # no backoff before the daemon listens
    with responses.RequestsMock() as rsps:
        rsps.get("https://jira.example.test/rest/api/3/myself", json={"accountId": "me"})
        assert probe_jira(cfg) == {"accountId": "me"}


def test_the_start_probe_needs_no_request_to_see_a_missing_credential() -> None:
    with responses.RequestsMock() as rsps, pytest.raises(MissingCredentialError, match=r"jira\.email"):
        probe_jira(jira_cfg(email=None, api_token="t"))
    assert len(rsps.calls) == 0


def test_open_store_waits_out_what_may_pass_and_raises_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'state.db'}"
    real_open = StateStore.open
    attempts: list[str] = []

    def flaky(u: str) -> StateStore:
        attempts.append(u)
        if len(attempts) < 3:
            raise StateStoreError("connection refused", transient=True)
        return real_open(u)

    monkeypatch.setattr(daemon_start.StateStore, "open", flaky)
    store = open_store(url, stop=threading.Event(), first=0.01, cap=0.02)
    assert store is not None and len(attempts) == 3
    store.close()

    def hopeless(u: str) -> StateStore:
        attempts.append(u)
        raise StateStoreError('role "x" does not exist')

    attempts.clear()
    monkeypatch.setattr(daemon_start.StateStore, "open", hopeless)
    with pytest.raises(StateStoreError, match="does not exist"):
        open_store(url, stop=threading.Event(), first=0.01, cap=0.02)
    assert len(attempts) == 1

    stopped = threading.Event()
    stopped.set()
    assert open_store(url, stop=stopped, first=0.01, cap=0.02) is None


def test_a_store_that_cannot_be_written_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(StateStore, "ping", lambda self: False)
    with pytest.raises(StateStoreError, match="can be read but not written"):
        open_store(f"sqlite:///{tmp_path / 'state.db'}", stop=threading.Event(), first=1, cap=1)


def test_the_example_state_store_errors_say_whether_they_may_pass(tmp_path: Path) -> None:
    closed = f"postgresql+psycopg://okrsync@127.0.0.1:{closed_port()}/okrsync"
    with pytest.raises(StateStoreError) as refused:
        StateStore.open(closed)
    assert refused.value.transient
    with pytest.raises(StateStoreError) as no_dir:
        StateStore.open(f"sqlite:///{tmp_path / 'missing' / 'state.db'}")
    assert not no_dir.value.transient


def test_the_configuration_of_these_tests_is_valid(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # so that every refusal above is the daemon's start check, not a configuration error
    for key in [k for k in os.environ if k.upper().startswith("OKRSYNC_")]:
        monkeypatch.delenv(key)
    cfg = load_config(config_file(tmp_path, flavor="datacenter", email="okrsync@example.com"))
    assert cfg.jira.flavor == "datacenter" and cfg.jira.pat is None and cfg.jira.api_token is None
