"""``okrsync daemon``: sync on a schedule, one leader among replicas, webhooks, clean shutdown.

* APScheduler runs an incremental cycle every ``sync.interval_minutes`` (or on ``sync.cron``) and a
  full reconcile every ``sync.full_reconcile_hours``. Every cycle, whatever started it (schedule,
  retry, webhook), runs under one lock: never two at once; the scheduler's jobs coalesce and run one
  instance each.
* Leadership: with PostgreSQL every replica polls for the advisory lock at each tick and only the
  holder syncs; the leader checks it still holds the lock before each cycle. With SQLite the daemon
  takes the file lock at start or refuses to start.
* A failed cycle (Jira down, the store unreachable, a bug) is logged and recorded, never kills the
  daemon; it is retried after ``daemon.retry_seconds``, doubling up to one interval.
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
import signal
import socket
import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import FrameType
from typing import Any

import uvicorn
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from okrsync.core.stored_tree import META_KEY as SNAPSHOT_KEY
from okrsync.daemon.metrics import Metrics
from okrsync.daemon.preflight import backoff_delay, open_store, probe_jira, refuse_to_start
from okrsync.daemon.webhooks import (
    Debouncer,
    Identity,
    MirrorFacts,
    ReceiverConfig,
    SeenCache,
    WebhookReceiver,
)
from okrsync.domain.config import ConfigError, Settings
from okrsync.domain.keys import META_DAEMON_LEADER
from okrsync.domain.model import OkrsyncError
from okrsync.jira.gateway import JiraGateway
from okrsync.state.store import StateStore
from okrsync.sync.engine import KR_EPICS_META, SyncReport, run_sync

log = logging.getLogger(__name__)


def system_clock() -> datetime:
    """The wall clock (aware, UTC): the daemon's default ``clock``, its only read of the real time."""
    return datetime.now(UTC)


LEADER_META = META_DAEMON_LEADER
JIRA_PROBE_SECONDS = 30.0


_CRON_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def _cron_weekdays(field: str) -> str:
    """A cron day-of-week field (0 or 7 = Sunday, 1 = Monday) as APScheduler day names.

    APScheduler 3 counts weekdays from Monday = 0, even in ``CronTrigger.from_crontab``, so a
    standard ``1-5`` (Monday to Friday) would run Tuesday to Saturday; names mean the same to both.
    """
    if field in ("*", "?"):
        return "*"
    names: list[str] = []
    for token in field.lower().split(","):
        base, _, step_text = token.partition("/")
        step = int(step_text) if step_text else 1
        if step < 1:
            raise ValueError(f"step {step_text!r} in the weekday field")
        if base.isalpha() and not step_text:
            names.append(base)  # a name (mon, tue-fri is handled below)
            continue
        if base == "*":
            first, last = 0, 6
        elif "-" in base:
            a, b = base.split("-", 1)
            first, last = _cron_day(a), _cron_day(b)
            if last < first:
                raise ValueError(f"range {base!r} in the weekday field runs backwards")
        else:
            first = _cron_day(base)
            last = 6 if step_text else first
        names.extend(_CRON_DAYS[d % 7] for d in range(first, last + 1, step))
    return ",".join(dict.fromkeys(names))


def _cron_day(text: str) -> int:
    if text.isdigit() and 0 <= int(text) <= 7:
        return int(text)
    if text in _CRON_DAYS:
        return _CRON_DAYS.index(text)
    raise ValueError(f"{text!r} is not a weekday (0-7 or sun-sat)")


def cron_trigger(expression: str) -> CronTrigger:
    """A standard five-field cron expression (minute hour day month weekday), in the local time zone."""
    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(f"it has {len(fields)} fields, not 5")
    minute, hour, day, month, weekday = fields
    return CronTrigger(minute=minute, hour=hour, day=day, month=month, day_of_week=_cron_weekdays(weekday))


def sync_trigger(cfg: Settings, interval_seconds: float | None = None) -> IntervalTrigger | CronTrigger:
    """The schedule of incremental cycles: the test-only seconds, the cron expression or the interval."""
    if interval_seconds is not None:
        return IntervalTrigger(seconds=interval_seconds)
    if cfg.sync.cron:
        try:
            return cron_trigger(cfg.sync.cron)
        except ValueError as exc:
            raise ConfigError(
                [
                    f"sync.cron: {cfg.sync.cron!r} is not a cron expression ({exc}). Use five fields "
                    '(minute hour day month weekday), e.g. "*/15 7-19 * * 1-5", or remove it and '
                    "set sync.interval_minutes."
                ]
            ) from None
    return IntervalTrigger(minutes=cfg.sync.interval_minutes)


@dataclass(frozen=True, slots=True)
class CycleSummary:
    """What the one log line of a cycle says (also the fields of its JSON log record)."""

    reason: str
    report: SyncReport
    affected: frozenset[str]

    def fields(self) -> dict[str, Any]:
        r = self.report
        return {
            "event": "cycle",
            "reason": self.reason,
            "run_id": r.run_id,
            "mode": r.mode,
            "status": r.status,
            "affected_krs": sorted(self.affected),
            "key_results": r.key_results,
            "issues_read": r.issues_read,
            "requests": r.requests,
            "writes": r.writes,
            "comments": r.comments_posted + r.comments_updated,
            "errors": r.error_count,
            "warnings": len(r.warnings),
            "seconds": round(r.seconds, 3),
            "health": r.health,
            "failure": r.failure,
            "pid": os.getpid(),
        }

    def message(self) -> str:
        r = self.report
        krs = f" krs={','.join(sorted(self.affected))}" if self.affected else ""
        text = (
            f"cycle run={r.run_id} reason={self.reason} mode={r.mode} status={r.status}{krs} "
            f"key_results={r.key_results} read={r.issues_read} requests={r.requests} writes={r.writes} "
            f"errors={r.error_count} warnings={len(r.warnings)} seconds={r.seconds:.2f}"
        )
        return f"{text} failure={r.failure!r}" if r.failure else text


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
        self.trigger = sync_trigger(cfg, interval_seconds)
        self.interval_seconds = (
            interval_seconds if interval_seconds is not None else cfg.sync.interval_minutes * 60.0
        )
        self._gateway_factory = gateway_factory or (lambda: JiraGateway(cfg.jira, stats=gateway.stats))
        self.stop_event = threading.Event()
        self._cycle_lock = threading.Lock()
        self.is_leader = False
        self.failures = 0
        self.started_at = clock()
        self.last_report: SyncReport | None = None
        self.last_success_at: datetime | None = None
        self.identity: Identity | None = None
        self.epic_link_id: str | None = None
        self._probe: tuple[datetime, bool] | None = None
        self._probe_lock = threading.Lock()
        # at most one webhook cycle waits for its turn; later windows merge into it (see _webhook_fire)
        self._webhook_lock = threading.Lock()
        self._webhook_queued = False
        self._webhook_affected: set[str] = set()
        self._webhook_refresh: set[str] = set()
        self.scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(4)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone=UTC if interval_seconds is not None or not cfg.sync.cron else None,
        )
        self.debouncer = Debouncer(cfg.webhook.debounce_seconds, self._webhook_fire)
        secret = cfg.webhook.secret.get_secret_value() if cfg.webhook.secret is not None else None
        self.receiver = WebhookReceiver(
            ReceiverConfig(secret or None, cfg.webhook.allow_unsigned, cfg.webhook.max_body_bytes),
            seen=SeenCache(cfg.webhook.dedupe_minutes * 60.0, clock=lambda: self.clock().timestamp()),
            identity=lambda: self.identity,
            known_epics=self._known_epics,
            mirror=self._mirror_facts,
            epic_link_id=lambda: self.epic_link_id,
            schedule=self.debouncer.add,
            refresh=self.debouncer.add_refresh,
        )

    # ------------------------------------------------------------------ lifecycle

    @property
    def max_sync_age(self) -> timedelta:
        """On an interval, a last successful sync older than this makes the daemon not ready (and a
        daemon that has synced nothing yet is ready for this long after it started)."""
        return timedelta(seconds=3 * self.interval_seconds + 60)

    @property
    def backoff_cap(self) -> float:
        """The longest wait before retrying a failed cycle: one ``sync.interval_minutes`` (with a
        cron too: a night without fire times must not postpone the retry of a failure)."""
        return self.interval_seconds

    @property
    def sync_grace(self) -> timedelta:
        """How long after a scheduled cron fire time its successful cycle may take (retries included)."""
        return timedelta(seconds=2 * self.interval_seconds + 60)

    def sync_late_after(self, last_success: datetime) -> datetime | None:
        """When the daemon becomes late (not ready) if no cycle succeeds after ``last_success``.

        On an interval: ``max_sync_age`` after it. On a cron schedule: the first fire time after it,
        plus ``sync_grace``; so nights and weekends outside the schedule are not late. ``None``: the
        schedule never fires again.
        """
        if isinstance(self.trigger, CronTrigger):
            fire: datetime | None = self.trigger.get_next_fire_time(None, last_success)
            return fire + self.sync_grace if fire is not None else None
        return last_success + self.max_sync_age

    def start(self) -> None:
        """Claim leadership (SQLite: or refuse to start) and start the schedule; the first cycle runs now."""
        if self.store.dialect == "sqlite":
            self.store.require_leader()  # raises a StateStoreError that names the other process
            self._became_leader()
        else:
            self._ensure_leader()
        if not self.receiver.enabled:
            log.warning(
                "webhooks are off: set OKRSYNC_WEBHOOK__SECRET to the Jira webhook's secret to receive "
                "them (or webhook.allow_unsigned: true on a trusted network); syncing on schedule only",
                extra={"event": "webhooks_off"},
            )
        self.scheduler.add_job(
            self.run_cycle,
            self.trigger,
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
        self.scheduler.start()

    def request_stop(self) -> None:
        """Signal-safe: the running cycle stops after its current change; no new cycle starts."""
        self.stop_event.set()

    def shutdown(self) -> None:
        """Stop scheduling, wait for the running cycle to finish its change, give up leadership."""
        self.stop_event.set()
        self.debouncer.close()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        with self._cycle_lock:
            if self.is_leader:
                with contextlib.suppress(Exception):
                    self.store.release_leader()
                self.is_leader = False
            self.metrics.leader.set(0)

    # ------------------------------------------------------------------ leadership

    def _ensure_leader(self) -> bool:
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
                self._take_webhook_work()
            return None
        with self._cycle_lock:
            if webhook:
                more_affected, more_refresh = self._take_webhook_work()
                affected = frozenset(affected) | more_affected
                refresh = tuple(sorted({*refresh, *more_refresh}))
            if self.stop_event.is_set():
                return None
            try:
                leading = self._ensure_leader()
            except OkrsyncError as exc:
                log.warning("cannot check leadership: %s", exc, extra={"event": "leader_error"})
                self._failed(reason)
                return None
            if not leading:
                self._follow()
                return None
            return self._cycle(reason, frozenset(affected), full, tuple(refresh))

    def _cycle(
        self, reason: str, affected: frozenset[str], full: bool, refresh: tuple[str, ...] = ()
    ) -> SyncReport | None:
        self.learn_identity()
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
            log.exception(
                "cycle reason=%s status=failed errors=1 failure=%r",
                reason,
                str(exc),
                extra={
                    "event": "cycle",
                    "reason": reason,
                    "status": "failed",
                    "errors": 1,
                    "failure": str(exc),
                },
            )
            self._failed(reason)
            return None
        self.last_report = report
        self.metrics.observe_cycle(report, finished_at=self.clock().timestamp())
        summary = CycleSummary(reason, report, affected)
        level = logging.WARNING if report.status == "failed" else logging.INFO
        log.log(level, summary.message(), extra=summary.fields())
        if report.status == "failed":
            self._failed(reason)
        else:
            self.failures = 0
            self.last_success_at = self.clock()
            self._learn_epic_link()
        return report

    def _failed(self, reason: str) -> None:
        self.failures += 1
        if self.stop_event.is_set():
            return
        delay = backoff_delay(self.failures, self.cfg.daemon.retry_seconds, self.backoff_cap)
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

    def _follow(self) -> None:
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

    # ------------------------------------------------------------------ webhooks

    def _webhook_fire(self, affected: frozenset[str], events: int) -> None:
        """A debounce window closed: queue a webhook cycle, or merge into the one already queued.

        At most one webhook cycle waits: on a busy site whose cycles outlast the debounce window,
        windows would otherwise pile up cycles for as long as the traffic lasts. A window that
        closes while a webhook cycle runs (it took its work) queues exactly one more.
        """
        if self.stop_event.is_set():
            return
        refresh = self.debouncer.take_refresh()
        with self._webhook_lock:
            self._webhook_affected.update(affected)
            self._webhook_refresh.update(refresh)
            merged = self._webhook_queued
            self._webhook_queued = True
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
            self.scheduler.add_job(
                self.run_cycle, kwargs={"reason": "webhook", "webhook": True}, name="webhook"
            )
        except Exception:  # the scheduler is shutting down
            self._take_webhook_work()

    def _take_webhook_work(self) -> tuple[frozenset[str], frozenset[str]]:
        """The KRs and issues the queued webhook cycle covers; later windows queue a new one."""
        with self._webhook_lock:
            work = frozenset(self._webhook_affected), frozenset(self._webhook_refresh)
            self._webhook_affected, self._webhook_refresh = set(), set()
            self._webhook_queued = False
            return work

    def _known_epics(self) -> Collection[str]:
        value = self.store.get_meta(KR_EPICS_META)
        return frozenset(str(k) for k in value) if isinstance(value, list) else frozenset()

    def _mirror_facts(self, key: str) -> MirrorFacts:
        row = self.store.issues([key]).get(key)
        return MirrorFacts(True, row.epic_key) if row is not None else MirrorFacts()

    # ------------------------------------------------------------------ health

    def jira_reachable(self) -> bool:
        """Jira answered recently: a cycle succeeded, or a probe (cached 30 s) read okrsync's own user."""
        now = self.clock()
        recent = timedelta(seconds=JIRA_PROBE_SECONDS)
        with self._probe_lock:
            if self.last_success_at is not None and timedelta(0) <= now - self.last_success_at < recent:
                return True
            if self._probe is not None and timedelta(0) <= now - self._probe[0] < recent:
                return self._probe[1]
            ok = False
            try:
                with self._gateway_factory() as probe:
                    probe.myself()  # reachable, and the credentials work
                ok = True
            except Exception as exc:
                log.warning("readiness: Jira is not reachable: %s", exc, extra={"event": "jira_unreachable"})
            self._probe = (now, ok)
            return ok

    def info(self) -> dict[str, Any]:
        return {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "leader": self.is_leader,
            "started_at": self.started_at.isoformat(),
            "interval_seconds": self.interval_seconds,
            "cron": self.cfg.sync.cron,
            "webhooks": self.receiver.enabled,
            "failures_in_a_row": self.failures,
            "leader_info": self.store.get_meta(LEADER_META),
        }


# ---------------------------------------------------------------------------------- process


class _Server(uvicorn.Server):
    """uvicorn's server, which also stops the daemon when it catches SIGTERM / SIGINT."""

    def __init__(self, config: uvicorn.Config, on_exit: Callable[[], None]) -> None:
        super().__init__(config)
        self._on_exit = on_exit

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        self._on_exit()
        super().handle_exit(sig, frame)


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise OkrsyncError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}. Another process may use the port: "
            "pass --port (or set daemon.port / OKRSYNC_DAEMON__PORT), or stop the other process."
        ) from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


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

    def on_signal(signum: int, frame: FrameType | None) -> None:
        for action in list(on_stop):
            action()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        try:
            sync_trigger(cfg, interval_seconds)  # a bad cron fails before anything starts
            me = probe_jira(cfg.jira)  # no credential, or a refused one: never works
            cap = interval_seconds if interval_seconds is not None else cfg.sync.interval_minutes * 60.0
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
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _serve(daemon: Daemon, host: str, port: int, on_stop: list[Callable[[], None]]) -> int:
    """Bind, start the schedule, serve until stopped; a start that fails is refused (its code)."""
    from okrsync.daemon.http import create_app

    try:
        sock = _bind(host, port)
    except OkrsyncError as exc:
        return refuse_to_start(exc)
    server = _Server(
        uvicorn.Config(
            create_app(daemon), log_config=None, access_log=False, lifespan="off", timeout_graceful_shutdown=5
        ),
        on_exit=daemon.request_stop,
    )
    on_stop.append(lambda: setattr(server, "should_exit", True))
    try:
        try:
            daemon.start()  # SQLite: another daemon on the file refuses this one
        except OkrsyncError as exc:
            return refuse_to_start(exc)
        cfg, bound_port = daemon.cfg, sock.getsockname()[1]
        log.info(
            "okrsync daemon (pid %d) listening on http://%s:%d; %s; state %s",
            os.getpid(),
            host,
            bound_port,
            f"cron {cfg.sync.cron!r}"
            if isinstance(daemon.trigger, CronTrigger)
            else f"every {daemon.interval_seconds:g} s",
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
