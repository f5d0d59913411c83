"""What the store keeps: mirror, watermarks, applied writes, progress history, runs, meta."""

from __future__ import annotations

import sys
import threading
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from statekit import Backend

from okrsync.domain.hashing import value_hash
from okrsync.domain.mirror_record import compact_issue
from okrsync.state import AppliedWrite, MirrorIssue, ProgressPoint, StateStore, StateStoreError

T0 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
CET = timezone(timedelta(hours=1), "CET")
N = 10_000


def _issue(i: int, version: int = 0) -> MirrorIssue:
    return MirrorIssue(
        key=f"PLAT-{i}",
        issue_id=str(10_000 + i),
        updated=T0 + timedelta(minutes=i + version),
        epic_key=f"PLAT-E{(i + version) % 40}" if i % 7 else None,
        raw={
            "id": str(10_000 + i),
            "key": f"PLAT-{i}",
            "fields": {
                "summary": f"Issue {i} v{version}",
                "status": {
                    "name": "Done" if i % 3 == 0 else "In Progress",
                    "statusCategory": {"key": "done"},
                },
                "customfield_10016": i % 8 if version == 0 else None,
                "labels": ["okr", f"v{version}"],
                "unicode": "Zielvereinbarung ✓ 目標",
            },
        },
    )


# ---------------------------------------------------------------------- mirror


def test_mirror_upsert_update_delete_10000_issues(store: StateStore, backend: Backend) -> None:
    issues = [_issue(i) for i in range(N)]

    started = time.perf_counter()
    assert store.upsert_issues(issues) == N
    insert_seconds = time.perf_counter() - started
    assert store.issues() == {i.key: i for i in issues}
    assert store.mirror_keys() == {f"PLAT-{i}" for i in range(N)}

    # Update every other issue (new raw, epic, updated time); the rest stays as it was.
    changed = [_issue(i, version=1) for i in range(0, N, 2)]
    started = time.perf_counter()
    assert store.upsert_issues(changed) == N // 2
    update_seconds = time.perf_counter() - started
    # kept as records: the story points version 1 empties are left out (compact_issue)
    expected = {i.key: i for i in issues} | {i.key: replace(i, raw=compact_issue(i.raw)) for i in changed}
    assert "customfield_10016" not in expected["PLAT-2"].raw["fields"]
    assert store.issues() == expected
    assert store.issues(["PLAT-2", "PLAT-3", "NOPE-1"]) == {
        "PLAT-2": expected["PLAT-2"],
        "PLAT-3": expected["PLAT-3"],
    }
    assert store.issues([]) == {}
    assert store.issues()["PLAT-2"].raw["fields"].get("customfield_10016") is None
    assert store.issues(["PLAT-1"])["PLAT-1"].updated == T0 + timedelta(minutes=1)

    gone = [f"PLAT-{i}" for i in range(0, N, 3)]
    assert store.delete_issues([*gone, "NOPE-1"]) == len(gone)
    assert store.mirror_keys() == set(expected) - set(gone)
    assert store.delete_issues([]) == 0
    assert store.stats()["issues"] == N - len(gone)

    print(
        f"\n[{backend.name}] upsert {N} new: {insert_seconds:.2f}s, {N // 2} updates: {update_seconds:.2f}s"
    )
    assert insert_seconds < 15 and update_seconds < 15


def test_mirror_duplicate_keys_in_one_batch_last_wins(store: StateStore) -> None:
    assert store.upsert_issues([_issue(1), _issue(1, version=5)]) == 1
    last = _issue(1, version=5)
    assert store.issues()["PLAT-1"] == replace(last, raw=compact_issue(last.raw))


def test_mirror_issue_without_updated_or_epic(store: StateStore) -> None:
    bare = MirrorIssue("OKR-1", "1", None, None, {})
    store.upsert_issues([bare])
    assert store.issues(["OKR-1"]) == {"OKR-1": bare}


# ---------------------------------------------------------------------- watermarks


def test_watermark_round_trips_timezones_as_utc(store: StateStore) -> None:
    assert store.watermark() is None
    local = datetime(2026, 11, 20, 23, 45, 12, 345678, tzinfo=CET)
    store.set_watermark("default", local)
    got = store.watermark()
    assert got == local
    assert got is not None and got.utcoffset() == timedelta(0)
    assert got.replace(tzinfo=None) == datetime(2026, 11, 20, 22, 45, 12, 345678)

    store.set_watermark("project:PLAT", T0)
    store.set_watermark("default", T0 + timedelta(hours=1))
    assert store.watermark("default") == T0 + timedelta(hours=1)
    assert store.watermark("project:PLAT") == T0

    assert store.last_full_reconcile() is None
    store.set_last_full_reconcile(local)
    assert store.last_full_reconcile() == local
    assert store.watermark("default") == T0 + timedelta(hours=1)

    assert store.clear_watermark("project:PLAT")
    assert store.watermark("project:PLAT") is None
    assert not store.clear_watermark("project:PLAT")


def test_naive_datetimes_are_refused(store: StateStore) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        store.set_watermark("default", datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="timezone-aware"):
        store.start_run("sync", datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="timezone-aware"):
        MirrorIssue("A-1", "1", datetime(2026, 1, 1), None, {})


# ---------------------------------------------------------------------- applied writes


def test_applied_writes_upsert_and_lookup(store: StateStore) -> None:
    run_id = store.start_run("sync", T0)
    writes = [
        AppliedWrite("PLAT-1", "field", "customfield_10100", value_hash(42.5), None, run_id, T0),
        AppliedWrite("PLAT-1", "property", "okrsync.kr", value_hash({"kr": "KR-1"}), None, run_id, T0),
        AppliedWrite("PLAT-1", "comment", "status_change", value_hash("On track"), "10001", run_id, T0),
        AppliedWrite("PLAT-1", "comment", "celebrate:PLAT-1", value_hash("done"), "10002", run_id, T0),
        AppliedWrite("PLAT-2", "comment", "stale:2026-11-20", value_hash("stale"), "10003", None, T0),
    ]
    store.record_applied(writes)
    assert store.applied() == {w.identity: w for w in writes}
    assert set(store.applied(["PLAT-2", "NOPE-9"])) == {("PLAT-2", "comment", "stale:2026-11-20")}
    assert store.applied([]) == {}
    # a cycle reads only the comment and property rows (not every field's)
    assert store.applied(kinds=("comment", "property")) == {
        w.identity: w for w in writes if w.kind != "field"
    }
    assert set(store.applied(["PLAT-1"], kinds=["comment"])) == {
        ("PLAT-1", "comment", "status_change"),
        ("PLAT-1", "comment", "celebrate:PLAT-1"),
    }

    # Upsert: the status comment was edited with new text; same identity, new hash.
    later = T0.astimezone(CET) + timedelta(minutes=5)
    edited = AppliedWrite("PLAT-1", "comment", "status_change", value_hash("At risk"), "10001", run_id, later)
    store.record_applied([edited])
    got = store.applied(["PLAT-1"])
    assert len(got) == 4
    assert got[("PLAT-1", "comment", "status_change")] == edited
    assert got[("PLAT-1", "comment", "status_change")].applied_at.tzinfo == UTC

    assert store.forget_applied("PLAT-1", "comment", "status_change") == 1
    assert store.forget_applied("PLAT-1", "comment") == 1
    assert store.forget_applied("PLAT-1") == 2
    assert store.forget_applied("PLAT-1") == 0
    assert set(store.applied()) == {("PLAT-2", "comment", "stale:2026-11-20")}


def test_applied_write_validation() -> None:
    with pytest.raises(ValueError, match="kind"):
        AppliedWrite("PLAT-1", "label", "x", "h", None, None, T0)


def test_many_applied_writes(store: StateStore) -> None:
    writes = [
        AppliedWrite(f"PLAT-{i}", "field", "customfield_1", value_hash(i), None, None, T0)
        for i in range(2000)
    ]
    store.record_applied(writes)
    found = store.applied([f"PLAT-{i}" for i in range(0, 2000, 2)])
    assert len(found) == 1000


# ---------------------------------------------------------------------- progress history


def _p(
    day: int, node: str, progress: float | None, *, source: str = "sync", kind: str = "key_result"
) -> ProgressPoint:
    return ProgressPoint(date(2026, 3, day), node, kind, progress, 0.1 * day, "on_track", source)


def test_progress_history_one_row_per_day_and_node(store: StateStore) -> None:
    store.record_progress([_p(1, "KR-1", 0.1), _p(2, "KR-1", 0.2), _p(1, "O-1", 0.05, kind="objective")])
    store.record_progress([_p(2, "KR-1", 0.25)])  # a later sync the same day overwrites
    assert store.history() == [_p(1, "KR-1", 0.1), _p(2, "KR-1", 0.25), _p(1, "O-1", 0.05, kind="objective")]
    assert store.history(["O-1"]) == [_p(1, "O-1", 0.05, kind="objective")]
    assert store.history(since=date(2026, 3, 2)) == [_p(2, "KR-1", 0.25)]
    assert store.history(until=date(2026, 3, 1), node_ids=["KR-1"]) == [_p(1, "KR-1", 0.1)]
    assert store.history([]) == []
    assert isinstance(store.history()[0].day, date)


def test_backfill_can_preserve_what_sync_recorded(store: StateStore) -> None:
    store.record_progress([_p(2, "KR-1", 0.5)])
    store.record_progress(
        [_p(1, "KR-1", 0.1, source="backfill"), _p(2, "KR-1", 0.2, source="backfill")], preserve_sync=True
    )
    assert store.history() == [_p(1, "KR-1", 0.1, source="backfill"), _p(2, "KR-1", 0.5)]
    store.record_progress(
        [_p(1, "KR-1", 0.15, source="backfill")], preserve_sync=True
    )  # backfill over backfill
    assert store.history()[0].progress == 0.15
    assert store.delete_history(source="backfill") == 1
    assert store.history() == [_p(2, "KR-1", 0.5)]
    assert store.delete_history(["KR-1"], since=date(2026, 3, 2)) == 1


def test_last_change_day(store: StateStore) -> None:
    store.record_progress(
        [
            # KR-1 moves on day 3, then stays flat (day 6 missing: compared with day 5).
            _p(1, "KR-1", 0.1),
            _p(2, "KR-1", 0.1),
            _p(3, "KR-1", 0.3),
            _p(4, "KR-1", 0.3),
            _p(5, "KR-1", 0.3),
            _p(7, "KR-1", 0.3),
            # KR-2 never moved: its first day.
            _p(2, "KR-2", 0.0),
            _p(3, "KR-2", 0.0),
            # KR-3: data appears on day 4, disappears on day 5 (None counts as a value).
            _p(3, "KR-3", None),
            _p(4, "KR-3", 0.2),
            _p(5, "KR-3", None),
            _p(6, "KR-3", None),
            # O-1 goes down on day 9.
            _p(8, "O-1", 0.4, kind="objective"),
            _p(9, "O-1", 0.35, kind="objective"),
        ]
    )
    assert store.last_change_day() == {
        "KR-1": date(2026, 3, 3),
        "KR-2": date(2026, 3, 2),
        "KR-3": date(2026, 3, 5),
        "O-1": date(2026, 3, 9),
    }
    assert store.last_change_day(["KR-2", "nope"]) == {"KR-2": date(2026, 3, 2)}
    assert store.last_change_day([]) == {}


def _reference_last_change(points: list[ProgressPoint]) -> dict[str, date]:
    result: dict[str, date] = {}
    previous: dict[str, ProgressPoint] = {}
    for p in sorted(points, key=lambda p: (p.node_id, p.day)):
        before = previous.get(p.node_id)
        if before is None or before.progress != p.progress:
            result[p.node_id] = p.day
        previous[p.node_id] = p
    return result


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.dictionaries(
        st.tuples(st.sampled_from(["KR-1", "KR-2", "O-1"]), st.integers(1, 20)),
        st.one_of(st.none(), st.sampled_from([0.0, 0.25, 0.5, 1.0])),
        max_size=30,
    )
)
def test_last_change_day_matches_a_reference(
    store: StateStore, days: dict[tuple[str, int], float | None]
) -> None:
    store.delete_history()
    points = [_p(day, node, progress) for (node, day), progress in days.items()]
    store.record_progress(points)
    assert store.last_change_day() == _reference_last_change(points)


def test_progress_point_validation() -> None:
    with pytest.raises(ValueError, match="kind"):
        ProgressPoint(date(2026, 1, 1), "X", "epic", 0.1, 0.1, "on_track")
    with pytest.raises(ValueError, match="source"):
        ProgressPoint(date(2026, 1, 1), "X", "key_result", 0.1, 0.1, "on_track", "guess")
    with pytest.raises(ValueError, match="date"):
        ProgressPoint(T0, "X", "key_result", 0.1, 0.1, "on_track")


# ---------------------------------------------------------------------- runs


def test_run_lifecycle(store: StateStore) -> None:
    assert store.runs() == [] and store.last_run() is None
    first = store.start_run("sync", T0)
    running = store.last_run()
    assert running is not None and running.run_id == first
    assert running.status == "running" and running.running and running.ended_at is None
    assert running.duration_seconds is None

    summary = {
        "changes": {"field": 12, "comment": 2},
        "failed_keys": ["PLAT-3"],
        "note": "Zielvereinbarung ✓",
    }
    store.finish_run(
        first,
        ended_at=(T0 + timedelta(seconds=42)).astimezone(CET),
        status="partial",
        requests=17,
        writes=12,
        comments=2,
        errors=1,
        warnings=3,
        summary=summary,
    )
    second = store.start_run("dry-run", T0 + timedelta(minutes=15))
    store.finish_run(
        second,
        ended_at=T0 + timedelta(minutes=16),
        status="ok",
        requests=3,
        writes=0,
        comments=0,
        errors=0,
        warnings=0,
        summary={},
    )
    third = store.start_run("backfill", T0 + timedelta(minutes=30))
    assert first < second < third

    runs = store.runs()
    assert [r.run_id for r in runs] == [third, second, first]
    assert [r.run_id for r in store.runs(limit=2)] == [third, second]
    done = runs[2]
    assert (
        done.mode,
        done.status,
        done.requests,
        done.writes,
        done.comments,
        done.errors,
        done.warnings,
    ) == (
        "sync",
        "partial",
        17,
        12,
        2,
        1,
        3,
    )
    assert done.summary == summary
    assert done.started_at == T0 and done.started_at.tzinfo == UTC
    assert done.duration_seconds == 42
    assert store.run(first) == done
    assert store.run(999) is None

    last_ok = store.last_run(status="ok")
    assert last_ok is not None and last_ok.run_id == second and last_ok.mode == "dry-run"
    assert store.last_run(status="failed") is None
    last = store.last_run()
    assert last is not None and last.run_id == third

    # After a crash, the new leader closes what was left running.
    assert store.fail_unfinished_runs(T0 + timedelta(hours=1)) == 1
    crashed = store.run(third)
    assert crashed is not None and crashed.status == "failed" and crashed.summary == {"error": "interrupted"}


def test_finish_run_checks_its_input(store: StateStore) -> None:
    run_id = store.start_run("sync", T0)
    counters = {"requests": 0, "writes": 0, "comments": 0, "errors": 0, "warnings": 0, "summary": {}}
    with pytest.raises(ValueError, match="status"):
        store.finish_run(run_id, ended_at=T0, status="done", **counters)  # type: ignore[arg-type]
    with pytest.raises(KeyError):
        store.finish_run(run_id + 100, ended_at=T0, status="ok", **counters)  # type: ignore[arg-type]


# ---------------------------------------------------------------------- meta


@pytest.mark.parametrize(
    "value",
    [
        {"cursor": "2026-03-01", "done": ["KR-1"], "nested": {"x": 1.5, "y": None}},
        [1, 2, 3],
        "text ✓",
        42,
        3.25,
        True,
    ],
)
def test_meta_round_trips_json(store: StateStore, value: object) -> None:
    assert store.get_meta("backfill.cursor") is None
    store.set_meta("backfill.cursor", value)
    assert store.get_meta("backfill.cursor") == value
    store.set_meta("backfill.cursor", {"replaced": True})
    assert store.get_meta("backfill.cursor") == {"replaced": True}
    assert store.delete_meta("backfill.cursor")
    assert store.get_meta("backfill.cursor") is None
    assert not store.delete_meta("backfill.cursor")


# ---------------------------------------------------------------------- concurrency, health


def test_threads_share_one_store(store: StateStore) -> None:
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(25):
                store.record_applied([AppliedWrite(f"T{n}-{i}", "field", "f", "h", None, None, T0)])
                store.set_meta(f"thread-{n}", i)
                store.upsert_issues([_issue(n * 100 + i)])
                assert store.get_meta(f"thread-{n}") == i
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(store.applied()) == 150
    assert len(store.mirror_keys()) == 150


def test_two_stores_on_one_database_see_each_other(backend: Backend) -> None:
    a, b = backend.open(), backend.open()
    a.set_meta("k", 1)
    assert b.get_meta("k") == 1
    b.upsert_issues([_issue(1)])
    assert a.mirror_keys() == {"PLAT-1"}


def test_ping(backend: Backend) -> None:
    store = backend.open()
    assert store.ping()
    assert store.get_meta("__ping__") is None  # the probe write is rolled back
    store.close()
    assert not store.ping()
    with pytest.raises(RuntimeError, match="closed"):
        store.get_meta("x")
    store.close()  # idempotent


def test_store_is_a_context_manager(backend: Backend) -> None:
    with backend.open() as store:
        store.set_meta("x", 1)
    assert not store.ping()


def test_unreachable_database_during_use_is_a_state_store_error(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = backend.open()
    dialect = store.engine.dialect

    def refuse(*args: object, **kwargs: object) -> None:
        raise dialect.loaded_dbapi.OperationalError("connection refused (simulated)")

    store.engine.dispose()
    monkeypatch.setattr(dialect, "connect", refuse)
    with pytest.raises(StateStoreError, match=r"failed: .*connection refused \(simulated\)"):
        store.get_meta("x")
    assert not store.ping()


def test_a_postgresql_url_without_the_driver_names_the_postgres_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if okrsync were installed without [postgres]
    with pytest.raises(StateStoreError) as err:
        StateStore.open("postgresql+psycopg://postgres@127.0.0.1:5432/test")
    assert "pip install 'okrsync[postgres]'" in str(err.value)
