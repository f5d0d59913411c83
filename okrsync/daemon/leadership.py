"""Which replica syncs: the state store's leader lock as the daemon holds it.

With PostgreSQL every replica polls for the advisory lock at each sync tick and on the leader
check's own short tick (``daemon.leader_check_seconds``, see ``Daemon.check_leadership``), and only
the holder syncs; the leader checks it still holds the lock before each cycle and on that tick.
With SQLite the daemon takes the file lock at start or refuses to start. A new leader marks the
runs an earlier process left unfinished as failed and records who leads; a follower keeps its
metrics current from the leader's runs and snapshot.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
from collections.abc import Callable
from datetime import datetime

from okrsync.core.stored_tree import META_KEY as SNAPSHOT_KEY
from okrsync.daemon.metrics import Metrics
from okrsync.domain.keys import META_DAEMON_LEADER
from okrsync.state.store import StateStore

log = logging.getLogger("okrsync.daemon.service")  # the daemon's log, as before this module

LEADER_META = META_DAEMON_LEADER


class Leadership:
    """Whether this process leads (``is_leader``), kept in step with the store's lock and the
    ``okrsync_leader`` gauge. Not thread-safe: the daemon calls it under its cycle lock."""

    def __init__(self, store: StateStore, metrics: Metrics, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.metrics = metrics
        self.clock = clock
        self.is_leader = False
        self._check_failing = False

    def claim_at_start(self) -> None:
        """SQLite: take the file lock or raise the ``StateStoreError`` that names the other process;
        PostgreSQL: try for the lock (a follower now may lead later)."""
        if self.store.dialect == "sqlite":
            self.store.require_leader()
            self._became_leader()
        else:
            self.ensure()

    def ensure(self) -> bool:
        """Whether this process leads now: it still holds the lock, or it just took it."""
        if self.is_leader:
            if self.store.holds_leader():
                return True
            self.is_leader = False
            self.metrics.leader.set(0)
            log.warning(
                "lost leadership of %s (the database connection dropped); standing by",
                self.store.url_for_display,
                extra={"event": "leader_lost", "pid": os.getpid()},
            )
        if self.store.try_acquire_leader():
            self._became_leader()
            return True
        return False

    def check(self) -> bool:
        """The leader check's tick: :meth:`ensure`; whether this process *just* became the leader.
        A store that cannot be reached is one warning per outage, not one per tick."""
        was_leader = self.is_leader
        try:
            leading = self.ensure()
        except Exception as exc:
            if not self._check_failing:
                log.warning("cannot check leadership: %s", exc, extra={"event": "leader_error"})
            self._check_failing = True
            return False
        self._check_failing = False
        return leading and not was_leader

    def release(self) -> None:
        """Give the lock up (at shutdown; a store that is gone already is fine)."""
        if self.is_leader:
            with contextlib.suppress(Exception):
                self.store.release_leader()
            self.is_leader = False
        self.metrics.leader.set(0)

    def follow(self) -> None:
        """A follower's tick: keep the KR health gauges and the last success (the leader's is the
        system's) current from the leader's snapshot and runs."""
        with contextlib.suppress(Exception):
            ends = [
                run.ended_at
                for run in (self.store.last_run(status="ok"), self.store.last_run(status="partial"))
                if run is not None and run.ended_at is not None
            ]
            if ends:
                self.metrics.last_success.set(max(ends).timestamp())
        with contextlib.suppress(Exception):
            snapshot = self.store.get_meta(SNAPSHOT_KEY)
            if isinstance(snapshot, dict):
                counts: dict[str, int] = {}
                for kr in snapshot.get("key_results", []):
                    counts[str(kr.get("health"))] = counts.get(str(kr.get("health")), 0) + 1
                self.metrics.set_health(counts)
        log.debug("not the leader; standing by", extra={"event": "follower"})

    def _became_leader(self) -> None:
        self.is_leader = True
        self.metrics.leader.set(1)
        now = self.clock()
        interrupted = self.store.fail_unfinished_runs(now, "interrupted: the process running it stopped")
        self.store.set_meta(
            LEADER_META, {"pid": os.getpid(), "host": socket.gethostname(), "since": now.isoformat()}
        )
        log.info(
            "this process (pid %d) is the leader on %s%s",
            os.getpid(),
            self.store.url_for_display,
            f"; marked {interrupted} interrupted run(s) failed" if interrupted else "",
            extra={"event": "leader", "pid": os.getpid(), "interrupted_runs": interrupted},
        )
