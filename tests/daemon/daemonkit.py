"""Helpers for the daemon tests: settings over the simulator, a daemon process, polling."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
from simkit import live_demo

from okrsync.data import DEMO_CONFIG
from okrsync.jira_sim.simulator import JiraSimulator

ROOT = Path(__file__).resolve().parents[2]
DEMO = DEMO_CONFIG
PG_URL = os.environ.get("OKRSYNC_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
SECRET = "whsec-9f2c41d7e0b3"  # the webhook secret the tests register in the simulator
PAT = "demo-pat"
# daemons run in subprocesses on the real clock: simulators for them hold the demo company built
# around today (sim_factory(..., demo_start=LIVE.start)), and env_for moves the period with it
LIVE = live_demo()
T = TypeVar("T")


def env_for(sim: JiraSimulator, state_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OKRSYNC_")}
    env.update(
        {
            "OKRSYNC_JIRA__URL": sim.url,
            "OKRSYNC_JIRA__PAT": PAT,
            "OKRSYNC_JIRA__REQUESTS_PER_SECOND": "1000",
            "OKRSYNC_JIRA__MAX_RETRY_SECONDS": "5",
            "OKRSYNC_SYNC__STATE_URL": state_url,
            "OKRSYNC_WEBHOOK__SECRET": SECRET,
            "OKRSYNC_WEBHOOK__DEBOUNCE_SECONDS": "0.5",
            "OKRSYNC_DAEMON__RETRY_SECONDS": "1",
            **LIVE.env,
        }
    )
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(what: str, probe: Callable[[], T | None], timeout: float = 15.0, every: float = 0.05) -> T:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = probe()
        except (httpx.HTTPError, OSError) as exc:
            last = exc
        else:
            if last:
                return last
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout} s waiting for {what} (last: {last!r})")


@dataclass
class DaemonProcess:
    proc: subprocess.Popen[bytes]
    port: int
    log_path: Path
    args: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def get(self, path: str) -> httpx.Response:
        return httpx.get(self.url + path, timeout=10)

    def wait_ready(self, timeout: float = 20.0) -> None:
        def up() -> bool:
            if self.proc.poll() is not None:
                raise AssertionError(f"the daemon exited with {self.proc.returncode}:\n{self.log()}")
            return self.get("/healthz").status_code == 200

        wait_for("the daemon's /healthz", up, timeout)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
            raise AssertionError(f"the daemon did not stop within {timeout} s:\n{self.log()}") from None


def start_daemon(env: dict[str, str], log_path: Path, *args: str, port: int | None = None) -> DaemonProcess:
    port = port or free_port()
    argv = [sys.executable, "-m", "okrsync.cli", "-c", str(DEMO), "daemon", "--port", str(port), *args]
    with log_path.open("ab") as out:
        proc = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
    return DaemonProcess(proc, port, log_path, argv)


@contextlib.contextmanager
def running(env: dict[str, str], log_path: Path, *args: str) -> Iterator[DaemonProcess]:
    d = start_daemon(env, log_path, *args)
    try:
        yield d
    finally:
        if d.proc.poll() is None:
            d.proc.kill()
            d.proc.wait(10)


@contextlib.contextmanager
def pg_schema(prefix: str = "okrsync_daemon") -> Iterator[str]:
    """A fresh schema on the test PostgreSQL, named in the URL as a real deployment would
    (``search_path`` option); dropped on the way out. Fails the test if PostgreSQL is not there."""
    import pytest
    import sqlalchemy as sa

    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_URL, connect_args={"connect_timeout": 5})
    try:
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    except sa.exc.OperationalError as exc:
        admin.dispose()
        pytest.fail(f"PostgreSQL is not reachable at {PG_URL}: {exc.orig}", pytrace=False)
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def register_webhook(sim: JiraSimulator, url: str, secret: str | None = SECRET) -> None:
    body: dict[str, Any] = {
        "name": "okrsync",
        "url": url,
        "events": ["jira:issue_created", "jira:issue_updated", "jira:issue_deleted", "comment_created"],
        "filters": {"issue-related-events-section": "project in (PLAT, MOB, WEB, DATA)"},
    }
    if secret is not None:
        body["secret"] = secret
    r = httpx.post(f"{sim.url}/rest/webhooks/1.0/webhook", json=body, auth=sim.credentials, timeout=10)
    assert r.status_code == 201, r.text


def field(sim: JiraSimulator, key: str, name: str) -> Any:
    value = sim.issue(key)["fields"].get(sim.field_id(name))
    return value.get("value") if isinstance(value, dict) else value
