"""``okrsync report`` as a user runs it: from the state store of real syncs, no Jira, every format."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from demostore import DEMO_CONFIG, ROOT, SYNC_DAYS, DemoStore
from reportkit import pct_text

from okrsync.cli import main
from okrsync.core.stored_tree import META_KEY
from okrsync.state.store import StateStore

PG_URL = os.environ.get("OKRSYNC_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
NO_JIRA = "http://127.0.0.1:9"  # nothing listens there: a report must not need Jira


def okrsync(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], state_url: str, *args: str
) -> tuple[int, str, str]:
    """Run the okrsync command line in-process: (exit code, stdout, stderr with whitespace folded)."""
    monkeypatch.setenv("OKRSYNC_SYNC__STATE_URL", state_url)
    monkeypatch.setenv("OKRSYNC_JIRA__URL", NO_JIRA)
    monkeypatch.setattr(sys, "argv", ["okrsync", "--config", str(DEMO_CONFIG), "report", *args])
    with pytest.raises(SystemExit) as exit_info:
        main()
    out = capsys.readouterr()
    code = exit_info.value.code
    return (code if isinstance(code, int) else 1), out.out, " ".join(out.err.split())


def test_json_from_the_cli_has_the_last_syncs_numbers_history_and_run(
    demo_store: DemoStore, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = okrsync(monkeypatch, capsys, demo_store.url, "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    scored = demo_store.scored
    by_id = {n["id"]: n for n in doc["objectives"] + doc["key_results"]}
    for node_id, s in [*scored.key_results.items(), *scored.objectives.items()]:
        assert by_id[node_id]["progress"] == round(s.progress * 100, 1), node_id  # type: ignore[operator]
        assert by_id[node_id]["health"] == s.health.value
    assert by_id["MOB-1"]["progress"] == 16.7  # 2 of 12 issues done
    assert doc["as_of"] == "2026-11-26"
    # one history point per sync day; the metric KR improved at every sync: 8, 24, 40, 56 %
    assert [p["day"] for p in doc["history"]["PLAT-2"]] == [d.isoformat() for d in SYNC_DAYS]
    assert [p["progress"] for p in doc["history"]["PLAT-2"]] == [8.0, 24.0, 40.0, 56.0]
    assert doc["last_sync"]["run_id"] == demo_store.reports[-1].run_id
    assert (doc["last_sync"]["mode"], doc["last_sync"]["status"]) == ("full", "ok")


def test_csv_markdown_tree_and_html_from_the_cli_show_the_same_numbers(
    demo_store: DemoStore,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    scored = demo_store.scored
    code, out, err = okrsync(monkeypatch, capsys, demo_store.url, "--format", "csv")
    assert code == 0, err
    rows = {(r["kind"], r["id"]): r for r in csv.DictReader(io.StringIO(out, newline=""))}
    for kr_id, s in scored.key_results.items():
        assert rows[("key_result", kr_id)]["progress"] == str(round(s.progress * 100, 1))  # type: ignore[operator]
    for obj_id, s in scored.objectives.items():
        assert rows[("objective", obj_id)]["progress"] == str(round(s.progress * 100, 1))  # type: ignore[operator]

    code, out, err = okrsync(monkeypatch, capsys, demo_store.url, "--format", "markdown")
    assert code == 0, err
    for kr_id, s in scored.key_results.items():
        row = next(line for line in out.splitlines() if line.startswith(f"| **{kr_id}**"))
        assert f"| {pct_text(s.progress)} | 62.0 % | {s.health.label} |" in row, row
    assert "#### MOB-O · A mobile app customers rave about" not in out  # MOB-O aligns to CO-1 directly
    assert "### MOB-O · A mobile app customers rave about" in out

    code, out, err = okrsync(monkeypatch, capsys, demo_store.url)  # the tree is the default
    assert code == 0, err
    mob1 = next(line for line in out.splitlines() if "KR MOB-1 " in line)
    assert "16.7% (expected 62.0%) Off track" in mob1
    assert "MOB-5 [Done] Local database schema" in out

    monkeypatch.chdir(tmp_path)
    code, out, err = okrsync(monkeypatch, capsys, demo_store.url, "--format", "html")
    assert code == 0, err
    page = (tmp_path / "okrsync-report.html").read_text(encoding="utf-8")
    assert str(tmp_path / "okrsync-report.html") in " ".join(out.split())
    for kr_id, s in scored.key_results.items():
        row = re.search(rf'<tr class="kr" id="kr-{kr_id}".*?</tr>', page, flags=re.DOTALL)
        assert row and f'<td class="num progress">{pct_text(s.progress)}</td>' in row.group(0), kr_id


def test_output_goes_to_a_file_a_directory_or_standard_output(
    demo_store: DemoStore,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    code, out, _ = okrsync(monkeypatch, capsys, demo_store.url, "--format", "html", "--output", "-")
    assert code == 0 and out.startswith("<!DOCTYPE html>")
    code, out, _ = okrsync(monkeypatch, capsys, demo_store.url, "--format", "csv", "-o", str(tmp_path))
    assert code == 0
    assert (tmp_path / "okrsync-report.csv").read_text(encoding="utf-8").startswith("kind,level,depth,id,")
    assert "okrsync-report.csv" in out
    target = tmp_path / "okrs.md"
    code, out, _ = okrsync(monkeypatch, capsys, demo_store.url, "--format", "md", "--output", str(target))
    assert code == 0 and target.read_text(encoding="utf-8").startswith("# OKRs 2026-Q4\n")
    assert list(tmp_path.glob(".*.tmp")) == []  # no temporary file left behind


@pytest.mark.parametrize(
    ("case", "args", "message"),
    [
        ("no store", (), "no sync has run yet: run okrsync sync first (there is no state store at"),
        ("in memory", (), "no sync has run yet: run okrsync sync first (sync.state_url is an in-memory"),
        (
            "no snapshot",
            (),
            "no sync has run yet: run okrsync sync first (the state store holds no scored tree)",
        ),
        (
            "synced",
            ("--format", "xml"),
            "Unknown report format 'xml': use --format with one of tree, markdown",
        ),
        ("synced", ("-o", "/nonexistent-dir/r.html"), "the directory /nonexistent-dir does not exist"),
    ],
)
def test_what_a_user_sees_when_a_report_cannot_be_made(
    case: str,
    args: tuple[str, ...],
    message: str,
    demo_store: DemoStore,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    db = tmp_path / "state.db"
    url = {"no store": f"sqlite:///{db}", "in memory": "sqlite://", "synced": demo_store.url}.get(case)
    if case == "no snapshot":
        StateStore.open(f"sqlite:///{db}").close()
        url = f"sqlite:///{db}"
    assert url is not None
    code, out, err = okrsync(monkeypatch, capsys, url, *args)
    assert code == 2
    assert message in err, err
    assert "Traceback" not in err and out == ""
    if case == "no store":
        assert not db.exists()  # a report never creates a state store


def test_no_store_message_in_a_real_process(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "OKRSYNC_SYNC__STATE_URL": f"sqlite:///{tmp_path / 'nope.db'}",
        "OKRSYNC_JIRA__URL": NO_JIRA,
        "NO_COLOR": "1",
        "COLUMNS": "200",
    }
    out = subprocess.run(
        [sys.executable, "-m", "okrsync.cli", "-c", str(DEMO_CONFIG), "report", "--format", "html"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert out.returncode == 2
    assert "error: no sync has run yet: run okrsync sync first" in out.stderr
    assert "Traceback" not in out.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # neither a database nor a report


@pytest.fixture
def pg_schema() -> Iterator[str]:
    schema = f"okrsync_report_{uuid.uuid4().hex[:10]}"
    yield schema
    engine = sa.create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


@pytest.mark.postgres
def test_a_report_from_a_postgresql_store(
    demo_store: DemoStore,
    pg_schema: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with StateStore.open(demo_store.url) as src, StateStore.open(PG_URL, schema=pg_schema) as dst:
        dst.set_meta(META_KEY, src.get_meta(META_KEY))
        dst.record_progress(src.history())
    url = f"{PG_URL}?options=-csearch_path%3D{pg_schema}"
    code, out, err = okrsync(monkeypatch, capsys, url, "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert next(kr for kr in doc["key_results"] if kr["id"] == "MOB-1")["progress"] == 16.7
    assert [p["progress"] for p in doc["history"]["PLAT-2"]] == [8.0, 24.0, 40.0, 56.0]
    assert doc["last_sync"] is None  # no run was recorded in this store


def test_the_report_module_is_on_the_documented_path() -> None:
    doc = (ROOT / "docs" / "report-formats.md").read_text(encoding="utf-8")
    from okrsync.report.csv_export import COLUMNS

    assert "`" + ",".join(COLUMNS) + "`" in doc  # the CSV header, as documented
