"""The value hash is stored (applied writes, comment markers): its format is pinned here."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from okrsync.domain.hashing import value_hash


@pytest.mark.parametrize(
    ("value", "digest"),
    [
        ({"kr": "KR-1", "progress": 42.5}, "c8dfce67f5837163"),
        ("Préparé ✓", "937fd7e0460ae99b"),  # non-ASCII escaped before hashing
        (0, "5feceb66ffc86f38"),
        (None, "74234e98afe7498f"),
        (date(2026, 10, 5), "dbd39fbed4d4a45d"),  # not JSON-able: hashed as its str
    ],
)
def test_stored_hashes_keep_matching(value: Any, digest: str) -> None:
    assert value_hash(value) == digest


def test_same_content_same_hash() -> None:
    assert value_hash({"a": 1, "b": [1, 2]}) == value_hash({"b": [1, 2], "a": 1})
    assert value_hash(1) != value_hash("1")
