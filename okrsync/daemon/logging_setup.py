"""Logging for the daemon: plain lines or one JSON object per line, secrets redacted.

Secrets are ``SecretStr`` and never passed to a logger on purpose; the redaction filter is the
second line of defence: any configured secret (API token, PAT, webhook secret, the database
password) that still reaches a log record is replaced by ``***`` before it is written, in the
message, its arguments, the exception text and the extra fields.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Final, Literal, TextIO

from okrsync.domain.config import Settings
from okrsync.state.engine import describe_url

LogFormat = Literal["plain", "json"]
REDACTED: Final = "***"

# attributes every LogRecord has; anything else came in through ``extra=``
_STANDARD = frozenset(
    logging.LogRecord("", 0, "", 0, "", (), None).__dict__.keys() | {"message", "asctime", "taskName"}
)


def secrets_of(cfg: Settings) -> list[str]:
    """Every secret value the configuration holds (for the redaction filter)."""
    out: list[str] = []
    for secret in (cfg.jira.api_token, cfg.jira.pat, cfg.webhook.secret, cfg.digest.urls):
        if secret is not None and secret.get_secret_value():
            out.append(secret.get_secret_value())
    out += digest_urls(cfg)
    state_url = describe_url(cfg.sync.state_url)
    if state_url is not None and state_url.password:
        out.append(state_url.password)
    return out


def digest_urls(cfg: Settings) -> list[str]:
    """The digest channels' URLs (from the variables ``digest.channels`` name, and each of
    ``digest.urls``): they hold tokens and passwords."""
    urls = [os.environ.get(ch.url_env, "").strip() for ch in cfg.digest.channels]
    if cfg.digest.urls is not None:
        urls += re.split(r"[\s,]+", cfg.digest.urls.get_secret_value())
    return [u for u in urls if u]


def extra_fields(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in record.__dict__.items() if k not in _STANDARD and not k.startswith("_")}


class RedactingFilter(logging.Filter):
    """Replaces every known secret in a record with ``***`` (message, args, exception, extras)."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        # longest first, so that a secret containing another is replaced whole; ignore trivial ones
        self._secrets = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return text

    def _value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, (int, float, bool)) or value is None:
            return value
        if isinstance(value, dict):
            return {k: self._value(v) for k, v in value.items()}
        if isinstance(value, (list, tuple, set, frozenset)):
            return [self._value(v) for v in value]
        text = str(value)
        return self.redact(text) if any(s in text for s in self._secrets) else value

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        message = record.getMessage()
        redacted = self.redact(message)
        if redacted != message or record.args:
            record.msg, record.args = redacted, None
        if record.exc_info and record.exc_info[1] is not None:
            text = logging.Formatter().formatException(record.exc_info)
            record.exc_text = self.redact(text)
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        for key, value in extra_fields(record).items():
            setattr(record, key, self._value(value))
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, extra fields, exception text."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        out.update(extra_fields(record))
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            out["exc"] = record.exc_text
        return json.dumps(out, default=str, ensure_ascii=False)


class PlainFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="seconds")


def configure(
    fmt: LogFormat = "plain",
    *,
    secrets: Iterable[str] = (),
    level: int = logging.INFO,
    stream: TextIO | None = None,
) -> logging.Handler:
    """Route every logger (okrsync's, uvicorn's, APScheduler's) to one handler on stderr."""
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else PlainFormatter())
    handler.addFilter(RedactingFilter(secrets))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "apscheduler"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("urllib3").setLevel(logging.WARNING)
    return handler
