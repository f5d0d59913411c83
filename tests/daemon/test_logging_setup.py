"""Structured logs: one JSON object a line, secrets redacted wherever they hide in a record."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from okrsync.daemon.logging_setup import REDACTED, configure, secrets_of
from okrsync.domain.config import config_from_mapping

TOKEN = "ATATT3xFfGF0-token-value"
HOOK = "whsec-very-secret"


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    out = io.StringIO()
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    configure("json", secrets=[TOKEN, HOOK, "ab"], stream=out)  # "ab": too short to redact safely
    yield out
    for h in list(root.handlers):
        root.removeHandler(h)
    for h in saved[0]:
        root.addHandler(h)
    root.setLevel(saved[1])


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_json_lines_carry_the_extra_fields(stream: io.StringIO) -> None:
    logging.getLogger("okrsync.daemon.service").info("cycle run=%d", 7, extra={"event": "cycle", "writes": 3})
    [rec] = lines(stream)
    assert rec["msg"] == "cycle run=7"
    assert (rec["level"], rec["logger"], rec["event"], rec["writes"]) == (
        "info",
        "okrsync.daemon.service",
        "cycle",
        3,
    )
    assert str(rec["ts"]).endswith("+00:00")


@pytest.mark.parametrize(
    "emit",
    [
        lambda log: log.info(f"token is {TOKEN}"),
        lambda log: log.info("token is %s", TOKEN),
        lambda log: log.warning("failed", extra={"detail": {"auth": f"Bearer {TOKEN}"}, "list": [HOOK]}),
        lambda log: log.info("%r", {"secret": HOOK}),
    ],
)
def test_secrets_never_reach_the_log(stream: io.StringIO, emit: object) -> None:
    log = logging.getLogger("okrsync.test")
    emit(log)  # type: ignore[operator]
    text = stream.getvalue()
    assert TOKEN not in text and HOOK not in text
    assert REDACTED in text


def test_exceptions_are_redacted(stream: io.StringIO) -> None:
    try:
        raise RuntimeError(f"401 for Authorization: Bearer {TOKEN}")
    except RuntimeError:
        logging.getLogger("okrsync.test").exception("request failed")
    [rec] = lines(stream)
    assert TOKEN not in json.dumps(rec)
    assert "RuntimeError" in str(rec["exc"])


def test_plain_format(stream: io.StringIO) -> None:
    out = io.StringIO()
    configure("plain", secrets=[TOKEN], stream=out)
    logging.getLogger("okrsync.daemon.service").info("hello %s", TOKEN)
    assert out.getvalue().rstrip().endswith("INFO    okrsync.daemon.service: hello ***")


def test_secrets_of_the_configuration() -> None:
    cfg = config_from_mapping(
        {
            "period": {"name": "Q", "start": "2026-10-01", "end": "2026-12-31"},
            "jira": {"url": "https://x.atlassian.net", "api_token": TOKEN, "pat": "pat-123456"},
            "webhook": {"secret": HOOK},
            "sync": {"state_url": "postgresql+psycopg://okr:db-pass-42@db:5432/okr"},
        }
    )
    assert sorted(secrets_of(cfg)) == sorted([TOKEN, "pat-123456", HOOK, "db-pass-42"])
