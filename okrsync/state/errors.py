"""Errors of the state store."""

from __future__ import annotations

from okrsync.model import OkrsyncError


class StateStoreError(OkrsyncError):
    """The state store cannot be opened or used; the message says what to fix."""
