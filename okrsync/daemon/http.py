"""The daemon's HTTP endpoints (one small Starlette app, served by uvicorn).

``POST /webhooks/jira`` Jira webhooks (signed) · ``GET /healthz`` alive · ``GET /readyz`` Jira
reachable, store writable, last sync recent · ``GET /metrics`` Prometheus text · ``GET /`` the
read-only status page.

A client that goes away before its request is read (it closed the connection, or the server closed
it at the read timeout, see :mod:`okrsync.daemon.server`) is a debug line and counts as status
``499`` (nginx's "client closed request"), not as a 500 and not as an error in the log.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from okrsync.core.coverage import Coverage
from okrsync.core.stored_tree import META_KEY as SNAPSHOT_KEY
from okrsync.daemon.metrics import CONTENT_TYPE, Metrics
from okrsync.daemon.readiness import check_last_sync, last_ok_run
from okrsync.daemon.status_page import render_status_page, status_people
from okrsync.daemon.webhooks import IDENTIFIER_HEADER, RETRY_HEADER, DeliveryOutcome, WebhookReceiver
from okrsync.domain.config import Settings
from okrsync.domain.keys import META_COACH_FINDINGS, META_COVERAGE
from okrsync.state.store import StateStore
from okrsync.sync.report_facts import findings_by_subject

log = logging.getLogger(__name__)


class DaemonView(Protocol):
    """What the app needs of the daemon (``okrsync.daemon.service.Daemon`` is one)."""

    cfg: Settings
    store: StateStore
    metrics: Metrics
    receiver: WebhookReceiver
    started_at: datetime
    failures: int

    @property
    def max_sync_age(self) -> timedelta: ...

    def sync_late_after(self, last_success: datetime) -> datetime | None: ...

    def clock(self) -> datetime: ...

    def jira_reachable(self) -> bool: ...

    def info(self) -> dict[str, Any]: ...


CLIENT_GONE = "499"
"""The status label of a request whose client went away before it was answered."""


class _CountRequests:
    """Pure ASGI middleware: counts every HTTP request by route and status (:data:`CLIENT_GONE`
    when the client disconnected before an answer was sent)."""

    def __init__(self, app: ASGIApp, metrics: Metrics, paths: frozenset[str]) -> None:
        self.app = app
        self.metrics = metrics
        self.paths = paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status: list[int | None] = [None]
        gone = [False]

        async def receive_wrapper() -> Message:
            message = await receive()
            if message["type"] == "http.disconnect":
                gone[0] = True
            return message

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive_wrapper, send_wrapper)
        finally:
            path = scope.get("path", "")
            label = str(status[0]) if status[0] is not None else CLIENT_GONE if gone[0] else "500"
            self.metrics.http_requests.labels(path if path in self.paths else "other", label).inc()


class _NoAnswer(Response):
    """The "answer" to a client that went away: nothing is sent (there is nobody to send it to)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        return None


async def _read_capped(request: Request, limit: int) -> bytes | None:
    """The raw body, or ``None`` as soon as it grows beyond ``limit`` bytes."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)


def create_app(daemon: DaemonView) -> Starlette:
    endpoints = _Endpoints(daemon)
    routes: list[Route] = [
        Route("/webhooks/jira", endpoints.webhook, methods=["POST"]),
        Route("/healthz", _sync(healthz), methods=["GET"]),
        Route("/readyz", endpoints.readyz, methods=["GET"]),
        Route("/metrics", endpoints.prometheus, methods=["GET"]),
        Route("/", endpoints.status_page, methods=["GET"]),
    ]
    app = Starlette(routes=routes)
    paths = frozenset(r.path for r in routes)
    app.add_middleware(_CountRequests, metrics=daemon.metrics, paths=paths)
    return app


def healthz(request: Request) -> Response:
    return JSONResponse({"status": "alive"})


class _Endpoints:
    """The handlers that read the daemon (``/healthz`` needs nothing of it)."""

    def __init__(self, daemon: DaemonView) -> None:
        self.daemon = daemon
        self.receiver = daemon.receiver
        self.metrics = daemon.metrics
        self.store = daemon.store

    async def webhook(self, request: Request) -> Response:
        receiver = self.receiver
        headers = {k.lower(): v for k, v in request.headers.items()}
        if not receiver.enabled:
            return self._answer(receiver.receive(headers, b""), request, headers)
        length = headers.get("content-length", "")
        if length.isdigit():
            big = receiver.too_large(int(length))
            if big is not None:
                return self._answer(big, request, headers)
        try:
            body = await _read_capped(request, receiver.cfg.max_body_bytes)
        except ClientDisconnect:
            self.metrics.webhooks.labels("abandoned").inc()
            log.debug(
                "webhook abandoned: the client went away before its body arrived; nothing done",
                extra={
                    "event": "webhook",
                    "outcome": "abandoned",
                    "identifier": headers.get(IDENTIFIER_HEADER),
                    "client": request.client.host if request.client else None,
                },
            )
            return _NoAnswer()
        if body is None:
            return self._answer(
                DeliveryOutcome(
                    413, "too_large", f"body exceeds webhook.max_body_bytes ({receiver.cfg.max_body_bytes})"
                ),
                request,
                headers,
            )
        outcome = await run_in_threadpool(receiver.receive, headers, body)
        return self._answer(outcome, request, headers)

    def _answer(self, outcome: DeliveryOutcome, request: Request, headers: Mapping[str, str]) -> JSONResponse:
        self.metrics.webhooks.labels(outcome.outcome).inc()
        level = logging.INFO if outcome.status < 400 else logging.WARNING
        log.log(
            level,
            "webhook %s: %s",
            outcome.outcome,
            outcome.message,
            extra={
                "event": "webhook",
                "outcome": outcome.outcome,
                "http_status": outcome.status,
                "identifier": headers.get(IDENTIFIER_HEADER),
                "retry": headers.get(RETRY_HEADER),
                "client": request.client.host if request.client else None,
                "affected_krs": sorted(outcome.affected),
            },
        )
        return JSONResponse(outcome.as_dict(), status_code=outcome.status)

    def readyz(self, request: Request) -> Response:
        daemon, store = self.daemon, self.store
        now = daemon.clock()
        store_ok = store.ping()
        jira_ok = daemon.jira_reachable()
        last = last_ok_run(store.runs(50)) if store_ok else None
        last_sync = check_last_sync(
            now,
            last,
            max_age=daemon.max_sync_age,
            late_after=daemon.sync_late_after,
            started_at=daemon.started_at,
            failures=daemon.failures,
        )
        ready = store_ok and jira_ok and last_sync.ok
        body = {
            "ready": ready,
            "checks": {
                "jira": {"ok": jira_ok},
                "store": {"ok": store_ok, "url": store.url_for_display},
                "last_sync": last_sync.as_dict(),
            },
        }
        return JSONResponse(body, status_code=200 if ready else 503)

    def prometheus(self, request: Request) -> Response:
        return Response(self.metrics.render(), media_type=CONTENT_TYPE)

    def status_page(self, request: Request) -> Response:
        store = self.store
        snapshot = store.get_meta(SNAPSHOT_KEY)
        html = render_status_page(
            snapshot if isinstance(snapshot, dict) else None,
            store.runs(15),
            self.daemon.info(),
            jira_url=self.daemon.cfg.jira.url,
            now=self.daemon.clock(),
            findings=findings_by_subject(store.get_meta(META_COACH_FINDINGS)),
            people=status_people(store, snapshot),
            coverage=Coverage.of_json(store.get_meta(META_COVERAGE)),
        )
        return HTMLResponse(html)


def _sync(fn: Callable[[Request], Response]) -> Callable[[Request], Awaitable[Response]]:
    """Run a cheap handler on the event loop (no thread hop): /healthz must answer even when the
    thread pool is busy with slow store calls."""

    async def handler(request: Request) -> Response:
        return fn(request)

    return handler
