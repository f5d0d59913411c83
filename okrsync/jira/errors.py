"""Errors the Jira gateway raises.

Every error carries what a user needs to act: the operation, the HTTP status, Jira's own
``errorMessages``/``errors`` and, for 401/403, which credential or which Jira permission is at
fault. They derive from :class:`JiraError`, so a sync can catch one issue's failure, record it and
go on with the next; the ones a user can fix are also :class:`~okrsync.domain.model.OkrsyncError`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from okrsync.domain import exit_codes
from okrsync.domain.model import OkrsyncError


class JiraError(Exception):
    """A Jira request that did not succeed.

    ``method`` and ``path`` are the request's method and path template
    (``/rest/api/3/issue/{key}``), ``key`` the issue (or comment) it was about when there was
    one, ``status`` the HTTP status (``None`` when no answer came), ``messages`` Jira's
    ``errorMessages`` and ``errors`` Jira's per-field ``errors``. ``exit_code``: a command stopped
    by it exits with this (an unexpected answer: check jira.url; see :mod:`okrsync.domain.exit_codes`).
    """

    exit_code = exit_codes.NEEDS_FIX

    def __init__(
        self,
        message: str,
        *,
        method: str = "",
        path: str = "",
        key: str | None = None,
        status: int | None = None,
        messages: Sequence[str] = (),
        errors: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.method = method
        self.path = path
        self.key = key
        self.status = status
        self.messages = list(messages)
        self.errors = dict(errors or {})


class JiraAuthError(JiraError, OkrsyncError):
    """401: the credential was refused. The message names the credential and its setting."""


class JiraPermissionError(JiraError, OkrsyncError):
    """403: authenticated, but lacking a Jira permission; the message names the permission."""

    def __init__(self, message: str, *, permission: str = "", **kw: Any) -> None:
        super().__init__(message, **kw)
        self.permission = permission


class JiraNotFound(JiraError, OkrsyncError):
    """404: the issue, comment or resource does not exist, or the account cannot see it."""


class JiraBadRequest(JiraError, OkrsyncError):
    """400 (or 409, 422): Jira rejected the request; Jira's reasons are in the message."""


class JiraUnavailable(JiraError, OkrsyncError):
    """Jira kept answering 429/5xx, or could not be reached, until the retry bounds ran out."""

    exit_code = exit_codes.UNAVAILABLE

    def __init__(self, message: str, *, attempts: int, waited_seconds: float = 0.0, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.attempts = attempts
        self.waited_seconds = waited_seconds


class JiraHTTPError(JiraError):
    """Any other unexpected answer (e.g. 405, 501, a non-JSON body where JSON was expected)."""


class MissingCredentialError(OkrsyncError):
    """No credential configured for the Jira flavor in use."""


def jira_messages(body: Any) -> tuple[list[str], dict[str, str]]:
    """Jira's error texts from a parsed error body.

    Jira answers ``{"errorMessages": [...], "errors": {"field": "text"}}`` on both flavors
    (https://developer.atlassian.com/cloud/jira/platform/rest/v3/intro/#status-codes); older or
    proxy answers use ``message`` or ``errorMessage``.
    """
    messages: list[str] = []
    errors: dict[str, str] = {}
    if not isinstance(body, Mapping):
        return messages, errors
    raw_messages = body.get("errorMessages")
    if isinstance(raw_messages, list):
        messages.extend(str(m) for m in raw_messages if m)
    elif isinstance(raw_messages, str) and raw_messages:
        messages.append(raw_messages)
    for single in ("message", "errorMessage"):
        value = body.get(single)
        if isinstance(value, str) and value and value not in messages:
            messages.append(value)
    raw_errors = body.get("errors")
    if isinstance(raw_errors, Mapping):
        errors = {str(k): str(v) for k, v in raw_errors.items()}
    return messages, errors


def describe_jira_reasons(messages: Sequence[str], errors: Mapping[str, str]) -> str:
    """One line of Jira's reasons: ``"msg1; msg2; customfield_1: text"`` (or empty)."""
    parts = list(messages) + [f"{k}: {v}" for k, v in errors.items()]
    return "; ".join(parts)
