"""The one hash of a written value: what okrsync stores to know a write is already in Jira.

``value_hash`` is persisted: in the state store's applied writes (``AppliedWrite.value_hash``) and
in the ``hash`` of each comment's okrsync property in Jira. A stored hash is compared with the hash
of what a sync would write now, so the format must never change (or every comment and property
would be rewritten once): SHA-256 of the value as compact JSON with sorted keys, non-ASCII
characters escaped (``json.dumps``' default), anything not JSON-able as ``str``; 16 hex digits.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Final

VALUE_HASH_LENGTH: Final = 16


def value_hash(value: Any) -> str:
    """A short, stable hash of a JSON-able value; dicts with the same content hash the same."""
    blob = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:VALUE_HASH_LENGTH]
