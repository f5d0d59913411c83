"""What a webhook delivery must pass before okrsync looks at it: its signature, the nesting of its
body, and whether it came before (the dedupe cache).

Jira signs a webhook registered with a secret: ``X-Hub-Signature: sha256=<hex HMAC-SHA256 of the raw
body>`` (WebSub's method=signature format), see
https://developer.atlassian.com/cloud/jira/platform/webhooks/#secure-admin-webhooks. The
``X-Atlassian-Webhook-Identifier`` header is not signed, so the dedupe cache holds the digest of
each signed body (:func:`body_digest`) beside its identifier.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

MAX_JSON_DEPTH = 64
"""The deepest nesting of objects and arrays a body may have. Jira's payloads nest about ten levels
(an issue's fields, a comment's document); Python's parser recurses once a level and raises
``RecursionError`` near 1,000."""


# ------------------------------------------------------------------------------------ signature


def sign(secret: str, body: bytes) -> str:
    """The ``X-Hub-Signature`` value Jira sends for ``body``: ``sha256=<lowercase hex>``."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify_signature(secret: str, body: bytes, header: str | None) -> bool:
    """Whether ``header`` is the signature of ``body`` under ``secret``, compared in constant time."""
    if not header:
        return False
    expected = sign(secret, body).encode("ascii")
    given = header.strip().lower().encode("utf-8", "replace")
    return hmac.compare_digest(expected, given)


# ------------------------------------------------------------------------------------- body

_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_OPENERS = frozenset(b"[{")


def nests_deeper_than(body: bytes, limit: int) -> bool:
    """Whether the JSON text ``body`` nests objects and arrays more than ``limit`` levels deep,
    found without parsing it: strings are cut out (brackets inside them do not count), then the
    brackets are counted. Linear in the size of the body; stops at the first level too deep."""
    depth = 0
    for byte in _JSON_STRING.sub(b"", body).translate(None, _NOT_BRACKETS):
        if byte in _OPENERS:
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def body_digest(body: bytes) -> str:
    """The key of a body in the dedupe cache: SHA-256 of the raw bytes (those the signature covers)."""
    return "sha256:" + hashlib.sha256(body).hexdigest()


# ------------------------------------------------------------------------------------- dedupe


class SeenCache:
    """Keys (delivery identifiers, body digests) seen in the last ``ttl_seconds``, at most
    ``max_entries`` of them (the oldest dropped first)."""

    def __init__(
        self,
        ttl_seconds: float,
        max_entries: int = 50_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl_seconds
        self.max_entries = max_entries
        self._clock = clock
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._seen)

    def check_and_add(self, *keys: str) -> bool:
        """True if any of ``keys`` was already seen (a redelivery, a replay); otherwise remember
        them all, in one step (two copies sent at once: one is new, the other a duplicate)."""
        now = self._clock()
        with self._lock:
            while self._seen:
                oldest, at = next(iter(self._seen.items()))
                if now - at < self.ttl:
                    break
                del self._seen[oldest]
            if any(key in self._seen for key in keys):
                return True
            for key in keys:
                self._seen[key] = now
            while len(self._seen) > self.max_entries:
                self._seen.popitem(last=False)
            return False

    def discard(self, *keys: str) -> None:
        """Forget ``keys``: their delivery was not handled, so Jira's retry must be."""
        with self._lock:
            for key in keys:
                self._seen.pop(key, None)
