"""The exit codes of every ``okrsync`` command: one cause, one code, the same in every command.

The README's "Exit codes" table documents them; keep the two in step.
"""

from __future__ import annotations

OK = 0
"""Done: nothing needs attention."""

ATTENTION = 1
"""Done, with something to act on: a partial sync or backfill (some changes were not applied, each
one listed), or ``okrsync check`` found problems (permissions, fields) or error findings."""

NEEDS_FIX = 2
"""Cannot run until a person fixes something: a usage error (click's own code for it), a bad
configuration file, key or environment variable, no credential or one Jira refuses (401), a missing
permission (403), Jira answers that are not Jira's, the state store unusable or held by another
process, the daemon's port in use."""

UNAVAILABLE = 3
"""Jira could not be reached or kept failing (connection refused, host not found, timeouts, 429 or
5xx beyond ``jira.max_retries`` / ``jira.max_retry_seconds``): nothing to fix here, try again
later (or check ``jira.url``)."""

INTERNAL = 4
"""An unexpected error: a bug in okrsync. The traceback is printed; please report it."""

INTERRUPTED = 130
"""Ctrl-C (SIGINT) outside the daemon (the daemon stops cleanly and exits 0)."""
