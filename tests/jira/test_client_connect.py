"""A Jira that cannot be reached: a refused connection or an unknown host fails fast and says what
was refused; timeouts, 5xx and 429 keep their backoff; the message counts the attempts once."""

from __future__ import annotations

import socket
import time

import pytest
import requests
import responses
from gwkit import BASE, FakeClock, GatewayFactory, make_cfg
from urllib3.exceptions import MaxRetryError, NameResolutionError, NewConnectionError

from okrsync.domain import exit_codes
from okrsync.jira import JiraUnavailable
from okrsync.jira.gateway import JiraGateway
from okrsync.jira.retry import FAST_FAIL_WAIT, connect_failure

MYSELF = f"{BASE}/rest/api/3/myself"


def refused() -> requests.ConnectionError:
    """What requests raises when nothing listens: the refusal is the cause of urllib3's error."""
    reason = NewConnectionError(None, "Failed to establish a new connection: [Errno 111] Connection refused")  # type: ignore[arg-type]
    reason.__cause__ = ConnectionRefusedError(111, "Connection refused")
    return requests.ConnectionError(MaxRetryError(None, "/", reason))  # type: ignore[arg-type]


def unresolved() -> requests.ConnectionError:
    reason = NameResolutionError("jira.example.test", None, OSError("Name or service not known"))  # type: ignore[arg-type]
    return requests.ConnectionError(MaxRetryError(None, "/", reason))  # type: ignore[arg-type]


def closed_port() -> int:
    """A local port nothing listens on (bound, then closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_refused_connection_is_retried_once_quickly_and_says_what_was_refused(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory, clock: FakeClock
) -> None:
    rsps.get(MYSELF, body=refused())
    with pytest.raises(JiraUnavailable) as info:
        make_gateway("cloud", max_retries=5).myself()
    assert len(rsps.calls) == 2  # one quick retry, not max_retries
    assert clock.sleeps == [FAST_FAIL_WAIT]
    message = str(info.value)
    assert "connection refused by jira.example.test:443" in message
    assert f"is jira.url ({BASE}) right and Jira up?" in message
    assert "GET /rest/api/3/myself, 2 attempts in 0.2 s" in message
    assert message.count("attempt") == 1  # said once, not "after 6 attempts (6 attempts ..."
    assert info.value.attempts == 2 and info.value.status is None
    assert info.value.exit_code == exit_codes.UNAVAILABLE


def test_a_refused_connection_with_no_retries_allowed_is_tried_once(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory, clock: FakeClock
) -> None:
    rsps.get(MYSELF, body=refused())
    with pytest.raises(JiraUnavailable) as info:
        make_gateway("cloud", max_retries=0).myself()
    assert len(rsps.calls) == 1 and clock.sleeps == []
    assert "connection refused by jira.example.test:443" in str(info.value)


def test_a_host_name_that_does_not_resolve_fails_fast_and_names_the_host(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory, clock: FakeClock
) -> None:
    rsps.get(MYSELF, body=unresolved())
    with pytest.raises(JiraUnavailable) as info:
        make_gateway("cloud", max_retries=5).myself()
    assert len(rsps.calls) == 2 and clock.sleeps == [FAST_FAIL_WAIT]
    assert "the host name jira.example.test does not resolve (DNS)" in str(info.value)
    assert f"is jira.url ({BASE}) right?" in str(info.value)


def test_a_blip_of_refusal_is_survived_by_the_quick_retry(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory, clock: FakeClock
) -> None:
    rsps.get(MYSELF, body=refused())
    rsps.get(MYSELF, json={"accountId": "me"})
    assert make_gateway("cloud").myself() == {"accountId": "me"}
    assert clock.sleeps == [FAST_FAIL_WAIT]


@pytest.mark.parametrize(
    "failure",
    [
        {"body": requests.ReadTimeout("read timed out")},
        {"body": requests.ConnectTimeout("connect timed out")},
        {"body": requests.ConnectionError("connection reset by peer")},
        {"status": 503},
    ],
    ids=["read-timeout", "connect-timeout", "reset", "503"],
)
def test_timeouts_resets_and_5xx_keep_their_backoff(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory, clock: FakeClock, failure: dict[str, object]
) -> None:
    rsps.get(MYSELF, **failure)  # type: ignore[arg-type]
    with pytest.raises(JiraUnavailable) as info:
        make_gateway("cloud", max_retries=3, requests_per_second=1e9).myself()  # a pacer too fast to sleep
    assert len(rsps.calls) == 4  # 1 + jira.max_retries
    assert len(clock.sleeps) == 3
    message = str(info.value)
    assert "after 4 attempts in" in message and "(gave up: jira.max_retries is 3; last" in message
    assert message.count("attempt") == 1
    assert "refused" not in message


def test_429_keeps_waiting_retry_after(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory, clock: FakeClock
) -> None:
    rsps.get(MYSELF, status=429, headers={"Retry-After": "5"})
    with pytest.raises(JiraUnavailable) as info:
        make_gateway("cloud", max_retries=2).myself()
    assert clock.sleeps == [5.0, 5.0]
    assert "after 3 attempts in 10.0 s (gave up: jira.max_retries is 2; last answer 429" in str(info.value)
    assert "Jira is rate limiting okrsync" in str(info.value)


def test_connect_failure_tells_refusals_and_unknown_hosts_from_the_rest() -> None:
    assert connect_failure(refused()) == "refused"
    assert connect_failure(unresolved()) == "unresolved"
    assert connect_failure(requests.ConnectionError("reset by peer")) is None
    assert connect_failure(requests.ReadTimeout("slow")) is None
    assert connect_failure(requests.exceptions.ProxyError(refused())) is None


def test_nothing_listening_on_a_real_port_fails_in_well_under_a_second() -> None:
    port = closed_port()
    url = f"http://127.0.0.1:{port}"
    gateway = JiraGateway(make_cfg("cloud", url=url, max_retries=5, max_retry_seconds=300))
    started = time.monotonic()
    with gateway, pytest.raises(JiraUnavailable) as info:
        gateway.myself()
    seconds = time.monotonic() - started
    assert seconds < 1.0, seconds  # was 4.5-11.5 s: six attempts with backoff
    assert f"connection refused by 127.0.0.1:{port} (nothing listens there)" in str(info.value)
    assert info.value.attempts == 2
