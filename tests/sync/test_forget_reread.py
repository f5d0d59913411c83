"""After the fetch, the mirror's copies of the issues read again are given up (only what the plan
still reads of them stays): okrsync.sync.engine._forget_reread."""

from __future__ import annotations

from typing import Any

import pytest

from okrsync.core.mappers.tree import RawTree
from okrsync.sync.engine import _forget_reread
from okrsync.sync.fetch import FetchResult

PROP = {"version": 1, "health": "at_risk"}


def _raw(key: str, **props: Any) -> dict[str, Any]:
    return {"key": key, "fields": {"summary": key}, "properties": props}


@pytest.mark.parametrize(
    ("mirror", "fresh", "removed", "left"),
    [
        # re-read, no okrsync property: gone
        ({"A-1": _raw("A-1")}, ["A-1"], [], {}),
        # re-read KR epic with okrsync's property (Data Center's searches return none): it stays
        ({"A-1": _raw("A-1", okrsync=PROP)}, ["A-1"], [], {"A-1": {"properties": {"okrsync": PROP}}}),
        # not read again: whole
        ({"A-2": _raw("A-2")}, [], [], {"A-2": _raw("A-2")}),
        # read and left the scope: whole (it is cleared from its copy)
        ({"A-3": _raw("A-3")}, ["A-3"], ["A-3"], {"A-3": _raw("A-3")}),
        # read, never mirrored: nothing to give up
        ({}, ["A-4"], [], {}),
    ],
    ids=["re-read", "re-read with property", "not re-read", "re-read and left", "new"],
)
def test_what_stays(
    mirror: dict[str, Any], fresh: list[str], removed: list[str], left: dict[str, Any]
) -> None:
    fetched = FetchResult(
        snapshot=RawTree(kr_epics=()),
        issues={k: _raw(k) for k in fresh},
        fresh={k: _raw(k) for k in fresh},
        removed=tuple(removed),
    )
    _forget_reread(mirror, fetched)
    assert mirror == left
