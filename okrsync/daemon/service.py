"""``okrsync daemon``: sync on a schedule, one leader among replicas, webhooks, clean shutdown.

* APScheduler runs an incremental cycle every ``sync.interval_minutes`` (or on ``sync.cron``; see
  :mod:`okrsync.daemon.schedule`) and a full reconcile every ``sync.full_reconcile_hours``. Every
  cycle, whatever started it (schedule, retry, webhook), runs under one lock: never two at once; the
  scheduler's jobs coalesce and run one instance each.
* Leadership: only the replica that holds the state store's leader lock syncs, and it checks it
  still holds it before each cycle; see :mod:`okrsync.daemon.leadership`. On PostgreSQL every
  replica also checks the lock on a short tick of its own (``daemon.leader_check_seconds``),
  independent of the sync schedule: a follower that takes the lock runs a cycle at once, so a
  leader's death is taken over within seconds at any interval, and a leader that lost its lock
  stands by.
* A failed cycle (Jira down, the store unreachable, a bug) is logged and recorded, never kills the
  daemon; it is retried after ``daemon.retry_seconds``, doubling up to one interval.
* Webhooks queue cycles through :mod:`okrsync.daemon.webhook_intake`.
* The digest (``digest.cron``): a cycle at each slot, and after every cycle the leader runs, what the
  slot still owes is sent, once per audience and channel (:mod:`okrsync.daemon.digest_job`).
* SIGTERM / SIGINT: the HTTP server stops, the running cycle finishes the change it is applying
  (``run_sync(stop=...)``) and records the run as partial, the leader lock is released, exit 0.
* At start, a configuration that can never work (no credential, a 401, an unusable state store)
  stops it with exit code 2 before it listens; see :mod:`okrsync.daemon.preflight`.

The daemon is a face: every time it uses comes from its injected ``clock`` (:func:`system_clock`
unless a test passes another): the ``now`` of each cycle, readiness, metrics, the status page, and
the run dates it gives the scheduler (the first cycle, retries). APScheduler itself fires on the
process clock, so a test that injects a clock far from it should not wait for the scheduler to fire.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
from collections.abc import Callable, Collection
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from okrsync.daemon.cycle_log import log_crashed_cycle, log_cycle
from okrsync.daemon.digest_job import DigestJob, check_digest
from okrsync.daemon.leadership import LEADER_META, Leadership
from okrsync.daemon.metrics import Metrics
from okrsync.daemon.preflight import open_store, probe_jira, refuse_to_start
from okrsync.daemon.readiness import JiraProbe
from okrsync.daemon.schedule import Schedule
from okrsync.daemon.server import Server, bind, http_config, stop_on_signals
from okrsync.daemon.site_facts import SiteFacts
from okrsync.daemon.webhook_intake import WebhookIntake
from okrsync.daemon.webhooks import Identity
from okrsync.domain.config import Settings
from okrsync.domain.model import OkrsyncError
from okrsync.jira.gateway import JiraGateway
from okrsync.state.store import StateStore
from okrsync.sync.engine import SyncReport, run_sync

log = logging.getLogger(__name__)


def system_clock() -> datetime:
    """The wall clock (aware, UTC): the daemon's default ``clock``, its only read of the real time."""
    return datetime.now(UTC)


class Daemon:
    """The scheduler, the leader loop and the cycle runner of one okrsync process."""

    def __init__(
        self,
        cfg: Settings,
        *,
        store: StateStore,
        gateway: JiraGateway,
        metrics: Metrics | None = None,
        interval_seconds: float | None = None,
        clock: Callable[[], datetime] = system_clock,
        gateway_factory: Callable[[], JiraGateway] | None = None,
    ) -> None:
        self.cfg = cfg
        self.store = store
        self.gateway = gateway
        self.metrics = metrics or Metrics(lambda: dict(gateway.stats.by_status))
        self.clock = clock
        self.schedule = Schedule.of(cfg, interval_seconds)
        self.stop_event = threading.Event()
        self._cycle_lock = threading.Lock()
        self.leadership = Leadership(store, self.metrics, clock)
        self.failures = 0
        self.started_at = clock()
        self.last_success_at: datetime | None = None
        self.identity: Identity | None = None
        self.epic_link_id: str | None = None
        self.site_facts = SiteFacts()
        """When the one gateway re-reads the field list (:mod:`okrsync.daemon.site_facts`)."""
        self.jira_probe = JiraProbe(
            clock,
            gateway_factory or (lambda: JiraGateway(cfg.jira, stats=gateway.stats)),
            last_success=lambda: self.last_success_at,
        )
        self.scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(4)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone=self.schedule.timezone,
        )
        self.webhooks = WebhookIntake(
            cfg,
            store=store,
            clock=clock,
            identity=lambda: self.identity,
            epic_link_id=lambda: self.epic_link_id,
            stopping=self.stop_event.is_set,
            queue_cycle=self._queue_webhook_cycle,
        )
        self.receiver = self.webhooks.receiver
        self.digests = DigestJob(cfg, store, clock, registry=self.metrics.registry)
        """The digest (:mod:`okrsync.daemon.digest_job`): a cycle at each slot, sent after it."""

    # ------------------------------------------------------------------ lifecycle

    @property
    def is_leader(self) -> bool:
        """This process holds the leader lock (see :class:`Leadership`)."""
        return self.leadership.is_leader

    @property
    def max_sync_age(self) -> timedelta:
        """See :attr:`Schedule.max_sync_age`."""
        return self.schedule.max_sync_age

    @property
    def backoff_cap(self) -> float:
        """See :attr:`Schedule.backoff_cap`."""
        return self.schedule.backoff_cap

    def sync_late_after(self, last_success: datetime) -> datetime | None:
        """See :meth:`Schedule.late_after`."""
        return self.schedule.late_after(last_success)

    def start(self) -> None:
        """Claim leadership (SQLite: or refuse to start) and start the schedule; the first cycle runs now."""
        self.leadership.claim_at_start()  # SQLite: raises a StateStoreError that names the other process
        if not self.receiver.enabled:
            log.warning(
                "webhooks are off: set OKRSYNC_WEBHOOK__SECRET to the Jira webhook's secret to receive "
                "them (or webhook.allow_unsigned: true on a trusted network); syncing on schedule only",
                extra={"event": "webhooks_off"},
            )
        self.scheduler.add_job(
            self.run_cycle,
            self.schedule.trigger,
            kwargs={"reason": "schedule"},
            id="sync",
            name="sync",
            next_run_time=self.clock(),
        )
        self.scheduler.add_job(
            self.run_cycle,
            IntervalTrigger(hours=self.cfg.sync.full_reconcile_hours),
            kwargs={"reason": "full-reconcile", "full": True},
            id="full",
            name="full reconcile",
        )
        if self.digests.trigger is not None:
            self.scheduler.add_job(
                self.run_cycle, self.digests.trigger, kwargs={"reason": "digest"}, id="digest", name="digest"
            )
        if self.store.dialect != "sqlite":  # SQLite: this process took the file lock or did not start
            self.scheduler.add_job(
                self.check_leadership,
                IntervalTrigger(seconds=self.cfg.daemon.leader_check_seconds),
                id="leader-check",
                name="leader check",
            )
        self.scheduler.start()

    def request_stop(self) -> None:
        """Signal-safe: the running cycle stops after its current change; no new cycle starts."""
        self.stop_event.set()

    def shutdown(self) -> None:
        """Stop scheduling, wait for the running cycle to finish its change, give up leadership."""
        self.stop_event.set()
        self.webhooks.close()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        with self._cycle_lock:
            self.leadership.release()

    # ------------------------------------------------------------------ cycles

    def run_cycle(
        self,
        reason: str = "schedule",
        affected: Collection[str] = (),
        full: bool = False,
        refresh: Collection[str] = (),
        *,
        webhook: bool = False,
    ) -> SyncReport | None:
        """One cycle if this process leads; ``None`` when it does not run (follower, stopping).

        ``webhook``: the queued webhook cycle; it takes the KRs and issues every window gathered
        until it got its turn, and from then on a new window queues the next cycle.
        """
        if self.stop_event.is_set():
            if webhook:
                self.webhooks.take_work()
            return None
        with self._cycle_lock:
            if webhook:
                more_affected, more_refresh = self.webhooks.take_work()
                affected = frozenset(affected) | more_affected
                refresh = tuple(sorted({*refresh, *more_refresh}))
            if self.stop_event.is_set():
                return None
            try:
                leading = self.leadership.ensure()
            except OkrsyncError as exc:
                log.warning("cannot check leadership: %s", exc, extra={"event": "leader_error"})
                self._failed(reason)
                return None
            if not leading:
                self.leadership.follow()
                return None
            return self._cycle(reason, frozenset(affected), full, tuple(refresh))

    def check_leadership(self) -> bool:
        """The leader check's tick: a follower tries the lock, and when it takes it runs a cycle at
        once (``reason="takeover"``); the leader checks it still holds it. Returns whether this
        process leads. A cycle under way checks leadership itself: the tick then does nothing."""
        if self.stop_event.is_set() or not self._cycle_lock.acquire(blocking=False):
            return self.is_leader
        try:
            took_over = self.leadership.check()
        finally:
            self._cycle_lock.release()
        if took_over and not self.stop_event.is_set():
            with contextlib.suppress(Exception):  # the scheduler is shutting down
                self.scheduler.add_job(
                    self.run_cycle,
                    kwargs={"reason": "takeover"},
                    id="takeover",
                    name="takeover",
                    replace_existing=True,
                )
        return self.is_leader

    def _cycle(
        self, reason: str, affected: frozenset[str], full: bool, refresh: tuple[str, ...] = ()
    ) -> SyncReport | None:
        self.learn_identity()
        self.site_facts.before(self.gateway, full=full)
        try:
            report = run_sync(
                self.cfg,
                store=self.store,
                gateway=self.gateway,
                now=self.clock(),
                full=full,
                clock=self.clock,
                stop=self.stop_event.is_set,
                refresh_keys=refresh,
            )
        except Exception as exc:  # run_sync records Jira/data failures itself; this is the store or a bug
            self.metrics.errors.labels("cycle").inc()
            log_crashed_cycle(reason, exc)
            self._failed(reason)
            return None
        # the report is not kept: its plan and scored tree (at 100,000 issues tens of MiB) would
        # stay in memory through the next cycle
        self.site_facts.after(report)
        self.metrics.observe_cycle(report, finished_at=self.clock().timestamp())
        log_cycle(reason, report, affected)
        if report.status == "failed":
            self._failed(reason)
        else:
            self.failures = 0
            self.last_success_at = self.clock()
            self._learn_epic_link()
        self.digests.tick()  # what the digest's current slot still owes (nothing, mostly)
        return report

    def _failed(self, reason: str) -> None:
        self.failures += 1
        if self.stop_event.is_set():
            return
        delay = self.schedule.retry_delay(self.failures, self.cfg.daemon.retry_seconds)
        log.info(
            "retrying in %g s (failure %d in a row)",
            delay,
            self.failures,
            extra={"event": "retry", "delay_seconds": delay, "failures": self.failures, "after": reason},
        )
        with contextlib.suppress(Exception):  # the scheduler is shutting down
            self.scheduler.add_job(
                self.run_cycle,
                "date",
                run_date=self.clock() + timedelta(seconds=delay),
                kwargs={"reason": "retry"},
                id="retry",
                name="retry",
                replace_existing=True,
            )

    def learn_identity(self) -> None:
        """okrsync's own Jira user, for the webhook feedback filter (one request, once)."""
        if self.identity is not None:
            return
        try:
            self.identity = Identity.from_myself(self.gateway.myself())
        except Exception as exc:
            log.warning(
                "cannot read okrsync's own Jira user yet (%s); its own edits may trigger one extra cycle",
                exc,
                extra={"event": "identity_unknown"},
            )

    def _learn_epic_link(self) -> None:
        if self.cfg.jira.children == "parent":
            return
        with contextlib.suppress(Exception):
            self.epic_link_id = self.gateway.fields.epic_link_id()  # cached by the cycle: no request

    def _queue_webhook_cycle(self) -> None:
        self.scheduler.add_job(self.run_cycle, kwargs={"reason": "webhook", "webhook": True}, name="webhook")

    # ------------------------------------------------------------------ health

    def jira_reachable(self) -> bool:
        """See :meth:`JiraProbe.reachable`."""
        return self.jira_probe.reachable()

    def info(self) -> dict[str, Any]:
        return {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "leader": self.is_leader,
            "started_at": self.started_at.isoformat(),
            "interval_seconds": self.schedule.interval_seconds,
            "cron": self.cfg.sync.cron,
            "webhooks": self.receiver.enabled,
            "failures_in_a_row": self.failures,
            "leader_info": self.store.get_meta(LEADER_META),
        }


# ---------------------------------------------------------------------------------- process


def run_daemon(
    cfg: Settings,
    *,
    host: str | None = None,
    port: int | None = None,
    log_format: str | None = None,
    interval_seconds: float | None = None,
) -> int:
    """The ``okrsync daemon`` process: returns the exit code.

    0 after a clean stop (SIGTERM / SIGINT, also while waiting for the state store at start); a
    configuration that can never work (see :mod:`okrsync.daemon.preflight`): its code, 2, with the
    reason logged before anything listens.
    """
    from okrsync.daemon.logging_setup import configure, secrets_of

    fmt = log_format or cfg.daemon.log_format
    if fmt not in ("plain", "json"):
        raise OkrsyncError(f"--log-format {fmt!r}: use plain or json.")
    configure("json" if fmt == "json" else "plain", secrets=secrets_of(cfg))
    stop = threading.Event()
    on_stop: list[Callable[[], None]] = [stop.set]
    with stop_on_signals(on_stop):
        try:
            schedule = Schedule.of(cfg, interval_seconds)  # a bad cron fails before anything starts
            check_digest(cfg)  # so do a bad digest.cron and a digest channel's unset variable
            me = probe_jira(cfg.jira)  # no credential, or a refused one: never works
            cap = schedule.backoff_cap
            store = open_store(cfg.sync.state_url, stop=stop, first=cfg.daemon.retry_seconds, cap=cap)
        except OkrsyncError as exc:
            return refuse_to_start(exc)
        if store is None:
            log.info("stopped while waiting for the state store", extra={"event": "stop", "pid": os.getpid()})
            return 0
        with contextlib.closing(store), JiraGateway(cfg.jira) as gateway:
            daemon = Daemon(cfg, store=store, gateway=gateway, interval_seconds=interval_seconds)
            if me is not None:
                daemon.identity = Identity.from_myself(me)
            on_stop.append(daemon.request_stop)
            return _serve(daemon, host or cfg.daemon.host, cfg.daemon.port if port is None else port, on_stop)


def _serve(daemon: Daemon, host: str, port: int, on_stop: list[Callable[[], None]]) -> int:
    """Bind, start the schedule, serve until stopped; a start that fails is refused (its code)."""
    from okrsync.daemon.http import create_app

    try:
        sock = bind(host, port)
    except OkrsyncError as exc:
        return refuse_to_start(exc)
    server = Server(
        http_config(
            create_app(daemon), on_timeout=lambda phase: daemon.metrics.http_read_timeouts.labels(phase).inc()
        ),
        on_exit=daemon.request_stop,
    )
    on_stop.append(lambda: setattr(server, "should_exit", True))
    try:
        try:
            daemon.start()  # SQLite: another daemon on the file refuses this one
        except OkrsyncError as exc:
            return refuse_to_start(exc)
        bound_port = sock.getsockname()[1]
        log.info(
            "okrsync daemon (pid %d) listening on http://%s:%d; %s; state %s",
            os.getpid(),
            host,
            bound_port,
            daemon.schedule.describe(),
            daemon.store.url_for_display,
            extra={"event": "start", "pid": os.getpid(), "host": host, "port": bound_port},
        )
        if not daemon.stop_event.is_set():
            server.run(sockets=[sock])
    finally:
        daemon.shutdown()
        sock.close()
    last = daemon.store.last_run()
    log.info(
        "okrsync daemon (pid %d) stopped cleanly; last run %s %s",
        os.getpid(),
        last.run_id if last else "-",
        last.status if last else "-",
        extra={"event": "stop", "pid": os.getpid()},
    )
    return 0
