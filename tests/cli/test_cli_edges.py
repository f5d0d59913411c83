"""The command line's edges as a user meets them: --config anywhere, a message (never a traceback)
for every bad input, one exit code per cause in every command, a refused connection that fails fast.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from okrsync.cli import app as cli
from okrsync.domain import exit_codes

ROOT = Path(__file__).resolve().parents[2]
CONFIG_COMMANDS = ["sync", "daemon", "backfill", "setup", "report", "check"]
CONFIG = """\
jira:
  url: {url}
  email: demo@example.com
  flavor: cloud
period: {{name: 2026-Q4, start: 2026-10-01, end: {end}}}
objectives: [{{id: ENG-1, title: Engineering ships, level: company}}]
key_results: [{{objective: ENG-1, epic: PLAT-1}}]
sync: {{state_url: "sqlite:///{db}"}}
"""


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_config(folder: Path, name: str = "okrsync.yaml", *, end: str = "2026-12-31", url: str = "") -> Path:
    path = folder / name
    url = url or f"http://127.0.0.1:{closed_port()}"
    path.write_text(CONFIG.format(url=url, end=end, db=folder / "state.db"), encoding="utf-8")
    return path


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("OKRSYNC_")}
    return {**env, "COLUMNS": "250", "NO_COLOR": "1", "OKRSYNC_JIRA__API_TOKEN": "t0ken-for-tests", **extra}


def run(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "okrsync.cli", *args],
        capture_output=True,
        text=True,
        env=clean_env(**env),
        cwd=cwd,
        timeout=60,
    )


def one_line(text: str) -> str:
    return " ".join(text.split())


# ------------------------------------------------------------------------------ --config anywhere


@pytest.mark.parametrize("flag", ["--config", "-c"])
@pytest.mark.parametrize("command", CONFIG_COMMANDS)
def test_every_command_that_reads_the_config_takes_it_after_its_name(
    tmp_path: Path, command: str, flag: str
) -> None:
    out = run(command, flag, "elsewhere.yaml", cwd=tmp_path)
    assert out.returncode == exit_codes.NEEDS_FIX, out.stderr
    assert "elsewhere.yaml: no such file" in one_line(out.stderr)
    assert "No such option" not in out.stderr and "Traceback" not in out.stderr


def test_the_config_after_the_command_wins_over_the_one_before_and_the_environment(tmp_path: Path) -> None:
    after = write_config(tmp_path, "after.yaml", end="2026-09-01")  # its own problem: end before start
    for args, env in (
        (["-c", "before.yaml", "check", "-c", str(after)], {}),
        (["check", "--config", str(after)], {"OKRSYNC_CONFIG": "from-env.yaml"}),
    ):
        out = run(*args, cwd=tmp_path, **env)
        assert out.returncode == exit_codes.NEEDS_FIX
        assert f"error: {after} has 1 problem" in out.stderr, out.stderr
        assert "period.end: 2026-09-01 is before period.start 2026-10-01" in one_line(out.stderr)


def test_the_root_config_and_the_environment_still_work(tmp_path: Path) -> None:
    config = write_config(tmp_path, end="2026-09-01")
    for args, env in ((["-c", str(config), "check"], {}), (["check"], {"OKRSYNC_CONFIG": str(config)})):
        out = run(*args, cwd=tmp_path, **env)
        assert out.returncode == exit_codes.NEEDS_FIX
        assert f"error: {config} has 1 problem" in out.stderr


# ------------------------------------------------------------------------------ bad files: messages


def test_a_day_that_does_not_exist_names_the_key_and_the_fix(tmp_path: Path) -> None:
    config = write_config(tmp_path, end="2026-12-32")
    out = run("-c", str(config), "check", cwd=tmp_path)
    assert out.returncode == exit_codes.NEEDS_FIX
    assert "Traceback" not in out.stderr
    assert (
        "period.end: '2026-12-32' is not a day (day value is outside expected range). "
        "Write a real date as YYYY-MM-DD."
    ) in one_line(out.stderr)


def test_a_directory_instead_of_a_file_says_so(tmp_path: Path) -> None:
    out = run("-c", ".", "check", cwd=tmp_path)
    assert out.returncode == exit_codes.NEEDS_FIX
    assert "Traceback" not in out.stderr
    assert ".: is a directory, not a configuration file. Name the YAML file: pass --config PATH" in one_line(
        out.stderr
    )
    (tmp_path / "config").mkdir()
    write_config(tmp_path / "config")
    out = run("sync", "-c", "config", cwd=tmp_path)
    assert out.returncode == exit_codes.NEEDS_FIX
    assert "config: is a directory, not a configuration file. Did you mean config/okrsync.yaml?" in one_line(
        out.stderr
    )


def test_a_latin1_file_is_named_with_the_line_and_the_fix(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    text = config.read_text(encoding="utf-8").replace("Engineering ships", "Ingénierie livre")
    config.write_bytes(text.encode("latin-1"))
    out = run("check", "-c", str(config), cwd=tmp_path)
    assert out.returncode == exit_codes.NEEDS_FIX
    assert "Traceback" not in out.stderr
    assert f"{config}: is not UTF-8 text (byte 0xe9 on line 6;" in one_line(out.stderr)
    assert "Save it as UTF-8." in one_line(out.stderr)


def invoke(
    argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str, float]:
    """``okrsync ARGV`` in this process: (exit code, stdout, stderr, seconds)."""
    for key in [k for k in os.environ if k.upper().startswith("OKRSYNC_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("COLUMNS", "250")
    monkeypatch.setenv("OKRSYNC_JIRA__API_TOKEN", "t0ken-for-tests")
    monkeypatch.setattr(sys, "argv", ["okrsync", *argv])
    started = time.monotonic()
    with pytest.raises(SystemExit) as exited:
        cli.main()
    seconds = time.monotonic() - started
    out = capsys.readouterr()
    code = exited.value.code
    return (code if isinstance(code, int) else 0), out.out, out.err, seconds


def test_an_unreadable_file_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path)

    def denied(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", denied)  # as root, chmod 000 would not stop the read
    code, _, err, _ = invoke(["check", "-c", str(config)], monkeypatch, capsys)
    assert code == exit_codes.NEEDS_FIX
    says = f"{config}: cannot be read (permission denied). Let this user read it (chmod/chown)"
    assert says in one_line(err)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_file_says_so_for_real(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    config.chmod(0)
    out = run("-c", str(config), "check", cwd=tmp_path)
    assert out.returncode == exit_codes.NEEDS_FIX
    assert "cannot be read (permission denied)" in one_line(out.stderr)


# ------------------------------------------------------------------------ environment overrides


def test_a_bad_environment_override_is_the_variables_problem_not_the_files(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    out = run("-c", str(config), "check", cwd=tmp_path, OKRSYNC_POLICY__TOLERANCE="ten")
    assert out.returncode == exit_codes.NEEDS_FIX
    err = one_line(out.stderr)
    assert "error: the environment has 1 problem:" in err
    assert "OKRSYNC_POLICY__TOLERANCE (policy.tolerance): Input should be a valid number" in err
    assert "(got 'ten'). Fix or unset the environment variable." in err
    assert str(config) not in err and "Traceback" not in err


def test_a_bad_override_in_the_dotenv_file_names_the_file(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    (tmp_path / ".env").write_text("OKRSYNC_POLICY__TOLERANCE=ten\n", encoding="utf-8")
    out = run("check", "-c", str(config), cwd=tmp_path)
    assert out.returncode == exit_codes.NEEDS_FIX
    assert ".env: OKRSYNC_POLICY__TOLERANCE (policy.tolerance):" in one_line(out.stderr)
    assert "Fix it in .env." in one_line(out.stderr)


def test_a_section_variable_that_is_not_json_names_the_variable(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    out = run("check", "-c", str(config), cwd=tmp_path, OKRSYNC_POLICY="strict")
    assert out.returncode == exit_codes.NEEDS_FIX
    assert "Traceback" not in out.stderr
    err = one_line(out.stderr)
    assert "OKRSYNC_POLICY (policy): not a JSON value. Set one key as OKRSYNC_POLICY__KEY=value" in err


def test_the_file_and_the_environment_are_both_named_when_both_are_wrong(tmp_path: Path) -> None:
    config = write_config(tmp_path, end="2026-12-32")
    out = run("check", "-c", str(config), cwd=tmp_path, OKRSYNC_POLICY__TOLERANCE="ten")
    err = one_line(out.stderr)
    assert f"error: the configuration ({config} and the environment) has 2 problems:" in err
    assert "- period.end: '2026-12-32' is not a day" in err
    assert "- OKRSYNC_POLICY__TOLERANCE (policy.tolerance):" in err


# ------------------------------------------------------------------------------ exit codes


@pytest.mark.parametrize("command", ["check", "sync", "setup", "backfill"])
def test_nothing_listening_at_jira_url_fails_fast_with_the_same_code_everywhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    port = closed_port()
    config = write_config(tmp_path, url=f"http://127.0.0.1:{port}")
    monkeypatch.chdir(tmp_path)
    code, out, err, seconds = invoke([command, "-c", str(config)], monkeypatch, capsys)
    assert code == exit_codes.UNAVAILABLE, (out, err)
    assert seconds < 2.0, seconds  # was 4.5-11.5 s: 6 attempts with backoff
    text = one_line(out + err)
    assert f"connection refused by 127.0.0.1:{port} (nothing listens there)" in text
    assert f"is jira.url (http://127.0.0.1:{port}) right and Jira up?" in text
    assert "2 attempts in" in text and text.count("attempts") == 1
    assert "Traceback" not in text


def test_a_usage_error_is_clicks_2(tmp_path: Path) -> None:
    out = run("sync", "--no-such-option", cwd=tmp_path)
    assert out.returncode == exit_codes.NEEDS_FIX
    assert "No such option: --no-such-option" in out.stderr


def test_a_bug_prints_its_traceback_and_exits_4(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def boom(path: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(cli, "load_config", boom)
    code, _, err, _ = invoke(["check"], monkeypatch, capsys)
    assert code == exit_codes.INTERNAL
    assert "Traceback" in err and "RuntimeError: a bug" in err
    assert "failed unexpectedly (a bug): please report it" in one_line(err)


def test_the_readme_documents_every_exit_code() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Exit codes", 1)[1].split("\n### ", 1)[0]
    documented = {int(m) for m in re.findall(r"^\| (\d+) \|", section, flags=re.M)}
    defined = {v for k, v in vars(exit_codes).items() if k.isupper() and isinstance(v, int)}
    assert documented == defined
