"""The daemon's schedule: the retry backoff, the cron translation to APScheduler, the sync trigger."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from daemonkit import DEMO

from okrsync.daemon.schedule import backoff_delay, cron_trigger, sync_trigger
from okrsync.domain.config import ConfigError, Settings, load_config


@pytest.mark.parametrize(
    ("failures", "expected"),
    [(0, 0.0), (1, 30.0), (2, 60.0), (3, 120.0), (5, 480.0), (6, 900.0), (60, 900.0)],
)
def test_backoff_doubles_up_to_one_interval(failures: int, expected: float) -> None:
    assert backoff_delay(failures, first=30, cap=900) == expected


@pytest.fixture
def cfg(monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("OKRSYNC_JIRA__URL", "http://127.0.0.1:9")  # nothing listens: fails at once
    monkeypatch.setenv("OKRSYNC_JIRA__MAX_RETRIES", "0")
    return load_config(DEMO)


@pytest.mark.parametrize(
    ("sync", "seconds", "kind", "text"),
    [
        ({"interval_minutes": 15}, None, IntervalTrigger, "interval[0:15:00]"),
        ({"cron": "*/10 7-19 * * 1-5"}, None, CronTrigger, "day_of_week='mon,tue,wed,thu,fri', hour='7-19'"),
        ({"cron": "*/10 7-19 * * 1-5"}, 2.0, IntervalTrigger, "interval[0:00:02]"),  # tests only
    ],
)
def test_sync_trigger(
    cfg: Settings, sync: dict[str, Any], seconds: float | None, kind: type, text: str
) -> None:
    trigger = sync_trigger(cfg.model_copy(update={"sync": cfg.sync.model_copy(update=sync)}), seconds)
    assert isinstance(trigger, kind)
    assert text in str(trigger)


SAT = datetime(2026, 11, 28, 12, 0)  # a Saturday


@pytest.mark.parametrize(
    ("cron", "days"),
    [
        ("0 9 * * 1-5", ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]),  # cron's Monday is 1
        ("0 9 * * 0", ["Sunday"]),
        ("0 9 * * 7", ["Sunday"]),
        ("0 9 * * mon,wed", ["Monday", "Wednesday"]),
        ("0 9 * * */3", ["Sunday", "Wednesday", "Saturday"]),
        ("0 9 * * 5-6", ["Friday", "Saturday"]),
    ],
)
def test_cron_weekdays_mean_what_they_mean_in_cron(cron: str, days: list[str]) -> None:
    trigger = cron_trigger(cron)
    tz = trigger.timezone
    at, seen = SAT.replace(tzinfo=tz), []
    for _ in range(7):
        at = trigger.get_next_fire_time(None, at + timedelta(minutes=1))
        assert at.hour == 9 and at.minute == 0
        seen.append(at.strftime("%A"))
    assert set(seen) == set(days)


def test_a_bad_cron_is_a_config_error(cfg: Settings) -> None:
    bad = cfg.model_copy(update={"sync": cfg.sync.model_copy(update={"cron": "every monday"})})
    with pytest.raises(ConfigError, match=r"sync\.cron: 'every monday' is not a cron expression"):
        sync_trigger(bad)
