"""`okrsync daemon` as a real process sends the digest's slot once: to a local Slack-style webhook
(Mattermost's incoming webhook, ``mmost://``) and a local SMTP server, and not again after a restart."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from daemonkit import LIVE, DaemonProcess, env_for, running, wait_for
from digestkit import smtp_server, webhook_receiver
from simkit import SimFactory

from okrsync.state.store import StateStore

pytestmark = pytest.mark.slow  # real subprocesses and waits: seconds each

TOKEN = "hook-token-5e1d9a"


def digest_events(d: DaemonProcess) -> list[dict[str, object]]:
    return [
        rec
        for line in d.log().splitlines()
        if line.startswith("{") and (rec := json.loads(line)).get("event") == "digest"
    ]


def test_the_daemon_sends_the_slot_once_across_a_restart(sim_factory: SimFactory, tmp_path: Path) -> None:
    sim = sim_factory("cloud", okr_fields=True, demo_start=LIVE.start)
    slot = (datetime.now(UTC) - timedelta(minutes=2)).replace(second=0, microsecond=0)
    db = tmp_path / "state.db"
    with webhook_receiver() as hook, smtp_server() as mail:
        env = env_for(
            sim,
            f"sqlite:///{db}",
            OKRSYNC_DIGEST__CRON=f"{slot.minute} {slot.hour} * * *",  # today, two minutes ago (UTC)
            OKRSYNC_DIGEST__TIMEZONE="UTC",
            OKRSYNC_DIGEST__URLS=f"{hook.url(TOKEN)} {mail.url()}",
            OKRSYNC_DIGEST__RETRY_SECONDS="0.1",
        )
        args = ("--interval-seconds", "600", "--log-format", "json")
        with running(env, tmp_path / "first.log", *args) as first:
            first.wait_ready()
            wait_for("the digest at both endpoints", lambda: len(hook.posts) == 1 and len(mail.mails) == 1)
            wait_for("its log lines", lambda: len(digest_events(first)) == 2)
            assert first.stop() == 0
        assert {(e["status"], e["slot"]) for e in digest_events(first)} == {("sent", slot.isoformat())}
        text = hook.posts[0]["text"]
        assert "**Objectives**" in text and f"{sim.url}/browse/MOB-1" in text
        assert mail.mails[0]["Subject"].startswith("OKR digest:")
        assert TOKEN not in first.log()  # the channel URL is a secret

        with running(env, tmp_path / "second.log", *args) as second:
            second.wait_ready()
            wait_for("the restarted daemon's first cycle", lambda: '"event": "cycle"' in second.log())
            assert second.stop() == 0  # after the cycle's digest check (it runs inside the cycle)
        assert digest_events(second) == []  # nothing to say: the slot is sent (a debug line each cycle)
        assert len(hook.posts) == 1 and len(mail.mails) == 1
    with StateStore.open(f"sqlite:///{db}") as store:
        claims = store.meta_with_prefix(f"digest|{slot.isoformat()}|")
    assert sorted(v["status"] for v in claims.values()) == ["sent", "sent"]
