"""A real package: the wheel built from what the Dockerfile copies runs ``okrsync demo`` from an empty
folder, in a fresh virtual environment, with nothing of the checkout on the path.

No network: the wheel is built without build isolation (setuptools and wheel come with the test
extra), installed with ``--no-deps --no-index``, and the fresh environment finds the dependencies
through a ``.pth`` line naming this environment's site-packages (a plain path line: the editable
install's own ``.pth`` hook there is not run, so the checkout stays invisible).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCKER_COPIES = ("pyproject.toml", "README.md", "okrsync")  # the Dockerfile's build stage COPY lines


def build_wheel(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    for name in DOCKER_COPIES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(path, src / name)
    dist = tmp_path / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(dist),
            ".",
        ],
        cwd=src,
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = dist.glob("okrsync-*.whl")
    return wheel


def clean_env(home: Path) -> dict[str, str]:
    """The user's environment without okrsync's variables and without Python's (PYTHONPATH and a
    test clock shift would reach into the fresh environment)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OKRSYNC_", "PYTHON", "CLOCK_SHIFT"))}
    env.update({"HOME": str(home), "COLUMNS": "120", "NO_COLOR": "1"})
    return env


def fresh_venv(tmp_path: Path, wheel: Path) -> Path:
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
        env=clean_env(tmp_path),
    ).stdout.strip()
    (Path(site) / "_okrsync_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "-q",
            "--no-deps",
            "--no-index",
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return env_dir


@pytest.mark.slow
def test_the_wheel_runs_the_demo_from_an_empty_folder(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path)
    with zipfile.ZipFile(wheel) as zf:  # the templates of the HTML report and the status page
        names = set(zf.namelist())
    templates = {p.name for p in (ROOT / "okrsync" / "report" / "templates").iterdir() if p.is_file()}
    assert {"okrsync.css", "filters.js", "tree.html.j2", "report.html.j2", "status.html.j2"} <= templates
    assert {f"okrsync/report/templates/{n}" for n in templates} <= names
    env_dir = fresh_venv(tmp_path, wheel)
    empty = tmp_path / "empty"
    empty.mkdir()
    env = clean_env(empty)
    where = subprocess.run(
        [str(env_dir / "bin" / "python"), "-c", "import okrsync.data as d; print(d.DEMO_CONFIG)"],
        capture_output=True,
        text=True,
        cwd=empty,
        env=env,
        check=True,
    ).stdout.strip()
    assert where.startswith(str(env_dir)), f"okrsync came from {where}, not the installed wheel"
    out = subprocess.run(
        [str(env_dir / "bin" / "okrsync"), "demo"],
        capture_output=True,
        text=True,
        cwd=empty,
        env=env,
        timeout=120,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "okrsync sync as of" in out.stdout
    assert "KR health" in out.stdout and "at risk" in out.stdout
    assert (empty / "okrsync-demo-report.html").exists()
    report = (empty / "okrsync-demo-report.html").read_text(encoding="utf-8")
    assert '<section class="objective' in report and '<form class="filters"' in report  # from the templates
    assert sorted(p.name for p in empty.iterdir()) == ["okrsync-demo-report.html"]  # nothing else left behind
    for command in (["--version"], ["sync", "--help"], ["check", "--help"], ["report", "--help"]):
        ran = subprocess.run(
            [str(env_dir / "bin" / "okrsync"), *command], capture_output=True, text=True, cwd=empty, env=env
        )
        assert ran.returncode == 0, (command, ran.stdout + ran.stderr)


def test_the_dockerfile_builds_its_wheel_from_the_same_sources() -> None:
    """The image installs a wheel built from exactly what this test's wheel is built from."""
    lines = (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines()
    build_stage = lines[
        : next(
            i for i, line in enumerate(lines) if line.startswith("FROM") and i > 0 and "AS build" not in line
        )
    ]
    copied = [part for line in build_stage if line.startswith("COPY") for part in line.split()[1:-1]]
    assert sorted(copied) == sorted(DOCKER_COPIES)
    assert any("pip wheel" in line for line in build_stage)
    assert any(line.startswith("RUN pip install /wheels/") for line in lines)
