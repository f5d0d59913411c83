"""The README's quick start: exactly two commands, the second is what CI runs, and `okrsync demo`
works as installed (the console script, from any directory, with a clean environment, in well
under a minute).

CI runs on a fresh clone after the README's install, so there this is the first-time experience.
It does not reinstall from the package registry (no test touches the network).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def quick_start_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```sh\n(.*?)```", section, re.DOTALL)]


def test_quick_start_is_two_commands_and_ci_runs_the_test_one() -> None:
    commands = quick_start_commands()
    assert len(commands) == 2, commands
    install_and_demo, install_and_test = commands
    assert "\n" not in install_and_demo and install_and_demo.endswith("okrsync demo")
    assert "\n" not in install_and_test and re.search(
        r"\.venv/bin/pytest( -n \d+| -n auto)?$", install_and_test
    )
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert install_and_test in ci


def test_okrsync_demo_as_installed(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "okrsync"
    assert script.exists(), "the console script `okrsync` is installed by the README's install"
    env = {k: v for k, v in os.environ.items() if not k.startswith("OKRSYNC_")}
    env.update({"HOME": str(tmp_path), "COLUMNS": "120", "NO_COLOR": "1"})
    started = time.monotonic()
    out = subprocess.run(
        [str(script), "demo"], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120
    )
    seconds = time.monotonic() - started
    assert out.returncode == 0, out.stdout + out.stderr
    assert re.search(r"OKRs \d{4}-Q\d — as of \d{4}-\d\d-\d\d", out.stdout), out.stdout
    assert (tmp_path / "okrsync-demo-report.html").exists()
    assert seconds < 30, f"okrsync demo took {seconds:.1f} s"


def test_what_the_readme_steps_leave_behind_is_ignored_by_git() -> None:
    left = [
        "config/okrsync.yaml",  # the user's own configuration (cp config/okrsync.example.yaml ...)
        "okrsync.db",
        "okrsync.db.lock",
        "okrsync.db-wal",
        "okrsync-report.html",
        "okrsync-demo-report.html",
        ".venv/bin/okrsync",
    ]
    out = subprocess.run(
        ["git", "check-ignore", "--no-index", *left], cwd=ROOT, capture_output=True, text=True
    )
    if out.returncode == 128:
        pytest.skip("not a git checkout")
    assert sorted(out.stdout.split()) == sorted(left)
