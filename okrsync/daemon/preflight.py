"""What ``okrsync daemon`` checks before it listens, and what it waits out.

A daemon that cannot ever work without a person must say so and stop, not report itself alive and
retry forever. So before it logs "listening" the daemon checks, and exits 2 (the exit code of
every such problem, :data:`okrsync.domain.exit_codes.NEEDS_FIX`) with the message in its log on:

* no Jira credential configured (or none that fits the configured flavor), ``jira.url`` unset;
* Jira refusing the credential (401, or a login denied until a CAPTCHA is solved);
* the state store unusable for a reason that will not pass: a bad URL, a missing driver, a refused
  database login, a missing database or role, a SQLite file that cannot be created or written,
  another daemon holding the SQLite file;
* a bad ``sync.cron``, the HTTP port in use.

What may pass by itself does not stop it. Jira not answering at start (connection refused: it may
be restarting; timeouts, 429, 5xx, any other answer) is logged, and the first cycle runs and is
retried with backoff like any failed cycle. A PostgreSQL server that cannot be reached yet (refused,
timed out, starting up, its host name not resolving yet) is waited for before the daemon listens,
with the same backoff (``daemon.retry_seconds``, doubling up to one interval); SIGTERM ends the wait.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from okrsync.daemon.schedule import backoff_delay
from okrsync.domain.config import JiraConfig
from okrsync.domain.model import OkrsyncError
from okrsync.jira.errors import JiraAuthError, JiraError, MissingCredentialError
from okrsync.jira.gateway import JiraGateway
from okrsync.state.errors import StateStoreError
from okrsync.state.store import StateStore

log = logging.getLogger("okrsync.daemon.service")

PROBE_TIMEOUT_SECONDS = 10.0
"""The start probe of Jira waits at most this long for an answer (one attempt, no retries)."""


def refuse_to_start(exc: OkrsyncError) -> int:
    """Log why the daemon cannot start (on stderr, in the configured log format); its exit code."""
    log.error(
        "okrsync daemon cannot start: %s",
        exc,
        extra={"event": "start_failed", "exit_code": exc.exit_code, "error": type(exc).__name__},
    )
    return exc.exit_code


def probe_jira(cfg: JiraConfig) -> dict[str, Any] | None:
    """okrsync's own Jira user (``myself``), read once at start; ``None`` when Jira does not answer.

    Raises :class:`MissingCredentialError` or :class:`JiraAuthError` (no credential, or a refused
    one: hopeless); every other failure may pass and is only logged.
    """
    quick = cfg.model_copy(
        update={"max_retries": 0, "timeout_seconds": min(cfg.timeout_seconds, PROBE_TIMEOUT_SECONDS)}
    )
    with JiraGateway(quick) as gateway:
        gateway.require_credential()
        try:
            return gateway.myself()
        except (MissingCredentialError, JiraAuthError):
            raise
        except (OkrsyncError, JiraError) as exc:
            log.warning(
                "Jira does not answer yet: %s The daemon starts anyway; its first cycle is retried "
                "with backoff (daemon.retry_seconds) until Jira answers.",
                exc,
                extra={"event": "jira_unavailable_at_start"},
            )
            return None


def open_store(url: str, *, stop: threading.Event, first: float, cap: float) -> StateStore | None:
    """Open the state store and check that it can be written, waiting out failures that may pass
    (see the module docstring).

    Raises :class:`StateStoreError` for the others; ``None`` when ``stop`` was set while waiting.
    """
    failures = 0
    while not stop.is_set():
        try:
            return _writable(StateStore.open(url))
        except StateStoreError as exc:
            if not exc.transient:
                raise
            failures += 1
            delay = backoff_delay(failures, first, cap)
            log.warning(
                "the state store cannot be reached yet (%s); retrying in %.0f s (attempt %d)",
                exc,
                delay,
                failures,
                extra={"event": "store_unavailable", "delay_seconds": delay, "failures": failures},
            )
            stop.wait(delay)
    return None


def _writable(store: StateStore) -> StateStore:
    if store.ping():
        return store
    store.close()
    raise StateStoreError(
        f"The state store {store.url_for_display} can be read but not written (a read-only file or "
        "directory, a full disk, or a database user without write privileges). Make it writable for "
        "this user, or change sync.state_url."
    )
