"""Errors that speak (issue 14, case 8): a field error names the field, the summary says how many
more errors there are and where to see them all."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from rich.console import Console
from rich.table import Table

from okrsync.cli.run_summary import print_outcome
from okrsync.jira.errors import JiraBadRequest
from okrsync.sync.apply import Applier, ApplyError

NAMES = {"customfield_10041": "OKR Progress", "customfield_10043": "OKR Status"}


class _Fields:
    def name_of(self, fid: str) -> str:
        return NAMES.get(fid, fid)


@pytest.mark.parametrize(
    ("message", "spoken"),
    [
        (
            "customfield_10041: Field 'customfield_10041' cannot be set. It is not on the appropriate screen",
            "customfield_10041 (OKR Progress): Field 'customfield_10041' cannot be set. It is not on the "
            "appropriate screen",
        ),
        (
            "customfield_10041: bad; customfield_10043: Option value 'Overdue' is not valid",
            "customfield_10041 (OKR Progress): bad; customfield_10043 (OKR Status): Option value 'Overdue' "
            "is not valid",
        ),
        ("customfield_99999: unknown to okrsync", "customfield_99999: unknown to okrsync"),
        ("no field named here", "no field named here"),
    ],
)
def test_a_field_error_names_the_field_once(message: str, spoken: str) -> None:
    gateway: Any = SimpleNamespace(fields=_Fields())
    applier = Applier(gateway, store=Any, run_id=None, notify=True, clock=lambda: datetime.now(UTC))  # type: ignore[arg-type]
    assert applier._speak(JiraBadRequest(message, status=400)) == spoken


@pytest.mark.parametrize(("errors", "more"), [(3, None), (20, None), (34, 14)])
def test_the_summary_says_how_many_more_errors_and_where(errors: int, more: int | None) -> None:
    report = SimpleNamespace(
        dry_run=False,
        plan=None,
        warnings=[],
        errors=[ApplyError(f"PLAT-{i}", "field", "refused", 400) for i in range(errors)],
        failure=None,
    )
    out, err = Console(record=True, width=200), Console(record=True, width=200)
    print_outcome(report, Table(), out, err, names={}, command="sync")  # type: ignore[arg-type]
    text = err.export_text()
    assert text.count("error: PLAT-") == min(errors, 20)
    if more is None:
        assert "more errors" not in text
    else:
        assert f"… and {more} more errors: `okrsync sync --json` lists every one" in text
