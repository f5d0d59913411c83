"""When the daemon syncs: the schedule of incremental cycles and the times that follow from it.

* ``sync.cron`` (a standard five-field cron expression, in the local time zone) or every
  ``sync.interval_minutes`` (UTC); tests pass a number of seconds instead.
* A failed cycle is retried after ``daemon.retry_seconds``, doubling up to one interval
  (:func:`backoff_delay`).
* Readiness: how long without a successful cycle makes the daemon late (:meth:`Schedule.late_after`).

Pure given its inputs: no clock is read here; the daemon passes its times in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from okrsync.domain.config import ConfigError, Settings


def backoff_delay(failures: int, first: float, cap: float) -> float:
    """Seconds before retrying after ``failures`` failed cycles in a row: first, 2×, 4×, … ≤ cap."""
    if failures <= 0:
        return 0.0
    return float(min(first * 2 ** min(failures - 1, 30), cap))


# ------------------------------------------------------------------------------------ cron

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


def cron_trigger(expression: str, timezone: tzinfo | None = None) -> CronTrigger:
    """A standard five-field cron expression (minute hour day month weekday), in ``timezone`` (default:
    the local time zone)."""
    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(f"it has {len(fields)} fields, not 5")
    minute, hour, day, month, weekday = fields
    return CronTrigger(
        minute=minute, hour=hour, day=day, month=month, day_of_week=_cron_weekdays(weekday), timezone=timezone
    )


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


# ------------------------------------------------------------------------------------ schedule


@dataclass(frozen=True, slots=True)
class Schedule:
    """The trigger of incremental cycles, the interval, and the waits and deadlines they imply."""

    trigger: IntervalTrigger | CronTrigger
    interval_seconds: float
    """``sync.interval_minutes`` in seconds (or the test-only seconds), with a cron too."""
    cron: str | None = None
    """The ``sync.cron`` expression the trigger follows; ``None`` on an interval."""

    @classmethod
    def of(cls, cfg: Settings, interval_seconds: float | None = None) -> Schedule:
        """The schedule ``cfg`` asks for; a bad ``sync.cron`` raises a :class:`ConfigError`."""
        trigger = sync_trigger(cfg, interval_seconds)
        seconds = interval_seconds if interval_seconds is not None else cfg.sync.interval_minutes * 60.0
        return cls(trigger, seconds, cfg.sync.cron if isinstance(trigger, CronTrigger) else None)

    @property
    def is_cron(self) -> bool:
        return isinstance(self.trigger, CronTrigger)

    @property
    def timezone(self) -> tzinfo | None:
        """The scheduler's time zone: a cron fires in the local one (``None``), an interval in UTC."""
        return None if self.is_cron else UTC

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

    def retry_delay(self, failures: int, first: float) -> float:
        """Seconds before retrying after ``failures`` failed cycles in a row; ``first``: the
        ``daemon.retry_seconds``."""
        return backoff_delay(failures, first, self.backoff_cap)

    def late_after(self, last_success: datetime) -> datetime | None:
        """When the daemon becomes late (not ready) if no cycle succeeds after ``last_success``.

        On an interval: ``max_sync_age`` after it. On a cron schedule: the first fire time after it,
        plus ``sync_grace``; so nights and weekends outside the schedule are not late. ``None``: the
        schedule never fires again.
        """
        if isinstance(self.trigger, CronTrigger):
            fire: datetime | None = self.trigger.get_next_fire_time(None, last_success)
            return fire + self.sync_grace if fire is not None else None
        return last_success + self.max_sync_age

    def describe(self) -> str:
        """How the start log line names the schedule: ``cron '…'`` or ``every 60 s``."""
        return f"cron {self.cron!r}" if self.is_cron else f"every {self.interval_seconds:g} s"
