"""The digest's configuration: keys, channels from the environment, errors naming the key."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import SecretStr

from okrsync.core.digest_render import Message
from okrsync.daemon.digest_job import check_digest
from okrsync.domain.config import ConfigError, config_from_mapping
from okrsync.domain.config_digest import Channel, DigestChannelError, channels_of
from okrsync.sync.digest import routes


def config(**digest: Any) -> dict[str, Any]:
    return {
        "jira": {"url": "https://acme.atlassian.net", "email": "bot@acme.example", "flavor": "cloud"},
        "period": {"name": "2026-Q4", "start": "2026-10-01", "end": "2026-12-31"},
        "objectives": [{"id": "CO-1", "title": "Company", "level": "company"}],
        "key_results": [{"objective": "CO-1", "epic": "PLAT-1"}],
        "digest": digest,
    }


def test_channels_come_from_the_environment() -> None:
    cfg = config_from_mapping(
        config(
            cron="0 9 * * MON",
            timezone="Europe/Berlin",
            owners=True,
            channels=[
                {"name": "okr-chat", "url_env": "SLACK_URL"},
                {"url_env": "LEADS", "audience": "owners"},
            ],
            urls="mailtos://u:p@smtp.example.com?to=all@example.com, msteams://a/b/c",
        )
    )
    got = channels_of(cfg.digest, {"SLACK_URL": "slack://T/B/C", "LEADS": "mmost://chat.example.com/tok"})
    assert [(c.label, c.url.get_secret_value(), c.audience) for c in got] == [
        ("okr-chat", "slack://T/B/C", "company"),
        ("LEADS", "mmost://chat.example.com/tok", "owners"),
        ("digest.urls#1 (mailtos)", "mailtos://u:p@smtp.example.com?to=all@example.com", "company"),
        ("digest.urls#2 (msteams)", "msteams://a/b/c", "company"),
    ]
    assert "u:p" not in repr(cfg.digest)  # a secret


def test_an_unset_channel_variable_names_the_key_and_the_variable() -> None:
    cfg = config_from_mapping(config(cron="0 9 * * MON", channels=[{"url_env": "OKR_SLACK"}]))
    with pytest.raises(
        DigestChannelError, match=r"digest\.channels\[0\]\.url_env: the environment variable OKR_SLACK"
    ):
        check_digest(cfg, environ={})


@pytest.mark.parametrize(
    ("digest", "key", "words"),
    [
        ({"timezone": "Mars/Olympus"}, "digest.timezone", "IANA name"),
        (
            {"channels": [{"url_env": "slack://T/B/C"}]},
            "digest.channels[0].url_env",
            "not an environment variable",
        ),
        ({"owners": "sometimes"}, "digest.owners", ""),
        ({"chanels": []}, "digest.chanels", ""),
    ],
)
def test_bad_keys_are_named(digest: dict[str, Any], key: str, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        config_from_mapping(config(**digest))
    assert key in str(caught.value) and words in str(caught.value)


def test_a_bad_cron_names_digest_cron() -> None:
    cfg = config_from_mapping(config(cron="every monday"))
    with pytest.raises(ConfigError, match=r"digest\.cron: 'every monday' is not a cron expression"):
        check_digest(cfg, environ={})


def _message(audience: str) -> Message:
    return Message(audience, audience, "", "", "")


@pytest.mark.parametrize(
    ("channels", "expected"),
    [
        # one company channel: the company digest, and (no channel for owners) each owner's too
        ([("chat", "company", None)], [("company", "chat"), ("owner:Ann", "chat"), ("owner:Bo", "chat")]),
        # a channel for owners takes every owner's, a channel for Ann only hers
        (
            [("chat", "company", None), ("leads", "owners", None), ("ann", "company", "Ann")],
            [("company", "chat"), ("owner:Ann", "leads"), ("owner:Ann", "ann"), ("owner:Bo", "leads")],
        ),
    ],
)
def test_routes(channels: list[tuple[str, str, str | None]], expected: list[tuple[str, str]]) -> None:
    chans = [Channel(label, SecretStr("json://x"), audience, owner) for label, audience, owner in channels]
    got = routes([_message("company"), _message("owner:Ann"), _message("owner:Bo")], chans)
    assert [(m.audience, c.label) for m, c in got] == expected


def test_the_channel_urls_are_redacted_from_the_daemon_log(monkeypatch: pytest.MonkeyPatch) -> None:
    from okrsync.daemon.logging_setup import secrets_of

    monkeypatch.setenv("OKR_SLACK", "slack://T000/B000/XXXXsecret")
    cfg = config_from_mapping(
        config(channels=[{"url_env": "OKR_SLACK"}], urls="mailtos://u:pw@smtp.example.com json://h/k")
    )
    secrets = secrets_of(cfg)
    for url in ("slack://T000/B000/XXXXsecret", "mailtos://u:pw@smtp.example.com", "json://h/k"):
        assert url in secrets
