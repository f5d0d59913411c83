"""``okrsync digest``: --dry-run prints the messages and sends nothing; a send reports each channel."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from digestkit import webhook_receiver
from rich.console import Console
from typer.testing import CliRunner

from okrsync.cli.app import app
from okrsync.cli.digest import run_digest_command
from okrsync.domain.config import load_config
from okrsync.domain.config_digest import DigestChannelError
from okrsync.domain.keys import META_LAST_TREE
from okrsync.state.store import StateStore

TREE = {
    "schema": "okrsync.tree/1",
    "period": {"name": "2026-Q4", "start": "2026-10-01", "end": "2026-12-31"},
    "as_of": "2026-11-23",
    "objectives": [
        {"id": "CO-1", "title": "Delight customers", "owner": "Ann Lee", "jira_key": None, "progress": 40.0,
         "expected": 59.0, "health": "at_risk", "aligns_to": None},
    ],
    "key_results": [
        {"id": "PLAT-1", "objective": "CO-1", "title": "p95 under 300 ms", "owner": "Bob Martins",
         "jira_key": "PLAT-1", "progress": 40.0, "expected": 59.0, "health": "at_risk", "due": None},
    ],
}  # fmt: skip


@pytest.fixture
def config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for var in [v for v in __import__("os").environ if v.startswith("OKRSYNC_")]:
        monkeypatch.delenv(var)
    monkeypatch.chdir(tmp_path)
    state = tmp_path / "state.db"
    with StateStore.open(f"sqlite:///{state}") as store:
        store.set_meta(META_LAST_TREE, TREE)
    path = tmp_path / "okrsync.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "jira": {"url": "https://acme.atlassian.net", "email": "bot@acme.example", "flavor": "cloud"},
                "period": {"name": "2026-Q4", "start": "2026-10-01", "end": "2026-12-31"},
                "objectives": [{"id": "CO-1", "title": "Delight customers", "level": "company"}],
                "key_results": [{"objective": "CO-1", "epic": "PLAT-1"}],
                "sync": {"state_url": f"sqlite:///{state}"},
                "digest": {"channels": [{"name": "okr-chat", "url_env": "OKR_CHAT_URL"}], "retry_seconds": 0},
            }
        )
    )
    return path


def test_dry_run_prints_the_message_and_sends_nothing(
    config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with webhook_receiver() as hook:
        monkeypatch.setenv("OKR_CHAT_URL", hook.url())
        result = CliRunner().invoke(app, ["--config", str(config_file), "digest", "--dry-run"])
        assert result.exit_code == 0, result.output
        assert "company → okr-chat" in result.output
        assert "[PLAT-1 p95 under 300 ms](https://acme.atlassian.net/browse/PLAT-1): At risk" in result.output
        assert "Dry run: 1 message(s), nothing sent." in result.output
        assert hook.posts == []
    with StateStore.open(load_config(config_file).sync.state_url) as store:
        assert store.meta_with_prefix("digest") == {}


def test_a_send_reports_each_channel_and_a_failure_exits_1(
    config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = load_config(config_file)
    console = Console(record=True, width=200)
    with webhook_receiver() as hook:
        monkeypatch.setenv("OKR_CHAT_URL", hook.url())
        assert run_digest_command(cfg, console, now=datetime(2026, 11, 23, 10, tzinfo=UTC)) == 0
        assert len(hook.posts) == 1 and "p95 under 300 ms" in hook.posts[0]["text"]
    monkeypatch.setenv("OKR_CHAT_URL", "json://127.0.0.1:9/nothing-listens")
    # the same minute's slot is sent already; the next run's channel fails (after its retries)
    assert run_digest_command(cfg, console, now=datetime(2026, 11, 23, 10, tzinfo=UTC)) == 0
    assert run_digest_command(cfg, console, now=datetime(2026, 11, 23, 11, tzinfo=UTC)) == 1
    out = console.export_text()
    assert "already_sent" in out and "okr-chat" in out and "failed" in out and "nothing-listens" not in out


def test_an_unset_channel_variable_is_an_error_naming_it(config_file: Path) -> None:
    result = CliRunner().invoke(app, ["--config", str(config_file), "digest"])
    assert isinstance(result.exception, DigestChannelError) and result.exception.exit_code == 2
    assert "digest.channels[0].url_env: the environment variable OKR_CHAT_URL is not set" in str(
        result.exception
    )
