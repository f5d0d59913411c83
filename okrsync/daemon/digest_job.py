"""The digest as the daemon and ``okrsync digest`` run it: the slot, the messages, the sending.

* The slot: the last ``digest.cron`` fire time (in ``digest.timezone``) at or before now, if it was
  at most ``digest.catch_up_hours`` ago (a daemon down on Monday morning still sends Monday's
  digest when it comes back that day); it names the digest in the state store (UTC, ISO 8601).
* The messages: from the tree the last sync stored (``--period``: a period's, a closed one's as it
  closed), its history and the last digest's day (:mod:`okrsync.core.digest`).
* The sending: :func:`okrsync.sync.digest.send_digest`, once per (slot, audience, channel).

The daemon fires a cycle at each slot (``reason="digest"``) and, after every cycle it runs as the
leader, :meth:`DigestJob.tick` sends what the current slot still owes: the slot's digest, a failed
channel's retry, a slot a restart interrupted.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from apscheduler.triggers.cron import CronTrigger

from okrsync.core.coverage import Coverage
from okrsync.core.digest import build_digests, default_since
from okrsync.core.digest_render import Message, render_message
from okrsync.core.stored_tree import META_KEY
from okrsync.daemon.digest_channels import send_apprise
from okrsync.daemon.schedule import cron_trigger
from okrsync.domain.config import ConfigError, Settings
from okrsync.domain.config_digest import Channel, channels_of
from okrsync.domain.keys import META_CLOSED_PERIODS, META_COVERAGE
from okrsync.report.outline import check_stored_tree
from okrsync.report.period_view import closed_trees, period_doc
from okrsync.state.store import StateStore
from okrsync.sync.digest import META_LAST, DigestOutcome, Sender, prune, record_last, send_digest

log = logging.getLogger(__name__)

KEEP_CLAIMS = timedelta(days=60)


def digest_trigger(cfg: Settings) -> CronTrigger | None:
    """``digest.cron`` in ``digest.timezone``; ``None`` without one; a bad one is a ConfigError."""
    if not cfg.digest.cron:
        return None
    try:
        return cron_trigger(cfg.digest.cron, cfg.digest.zone)
    except ValueError as exc:
        raise ConfigError(
            [
                f"digest.cron: {cfg.digest.cron!r} is not a cron expression ({exc}). Use five fields "
                '(minute hour day month weekday), e.g. "0 9 * * MON" for Mondays at 09:00 in digest.timezone.'
            ]
        ) from None


def current_slot(cfg: Settings, now: datetime) -> datetime | None:
    """The last fire time at or before ``now`` within ``digest.catch_up_hours``, in UTC."""
    trigger = digest_trigger(cfg)
    if trigger is None:
        return None
    earliest = now - timedelta(hours=cfg.digest.catch_up_hours)
    fire: datetime | None = trigger.get_next_fire_time(None, earliest)
    last: datetime | None = None
    while fire is not None and fire <= now:
        last = fire
        fire = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
    return last.astimezone(UTC) if last is not None else None


@dataclass(frozen=True)
class Composed:
    messages: list[Message]
    as_of: date
    since: date


def compose(cfg: Settings, store: StateStore, slot: str | None, period: str | None = None) -> Composed:
    """The messages of the digest, from the stored tree (a :class:`StoredTreeError` before a sync)."""
    doc = check_stored_tree(store.get_meta(META_KEY))
    if period is not None:
        doc = period_doc(doc, period.strip(), closed_trees(store.get_meta(META_CLOSED_PERIODS)))
    as_of = date.fromisoformat(doc["as_of"])
    since = default_since(as_of, _last_day(store.get_meta(META_LAST), slot))
    start = min(date.fromisoformat(doc["period"]["start"]), since)
    ids = [o["id"] for o in doc["objectives"]] + [k["id"] for k in doc["key_results"]]
    points = store.history(ids, since=start, until=as_of) if ids else []
    owners = cfg.digest.owners or any(c.audience == "owners" or c.owner for c in cfg.digest.channels)
    digests = build_digests(
        doc,
        points,
        since=since,
        site_url=cfg.jira.url,
        owners=owners,
        stale_after_days=cfg.policy.stale_after_days,
        coverage=Coverage.of_json(store.get_meta(META_COVERAGE)) if period is None else None,
    )
    return Composed([render_message(d) for d in digests], as_of, since)


def _last_day(last: Any, slot: str | None) -> date | None:
    """The day the last digest counted to; a retry of the same slot counts from where it did."""
    if not isinstance(last, dict):
        return None
    text = last.get("since") if slot is not None and last.get("slot") == slot else last.get("as_of")
    try:
        return date.fromisoformat(str(text))
    except ValueError:
        return None


@dataclass
class DigestRun:
    slot: str
    composed: Composed
    outcome: DigestOutcome


def run_digest(
    cfg: Settings,
    store: StateStore,
    *,
    slot: str,
    clock: Callable[[], datetime],
    environ: Mapping[str, str] | None = None,
    send: Sender = send_apprise,
    sleep: Callable[[float], None] = time.sleep,
    period: str | None = None,
) -> DigestRun:
    """Compose and send the digest of ``slot`` to every configured channel (each once per slot)."""
    channels: list[Channel] = channels_of(cfg.digest, os.environ if environ is None else environ)
    composed = compose(cfg, store, slot, period)
    outcome = send_digest(
        cfg.digest, store, composed.messages, channels, slot=slot, now=clock, send=send, sleep=sleep
    )
    if outcome.sent and period is None:
        record_last(store, slot, composed.as_of.isoformat(), composed.since.isoformat())
    return DigestRun(slot, composed, outcome)


class DigestJob:
    """The daemon's digest: :meth:`tick` after each cycle the leader runs."""

    def __init__(
        self,
        cfg: Settings,
        store: StateStore,
        clock: Callable[[], datetime],
        *,
        registry: Any = None,
        send: Sender = send_apprise,
        sleep: Callable[[float], None] = time.sleep,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        from prometheus_client import Counter

        self.cfg = cfg
        self.store = store
        self.clock = clock
        self.trigger = digest_trigger(cfg)
        self.send = send
        self.sleep = sleep
        self.environ = environ
        self.last_run: DigestRun | None = None
        self.deliveries: Counter | None = None
        if registry is not None:
            try:
                self.deliveries = Counter(
                    "okrsync_digest_deliveries",
                    "Digest deliveries by channel and outcome (sent, failed: after its retries in one run).",
                    ["channel", "status"],
                    registry=registry,
                )
            except ValueError:  # another daemon of this process registered it (tests share metrics)
                self.deliveries = None

    def tick(self) -> DigestRun | None:
        """Send what the current slot still owes; never raises (a failure is logged and counted)."""
        if self.trigger is None:
            return None
        now = self.clock()
        slot = current_slot(self.cfg, now)
        if slot is None:
            return None
        try:
            run = run_digest(
                self.cfg,
                self.store,
                slot=slot.isoformat(),
                clock=self.clock,
                environ=self.environ,
                send=self.send,
                sleep=self.sleep,
            )
            prune(self.store, now - KEEP_CLAIMS)
        except Exception as exc:
            log.warning("digest %s not sent: %s", slot.isoformat(), exc, extra={"event": "digest_error"})
            if self.deliveries is not None:
                self.deliveries.labels("-", "error").inc()
            return None
        self.last_run = run
        if self.deliveries is not None:
            for d in run.outcome.deliveries:
                if d.status in ("sent", "failed"):
                    self.deliveries.labels(d.channel, d.status).inc()
        return run


def check_digest(cfg: Settings, environ: Mapping[str, str] | None = None) -> None:
    """At the daemon's start: a bad ``digest.cron`` or a channel whose variable is unset is an error."""
    if digest_trigger(cfg) is not None:
        channels_of(cfg.digest, os.environ if environ is None else environ)
