"""Jira-style API errors raised by the store and the route handlers."""

from __future__ import annotations

from collections.abc import Mapping


class ApiError(Exception):
    """An error answered with Jira's error body ``{"errorMessages": [...], "errors": {...}}``."""

    def __init__(
        self,
        status: int,
        messages: list[str] | str | None = None,
        errors: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        if isinstance(messages, str):
            messages = [messages]
        self.status = status
        self.messages: list[str] = list(messages or [])
        self.errors: dict[str, str] = dict(errors or {})
        self.headers: dict[str, str] = dict(headers or {})
        super().__init__(f"{status}: {self.messages} {self.errors}")

    def body(self) -> dict[str, object]:
        return {"errorMessages": self.messages, "errors": self.errors}


def not_found_issue() -> ApiError:
    return ApiError(404, "Issue does not exist or you do not have permission to see it.")


def bad_request(messages: list[str] | str | None = None, errors: Mapping[str, str] | None = None) -> ApiError:
    return ApiError(400, messages, errors)
