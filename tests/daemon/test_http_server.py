"""The daemon's real HTTP server (uvicorn with okrsync's read deadlines) over real sockets: slow and
vanishing clients, the connection limit, and webhooks that are replayed, old or deeply nested."""

from __future__ import annotations

import contextlib
import json
import logging
import selectors
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from daemonkit import DEMO, SECRET, wait_for
from prometheus_client.parser import text_string_to_metric_families

from okrsync.daemon import service as daemon_module
from okrsync.daemon.http import create_app
from okrsync.daemon.server import HttpLimits, ReadDeadlines, Server, bind, http_config
from okrsync.daemon.service import Daemon
from okrsync.daemon.webhook_checks import sign
from okrsync.domain.config import load_config
from okrsync.jira.gateway import JiraGateway
from okrsync.state.store import StateStore

TIMEOUT = 0.5  # the header and body deadlines of these tests (the daemon's are 10 s and 30 s)
LIMITS = HttpLimits(header_timeout=TIMEOUT, body_timeout=TIMEOUT, max_connections=100)
# The crowd test opens 200 connections before it asks; on a loaded 2-core CI machine that can take
# longer than 0.5 s, and the first ones would be closed at their deadline before the crowd is whole.
CROWD_TIMEOUT = 3.0
CROWD_LIMITS = HttpLimits(header_timeout=CROWD_TIMEOUT, body_timeout=CROWD_TIMEOUT, max_connections=100)
HALF_HEADERS = b"POST /webhooks/jira HTTP/1.1\r\nHost: okrsync\r\nContent-Type: application/json\r\n"


@dataclass
class Served:
    daemon: Daemon
    port: int
    server: Server

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def connect(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=10)

    def metric(self, name: str, **labels: str) -> float:
        families = text_string_to_metric_families(self.daemon.metrics.render().decode())
        return sum(
            s.value
            for f in families
            for s in f.samples
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
        )

    def statuses(self, path: str) -> dict[str, float]:
        families = text_string_to_metric_families(self.daemon.metrics.render().decode())
        return {
            s.labels["status"]: s.value
            for f in families
            for s in f.samples
            if s.name == "okrsync_http_requests_total" and s.labels.get("path") == path
        }


@pytest.fixture
def served(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Iterator[Served]:
    """A daemon (no Jira: nothing here reaches it) behind the server ``okrsync daemon`` runs, with
    LIMITS unless a test passes others (``indirect`` parametrization)."""
    limits: HttpLimits = getattr(request, "param", LIMITS)
    monkeypatch.setenv("OKRSYNC_JIRA__URL", "http://127.0.0.1:9")
    monkeypatch.setenv("OKRSYNC_WEBHOOK__SECRET", SECRET)
    cfg = load_config(DEMO)
    with StateStore.open(f"sqlite:///{tmp_path / 'state.db'}") as store, JiraGateway(cfg.jira) as gateway:
        daemon = Daemon(cfg, store=store, gateway=gateway, interval_seconds=60)
        daemon.identity = daemon_module.Identity("okrsync-itself")
        config = http_config(
            create_app(daemon), limits, lambda phase: daemon.metrics.http_read_timeouts.labels(phase).inc()
        )
        server = Server(config, on_exit=daemon.request_stop)
        sock = bind("127.0.0.1", 0)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        try:
            wait_for("the server to start", lambda: server.started, timeout=10)
            yield Served(daemon, sock.getsockname()[1], server)
        finally:
            server.should_exit = True
            thread.join(10)
            sock.close()
            daemon.shutdown()


def closed_after(
    socks: list[socket.socket], started: list[float], within: float
) -> list[tuple[float, bytes]]:
    """For each socket, how long after ``started`` the server closed it and what it sent first."""
    sel = selectors.DefaultSelector()
    got: dict[int, bytearray] = {}
    out: dict[int, tuple[float, bytes]] = {}
    for i, s in enumerate(socks):
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, i)
        got[i] = bytearray()
    deadline = time.monotonic() + within
    while len(out) < len(socks) and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=0.05):
            i = key.data
            try:
                chunk = key.fileobj.recv(65536)  # type: ignore[union-attr]
            except ConnectionResetError:
                chunk = b""
            if chunk:
                got[i] += chunk
                continue
            out[i] = (time.monotonic() - started[i], bytes(got[i]))
            sel.unregister(key.fileobj)
    sel.close()
    assert len(out) == len(socks), f"{len(socks) - len(out)} connection(s) still open after {within} s"
    return [out[i] for i in range(len(socks))]


def signed_post(
    served: Served, payload: object, identifier: str | None, *, client: httpx.Client
) -> httpx.Response:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = {"Content-Type": "application/json", "X-Hub-Signature": sign(SECRET, body)}
    if identifier is not None:
        headers["X-Atlassian-Webhook-Identifier"] = identifier
    return client.post(f"{served.url}/webhooks/jira", content=body, headers=headers)


def test_the_daemons_server_settings() -> None:
    config = http_config(object())
    assert (config.timeout_keep_alive, config.limit_concurrency) == (5, 100)
    assert config.h11_max_incomplete_event_size == 16 * 1024
    assert isinstance(config.http, type) and issubclass(config.http, ReadDeadlines)
    assert config.http.deadlines.limits == HttpLimits(header_timeout=10.0, body_timeout=30.0)


def test_a_client_that_sends_half_its_headers_and_waits_is_closed_at_the_deadline(served: Served) -> None:
    s = served.connect()
    with contextlib.closing(s):
        s.sendall(HALF_HEADERS)
        [(after, answer)] = closed_after([s], [time.monotonic()], within=5)
    assert TIMEOUT - 0.05 <= after < TIMEOUT + 1.0, after
    assert answer.startswith(b"HTTP/1.1 408 Request Timeout\r\n")
    assert b"did not arrive within 0.5 s" in answer
    assert served.metric("okrsync_http_read_timeouts_total", phase="headers") == 1
    assert served.statuses("/webhooks/jira") == {}  # no request was ever read


@pytest.mark.parametrize("served", [CROWD_LIMITS], indirect=True)
def test_200_slow_clients_are_all_closed_and_the_server_serves_again(served: Served) -> None:
    socks: list[socket.socket] = []
    started: list[float] = []
    try:
        for i in range(200):
            s = served.connect()
            s.sendall(HALF_HEADERS if i % 2 else b"GET /heal")  # half headers, or half a request line
            socks.append(s)
            started.append(time.monotonic())
        # the server holds all of them (accepted, none at its deadline yet) ...
        wait_for("the 200 connections", lambda: len(served.server.server_state.connections) >= 200, timeout=5)
        assert time.monotonic() - started[0] < CROWD_TIMEOUT, "the crowd took longer than its deadline"
        # ... so more than max_connections are open: a request is answered 503 at once (not queued
        # behind them)
        t0 = time.monotonic()
        busy = httpx.get(f"{served.url}/healthz", timeout=5)
        assert busy.status_code == 503 and time.monotonic() - t0 < TIMEOUT
        results = closed_after(socks, started, within=CROWD_TIMEOUT + 10)
    finally:
        for s in socks:
            s.close()
    fastest = min(a for a, _ in results)
    slowest = max(after for after, _ in results)
    print(f"200 slow clients: each closed {fastest:.2f}-{slowest:.2f} s after it connected")
    assert fastest >= CROWD_TIMEOUT - 0.05 and slowest < CROWD_TIMEOUT + 1.5, (fastest, slowest)
    assert all(answer.startswith(b"HTTP/1.1 408") for _, answer in results)
    assert served.metric("okrsync_http_read_timeouts_total", phase="headers") == 200
    assert httpx.get(f"{served.url}/healthz", timeout=5).status_code == 200


def test_a_client_that_sends_half_its_body_and_waits_is_closed_quietly(
    served: Served, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    s = served.connect()
    with contextlib.closing(s):
        s.sendall(HALF_HEADERS + b"Content-Length: 1000\r\n\r\n" + b'{"webhookEvent": "' + b"x" * 100)
        [(after, answer)] = closed_after([s], [time.monotonic()], within=5)
    assert TIMEOUT - 0.05 <= after < TIMEOUT + 1.0 and answer == b""
    wait_for("the abandoned delivery", lambda: served.metric("okrsync_webhooks_total", outcome="abandoned"))
    assert served.metric("okrsync_http_read_timeouts_total", phase="body") == 1
    assert served.statuses("/webhooks/jira") == {"499": 1}  # not a 500
    assert_quiet(caplog)


def test_a_client_that_goes_away_mid_body_is_a_debug_line_not_an_error(
    served: Served, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for _ in range(3):
        s = served.connect()
        s.sendall(HALF_HEADERS + b"Content-Length: 1000\r\n\r\n" + b'{"webhookEvent": "')
        time.sleep(0.05)
        s.close()
    wait_for(
        "three abandoned deliveries",
        lambda: served.metric("okrsync_webhooks_total", outcome="abandoned") == 3,
    )
    assert served.statuses("/webhooks/jira") == {"499": 3}
    assert served.metric("okrsync_http_read_timeouts_total") == 0  # they left before the deadline
    assert_quiet(caplog)
    abandoned = [r for r in caplog.records if getattr(r, "outcome", None) == "abandoned"]
    assert len(abandoned) == 3 and {r.levelno for r in abandoned} == {logging.DEBUG}


def assert_quiet(caplog: pytest.LogCaptureFixture) -> None:
    loud = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert loud == [], [r.getMessage() for r in loud]
    assert "Exception in ASGI application" not in caplog.text


def read_response(s: socket.socket) -> bytes:
    """One HTTP response with a Content-Length, read whole."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += s.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        body += s.recv(65536)
    return head + b"\r\n\r\n" + body


def test_clients_within_the_deadlines_are_served_on_a_kept_alive_connection(served: Served) -> None:
    s = served.connect()
    with contextlib.closing(s):
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: okrsync\r\n")
        time.sleep(TIMEOUT * 0.6)  # slow, but within the deadline
        s.sendall(b"\r\n")
        first = read_response(s)
        body = b'{"webhookEvent": "jira:issue_updated", "issue": {"key": "OPS-1", "fields": {}}}'
        s.sendall(  # the same connection again: a webhook whose body comes in two parts
            b"POST /webhooks/jira HTTP/1.1\r\nHost: okrsync\r\nX-Hub-Signature: "
            + sign(SECRET, body).encode()
            + b"\r\nContent-Length: %d\r\n\r\n" % len(body)
            + body[:20]
        )
        time.sleep(TIMEOUT * 0.6)
        s.sendall(body[20:])
        second = read_response(s)
    assert first.startswith(b"HTTP/1.1 200") and first.endswith(b'{"status":"alive"}')
    assert second.startswith(b"HTTP/1.1 200") and b'"outcome":"ignored"' in second
    assert served.metric("okrsync_http_read_timeouts_total") == 0


def test_webhook_replays_old_events_and_deep_bodies_over_the_real_server(
    served: Served, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    now_ms = int(time.time() * 1000)  # the daemon here runs on the real clock, as Jira does
    event = {
        "timestamp": now_ms,
        "webhookEvent": "jira:issue_updated",
        "user": {"accountId": "someone"},
        "issue": {"key": "OPS-9", "fields": {}},
    }
    deep = b'{"webhookEvent": "x", "deep": ' + b"[" * 10_000 + b"]" * 10_000 + b"}"
    with httpx.Client(timeout=10) as client:
        first = signed_post(served, event, "d-1", client=client)
        assert (first.status_code, first.json()["outcome"]) == (200, "ignored")  # handled: no KR
        for identifier in ("d-1", "d-2", None):  # a redelivery, and two replays of the signed body
            again = signed_post(served, event, identifier, client=client)
            assert (again.status_code, again.json()["outcome"]) == (200, "duplicate"), identifier
        old = {**event, "timestamp": now_ms - 61 * 60 * 1000}
        refused = signed_post(served, old, "d-3", client=client)
        assert (refused.status_code, refused.json()["outcome"]) == (400, "too_old")
        assert "61 min old" in refused.json()["message"]
        nested = signed_post(served, deep, "d-4", client=client)
        assert (nested.status_code, nested.json()["outcome"]) == (400, "too_deep")
    outcomes = {o: served.metric("okrsync_webhooks_total", outcome=o) for o in ("ignored", "duplicate")}
    assert outcomes == {"ignored": 1, "duplicate": 3}
    assert served.metric("okrsync_webhooks_total", outcome="too_old") == 1
    assert served.metric("okrsync_webhooks_total", outcome="too_deep") == 1
    assert served.statuses("/webhooks/jira") == {"200": 4, "400": 2}
    assert "RecursionError" not in caplog.text
    too_old = [r for r in caplog.records if getattr(r, "outcome", None) == "too_old"]
    assert len(too_old) == 1 and too_old[0].levelno == logging.WARNING  # logged once
