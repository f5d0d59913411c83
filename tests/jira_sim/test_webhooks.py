"""Webhook delivery: Jira's payload, HMAC signature, retries with the same identifier."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
import requests
from sim_http import AUTH, api, post, put

from okrsync.jira_sim.simulator import JiraSimulator


class Receiver:
    def __init__(self, fail_first: int = 0) -> None:
        self.calls: list[tuple[dict[str, str], bytes]] = []
        self.fail_first = fail_first
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.calls.append((dict(self.headers.items()), body))
                status = 500 if len(receiver.calls) <= receiver.fail_first else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver(fail_first=1)
    yield r
    r.close()


def _register(sim: JiraSimulator, url: str, **extra: Any) -> dict[str, Any]:
    body = {"name": "okrsync", "url": url, "events": ["jira:issue_updated", "comment_created"], **extra}
    r = requests.post(f"{sim.url}/rest/webhooks/1.0/webhook", json=body, auth=AUTH, timeout=5)
    assert r.status_code == 201, r.text
    return r.json()


def test_signed_delivery_retried_with_same_identifier(sim_okr: JiraSimulator, receiver: Receiver) -> None:
    wh = _register(
        sim_okr, receiver.url, secret="s3cret", filters={"issue-related-events-section": "project = PLAT"}
    )
    assert "secret" not in wh
    progress = sim_okr.field_id("OKR Progress")
    assert (
        put(sim_okr, "/issue/PLAT-2", {"fields": {progress: 40}}, params={"notifyUsers": "false"}).status_code
        == 204
    )
    put(sim_okr, "/issue/MOB-1", {"fields": {progress: 10}})  # filtered out by the webhook's JQL
    deliveries = sim_okr.webhook_deliveries()
    assert [d["ok"] for d in deliveries] == [False, True]
    assert len(receiver.calls) == 2
    (h1, b1), (h2, b2) = receiver.calls
    assert h1["X-Atlassian-Webhook-Identifier"] == h2["X-Atlassian-Webhook-Identifier"]
    assert "X-Atlassian-Webhook-Retry" not in h1 and h2["X-Atlassian-Webhook-Retry"] == "1"
    expected = "sha256=" + hmac.new(b"s3cret", b2, hashlib.sha256).hexdigest()
    assert h2["X-Hub-Signature"] == expected and b1 == b2
    payload = json.loads(b2)
    assert payload["webhookEvent"] == "jira:issue_updated"
    assert payload["issue"]["key"] == "PLAT-2" and payload["user"]["emailAddress"] == "demo@example.com"
    item = payload["changelog"]["items"][0]
    assert item["fieldId"] == progress and item["toString"] == "40"
    assert isinstance(payload["timestamp"], int)
    listed = requests.get(f"{sim_okr.url}/_sim/webhook-deliveries", timeout=5).json()["deliveries"]
    assert len(listed) == 2


def test_comment_and_transition_events_unsigned(sim_cloud: JiraSimulator) -> None:
    r = Receiver()
    try:
        _register(sim_cloud, r.url)
        doc = {
            "type": "doc",
            "version": 1,
            "content": [{"type": "paragraph", "content": [{"type": "text", "text": "hi"}]}],
        }
        assert post(sim_cloud, "/issue/WEB-1/comment", {"body": doc}).status_code == 201
        current = sim_cloud.issue("WEB-5")["fields"]["status"]["name"]
        sim_cloud.transition("WEB-5", "QA" if current != "QA" else "Done")
        sim_cloud.webhook_deliveries()
        events = [json.loads(b)["webhookEvent"] for _h, b in r.calls]
        assert events == ["comment_created", "jira:issue_updated"]
        assert all("X-Hub-Signature" not in h for h, _b in r.calls)
        assert json.loads(r.calls[0][1])["comment"]["body"] == "hi"
    finally:
        r.close()


def test_webhook_admin_only_and_delete(sim_datacenter: JiraSimulator) -> None:
    url = f"{sim_datacenter.url}/rest/webhooks/1.0/webhook"
    r = requests.post(
        url,
        json={"url": "http://127.0.0.1:9/x", "events": ["jira:issue_updated"]},
        auth=("viewer@example.com", "viewer-token"),
        timeout=5,
    )
    assert r.status_code == 403
    wh = _register(sim_datacenter, "http://127.0.0.1:9/x")
    assert len(requests.get(url, auth=AUTH, timeout=5).json()) == 1
    assert requests.delete(f"{url}/{wh['id']}", auth=AUTH, timeout=5).status_code == 204
    assert requests.get(url, auth=AUTH, timeout=5).json() == []
    assert api(sim_datacenter)
