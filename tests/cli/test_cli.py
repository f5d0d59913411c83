"""The command line as a user sees it: help, version, unbuilt commands, config errors."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COMMANDS = ["sync", "daemon", "backfill", "setup", "report", "check", "demo", "sim"]


def run(*args: str, env: dict[str, str] | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "okrsync.cli", *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd,
        timeout=120,
    )


def test_help_lists_every_command_with_a_line() -> None:
    out = run("--help")
    assert out.returncode == 0
    for command in COMMANDS:
        assert f" {command} " in out.stdout, command
    assert "--config" in out.stdout
    assert "OKRSYNC_CONFIG" in out.stdout
    assert "--version" in out.stdout


def test_version() -> None:
    from okrsync import __version__

    out = run("--version")
    assert out.returncode == 0
    assert out.stdout.strip() == f"okrsync {__version__}"


def test_missing_config_is_a_clear_error_without_traceback(tmp_path: Path) -> None:
    out = run("--config", str(tmp_path / "missing.yaml"), "check")
    assert out.returncode == 2
    assert "no such file" in out.stderr
    assert "Traceback" not in out.stderr


def test_config_from_env_variable_and_bad_config(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("period: {name: Q, start: 2026-10-01, end: 2026-09-01}\nkey_results: [{objective: X}]\n")
    out = run("check", env={"OKRSYNC_CONFIG": str(bad)})
    assert out.returncode == 2
    assert "period.end" in out.stderr
    assert "key_results[0]" in out.stderr
    assert "Traceback" not in out.stderr


def test_demo_runs_the_whole_job_on_the_simulator_and_ignores_the_users_jira(tmp_path: Path) -> None:
    # a user whose environment points at their real Jira: the demo must not touch it
    out = run(
        "demo",
        env={"OKRSYNC_JIRA__URL": "http://127.0.0.1:9", "OKRSYNC_JIRA__API_TOKEN": "real"},
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    assert re.search(r"OKRs \d{4}-Q\d — as of \d{4}-\d\d-\d\d", out.stdout), out.stdout  # today's quarter
    assert "KR MOB-1 Ship offline mode" in out.stdout
    assert "In Jira now" in out.stdout
    assert "Key result achieved" in out.stdout  # the celebration comment on the done KR
    assert "0 writes, 0 comments" in out.stdout  # the second sync changes nothing
    assert "okrsync setup" in out.stdout and "OKR Progress = customfield_" in out.stdout
    report = tmp_path / "okrsync-demo-report.html"
    assert f"HTML report: {report}" in out.stdout
    assert list(tmp_path.iterdir()) == [report]  # the report, nothing else left behind
    assert "MOB-1" in report.read_text()
