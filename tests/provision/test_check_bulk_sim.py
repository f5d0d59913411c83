"""`okrsync check` on the Bulk change permission (issue 15, Build 1): on Cloud it says, in the
request that asks for Administer Jira, whether okrsync may bulk edit; Data Center has no bulk edit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_check_sim import check, settings_for

from okrsync.jira_sim.tasks import revoke_bulk_change


def bulk_warnings(report: Any) -> list[str]:
    return [w.message for w in report.warnings if "Bulk change" in w.message]


def test_check_says_when_okrsync_may_not_bulk_edit_at_no_extra_request(
    sim_factory: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    sim = sim_factory("cloud", okr_fields=True)
    cfg = settings_for(sim, monkeypatch, tmp_path)
    granted, _printed = check(cfg)
    assert bulk_warnings(granted) == []
    asked = sim.requests()["counts"]["GET /rest/api/3/mypermissions"]
    sim.reset()
    revoke_bulk_change(sim)
    refused, printed = check(cfg)
    (said,) = bulk_warnings(refused)
    assert "lacks Jira's global Bulk change permission" in said and "one issue at a time" in said
    assert "Bulk change" in printed
    assert (
        not refused.problems and len(refused.warnings) == len(granted.warnings) + 1
    )  # sync works, per issue
    # asked in the request that asks for Administer Jira: no request more
    assert sim.requests()["counts"]["GET /rest/api/3/mypermissions"] == asked


def test_data_center_check_asks_nothing_about_bulk_edits(
    sim_factory: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    sim = sim_factory("datacenter", okr_fields=True)
    report, _printed = check(settings_for(sim, monkeypatch, tmp_path))
    assert bulk_warnings(report) == []
