"""`okrsync daemon` as a real process against the simulator: schedule, webhooks, signals, retries."""

from __future__ import annotations

import json
import signal
import socket
import time
from pathlib import Path

import httpx
import pytest
from daemonkit import LIVE, PAT, SECRET, DaemonProcess, env_for, field, register_webhook, running, wait_for
from simkit import SimFactory

from okrsync.domain.records import RunRecord
from okrsync.jira.markup import plain_text
from okrsync.jira_sim.simulator import JiraSimulator
from okrsync.state.store import StateStore

pytestmark = pytest.mark.slow  # real subprocesses and waits: seconds each

DEMO_TOKEN = "demo-token"  # the simulator's demo credential, in config/demo.yaml)


def runs(db: Path) -> list[RunRecord]:
    with StateStore.open(f"sqlite:///{db}") as store:
        return store.runs(200)


def finished(db: Path, n: int) -> list[RunRecord] | None:
    done = [r for r in runs(db) if not r.running]
    return done if len(done) >= n else None


def cycle_lines(d: DaemonProcess) -> list[dict[str, object]]:
    out = []
    for line in d.log().splitlines():
        if line.startswith("{"):
            rec = json.loads(line)
            if rec.get("event") == "cycle":
                out.append(rec)
    return out


def assert_no_secret(*daemons: DaemonProcess) -> None:
    for d in daemons:
        text = d.log()
        for secret in (PAT, DEMO_TOKEN, SECRET):
            assert secret not in text, f"a secret leaked into the log of pid {d.pid}"


@pytest.fixture
def sim(sim_factory: SimFactory) -> JiraSimulator:
    return sim_factory("cloud", okr_fields=True, demo_start=LIVE.start)


def test_syncs_on_schedule_and_sigterm_stops_it_cleanly(sim: JiraSimulator, tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    env = env_for(sim, f"sqlite:///{db}")
    with running(env, tmp_path / "daemon.log", "--interval-seconds", "1", "--log-format", "json") as d:
        d.wait_ready()
        wait_for("three finished cycles", lambda: finished(db, 3), timeout=20)
        assert d.proc.poll() is None
        started = time.monotonic()
        assert d.stop(signal.SIGTERM) == 0
        assert time.monotonic() - started < 10
    all_runs = runs(db)
    assert not [r for r in all_runs if r.running], "a run was left 'running'"
    modes = [r.mode for r in reversed(all_runs)]
    assert modes[0] == "full" and set(modes[1:]) == {"incremental"}
    assert all(r.status == "ok" for r in all_runs), [(r.run_id, r.status) for r in all_runs]
    lines = cycle_lines(d)
    assert len(lines) == len(all_runs)
    assert {ln["reason"] for ln in lines} == {"schedule"}
    assert {"run_id", "mode", "status", "requests", "writes", "seconds", "health"} <= set(lines[0])
    # the first cycle wrote the demo company; the later ones had nothing to write
    assert lines[0]["writes"] > 15 and all(ln["writes"] == 0 for ln in lines[1:])
    assert field(sim, "MOB-1", "OKR Progress") == 16.7
    assert '"event": "stop"' in d.log()
    assert_no_secret(d)


def test_a_signed_webhook_syncs_the_affected_kr_within_seconds(sim: JiraSimulator, tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    env = env_for(sim, f"sqlite:///{db}")
    with running(env, tmp_path / "daemon.log", "--interval-seconds", "600") as d:
        register_webhook(sim, f"{d.url}/webhooks/jira")
        d.wait_ready()
        wait_for("the first cycle", lambda: finished(db, 1), timeout=20)
        assert field(sim, "MOB-1", "OKR Progress") == 16.7
        sim.reset_counters()
        before = len(sim.webhook_deliveries())  # okrsync's own first writes came back: all 200
        changed = time.monotonic()
        sim.transition("MOB-7", "Done", resolution="Done", by="alice.chen@example.com")  # MOB-1: 3 of 12 done
        wait_for("MOB-1 at 25 %", lambda: field(sim, "MOB-1", "OKR Progress") == 25.0, timeout=10)
        latency = time.monotonic() - changed
        assert latency < 5, latency
        wait_for("the webhook cycle's log line", lambda: "reason=webhook" in d.log(), timeout=5)
        line = next(ln for ln in d.log().splitlines() if "reason=webhook" in ln)
        assert "mode=incremental" in line and "krs=MOB-1" in line and "status=ok" in line
        deliveries = [x for x in sim.webhook_deliveries()[before:] if x["issue"] == "MOB-7"]
        assert [x["status"] for x in deliveries] == [202]
        # okrsync's own edits came back as webhooks too, and were ignored: no feedback loop
        time.sleep(1.5)
        assert len(runs(db)) == 2
        own = [x for x in sim.webhook_deliveries()[before:] if x["issue"] == "MOB-1"]
        assert own and {x["status"] for x in own} == {200}
        assert "webhook own_user" in d.log()
        counts = sim.requests()["counts"]
        writes = {k: v for k, v in counts.items() if k.startswith("PUT")}
        assert writes == {
            "PUT /rest/api/3/issue/{key}": 1,
            "PUT /rest/api/3/issue/{key}/properties/{propertyKey}": 1,
        }
        assert d.stop() == 0
    assert_no_secret(d)


@pytest.mark.parametrize("secret", [None, "the-wrong-secret"], ids=["unsigned", "wrong-secret"])
def test_unsigned_or_wrongly_signed_webhooks_get_401_and_trigger_nothing(
    sim: JiraSimulator, tmp_path: Path, secret: str | None
) -> None:
    db = tmp_path / "state.db"
    env = env_for(sim, f"sqlite:///{db}")
    with running(env, tmp_path / "daemon.log", "--interval-seconds", "600", "--log-format", "json") as d:
        d.wait_ready()
        wait_for("the first cycle", lambda: finished(db, 1), timeout=20)
        register_webhook(sim, f"{d.url}/webhooks/jira", secret=secret)
        sim.transition("MOB-7", "Done", resolution="Done", by="alice.chen@example.com")
        deliveries = wait_for(
            "the deliveries to give up",
            lambda: [x for x in sim.webhook_deliveries() if x["issue"] == "MOB-7"],
            timeout=10,
        )
        assert {x["status"] for x in deliveries} == {401}
        time.sleep(1.5)  # more than the debounce window
        assert len(runs(db)) == 1
        assert field(sim, "MOB-1", "OKR Progress") == 16.7
        outcome = "unsigned" if secret is None else "bad_signature"
        warnings = [json.loads(ln) for ln in d.log().splitlines() if f'"outcome": "{outcome}"' in ln]
        assert warnings and warnings[0]["http_status"] == 401 and warnings[0]["level"] == "warning"
        metrics = d.get("/metrics").text
        assert f'okrsync_webhooks_total{{outcome="{outcome}"}} {float(len(deliveries))}' in metrics
        assert d.stop() == 0
    assert_no_secret(d)


def test_sigterm_mid_cycle_finishes_the_change_and_records_a_partial_run(
    sim_factory: SimFactory, tmp_path: Path
) -> None:
    sim = sim_factory("datacenter", okr_fields=True, demo_start=LIVE.start)
    sim.set_faults(latency_ms=15)  # about 180 writes: the first cycle takes a few seconds
    db = tmp_path / "state.db"
    env = env_for(sim, f"sqlite:///{db}")
    with running(env, tmp_path / "daemon.log", "--interval-seconds", "600") as d:
        d.wait_ready()
        wait_for(
            "some field edits",
            lambda: sim.requests()["counts"].get("PUT /rest/api/2/issue/{key}", 0) >= 20,
            timeout=20,
        )
        assert d.stop(signal.SIGTERM, timeout=10) == 0
    [run] = runs(db)
    assert run.status == "partial", run
    assert not run.running
    assert 20 <= run.writes < 170
    assert "stopped before every change was applied" in json.dumps(dict(run.summary))
    # the state is consistent: a restart converges without repeating anything
    sim.clear_faults()
    with running(env, tmp_path / "daemon2.log", "--interval-seconds", "600") as d2:
        d2.wait_ready()
        wait_for("the second run", lambda: finished(db, 2), timeout=20)
        assert d2.stop() == 0
    last = runs(db)[0]
    assert last.status == "ok", last
    for key in ("PLAT-4", "MOB-3"):  # the celebration and the check-in reminder: exactly once
        assert len([c for c in sim.comments(key) if "okrsync" in plain_text(c["body"])]) == 1, key
    assert field(sim, "MOB-1", "OKR Progress") == 16.7


def test_a_second_daemon_on_the_same_sqlite_file_refuses_to_start(sim: JiraSimulator, tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    env = env_for(sim, f"sqlite:///{db}")
    with running(env, tmp_path / "first.log", "--interval-seconds", "600") as first:
        first.wait_ready()
        with running(env, tmp_path / "second.log", "--interval-seconds", "600") as second:
            assert second.proc.wait(20) == 2
            message = second.log()
            assert f"pid={first.pid}" in message
            assert "PostgreSQL" in message and str(db) in message
            assert "Traceback" not in message
        assert first.get("/healthz").status_code == 200
        assert first.stop() == 0


def test_a_failing_cycle_is_retried_with_backoff_and_never_kills_the_daemon(
    sim: JiraSimulator, tmp_path: Path
) -> None:
    sim.set_faults(error_rate=1.0, error_statuses=[503])
    db = tmp_path / "state.db"
    env = env_for(sim, f"sqlite:///{db}", OKRSYNC_JIRA__MAX_RETRIES="0")
    with running(env, tmp_path / "daemon.log", "--interval-seconds", "600", "--log-format", "json") as d:
        d.wait_ready()
        wait_for("two failed cycles", lambda: finished(db, 2), timeout=20)
        assert d.proc.poll() is None
        assert {r.status for r in runs(db)} == {"failed"}
        ready = d.get("/readyz")
        assert ready.status_code == 503 and ready.json()["checks"]["jira"]["ok"] is False
        sim.clear_faults()
        ok = wait_for("a successful retry", lambda: [r for r in runs(db) if r.status == "ok"], timeout=20)
        assert ok
        # the run's record lands inside the cycle; the daemon's readiness follows when it returns
        assert wait_for("ready again", lambda: d.get("/readyz").status_code == 200, timeout=10)
        assert d.stop() == 0
    retries = [json.loads(ln) for ln in d.log().splitlines() if '"event": "retry"' in ln]
    delays = [r["delay_seconds"] for r in retries]
    assert delays[:2] == [1.0, 2.0], delays  # daemon.retry_seconds=1, doubling
    lines = cycle_lines(d)
    assert lines[0]["status"] == "failed" and lines[1]["reason"] == "retry"
    assert_no_secret(d)


def test_a_credential_jira_refuses_stops_the_daemon_before_it_listens(
    sim: JiraSimulator, tmp_path: Path
) -> None:
    wrong_pat, wrong_token = "pat-Wr0ng-7c1e55aa90", "ATATT-wr0ng-token-31d2"
    db = tmp_path / "state.db"
    env = env_for(sim, f"sqlite:///{db}", OKRSYNC_JIRA__PAT=wrong_pat, OKRSYNC_JIRA__API_TOKEN=wrong_token)
    with running(env, tmp_path / "daemon.log", "--interval-seconds", "600", "--log-format", "json") as d:
        assert d.proc.wait(20) == 2
    log = d.log()
    [record] = [json.loads(line) for line in log.splitlines()]  # one JSON line: the reason
    assert record["event"] == "start_failed" and record["level"] == "error" and record["exit_code"] == 2
    assert "Jira answered 401 to demo@example.com's API token" in record["msg"]
    assert "OKRSYNC_JIRA__API_TOKEN" in record["msg"]
    assert '"event": "start"' not in log and "listening" not in log
    for secret in (wrong_pat, wrong_token, DEMO_TOKEN, SECRET):
        assert secret not in log
    assert runs(db) == []  # no cycle ran


def test_no_secret_reaches_the_log_when_jira_refuses_the_credential_later(
    sim: JiraSimulator, tmp_path: Path
) -> None:
    db = tmp_path / "state.db"
    env = env_for(sim, f"sqlite:///{db}")
    with running(env, tmp_path / "daemon.log", "--interval-seconds", "1", "--log-format", "json") as d:
        d.wait_ready()
        wait_for("the first cycle", lambda: finished(db, 1), timeout=20)
        sim.set_faults(error_rate=1.0, error_statuses=[401])  # the token is revoked while it runs
        wait_for("a failed cycle", lambda: [r for r in runs(db) if r.status == "failed"], timeout=20)
        assert d.proc.poll() is None  # not at start: retried, a person may fix it meanwhile
        body = b'{"webhookEvent": "jira:issue_updated"}'
        for sig in (None, "sha256=" + SECRET):  # a caller that "signs" with the secret itself
            headers = {"X-Hub-Signature": sig} if sig else {}
            assert httpx.post(f"{d.url}/webhooks/jira", content=body, headers=headers).status_code == 401
        assert d.stop() == 0
    log = d.log()
    failed = [ln for ln in cycle_lines(d) if ln["status"] == "failed"]
    assert failed and all(ln["errors"] == 1 for ln in failed)  # the failure counts as an error
    assert "401" in log
    assert_no_secret(d)
    assert all(json.loads(line) for line in log.splitlines())  # every line is one JSON object


def test_a_slow_client_is_closed_at_the_header_timeout_and_a_vanished_one_is_no_error(
    sim: JiraSimulator, tmp_path: Path
) -> None:
    db = tmp_path / "state.db"
    env = env_for(sim, f"sqlite:///{db}")
    with running(env, tmp_path / "daemon.log", "--interval-seconds", "600", "--log-format", "json") as d:
        d.wait_ready()
        head = b"POST /webhooks/jira HTTP/1.1\r\nHost: okrsync\r\nContent-Type: application/json\r\n"
        with socket.create_connection(("127.0.0.1", d.port), timeout=20) as slow:
            slow.sendall(head)  # half the headers, then nothing
            opened = time.monotonic()
            with socket.create_connection(("127.0.0.1", d.port), timeout=5) as gone:
                gone.sendall(head + b"Content-Length: 400\r\n\r\n" + b'{"webhookEvent": "jira:iss')
                time.sleep(0.2)
            answer = b""
            while chunk := slow.recv(65536):
                answer += chunk
            closed_after = time.monotonic() - opened
        print(f"a client holding half its headers was closed after {closed_after:.2f} s")
        assert 9.5 <= closed_after < 12, closed_after  # the daemon's header timeout: 10 s
        assert answer.startswith(b"HTTP/1.1 408 Request Timeout")
        metrics = d.get("/metrics").text
        assert 'okrsync_http_read_timeouts_total{phase="headers"} 1.0' in metrics
        assert 'okrsync_http_requests_total{path="/webhooks/jira",status="499"} 1.0' in metrics
        assert 'okrsync_webhooks_total{outcome="abandoned"} 1.0' in metrics
        assert 'status="500"' not in metrics
        assert d.stop() == 0
    log = d.log()
    assert "Exception in ASGI application" not in log
    assert not [ln for ln in log.splitlines() if json.loads(ln)["level"] in ("error", "critical")]
