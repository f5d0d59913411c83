"""The guard on clearing (issue 12, case 3) and a KR's action plans cleared with it.

``key_results: []`` on an existing state used to plan clearing every KR epic with status "ok"; a
KR replaced in the configuration left its action plans showing the old KR.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from test_failing_sources import DAY, NOW, field, plans_of, settings, sync, write_config
from typer.testing import CliRunner

from okrsync.cli import app as cli_app
from okrsync.core.clear_guard import check_clearing, clear_limit
from okrsync.domain.config import load_config
from okrsync.jira_sim.simulator import JiraSimulator
from okrsync.state.store import StateStore


@pytest.mark.parametrize(
    ("max_clear", "managed", "limit"),
    [
        (None, 0, 10),
        (None, 49, 10),
        (None, 51, 10),
        (None, 55, 11),
        (None, 10_000, 2000),
        (0, 500, 0),
        (3, 10, 3),
    ],
)
def test_the_limit(max_clear: int | None, managed: int, limit: int) -> None:
    assert clear_limit(max_clear, managed) == limit


def test_the_check_counts_per_epic_and_says_why() -> None:
    check = check_clearing(
        ["A-1", "A-2", "A-3", "B-1"], {"A-2": "A-1", "A-3": "A-1"}, managed=20, max_clear=3
    )
    assert check.over and check.count == 4 and check.limit == 3
    assert dict(check.by_epic) == {"A-1": 3, "B-1": 1}
    assert (
        "from 4 issue(s), more than the 3 allowed" in check.describe()
        and "A-1 (3), B-1 (1)" in check.describe()
    )
    assert not check_clearing(["A-1"], {}, managed=20, max_clear=None).over


def _writes(sim: JiraSimulator) -> int:
    return sum(
        1 for e in sim.requests()["log"] if e["method"] in ("PUT", "POST") and "/search" not in e["path"]
    )


def test_an_emptied_configuration_stops_before_writing_until_allowed(
    sim_okr: JiraSimulator, tmp_path: Path
) -> None:
    sim = sim_okr
    path = write_config(sim, tmp_path)
    runner = CliRunner()
    first = runner.invoke(cli_app.app, ["sync", "--config", str(path)])
    assert first.exit_code == 0, first.output
    labelled = field(sim, "PLAT-3", "OKR Progress")
    assert labelled is not None

    def nothing(krs: list[dict[str, Any]]) -> None:
        krs.clear()

    empty = write_config(sim, tmp_path, nothing)
    sim.reset_counters()
    dry = runner.invoke(cli_app.app, ["sync", "--dry-run", "--config", str(empty)])
    assert dry.exit_code == 2, dry.output
    text = " ".join(dry.output.split())
    assert "would clear okrsync's values from" in text and "--allow-clear" in text
    count = int(text.split("would clear okrsync's values from ")[1].split(" ")[0])
    assert count > 100  # every KR epic and its action plans

    run = runner.invoke(cli_app.app, ["sync", "--config", str(empty)])
    assert run.exit_code == 2, run.output
    assert f"would clear okrsync's values from {count} issue(s)" in " ".join(run.output.split())
    assert "Nothing was written" in " ".join(run.output.split())
    assert _writes(sim) == 0 and field(sim, "PLAT-3", "OKR Progress") == labelled

    allowed = runner.invoke(cli_app.app, ["sync", "--allow-clear", "--config", str(empty)])
    assert allowed.exit_code == 0, allowed.output
    assert field(sim, "PLAT-3", "OKR Progress") is None


def test_a_kr_that_leaves_the_configuration_takes_its_action_plans_with_it(
    sim_okr: JiraSimulator, tmp_path: Path
) -> None:
    sim = sim_okr
    with StateStore.open(f"sqlite:///{tmp_path / 'state.db'}") as store:
        first = sync(settings(sim, tmp_path), store, NOW)
        assert first.status == "ok"
        plans = plans_of(first, "WEB-2")
        assert plans and all(field(sim, k, "OKR Key Result") for k in plans)

        def without_web2(krs: list[dict[str, Any]]) -> None:
            krs[:] = [kr for kr in krs if kr.get("epic") != "WEB-2"]

        second = sync(settings(sim, tmp_path / "less", without_web2), store, NOW + DAY)
        assert second.status == "ok", second.as_dict()
        assert second.clearing == len(plans) + 1
        for key in ["WEB-2", *plans]:
            assert field(sim, key, "OKR Key Result") is None, key
            assert field(sim, key, "OKR Objective ID") in (None, []), key
            assert field(sim, key, "OKR Objective") is None, key
        assert field(sim, "WEB-2", "OKR Progress") is None

        third = sync(settings(sim, tmp_path / "less", without_web2), store, NOW + DAY + timedelta(hours=1))
        assert third.clearing == 0 and third.field_edits == 0


def test_max_clear_from_the_configuration(sim_okr: JiraSimulator, tmp_path: Path) -> None:
    sim = sim_okr
    with StateStore.open(f"sqlite:///{tmp_path / 'state.db'}") as store:
        assert sync(settings(sim, tmp_path), store, NOW).status == "ok"
        path = write_config(sim, tmp_path / "strict", lambda krs: krs.pop())
        text = path.read_text().replace("sync:\n", "sync:\n  max_clear: 0\n", 1)
        path.write_text(text)
        report = sync(load_config(path), store, NOW + DAY)
        assert report.status == "failed" and report.exit_code == 2
        assert report.failure is not None and "more than the 0 allowed" in report.failure
