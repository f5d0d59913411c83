"""Unit tests of the gateway's pure parts: field registry, JQL batching, retry decisions (the pacer's:
test_pacing.py)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
import requests
from gwkit import FakeClock, fields_payload
from hypothesis import given
from hypothesis import strategies as st
from urllib3.exceptions import MaxRetryError, NewConnectionError

from okrsync.jira.fields import FieldRegistry, MissingFieldError
from okrsync.jira.jql import batch_in_clauses, batch_values, jql_quote, split_order_by
from okrsync.jira.retry import RetryPolicy, failed_before_sending, parse_reset, server_wait

# ----------------------------------------------------------------------------- fields


def test_ids_names_and_clauses_resolve() -> None:
    reg = FieldRegistry(fields_payload("cloud"))
    assert reg.id_for("okr progress") == "customfield_10200"
    assert reg.id_for("customfield_10200") == "customfield_10200"
    assert reg.id_for("CF[10200]") == "customfield_10200"
    assert reg.id_for("summary") == "summary"
    assert reg.get_id("cf[99999]") is None
    assert "Sprint" in reg
    assert reg.schema_of("OKR Progress")["type"] == "number"


@pytest.mark.parametrize(
    ("payload", "preferred", "expected"),
    [
        (fields_payload("cloud"), None, "customfield_10016"),
        (fields_payload("cloud"), "Story Points", "customfield_10028"),
        (fields_payload("datacenter"), None, "customfield_10106"),
        (fields_payload("datacenter"), "story points", "customfield_10106"),
    ],
)
def test_story_points_prefers_the_estimate_and_config_wins(
    payload: list[dict[str, object]], preferred: str | None, expected: str
) -> None:
    assert FieldRegistry(payload).story_points_id(preferred) == expected


def test_story_points_missing_says_what_to_configure() -> None:
    reg = FieldRegistry([{"id": "summary", "name": "Summary"}])
    with pytest.raises(MissingFieldError, match=r"set jira\.story_points_field"):
        reg.story_points_id()
    with pytest.raises(MissingFieldError, match=r'"Points": fix jira\.story_points_field'):
        reg.story_points_id("Points")
    assert reg.epic_link_id() is None


def test_duplicate_names_pick_the_oldest_and_warn(caplog: pytest.LogCaptureFixture) -> None:
    raw = [
        {"id": "customfield_10300", "name": "OKR Progress"},
        {"id": "customfield_10200", "name": "okr progress"},
    ]
    with caplog.at_level(logging.WARNING):
        reg = FieldRegistry(raw)
    assert reg.id_for("OKR Progress") == "customfield_10200"
    assert FieldRegistry(list(reversed(raw))).id_for("OKR Progress") == "customfield_10200"
    assert "customfield_10200, customfield_10300" in caplog.text


def test_missing_field_error_singular() -> None:
    assert (
        str(MissingFieldError(["OKR Status"]))
        == 'Jira has no field "OKR Status": run `okrsync setup` to create them.'
    )


# ----------------------------------------------------------------------------- JQL


@pytest.mark.parametrize(
    ("value", "quoted"),
    [("PLAT-1", '"PLAT-1"'), ('say "hi"', '"say \\"hi\\""'), ("a\\b", '"a\\\\b"'), ("t\tn\n", '"t\\tn\\n"')],
)
def test_jql_quote(value: str, quoted: str) -> None:
    assert jql_quote(value) == quoted


def test_split_order_by() -> None:
    assert split_order_by("project = P order by rank ASC") == ("project = P", "ORDER BY rank ASC")
    assert split_order_by('summary ~ "order by"') == ('summary ~ "order by"', "")


@given(
    st.lists(st.text(min_size=1, max_size=30), max_size=300),
    st.integers(min_value=1, max_value=50),
    st.integers(min_value=60, max_value=2000),
)
def test_batches_cover_every_value_once_within_bounds(
    values: list[str], max_values: int, max_chars: int
) -> None:
    queries = batch_in_clauses("key", values, max_values=max_values, max_chars=max_chars)
    expected = list(dict.fromkeys(v for v in values if v))
    got: list[str] = []
    for q in queries:
        quoted = [jql_quote(v) for v in expected]
        inner = q[len("key in (") : -1]
        assert len(inner.split('", "')) <= max_values or len(q) <= max_chars
        got.extend(v for v, qv in zip(expected, quoted, strict=True) if qv in inner and v not in got)
        values_in_q = sum(1 for qv in quoted if qv in inner)
        assert values_in_q <= max_values
        assert len(q) <= max_chars or values_in_q == 1
    assert got == expected


@given(
    st.lists(st.text(min_size=1, max_size=30), max_size=300),
    st.integers(min_value=1, max_value=50),
    st.integers(min_value=0, max_value=2000),
    st.integers(min_value=0, max_value=100),
)
def test_value_batches_fit_their_share_of_a_query(
    values: list[str], max_values: int, max_chars: int, fixed_chars: int
) -> None:
    batches = batch_values(values, max_values=max_values, max_chars=max_chars, fixed_chars=fixed_chars)
    assert [v for batch in batches for v in batch] == list(dict.fromkeys(values))
    for batch in batches:
        assert 1 <= len(batch) <= max_values
        in_list = ", ".join(jql_quote(v) for v in batch)
        assert fixed_chars + len(in_list) <= max_chars or len(batch) == 1


def test_in_clause_queries_are_the_value_batches_quoted() -> None:
    keys = [f"PLAT-{i}" for i in range(1, 1001)]
    queries = batch_in_clauses("key", [*keys, "PLAT-1"], extra_jql="statusCategory != Done ORDER BY key")
    suffix = ") AND (statusCategory != Done) ORDER BY key"
    assert len(queries) == 2
    assert all(q.startswith("key in (") and q.endswith(suffix) and len(q) <= 10_000 for q in queries)
    batches = batch_values(keys, fixed_chars=len("key in (") + len(suffix))
    assert queries == [f"key in ({', '.join(jql_quote(k) for k in b)}{suffix}" for b in batches]


# ----------------------------------------------------------------------------- retry decisions


def _response(status: int, **headers: str) -> requests.Response:
    resp = requests.Response()
    resp.status_code = status
    resp.headers.update(headers)
    return resp


NOW = datetime(2026, 10, 5, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("headers", "wait"),
    [
        ({}, None),
        ({"Retry-After": "5"}, 5.0),
        ({"Retry-After": "1.5"}, 1.5),
        ({"Retry-After": "Mon, 05 Oct 2026 09:30:20 GMT"}, 20.0),
        ({"X-RateLimit-Reset": "2026-10-05T09:31Z"}, 60.0),
        ({"X-RateLimit-Reset": "2026-10-05T09:30:45.000Z"}, 45.0),
        ({"Retry-After": "10", "X-RateLimit-Reset": "2026-10-05T09:31Z"}, 60.0),
        ({"X-RateLimit-Reset": "2026-10-05T09:00Z"}, 0.0),
        ({"Retry-After": "soon"}, None),
    ],
)
def test_server_wait(headers: dict[str, str], wait: float | None) -> None:
    assert server_wait(_response(429, **headers), lambda: NOW) == wait


def test_parse_reset_accepts_epoch_seconds() -> None:
    assert parse_reset("1791192660") == datetime.fromtimestamp(1791192660, tz=UTC)
    assert parse_reset("garbage") is None


@pytest.mark.parametrize(
    ("status", "idempotent", "retry"),
    [
        (429, False, True),
        (429, True, True),
        (503, True, True),
        (500, True, True),
        (502, True, True),
        (504, True, True),
        (503, False, False),
        (501, True, False),
        (400, True, False),
        (401, True, False),
        (403, True, False),
        (404, True, False),
        (409, True, False),
        (200, True, False),
    ],
)
def test_which_answers_are_retried(status: int, idempotent: bool, retry: bool) -> None:
    assert RetryPolicy.should_retry_response(_response(status), idempotent=idempotent) is retry


def test_only_errors_before_sending_retry_non_idempotent_requests() -> None:
    before = requests.ConnectionError(MaxRetryError(None, "/", NewConnectionError(None, "refused")))  # type: ignore[arg-type]
    assert failed_before_sending(before)
    assert failed_before_sending(requests.ConnectTimeout())
    assert not failed_before_sending(requests.ConnectionError("Connection reset by peer"))
    assert not failed_before_sending(requests.ReadTimeout())
    assert RetryPolicy.should_retry_error(before, idempotent=False)
    assert not RetryPolicy.should_retry_error(requests.ReadTimeout(), idempotent=False)
    assert RetryPolicy.should_retry_error(requests.ReadTimeout(), idempotent=True)
    assert not RetryPolicy.should_retry_error(ValueError(), idempotent=True)


def test_backoff_is_full_jitter_under_an_exponential_ceiling(clock: FakeClock) -> None:
    policy = RetryPolicy(
        max_retries=5,
        max_seconds=100,
        sleep=clock.sleep,
        clock=clock.monotonic,
        wall_clock=clock.wall,
        backoff_max=4,
    )
    for attempt, ceiling in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (9, 4.0)]:
        waits = [policy.backoff(attempt) for _ in range(200)]
        assert all(0 <= w <= ceiling for w in waits)
        assert max(waits) > ceiling / 2
