"""RecordSharing's key: equal JSON values share one object, values that differ as JSON text never."""

from __future__ import annotations

import json
from typing import Any

import pytest

from okrsync.domain.mirror_record import RecordSharing, sharing_key

# pairs of values that Python may call equal but that are different JSON texts
APART = [
    ({"v": 1}, {"v": 1.0}),
    ({"v": 1}, {"v": True}),
    ({"v": 0}, {"v": False}),
    ({"v": 0.0}, {"v": -0.0}),
    ({"v": None}, {"v": "null"}),
    ({"v": "1"}, {"v": 1}),
    ({"a": 1, "b": 2}, {"b": 2, "a": 1}),  # the key order is part of the text
    ([1, 2], [2, 1]),
    ({}, []),
    ([{}], [[]]),
    (["{"], [{}]),
    (["["], [[]]),
    ({"{": "x"}, [{"x": None}]),
    ({"a": ["b"]}, {"a": "b"}),
    ({"a": {"b": "c"}}, {"a": ["b", "c"]}),
    ([["a", "b"]], [{"a": "b"}]),
    ({"a": [1]}, {"a": [1.0]}),
]


@pytest.mark.parametrize(("a", "b"), APART)
def test_values_of_different_json_text_have_different_keys(a: Any, b: Any) -> None:
    assert json.dumps(a) != json.dumps(b)
    assert sharing_key(a) != sharing_key(b)
    sharing = RecordSharing()
    shared = [sharing.share({"key": "X-1", "fields": {"f": v}})["fields"]["f"] for v in (a, b)]
    assert shared[0] is not shared[1]
    assert json.dumps(shared[0]) == json.dumps(a) and json.dumps(shared[1]) == json.dumps(b)


SAME = [
    {"name": "In Progress", "id": "3", "statusCategory": {"id": 4, "key": "indeterminate"}},
    ["okr", "q1", {"n": 2.5, "ok": True, "none": None}],
    {"value": "On track", "id": "10020", "child": {"value": "x", "list": [1, 2.0, False]}},
    [],
    {},
]


@pytest.mark.parametrize("value", SAME)
def test_equal_values_of_different_records_are_one_object(value: Any) -> None:
    sharing = RecordSharing()
    a = sharing.share({"key": "X-1", "fields": {"f": json.loads(json.dumps(value))}})
    b = sharing.share({"key": "X-2", "fields": {"g": json.loads(json.dumps(value))}})
    assert a["fields"]["f"] is b["fields"]["g"]
    assert a["fields"]["f"] == value
    assert hash(sharing_key(value)) == hash(sharing_key(json.loads(json.dumps(value))))


def test_strings_and_keys_are_shared_and_scalars_kept_as_they_are() -> None:
    sharing = RecordSharing()
    a = sharing.share(json.loads('{"key": "X-1", "fields": {"summary": "same", "n": 3, "f": 1.5}}'))
    b = sharing.share(json.loads('{"key": "X-2", "fields": {"summary": "same", "n": 3, "f": 1.5}}'))
    assert a["fields"]["summary"] is b["fields"]["summary"]
    assert next(iter(a["fields"])) is next(iter(b["fields"]))
    assert a["fields"] is not b["fields"]
    assert (a["fields"]["n"], a["fields"]["f"]) == (3, 1.5)
