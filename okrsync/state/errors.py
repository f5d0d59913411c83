"""Errors of the state store."""

from __future__ import annotations

from okrsync.domain.model import OkrsyncError


class StateStoreError(OkrsyncError):
    """The state store cannot be opened or used; the message says what to fix.

    ``transient``: the database server could not be reached (refused, timed out, starting up, its
    host name not resolving yet), which may pass without anyone fixing anything; the daemon retries
    those at start. Everything else (URL, driver, credentials, a missing database, a SQLite file
    that cannot be created) needs a person.
    """

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient
