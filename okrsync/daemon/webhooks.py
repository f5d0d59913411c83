"""Jira webhooks: verify, deduplicate, filter, map to the affected key results, debounce.

Jira signs a webhook registered with a secret: ``X-Hub-Signature: sha256=<hex HMAC-SHA256 of the raw
body>`` (WebSub's method=signature format), and sends one ``X-Atlassian-Webhook-Identifier`` per
delivery that stays the same across its retries. See
https://developer.atlassian.com/cloud/jira/platform/webhooks/#secure-admin-webhooks and
https://developer.atlassian.com/cloud/jira/platform/webhooks/#retry-policy (Jira retries on 408,
409, 425, 429 and 5xx, for up to about 30 minutes).

The identifier header is not signed: anyone who captured one signed delivery could send it again
with a new identifier, or none. So a delivery is a duplicate when its identifier *or* the digest of
its signed body was seen within the dedupe window, and an event whose ``timestamp`` (milliseconds
since the epoch, in every Jira webhook body) is older than ``webhook.max_age_minutes`` is refused
with 400, a status Jira does not retry. A body nested deeper than ``MAX_JSON_DEPTH`` is refused
before it is parsed. The checks themselves: :mod:`okrsync.daemon.webhook_checks`.

Nothing here speaks HTTP or SQL: :class:`WebhookReceiver` gets the raw body and headers from the
HTTP app and reaches the state store only through the callables it is given.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from okrsync.core.mappers import issue_fields
from okrsync.daemon.webhook_checks import (
    MAX_JSON_DEPTH,
    SeenCache,
    body_digest,
    nests_deeper_than,
    verify_signature,
)

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "x-hub-signature"
IDENTIFIER_HEADER = "x-atlassian-webhook-identifier"
RETRY_HEADER = "x-atlassian-webhook-retry"
# -------------------------------------------------------------------------------- own user


@dataclass(frozen=True, slots=True)
class Identity:
    """okrsync's own Jira user: Cloud's ``accountId``, Data Center's ``name`` and ``key``."""

    account_id: str | None = None
    name: str | None = None
    key: str | None = None

    @classmethod
    def from_myself(cls, data: Mapping[str, Any]) -> Identity:
        def s(name: str) -> str | None:
            value = data.get(name)
            return value if isinstance(value, str) and value else None

        return cls(s("accountId"), s("name"), s("key"))

    def is_(self, user: Mapping[str, Any] | None) -> bool:
        if not isinstance(user, Mapping):
            return False
        if self.account_id and user.get("accountId") == self.account_id:
            return True
        if self.name and user.get("name") == self.name:
            return True
        return bool(self.key and user.get("key") == self.key)


def event_user(payload: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """Who caused the event: ``user``, or for comment events the comment's (update) author."""
    user = payload.get("user")
    if isinstance(user, Mapping):
        return user
    comment = payload.get("comment")
    if isinstance(comment, Mapping):
        for name in ("updateAuthor", "author"):
            author = comment.get(name)
            if isinstance(author, Mapping):
                return author
    return None


# ------------------------------------------------------------------------------ affected KRs


@dataclass(frozen=True, slots=True)
class MirrorFacts:
    """What the state store knows of one issue: whether it is mirrored and under which KR epic."""

    mirrored: bool = False
    epic_key: str | None = None


def affected_krs(
    issue: Mapping[str, Any],
    *,
    known_epics: Collection[str],
    mirror: MirrorFacts,
    epic_link_id: str | None,
) -> set[str]:
    """The KR epics an event on ``issue`` can change: the issue itself if it is a KR epic, the KR it
    hangs under now (parent or Epic Link) and the KR it hung under before (the mirror)."""
    out: set[str] = set()
    key = issue.get("key")
    if isinstance(key, str) and key in known_epics:
        out.add(key)
    for epic in (
        mirror.epic_key,
        issue_fields.parent_key(issue),
        issue_fields.epic_link(issue, epic_link_id),
    ):
        if epic is not None and epic in known_epics:
            out.add(epic)
    return out


# ---------------------------------------------------------------------------------- debounce


class Cancellable(Protocol):
    def cancel(self) -> None: ...


def _thread_timer(delay: float, fn: Callable[[], None]) -> Cancellable:
    timer = threading.Timer(delay, fn)
    timer.daemon = True
    timer.name = "okrsync-webhook-debounce"
    timer.start()
    return timer


class Debouncer:
    """Gathers webhook events for ``window`` seconds after the first, then fires once with the union
    of their affected KRs. Events arriving while it fires open the next window."""

    def __init__(
        self,
        window: float,
        fire: Callable[[frozenset[str], int], None],
        start_timer: Callable[[float, Callable[[], None]], Cancellable] = _thread_timer,
    ) -> None:
        self.window = window
        self._fire = fire
        self._start_timer = start_timer
        self._lock = threading.Lock()
        self._pending: set[str] = set()
        self._refresh: set[str] = set()
        self._fired_refresh: frozenset[str] = frozenset()
        self._events = 0
        self._timer: Cancellable | None = None
        self._closed = False

    def add(self, keys: Collection[str]) -> None:
        with self._lock:
            if self._closed:
                return
            self._pending.update(keys)
            self._events += 1
            if self._timer is None:
                self._timer = self._start_timer(self.window, self._flush)

    def add_refresh(self, issue_keys: Collection[str]) -> None:
        """Issues to re-read by key in the next cycle (they may have left the scope)."""
        with self._lock:
            self._refresh.update(issue_keys)

    def take_refresh(self) -> frozenset[str]:
        """The issues to re-read for the window that is firing now (once)."""
        with self._lock:
            keys, self._fired_refresh = self._fired_refresh, frozenset()
            return keys

    def _flush(self) -> None:
        with self._lock:
            keys, events = frozenset(self._pending), self._events
            self._fired_refresh = frozenset(self._refresh)
            self._pending, self._refresh, self._events, self._timer = set(), set(), 0, None
            if self._closed or not events:
                return
        self._fire(keys, events)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None


# ---------------------------------------------------------------------------------- receiver


@dataclass(frozen=True, slots=True)
class DeliveryOutcome:
    """The answer to one delivery: HTTP status, a metric label, a message, the KRs it affects."""

    status: int
    outcome: str
    message: str
    affected: frozenset[str] = frozenset()

    def as_dict(self) -> dict[str, Any]:
        return {"outcome": self.outcome, "message": self.message, "affected": sorted(self.affected)}


@dataclass(frozen=True, slots=True)
class ReceiverConfig:
    secret: str | None
    allow_unsigned: bool
    max_body_bytes: int
    max_age_minutes: float = 60.0
    """``webhook.max_age_minutes``: an event whose ``timestamp`` is older is refused."""
    max_depth: int = MAX_JSON_DEPTH


class WebhookReceiver:
    """Decides what to do with one Jira webhook delivery (see :meth:`receive`)."""

    def __init__(
        self,
        cfg: ReceiverConfig,
        *,
        seen: SeenCache,
        identity: Callable[[], Identity | None],
        known_epics: Callable[[], Collection[str]],
        mirror: Callable[[str], MirrorFacts],
        epic_link_id: Callable[[], str | None],
        schedule: Callable[[Collection[str]], None],
        refresh: Callable[[Collection[str]], None] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """``clock``: now, in seconds since the epoch (what an event's ``timestamp`` is compared with)."""
        self.cfg = cfg
        self.seen = seen
        self._clock = clock
        self._identity = identity
        self._known_epics = known_epics
        self._mirror = mirror
        self._epic_link_id = epic_link_id
        self._schedule = schedule
        self._refresh = refresh

    @property
    def enabled(self) -> bool:
        return bool(self.cfg.secret) or self.cfg.allow_unsigned

    def too_large(self, length: int) -> DeliveryOutcome | None:
        if length > self.cfg.max_body_bytes:
            return DeliveryOutcome(
                413,
                "too_large",
                f"body of {length} bytes exceeds webhook.max_body_bytes ({self.cfg.max_body_bytes})",
            )
        return None

    def receive(self, headers: Mapping[str, str], body: bytes) -> DeliveryOutcome:
        """``headers`` with lower-case names, ``body`` the raw bytes as received."""
        if not self.enabled:
            return DeliveryOutcome(
                404,
                "disabled",
                "webhooks are off: set OKRSYNC_WEBHOOK__SECRET to the secret of the Jira webhook "
                "(or webhook.allow_unsigned: true on a trusted network)",
            )
        big = self.too_large(len(body))
        if big is not None:
            return big
        if self.cfg.secret:
            header = headers.get(SIGNATURE_HEADER)
            if not header:
                return DeliveryOutcome(401, "unsigned", "missing X-Hub-Signature")
            if not verify_signature(self.cfg.secret, body, header):
                return DeliveryOutcome(401, "bad_signature", "X-Hub-Signature does not match the body")
        payload = self._parse(body)
        if isinstance(payload, DeliveryOutcome):
            return payload
        old = self._too_old(payload)
        if old is not None:
            return old
        identifier = headers.get(IDENTIFIER_HEADER)
        # the identifier is not signed: the body's digest catches the same delivery sent again
        # under a new identifier or none. Claimed before processing, so two concurrent copies of
        # one delivery are handled once; given back if processing raises (the store is down): the
        # 500 makes Jira retry with the same identifier and body, and that retry must be processed
        keys = (f"id:{identifier}", body_digest(body)) if identifier else (body_digest(body),)
        if self.seen.check_and_add(*keys):
            return DeliveryOutcome(
                200,
                "duplicate",
                f"delivery {identifier or '(no identifier)'} was already handled (the same identifier "
                "or the same signed body came before)",
            )
        try:
            return self._process(payload)
        except BaseException:
            self.seen.discard(*keys)
            raise

    def _parse(self, body: bytes) -> dict[str, Any] | DeliveryOutcome:
        """The JSON object of ``body``, or the 400 that refuses it (bounded before parsing)."""
        if nests_deeper_than(body, self.cfg.max_depth):
            return DeliveryOutcome(
                400, "too_deep", f"the body nests objects or arrays deeper than {self.cfg.max_depth} levels"
            )
        try:
            payload = json.loads(body)
        except (UnicodeDecodeError, ValueError, RecursionError):
            return DeliveryOutcome(400, "bad_body", "the body is not JSON")
        if not isinstance(payload, dict):
            return DeliveryOutcome(400, "bad_body", "the body is not a JSON object")
        return payload

    def _too_old(self, payload: Mapping[str, Any]) -> DeliveryOutcome | None:
        """The 400 for an event older than ``webhook.max_age_minutes`` (a body without a numeric
        ``timestamp`` is judged by the dedupe cache alone)."""
        stamp = payload.get("timestamp")
        if isinstance(stamp, bool) or not isinstance(stamp, int | float):
            return None
        age = self._clock() - stamp / 1000.0
        if age <= self.cfg.max_age_minutes * 60.0:
            return None
        at = datetime.fromtimestamp(stamp / 1000.0, UTC).isoformat(timespec="seconds")
        return DeliveryOutcome(
            400,
            "too_old",
            f"the event's timestamp ({at}) is {age / 60.0:.0f} min old, older than webhook.max_age_minutes "
            f"({self.cfg.max_age_minutes:g}): refused as a replay or a late retry; the scheduled sync "
            "reads the change anyway",
        )

    def _process(self, payload: dict[str, Any]) -> DeliveryOutcome:
        identity = self._identity()
        if identity is not None and identity.is_(event_user(payload)):
            return DeliveryOutcome(
                200, "own_user", "caused by okrsync's own user: ignored (no feedback loop)"
            )
        issue = payload.get("issue")
        event = str(payload.get("webhookEvent") or "")
        if not isinstance(issue, dict) or not isinstance(issue.get("key"), str):
            return DeliveryOutcome(200, "ignored", f"event {event or '(none)'} names no issue: ignored")
        key = str(issue["key"])
        known = self._known_epics()
        mirror = self._mirror(key)
        affected = affected_krs(issue, known_epics=known, mirror=mirror, epic_link_id=self._epic_link_id())
        # an epic okrsync does not know yet may be a new KR (a KR's JQL); a mirrored issue may be
        # leaving scope: both are worth a cycle even with no known KR affected
        if not affected and not mirror.mirrored and not issue_fields.is_epic(issue):
            return DeliveryOutcome(200, "ignored", f"{key}: no key result affected")
        if self._refresh is not None and mirror.mirrored:
            self._refresh([key])  # re-read it by key: it may have left every KR, or been deleted
        self._schedule(affected)
        kr_text = ", ".join(sorted(affected)) or "none known yet"
        return DeliveryOutcome(
            202, "accepted", f"{event} on {key}: sync scheduled (KRs: {kr_text})", frozenset(affected)
        )
