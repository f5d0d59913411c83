"""Opening the store: schema creation, reopening, the migration path, and the errors a user sees."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from statekit import PG_URL, Backend

from okrsync.domain.model import OkrsyncError
from okrsync.state import SCHEMA_VERSION, MirrorIssue, ProgressPoint, StateStore, StateStoreError
from okrsync.state.schema import MIGRATIONS, Migration, metadata, migrate

T0 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def _fill(store: StateStore) -> int:
    store.upsert_issues(
        [MirrorIssue("PLAT-1", "10001", T0, "PLAT-0", {"key": "PLAT-1", "fields": {"summary": "Ship it"}})]
    )
    store.set_watermark("default", T0)
    store.record_progress([ProgressPoint(date(2026, 3, 1), "KR-1", "key_result", 0.5, 0.4, "on_track")])
    store.set_meta("cursor", {"day": "2026-03-01"})
    return store.start_run("sync", T0)


def test_create_then_reopen_keeps_data_and_version(backend: Backend) -> None:
    first = backend.open()
    assert first.schema_version() == SCHEMA_VERSION == 2
    run_id = _fill(first)
    first.close()

    again = backend.open()
    assert again.schema_version() == SCHEMA_VERSION
    assert again.issues()["PLAT-1"].raw == {"key": "PLAT-1", "fields": {"summary": "Ship it"}}
    assert again.watermark() == T0
    assert [p.progress for p in again.history()] == [0.5]
    assert again.get_meta("cursor") == {"day": "2026-03-01"}
    last = again.last_run()
    assert last is not None and last.run_id == run_id
    with again.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT version FROM okrsync_schema_version")).scalars().all()
    assert rows == [1, 2]  # reopening applied nothing again


def test_all_tables_created(store: StateStore) -> None:
    names = set(sa.inspect(store.engine).get_table_names())
    assert set(metadata.tables) <= names
    assert all(name.startswith("okrsync_") for name in metadata.tables)


def _add_column_v3(conn: sa.Connection) -> None:
    conn.execute(sa.text("ALTER TABLE okrsync_mirror ADD COLUMN project_key VARCHAR(50)"))
    conn.execute(sa.text("UPDATE okrsync_mirror SET project_key = 'PLAT'"))


def test_migration_path_runs_a_v3_step_on_a_v2_database(backend: Backend) -> None:
    store = backend.open()
    _fill(store)
    engine = store.engine
    steps = [*MIGRATIONS, Migration(2, "add mirror.project_key", _add_column_v3)]

    assert migrate(engine, steps) == 3
    with engine.connect() as conn:
        versions = conn.execute(sa.text("SELECT version FROM okrsync_schema_version ORDER BY 1")).scalars()
        assert list(versions) == [1, 2, 3]
        row = conn.execute(sa.text("SELECT key, project_key FROM okrsync_mirror")).one()
    assert tuple(row) == ("PLAT-1", "PLAT")
    assert migrate(engine, steps) == 3  # idempotent
    store.close()

    # This code only knows version 2: the upgraded database is refused, with the fix.
    with pytest.raises(StateStoreError, match=r"schema version 3.*up to 2.*Upgrade okrsync"):
        backend.open()


def test_a_fresh_database_replays_every_step(backend: Backend) -> None:
    store = backend.open()
    store.close()
    fresh = Backend(backend.name, backend.url, backend.schema)
    engine = fresh.engine()
    try:
        with engine.begin() as conn:
            for table in metadata.tables:
                conn.execute(sa.text(f"DROP TABLE {table}"))
        steps = [*MIGRATIONS, Migration(2, "add mirror.project_key", _add_column_v3)]
        assert migrate(engine, steps) == 3
        assert "project_key" in {c["name"] for c in sa.inspect(engine).get_columns("okrsync_mirror")}
    finally:
        engine.dispose()


def test_a_failed_step_leaves_the_database_unchanged(backend: Backend) -> None:
    store = backend.open()
    _fill(store)

    def broken(conn: sa.Connection) -> None:
        conn.execute(sa.text("CREATE TABLE okrsync_half_done (x INTEGER)"))
        conn.execute(sa.text("UPDATE okrsync_mirror SET issue_id = 'changed'"))
        raise RuntimeError("step failed half way")

    with pytest.raises(RuntimeError, match="half way"):
        migrate(store.engine, [*MIGRATIONS, Migration(2, "broken", broken)])
    assert store.schema_version() == 2
    assert "okrsync_half_done" not in sa.inspect(store.engine).get_table_names()
    assert store.issues()["PLAT-1"].issue_id == "10001"


def test_a_database_newer_than_the_code_is_refused(backend: Backend) -> None:
    store = backend.open()
    with store.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO okrsync_schema_version (version, applied_at, description) "
                "VALUES (7, :at, 'from the future')"
            ),
            {"at": T0.replace(tzinfo=None) if backend.name == "sqlite" else T0},
        )
    store.close()
    with pytest.raises(StateStoreError) as caught:
        backend.open()
    message = str(caught.value)
    assert "schema version 7" in message
    assert "Upgrade okrsync" in message
    assert "OKRSYNC_SYNC__STATE_URL" in message
    assert isinstance(caught.value, OkrsyncError)


def test_migration_steps_must_be_contiguous(backend: Backend) -> None:
    store = backend.open()
    with pytest.raises(ValueError, match="0, 1, 2"):
        migrate(store.engine, [*MIGRATIONS, Migration(5, "gap", _add_column_v3)])
    with pytest.raises(ValueError, match="no migration path"):
        migrate(store.engine, MIGRATIONS, target=4)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("", "empty"),
        ("okrsync.db", "not a database URL"),
        ("mysql://u@localhost/db", "supports SQLite and PostgreSQL"),
        ("postgresql+asyncpg://u@localhost/db", "psycopg"),
        ("sqlite:///{tmp}/missing/dir/okrsync.db", "does not exist"),
        ("sqlite:///{tmp}", "directory, not a file"),
        ("postgresql+psycopg://okr:s3cret@127.0.0.1:1/test?connect_timeout=2", "Cannot open the state store"),
        ("postgresql://okr:s3cret@127.0.0.1:1/test?connect_timeout=2", "Cannot open the state store"),
        (PG_URL.rsplit("/", 1)[0] + "/okrsync_no_such_db", "does not exist"),
    ],
    ids=[
        "empty",
        "path",
        "mysql",
        "asyncpg",
        "sqlite-dir",
        "sqlite-is-dir",
        "pg-down",
        "pg-plain-down",
        "pg-no-db",
    ],
)
def test_a_bad_url_says_which_setting_to_fix(url: str, expected: str, tmp_path: Path) -> None:
    with pytest.raises(StateStoreError) as caught:
        StateStore.open(url.format(tmp=tmp_path))
    message = str(caught.value)
    assert expected in message
    assert "sync.state_url" in message
    assert "OKRSYNC_SYNC__STATE_URL" in message
    assert "postgresql+psycopg://user:password@host:5432/dbname" in message
    assert "s3cret" not in message


def test_url_forms_and_display(backend: Backend) -> None:
    if backend.name == "sqlite":
        store = backend.open()
        assert store.url_for_display == backend.url
        assert store.sqlite_path is not None and store.sqlite_path.name == "state.db"
        alias = backend.url.replace("sqlite://", "sqlite+pysqlite://")
        other = StateStore.open(alias)
    else:
        # Plain postgresql:// gets the psycopg 3 driver; the password never shows.
        url = PG_URL.replace("postgresql+psycopg://postgres@", "postgresql://postgres:hunter2@")
        other = StateStore.open(url, schema=backend.schema)  # trust auth ignores the password
        assert other.url_for_display.startswith("postgresql+psycopg://postgres:***@")
    try:
        assert other.schema_version() == SCHEMA_VERSION
        assert "hunter2" not in other.url_for_display
        assert "hunter2" not in repr(other)
    finally:
        other.close()


def test_relative_sqlite_path_is_relative_to_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with StateStore.open("sqlite:///okrsync.db") as store:
        assert store.ping()
        assert store.sqlite_path == tmp_path / "okrsync.db"
    assert (tmp_path / "okrsync.db").exists()


def test_in_memory_sqlite_works_across_threads() -> None:
    import threading

    with StateStore.open("sqlite://") as store:
        assert store.schema_version() == SCHEMA_VERSION
        errors: list[BaseException] = []

        def work(n: int) -> None:
            try:
                for i in range(50):
                    store.set_meta(f"t{n}-{i}", i)
                    assert store.get_meta(f"t{n}-{i}") == i
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert store.get_meta("t3-49") == 49
        assert store.try_acquire_leader()
