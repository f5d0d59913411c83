"""Which issues a cycle reconciles (Cloud's ``reconcileIssues``), and the writes it remembers for that.

Table-driven: the recent-writes window of the state store, and the ids each search of a fetch sends
(webhook-named first, then okrsync's newest writes; only those the search may return; at most 50).
The stale-copy rule: a fetched issue older than the mirror's copy is the index lagging.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from okrsync.core.mappers.issue_fields import FieldIds
from okrsync.data import DEMO_CONFIG
from okrsync.domain.config import load_config
from okrsync.domain.keys import META_RECENT_WRITES
from okrsync.state.store import StateStore
from okrsync.sync.fetch import Fetcher
from okrsync.sync.recent_writes import MAX_RECENT_WRITES, RECENT_WRITES_WINDOW, recent_writes, remember_writes
from okrsync.sync.reconcile import Reconciliation
from okrsync.sync.scope import ReadScope

T0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
SCOPE = ReadScope(ids=FieldIds(), fields=("summary", "parent", "updated"))


@pytest.fixture
def store() -> Iterator[StateStore]:
    with StateStore.open("sqlite://") as s:
        yield s


# ----------------------------------------------------------------------------- recent writes


@pytest.mark.parametrize(
    ("writes", "read_at", "expected"),
    [
        ([], T0, []),
        ([(T0, ["MOB-1"])], T0 + timedelta(seconds=3), ["MOB-1"]),
        ([(T0, ["MOB-1", "MOB-5"])], T0, ["MOB-5", "MOB-1"]),  # one moment: by key, descending
        (
            [(T0, ["MOB-1"]), (T0 + timedelta(seconds=30), ["MOB-5"])],
            T0 + timedelta(minutes=1),
            ["MOB-5", "MOB-1"],
        ),
        ([(T0, ["MOB-1"]), (T0 + timedelta(seconds=30), ["MOB-1"])], T0 + timedelta(minutes=1), ["MOB-1"]),
        ([(T0, ["MOB-1"])], T0 + RECENT_WRITES_WINDOW, ["MOB-1"]),  # the window's edge still counts
        ([(T0, ["MOB-1"])], T0 + RECENT_WRITES_WINDOW + timedelta(seconds=1), []),
        ([(T0, ["MOB-1"])], T0 - timedelta(seconds=1), []),  # the clock went back: not "recent"
    ],
)
def test_recent_writes_are_the_last_minutes_newest_first(
    store: StateStore, writes: list[tuple[datetime, list[str]]], read_at: datetime, expected: list[str]
) -> None:
    for at, keys in writes:
        remember_writes(store, keys, at)
    assert recent_writes(store, read_at) == expected


def test_older_writes_are_forgotten_and_at_most_a_thousand_kept(store: StateStore) -> None:
    remember_writes(store, ["OLD-1"], T0)
    remember_writes(store, [f"P-{i}" for i in range(MAX_RECENT_WRITES + 5)], T0 + RECENT_WRITES_WINDOW * 2)
    kept = store.get_meta(META_RECENT_WRITES)
    assert len(kept) == MAX_RECENT_WRITES and "OLD-1" not in kept


def test_a_cycle_that_wrote_nothing_writes_no_meta(store: StateStore) -> None:
    remember_writes(store, [], T0)
    assert store.get_meta(META_RECENT_WRITES) is None
    remember_writes(store, ["MOB-1"], T0)
    remember_writes(store, [], T0 + timedelta(seconds=1))  # nothing new, nothing expired
    assert recent_writes(store, T0 + timedelta(seconds=2)) == ["MOB-1"]
    remember_writes(store, [], T0 + RECENT_WRITES_WINDOW * 2)  # expired: forgotten
    assert store.get_meta(META_RECENT_WRITES) == {}


@pytest.mark.parametrize("meta", ["not a mapping", {"MOB-1": "yesterday"}, {"MOB-1": "2026-11-26T12:00:00"}])
def test_an_unreadable_meta_value_means_no_recent_writes(store: StateStore, meta: Any) -> None:
    store.set_meta(META_RECENT_WRITES, meta)  # naive times are not comparable: left out
    assert recent_writes(store, T0) == []


# ---------------------------------------------------------------------- what each search sends


class RecordingGateway:
    """The gateway surface a fetch uses, answering every search with nothing."""

    def __init__(self, flavor: str) -> None:
        self.flavor = flavor
        self.search_returns_properties = flavor == "cloud"
        self.max_in_values = 1000
        self.max_jql_chars = 50_000
        self.searches: list[tuple[str, list[int]]] = []

    def search(self, jql: str, fields: Sequence[str], **kw: Any) -> Iterator[dict[str, Any]]:
        self.searches.append((jql, list(kw.get("reconcile", ()))))
        return iter(())

    def search_keys(self, jql: str, *, reconcile: Sequence[int] = ()) -> Iterator[str]:
        self.searches.append((jql, list(reconcile)))
        return iter(())

    def search_warning_mark(self) -> int:
        return 0

    def search_warnings_since(self, mark: int) -> list[str]:
        return []

    def myself(self) -> dict[str, Any]:
        return {"timeZone": "UTC"}


def _mirror(keys: Mapping[str, str | None]) -> dict[str, dict[str, Any]]:
    """key → epic: mirrored issues with ids 1, 2, … in order."""
    return {
        key: {"id": str(n), "key": key, "fields": {"updated": "2026-11-26T11:00:00.000+0000"}}
        for n, key in enumerate(keys, start=1)
    }


def _fetch(
    flavor: str, refresh: Sequence[str], written: Sequence[str], epics: Mapping[str, str | None]
) -> RecordingGateway:
    """An incremental fetch of the demo configuration over ``epics`` (key → its epic, None: an epic)."""
    gateway = RecordingGateway(flavor)
    mirror = _mirror(epics)
    Fetcher(gateway, load_config(DEMO_CONFIG), SCOPE).fetch(  # type: ignore[arg-type]
        mirror,
        since=T0,
        full=False,
        known_epics=[k for k, e in epics.items() if e is None],
        previous_epic_of={k: e for k, e in epics.items() if e},
        refresh_keys=refresh,
        recently_written=written,
    )
    return gateway


MIRROR = {"MOB-1": None, "MOB-5": "MOB-1", "MOB-7": "MOB-1", "PLAT-2": None, "PLAT-9": "PLAT-2", "X-1": "X-0"}


def test_webhook_issues_first_then_own_writes_only_where_a_search_may_return_them() -> None:
    gw = _fetch("cloud", refresh=["MOB-7"], written=["PLAT-9", "MOB-1", "X-1"], epics=MIRROR)
    ids = {k: n for n, k in enumerate(MIRROR, start=1)}
    sent = [(jql.split(" ")[0], reconciled) for jql, reconciled in gw.searches]
    assert sent == [
        # DATA-3's JQL may match any epic, not an action plan (MOB-7, PLAT-9) nor X-1 (under X-0)
        ("(project", [ids["MOB-1"]]),
        # the epics new to the scope, in full: none of them is named or written
        ("(key", []),
        # the incremental search of every KR epic and its children: X-1 is under no KR here
        ("(key", [ids["MOB-7"], ids["PLAT-9"], ids["MOB-1"]]),
        # the webhook's issue by key, as the incremental search did not return it here
        ("key", [ids["MOB-7"]]),
    ]


def test_at_most_fifty_ids_a_search() -> None:
    children = {f"MOB-{n}": "MOB-1" for n in range(100, 180)}
    gw = _fetch("cloud", refresh=[], written=list(children), epics={"MOB-1": None, **children})
    assert max(len(ids) for _jql, ids in gw.searches) == 50
    scope = next(ids for jql, ids in gw.searches if "updated >=" in jql)
    assert scope == list(range(2, 52))  # the newest 50 writes, in the order given


def test_data_center_reconciles_nothing() -> None:
    gw = _fetch("datacenter", refresh=["MOB-7"], written=["MOB-1"], epics=MIRROR)
    assert gw.searches and all(ids == [] for _jql, ids in gw.searches)


@pytest.mark.parametrize(
    ("fetched", "kept", "written", "stale"),
    [
        ("2026-11-26T11:00:00.000+0000", "2026-11-26T11:00:05.000+0000", False, True),  # older
        ("2026-11-26T11:00:05.000+0000", "2026-11-26T11:00:05.000+0000", False, False),  # the same one
        ("2026-11-26T11:00:05.000+0000", "2026-11-26T11:00:05.000+0000", True, True),  # before our write
        ("2026-11-26T11:00:06.000+0000", "2026-11-26T11:00:05.000+0000", True, False),  # after our write
        ("2026-11-26T11:00:00.000+0000", None, False, False),  # not mirrored
    ],
)
def test_a_copy_older_than_the_mirrors_is_the_index_lagging(
    fetched: str, kept: str | None, written: bool, stale: bool
) -> None:
    plan = Reconciliation.plan("cloud", {}, [], ["P-1"] if written else [], {})
    raw = {"id": "1", "key": "P-1", "fields": {"updated": fetched}}
    mirror = {"id": "1", "key": "P-1", "fields": {"updated": kept}} if kept else None
    assert plan.is_stale(raw, mirror) is stale
    # Data Center's search is consistent: only an older copy is stale there
    dc = Reconciliation.plan("datacenter", {}, [], ["P-1"] if written else [], {})
    assert dc.is_stale(raw, mirror) is (stale and (kept or "") > fetched)
