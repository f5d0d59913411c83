"""Cloud's POST /rest/api/3/jql/match through the gateway (okrsync.jira.jql_match), with `responses`."""

from __future__ import annotations

import pytest
import responses
from gwkit import BASE, GatewayFactory, body_of

from okrsync.jira import jql_match
from okrsync.jira.errors import JiraBadRequest


def test_matches_are_per_query_and_batched_within_the_bounds(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jql_match, "MAX_ISSUE_IDS", 2)
    monkeypatch.setattr(jql_match, "MAX_JQLS", 1)

    def answer(request: object) -> tuple[int, dict[str, str], str]:
        import json

        sent = json.loads(request.body)  # type: ignore[attr-defined]
        odd = sent["jqls"] == ["odd"]
        matched = [i for i in sent["issueIds"] if (i % 2 == 1) == odd]
        errors = ["Invalid JQL: broken = value"] if sent["jqls"] == ["broken = value"] else []
        return 200, {}, json.dumps({"matches": [{"matchedIssues": matched, "errors": errors}]})

    rsps.add_callback(responses.POST, f"{BASE}/rest/api/3/jql/match", callback=answer)
    found = make_gateway("cloud").match_jql([1, 2, 3], ["odd", "even", "broken = value"])
    assert [sorted(m.matched) for m in found] == [[1, 3], [2], [2]]
    assert found[2].errors == ("Invalid JQL: broken = value",) and found[0].errors == ()
    assert len(rsps.calls) == 6  # 3 queries x 2 batches of issues
    assert all(len(body_of(c)["issueIds"]) <= 2 and len(body_of(c)["jqls"]) == 1 for c in rsps.calls)


def test_an_answer_without_one_match_per_query_is_an_error(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory
) -> None:
    rsps.post(f"{BASE}/rest/api/3/jql/match", json={"matches": []})
    with pytest.raises(JiraBadRequest):
        make_gateway("cloud").match_jql([1], ["project = A"])
