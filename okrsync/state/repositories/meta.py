"""Named JSON values (the last scored tree, the KR epics found, a backfill cursor; okrsync.domain.keys)."""

from __future__ import annotations

import hashlib
from typing import Any, Final

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError

from okrsync.domain.encoded_json import EncodedJSON
from okrsync.state import schema as s
from okrsync.state.repositories.base import Repository

DIGEST_SUFFIX: Final = "#sha256"


def text_digest(text: str, chunk: int = 1 << 20) -> str:
    """The SHA-256 of ``text`` as UTF-8, encoded a MiB at a time (no second copy of a big text)."""
    h = hashlib.sha256()
    for start in range(0, len(text), chunk):
        h.update(text[start : start + chunk].encode("utf-8", "surrogatepass"))
    return h.hexdigest()


class MetaValues(Repository):
    """JSON values by key."""

    def get_meta(self, key: str) -> Any | None:
        t = s.meta_table
        with self._tx() as conn:
            return conn.execute(select(t.c.value).where(t.c.key == key)).scalar()

    def set_meta(self, key: str, value: Any) -> None:
        with self._tx(write=True) as conn:
            self._upsert(conn, s.meta_table, [{"key": key, "value": value}], ["key"])

    def set_meta_if_changed(self, key: str, value: EncodedJSON) -> bool:
        """Store a large value only if it differs from the one stored (its SHA-256, kept under
        ``key + DIGEST_SUFFIX``, is compared; the stored value itself is never read): whether it
        was written. The scored tree of a site of 100,000 issues is ~17 MiB of JSON that a steady
        cycle would otherwise write again unchanged, every cycle."""
        digest = text_digest(value.text)
        t = s.meta_table
        marker = key + DIGEST_SUFFIX
        with self._tx(write=True) as conn:
            stored = conn.execute(select(t.c.key).where(t.c.key == key)).first() is not None
            if stored and conn.execute(select(t.c.value).where(t.c.key == marker)).scalar() == digest:
                return False
            self._upsert(conn, t, [{"key": key, "value": value}, {"key": marker, "value": digest}], ["key"])
        return True

    def delete_meta(self, key: str) -> bool:
        t = s.meta_table
        with self._tx(write=True) as conn:
            return bool(conn.execute(delete(t).where(t.c.key == key)).rowcount)

    def claim_meta(self, key: str, value: Any) -> bool:
        """Store ``value`` under ``key`` only if the key is new: whether this call stored it.

        Atomic across processes and replicas (the key is the primary key: of two inserts, one
        fails), so a claim is taken once, e.g. one digest round of a (slot, audience, channel).
        """
        try:
            with self._tx(write=True) as conn:
                conn.execute(insert(s.meta_table).values(key=key, value=value))
        except IntegrityError:
            return False
        return True

    def meta_with_prefix(self, prefix: str) -> dict[str, Any]:
        """Every value whose key starts with ``prefix`` (taken literally), by key."""
        t = s.meta_table
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        with self._tx() as conn:
            rows = conn.execute(select(t.c.key, t.c.value).where(t.c.key.like(f"{escaped}%", escape="\\")))
            return {str(row.key): row.value for row in rows}
