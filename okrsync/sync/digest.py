"""Sending the digest once per schedule slot: the claims in the state store, retries, the outcome.

Each (slot, audience, channel) is sent in rounds; a round is a meta key
``digest|<slot>|<audience>|<channel>|<n>`` that one process claims by inserting it
(:meth:`~okrsync.state.repositories.meta.MetaValues.claim_meta`: of two replicas or a restarted
daemon, one takes it) and then marks ``sent`` or ``failed``. A pair with a ``sent`` round is done;
a ``failed`` one is tried again by the next run (the daemon's next tick) up to
``digest.max_rounds`` rounds; a ``sending`` round younger than :data:`LEASE` belongs to a process
that is sending it now (an older one died: the next round goes out). Within a round a channel is
tried ``digest.retries`` times with backoff; a failing channel never holds up the others.

The sender is injected (the faces pass apprise, :mod:`okrsync.daemon.digest_channels`); tests pass
fakes or real local endpoints.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

from okrsync.core.digest_render import Message
from okrsync.domain.config_digest import Channel, DigestConfig
from okrsync.state.store import StateStore

log = logging.getLogger(__name__)

LEASE: Final = timedelta(minutes=10)
"""How long a claimed round is another process's to finish before it counts as dead."""
META_PREFIX: Final = "digest|"
META_LAST: Final = "digest_last"
"""The last digest sent: ``{"slot", "as_of", "since"}`` (what "moved since" counts from)."""

Sender = Callable[[Channel, Message], None]
"""Sends one message to one channel; raises on failure (its message is reported, never the URL)."""


@dataclass(frozen=True, slots=True)
class Delivery:
    """What became of one (audience, channel) in this run."""

    audience: str
    channel: str
    status: str  # sent | failed | already_sent | in_progress | gave_up
    attempts: int = 0
    error: str | None = None


@dataclass
class DigestOutcome:
    slot: str
    deliveries: list[Delivery] = field(default_factory=list)

    @property
    def failed(self) -> list[Delivery]:
        return [d for d in self.deliveries if d.status in ("failed", "gave_up")]

    @property
    def sent(self) -> list[Delivery]:
        return [d for d in self.deliveries if d.status == "sent"]

    @property
    def exit_code(self) -> int:
        """0: every channel has the digest (now or before); 1: one failed (see :attr:`failed`)."""
        return 1 if self.failed else 0


def routes(messages: Sequence[Message], channels: Sequence[Channel]) -> list[tuple[Message, Channel]]:
    """Which message goes to which channel: the company digest to company channels; each owner's to
    the channels for owners (``audience: owners``) and to a channel for that owner, or, when no
    channel is for owners, to the company channels."""
    out: list[tuple[Message, Channel]] = []
    for_owners = [c for c in channels if c.audience == "owners" or c.owner]
    for m in messages:
        if m.audience == "company":
            out += [(m, c) for c in channels if c.audience == "company" and not c.owner]
            continue
        owner = m.audience.removeprefix("owner:")
        targets = [c for c in for_owners if c.owner == owner or (c.audience == "owners" and not c.owner)]
        if not for_owners:
            targets = [c for c in channels if c.audience == "company"]
        out += [(m, c) for c in targets]
    return out


def _key(slot: str, audience: str, channel: str, n: int) -> str:
    return f"{META_PREFIX}{slot}|{audience}|{channel}|{n}"


def _rounds(claims: Mapping[str, Any], slot: str, audience: str, channel: str) -> list[dict[str, Any]]:
    prefix = f"{META_PREFIX}{slot}|{audience}|{channel}|"
    found = [
        (int(k[len(prefix) :]), v)
        for k, v in claims.items()
        if k.startswith(prefix) and k[len(prefix) :].isdigit()
    ]
    return [v if isinstance(v, dict) else {} for _, v in sorted(found, key=lambda kv: kv[0])]


def send_digest(
    cfg: DigestConfig,
    store: StateStore,
    messages: Sequence[Message],
    channels: Sequence[Channel],
    *,
    slot: str,
    now: Callable[[], datetime],
    send: Sender,
    sleep: Callable[[float], None] = time.sleep,
) -> DigestOutcome:
    """Send what this slot still owes, each (audience, channel) once; returns what happened."""
    outcome = DigestOutcome(slot)
    claims = store.meta_with_prefix(f"{META_PREFIX}{slot}|")
    for message, channel in routes(messages, channels):
        outcome.deliveries.append(_deliver(cfg, store, claims, message, channel, slot, now, send, sleep))
    for d in outcome.deliveries:
        quiet = d.status in ("already_sent", "in_progress")  # every cycle after the slot: no news
        level = (
            logging.WARNING if d.status in ("failed", "gave_up") else logging.DEBUG if quiet else logging.INFO
        )
        log.log(
            level,
            "digest %s for %s to %s: %s%s",
            slot,
            d.audience,
            d.channel,
            d.status,
            f" after {d.attempts} attempt(s): {d.error}" if d.error else "",
            extra={"event": "digest", "slot": slot, "audience": d.audience, "channel": d.channel,
                   "status": d.status, "attempts": d.attempts},
        )  # fmt: skip
    return outcome


def _deliver(
    cfg: DigestConfig,
    store: StateStore,
    claims: Mapping[str, Any],
    message: Message,
    channel: Channel,
    slot: str,
    now: Callable[[], datetime],
    send: Sender,
    sleep: Callable[[float], None],
) -> Delivery:
    audience, label = message.audience, channel.label
    rounds = _rounds(claims, slot, audience, label)
    if any(r.get("status") == "sent" for r in rounds):
        return Delivery(audience, label, "already_sent")
    if rounds and rounds[-1].get("status") == "sending":
        at = rounds[-1].get("at")
        if isinstance(at, str) and now() - datetime.fromisoformat(at) < LEASE:
            return Delivery(audience, label, "in_progress")
    if len(rounds) >= cfg.max_rounds:
        last = rounds[-1].get("error") if rounds else None
        return Delivery(audience, label, "gave_up", error=f"{len(rounds)} rounds failed; last: {last}")
    key = _key(slot, audience, label, len(rounds) + 1)
    if not store.claim_meta(key, {"status": "sending", "at": now().isoformat()}):
        return Delivery(audience, label, "in_progress")
    error: str | None = None
    attempt = 0
    for attempt in range(1, cfg.retries + 1):
        try:
            send(channel, message)
        except Exception as exc:
            error = str(exc) or type(exc).__name__
            if attempt < cfg.retries:
                sleep(cfg.retry_seconds * 2 ** (attempt - 1))
            continue
        error = None
        break
    status = "sent" if error is None else "failed"
    store.set_meta(key, {"status": status, "at": now().isoformat(), "attempts": attempt, "error": error})
    return Delivery(audience, label, status, attempt, error)


def record_last(store: StateStore, slot: str, as_of: str, since: str) -> None:
    """Remember the digest of ``slot`` (its first send): the next slot counts movement from it."""
    last = store.get_meta(META_LAST)
    if isinstance(last, dict) and last.get("slot") == slot:
        return
    store.set_meta(META_LAST, {"slot": slot, "as_of": as_of, "since": since})


def prune(store: StateStore, before: datetime) -> int:
    """Forget the claims of slots before ``before`` (the daemon keeps a few weeks of them)."""
    removed = 0
    for key in store.meta_with_prefix(META_PREFIX):
        slot = key[len(META_PREFIX) :].split("|", 1)[0]
        try:
            old = datetime.fromisoformat(slot) < before
        except ValueError:
            old = False
        if old and store.delete_meta(key):
            removed += 1
    return removed
