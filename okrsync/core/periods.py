"""Periods named on the command line: ``YYYY-Qn``, ``YYYY-Hn``, ``START..END`` or the configured name."""

from __future__ import annotations

import calendar
import re
from datetime import date

from okrsync.domain.config import PeriodConfig
from okrsync.domain.model import OkrsyncError

_QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$", re.IGNORECASE)
_HALF = re.compile(r"^(\d{4})-?H([12])$", re.IGNORECASE)


class BackfillError(OkrsyncError):
    """Backfill arguments that cannot be used."""


def parse_period(text: str, current: PeriodConfig) -> PeriodConfig:
    """``--period``: ``YYYY-Qn``, ``YYYY-Hn``, ``START..END`` (ISO days), or the configured name."""
    value = text.strip()
    if value == current.name:
        return current
    start: date
    end: date
    name = value
    if m := _QUARTER.match(value):
        year, quarter = int(m.group(1)), int(m.group(2))
        start = date(year, 3 * quarter - 2, 1)
        end = date(year, 3 * quarter, calendar.monthrange(year, 3 * quarter)[1])
        name = f"{year}-Q{quarter}"
    elif m := _HALF.match(value):
        year, half = int(m.group(1)), int(m.group(2))
        start = date(year, 1 if half == 1 else 7, 1)
        end = date(year, 6, 30) if half == 1 else date(year, 12, 31)
        name = f"{year}-H{half}"
    elif ".." in value:
        first, _, last = value.partition("..")
        try:
            start, end = date.fromisoformat(first.strip()), date.fromisoformat(last.strip())
        except ValueError:
            raise BackfillError(
                f"--period {value!r}: START..END needs two days as YYYY-MM-DD, e.g. 2026-07-01..2026-09-30."
            ) from None
        if end < start:
            raise BackfillError(f"--period {value!r}: the end is before the start. Swap the two days.")
    else:
        raise BackfillError(
            f"--period {value!r} is not a period. Use YYYY-Qn (e.g. 2026-Q3), YYYY-Hn, "
            f"START..END (e.g. 2026-07-01..2026-09-30) or the configured period's name ({current.name})."
        )
    if (start, end) == (current.start, current.end):
        return current
    return PeriodConfig(name=name, start=start, end=end)


def parse_day(text: str, option: str = "--since") -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise BackfillError(f"{option} {text!r} is not a day. Use YYYY-MM-DD, e.g. 2026-10-15.") from None
