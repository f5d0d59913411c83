"""Jira webhooks into sync cycles: the receiver, its debounce windows, and the one webhook cycle
that may wait for its turn.

At most one webhook cycle waits: on a busy site whose cycles outlast the debounce window, windows
would otherwise pile up cycles for as long as the traffic lasts. A window that closes while the
queued cycle waits merges into it; one that closes after the cycle took its work (while it runs)
queues exactly one more.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Collection
from datetime import datetime

from okrsync.daemon.webhook_checks import SeenCache
from okrsync.daemon.webhooks import (
    Debouncer,
    Identity,
    MirrorFacts,
    ReceiverConfig,
    WebhookReceiver,
)
from okrsync.domain.config import Settings
from okrsync.state.store import StateStore
from okrsync.sync.engine import KR_EPICS_META

log = logging.getLogger("okrsync.daemon.service")  # the daemon's log, as before this module


class WebhookIntake:
    """The daemon's webhook side; ``queue_cycle`` adds the webhook cycle to the scheduler (raising
    when it shuts down), and that cycle calls :meth:`take_work` once it has its turn."""

    def __init__(
        self,
        cfg: Settings,
        *,
        store: StateStore,
        clock: Callable[[], datetime],
        identity: Callable[[], Identity | None],
        epic_link_id: Callable[[], str | None],
        stopping: Callable[[], bool],
        queue_cycle: Callable[[], object],
    ) -> None:
        self._store = store
        self._stopping = stopping
        self._queue_cycle = queue_cycle
        self._lock = threading.Lock()
        self._queued = False
        self._affected: set[str] = set()
        self._refresh: set[str] = set()
        self.debouncer = Debouncer(cfg.webhook.debounce_seconds, self.window_closed)
        wh = cfg.webhook
        secret = wh.secret.get_secret_value() if wh.secret is not None else None
        # a body is remembered at least as long as its timestamp lets it in: no replay slips
        # between the dedupe window and the age limit
        remember = max(wh.dedupe_minutes, wh.max_age_minutes) * 60.0
        self.receiver = WebhookReceiver(
            ReceiverConfig(secret or None, wh.allow_unsigned, wh.max_body_bytes, wh.max_age_minutes),
            seen=SeenCache(remember, clock=lambda: clock().timestamp()),
            identity=identity,
            known_epics=self._known_epics,
            mirror=self._mirror_facts,
            epic_link_id=epic_link_id,
            schedule=self.debouncer.add,
            refresh=self.debouncer.add_refresh,
            clock=lambda: clock().timestamp(),
        )

    def window_closed(self, affected: frozenset[str], events: int) -> None:
        """A debounce window closed: queue a webhook cycle, or merge into the one already queued."""
        if self._stopping():
            return
        refresh = self.debouncer.take_refresh()
        with self._lock:
            self._affected.update(affected)
            self._refresh.update(refresh)
            merged = self._queued
            self._queued = True
        log.info(
            "webhook: %d event(s), %s (KRs: %s)",
            events,
            "merged into the queued sync" if merged else "syncing now",
            ", ".join(sorted(affected)) or "none known yet",
            extra={
                "event": "webhook_sync",
                "events": events,
                "affected_krs": sorted(affected),
                "merged": merged,
            },
        )
        if merged:
            return
        try:
            self._queue_cycle()
        except Exception:  # the scheduler is shutting down
            self.take_work()

    def take_work(self) -> tuple[frozenset[str], frozenset[str]]:
        """The KRs and issues the queued webhook cycle covers; later windows queue a new one."""
        with self._lock:
            work = frozenset(self._affected), frozenset(self._refresh)
            self._affected, self._refresh = set(), set()
            self._queued = False
            return work

    def close(self) -> None:
        """No more windows: the one open now never fires."""
        self.debouncer.close()

    def _known_epics(self) -> Collection[str]:
        value = self._store.get_meta(KR_EPICS_META)
        return frozenset(str(k) for k in value) if isinstance(value, list) else frozenset()

    def _mirror_facts(self, key: str) -> MirrorFacts:
        row = self._store.issues([key]).get(key)
        return MirrorFacts(True, row.epic_key) if row is not None else MirrorFacts()
