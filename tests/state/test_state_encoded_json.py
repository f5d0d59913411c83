"""The scored tree stored as JSON text made a KR at a time (okrsync.domain.encoded_json,
okrsync.core.stored_tree.stored_tree_json): the same document as the values, on both backends."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from typing import Any

import pytest
from corekit import Q4
from sqlalchemy.exc import DataError

from okrsync.core.rollup import RollupPolicy, ScoredTree, roll_up
from okrsync.core.stored_tree import META_KEY, stored_tree_json, stored_tree_of
from okrsync.domain.encoded_json import EncodedJSON, dumps
from okrsync.domain.model import (
    ActionPlan,
    CheckIn,
    Confidence,
    KeyResult,
    Measure,
    Objective,
    OkrTree,
    Period,
    StatusCategory,
)
from okrsync.state import StateStore
from okrsync.state.repositories.meta import text_digest

AS_OF = date(2026, 11, 15)
Q1 = Period("2027-Q1", date(2027, 1, 1), date(2027, 3, 31))


def _plans(prefix: str, n: int) -> tuple[ActionPlan, ...]:
    cats = (StatusCategory.DONE, StatusCategory.IN_PROGRESS, StatusCategory.TODO)
    return tuple(
        ActionPlan(
            f"{prefix}-{i}",
            summary=f"Étape {i} « {prefix} » 目標",
            status_category=cats[i % 3],
            points=float(i) if i % 2 else None,
            owner="Dana Lee" if i % 2 else None,
            due=date(2026, 12, 1 + i % 28) if i % 4 == 0 else None,
        )
        for i in range(n)
    )


def _tree(krs: int, plans: int, *, periods: tuple[Period, ...] = ()) -> OkrTree:
    objectives = (Objective("CO", 'A "quoted" \\ objective'), Objective("T", "Team", aligns_to="CO"))
    key_results = tuple(
        KeyResult(
            f"KR-{k}",
            "T",
            f"KR {k}\n\tnew lines",
            Measure.ISSUES,
            _plans(f"KR{k}", plans),
            jira_key=f"KR-{k}",
            checkins=(CheckIn(AS_OF, Confidence.LOW, "@Grace blocked", "Grace Kim"),) if k == 0 else (),
            periods=periods,
        )
        for k in range(krs)
    )
    return OkrTree(Q4, objectives, key_results, periods=periods)


def _scored(tree: OkrTree) -> ScoredTree:
    return roll_up(tree, AS_OF, RollupPolicy(0.5, 0.1, 0.25))


def _as_stored(value: Any) -> Any:
    return json.loads(json.dumps(value))


@pytest.mark.parametrize(
    "tree",
    [
        _tree(0, 0),
        _tree(1, 0),
        _tree(3, 7),
        _tree(2, 5, periods=(Q4, Q1)),
        _tree(40, 250),
    ],
    ids=["no KRs", "a KR without plans", "3 KRs", "two periods", "10,000 plans"],
)
def test_the_text_is_the_document(tree: OkrTree) -> None:
    scored = _scored(tree)
    encoded = stored_tree_json(scored)
    doc = stored_tree_of(scored)
    assert json.loads(encoded.text) == _as_stored(doc)
    assert list(json.loads(encoded.text)) == list(doc)  # the keys in the document's order
    assert dumps(encoded) is encoded.text


def test_a_plain_value_is_encoded_as_before() -> None:
    value = {"a": [1, 1.0, True, None, "é"]}
    assert dumps(value) == json.dumps(value)


def test_the_store_keeps_the_text_and_reads_back_the_document(store: StateStore) -> None:
    scored = _scored(_tree(5, 40, periods=(Q4, Q1)))
    store.set_meta(META_KEY, stored_tree_json(scored))
    assert store.get_meta(META_KEY) == _as_stored(stored_tree_of(scored))
    store.set_meta("plain", {"n": 1})  # beside it, values stay values
    assert store.get_meta("plain") == {"n": 1}


def test_invalid_text_is_refused_by_postgresql_and_kept_out(store: StateStore) -> None:
    """EncodedJSON is trusted on SQLite (a JSON column is text there); PostgreSQL parses it."""
    if store.dialect != "postgresql":
        pytest.skip("SQLite keeps a JSON column as text")
    store.set_meta("k", {"kept": True})
    with pytest.raises(DataError):  # the driver's: a bug of okrsync, not a user error
        store.set_meta("k", EncodedJSON("{not json"))
    assert store.get_meta("k") == {"kept": True}


def test_an_unchanged_tree_is_not_written_again(store: StateStore) -> None:
    scored = _scored(_tree(3, 20))
    assert store.set_meta_if_changed(META_KEY, stored_tree_json(scored)) is True
    assert store.set_meta_if_changed(META_KEY, stored_tree_json(scored)) is False
    assert store.get_meta(META_KEY) == _as_stored(stored_tree_of(scored))
    later = _scored(_tree(3, 21))  # one more action plan: written
    assert store.set_meta_if_changed(META_KEY, stored_tree_json(later)) is True
    assert store.get_meta(META_KEY) == _as_stored(stored_tree_of(later))
    store.delete_meta(META_KEY)  # the value gone, its digest left: written again
    assert store.set_meta_if_changed(META_KEY, stored_tree_json(later)) is True
    assert store.get_meta(META_KEY) == _as_stored(stored_tree_of(later))


@pytest.mark.parametrize("text", ["", "a", "é" * 3, "x" * 5_000_000, "目標" * 700_000])
def test_the_digest_is_the_texts_sha256(text: str) -> None:
    assert text_digest(text, chunk=1 << 20) == hashlib.sha256(text.encode()).hexdigest()
