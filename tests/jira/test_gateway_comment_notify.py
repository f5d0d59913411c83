"""Editing okrsync's status comment does not email watchers on Cloud when notifications are off."""

from __future__ import annotations

import pytest
import responses

from okrsync.domain.config import JiraConfig
from okrsync.domain.doc import Doc, Paragraph
from okrsync.jira.gateway import JiraGateway

BASE = "https://acme.example"


@pytest.mark.parametrize(
    ("flavor", "notify", "query"),
    [("cloud", False, "notifyUsers=false"), ("cloud", True, ""), ("datacenter", False, "")],
)
@responses.activate
def test_update_comment_notify_param(flavor: str, notify: bool, query: str) -> None:
    version = "3" if flavor == "cloud" else "2"
    url = f"{BASE}/rest/api/{version}/issue/PLAT-1/comment/10"
    responses.put(url, json={"id": "10"})
    cfg = JiraConfig(url=BASE, email="bot@acme.example", api_token="t", pat="p", flavor=flavor)  # type: ignore[arg-type]
    with JiraGateway(cfg, sleep=lambda s: None) as gateway:
        gateway.update_comment("PLAT-1", "10", Doc(Paragraph("hi")), notify=notify)
    assert len(responses.calls) == 1
    sent = responses.calls[0].request.url or ""
    assert (sent.split("?", 1)[1] if "?" in sent else "") == query
    assert ("notifyUsers=false" in sent) == (query == "notifyUsers=false")
