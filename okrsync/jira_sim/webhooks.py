"""Webhook registry rendering and delivery: a background thread POSTs Jira's payloads to the
registered URLs, signs them (``X-Hub-Signature: sha256=<hex HMAC>``) when the webhook has a
secret, and retries failures with the same ``X-Atlassian-Webhook-Identifier``."""

from __future__ import annotations

import hashlib
import hmac
import json
import queue
import threading
import time
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from okrsync.jira_sim import render
from okrsync.jira_sim.fields import FieldSelection
from okrsync.jira_sim.timeutil import iso_z

if TYPE_CHECKING:
    from okrsync.jira_sim.simulator import JiraSimulator
    from okrsync.jira_sim.store import Event, Json

ISSUE_SECTION = "issue-related-events-section"


def signature(secret: str, body: bytes) -> str:
    """The ``X-Hub-Signature`` value Jira sends for ``body``."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def webhook_json(wh: Json, base: str) -> Json:
    out = {k: v for k, v in wh.items() if k != "secret"}
    out["self"] = f"{base}/rest/webhooks/1.0/webhook/{wh['id']}"
    return out


class WebhookDispatcher:
    """Delivers store events to matching webhooks in order, on one daemon thread."""

    def __init__(
        self,
        sim: JiraSimulator,
        *,
        max_attempts: int = 4,
        backoff_seconds: float = 0.05,
        timeout_seconds: float = 5.0,
    ) -> None:
        self.sim = sim
        self.max_attempts = max_attempts
        self.backoff_seconds = backoff_seconds
        self.timeout_seconds = timeout_seconds
        self.deliveries: list[dict[str, Any]] = []
        self._queue: queue.Queue[tuple[Event, int] | None] = queue.Queue()
        self._busy = 0
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None

    # called by the store, under its lock: snapshot the payloads now, send later
    def on_event(self, event: Event) -> None:
        if not self.sim.store.webhooks:
            return
        with self._cond:
            self._busy += 1
        self._queue.put((event, int(time.time() * 1000)))

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="jira-sim-webhooks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=5)
            self._thread = None

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until every queued event was delivered (or gave up); False on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
        return True

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            event, ts = item
            try:
                for wh, body in self._payloads(event, ts):
                    self._deliver(wh, body, event)
            finally:
                with self._cond:
                    self._busy -= 1
                    self._cond.notify_all()

    def _payloads(self, event: Event, ts: int) -> list[tuple[Json, bytes]]:
        from okrsync.jira_sim.jql import JqlError, compile_jql

        sim = self.sim
        store = sim.store
        out: list[tuple[Json, bytes]] = []
        with store.lock:
            issue = store.issues.get(event["issue_key"])
            if issue is None:
                return out
            for wh in list(store.webhooks.values()):
                if not wh.get("enabled", True) or event["webhookEvent"] not in wh.get("events", []):
                    continue
                jql = (wh.get("filters") or {}).get(ISSUE_SECTION)
                if jql:
                    try:
                        if not compile_jql(jql, store.fields, now=store.now()).matches(issue):
                            continue
                    except JqlError:
                        continue
                if wh.get("excludeBody"):
                    out.append((wh, b""))
                    continue
                payload: Json = {
                    "timestamp": ts,
                    "webhookEvent": event["webhookEvent"],
                    "issue_event_type_name": event.get("issue_event_type_name"),
                    "user": render.user(event.get("user"), sim.url, "2", store.flavor),
                    "issue": render.issue(store, issue, sim.url, "2", FieldSelection(all_fields=True)),
                }
                if event.get("changelog"):
                    hist = event["changelog"]
                    payload["changelog"] = {"id": hist["id"], "items": hist["items"]}
                if event.get("comment"):
                    payload["comment"] = render.comment(store, event["comment"], sim.url, "2", issue["id"])
                if event.get("property"):
                    payload["property"] = event["property"]
                if payload["issue_event_type_name"] is None:
                    del payload["issue_event_type_name"]
                out.append((wh, json.dumps(payload).encode("utf-8")))
        return out

    def _deliver(self, wh: Json, body: bytes, event: Event) -> None:
        identifier = str(uuid.uuid4())
        url = str(wh["url"])
        for var, value in (
            ("${issue.key}", event["issue_key"]),
            ("${project.key}", str(event["issue_key"]).split("-")[0]),
        ):
            url = url.replace(var, value)
        for attempt in range(self.max_attempts):
            headers = {
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": "Atlassian Webhook HTTP Client",
                "X-Atlassian-Webhook-Identifier": identifier,
            }
            if attempt:
                headers["X-Atlassian-Webhook-Retry"] = str(attempt)
            if wh.get("secret"):
                headers["X-Hub-Signature"] = signature(str(wh["secret"]), body)
            status: int | None = None
            error: str | None = None
            try:
                req = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
                with urllib.request.urlopen(req, timeout=self.timeout_seconds) as resp:  # noqa: S310
                    status = int(resp.status)
            except urllib.error.HTTPError as exc:
                status = exc.code
            except (OSError, ValueError) as exc:
                error = f"{type(exc).__name__}: {exc}"
            ok = status is not None and 200 <= status < 300
            self.deliveries.append(
                {
                    "webhook": wh["id"],
                    "url": url,
                    "event": event["webhookEvent"],
                    "issue": event["issue_key"],
                    "identifier": identifier,
                    "attempt": attempt + 1,
                    "status": status,
                    "error": error,
                    "ok": ok,
                    "at": iso_z(datetime.now(UTC)),
                }
            )
            if ok:
                return
            time.sleep(self.backoff_seconds * (2**attempt))
