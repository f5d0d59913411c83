"""Date handling for the JQL engine.

All instants are represented as integer *epoch minutes* (UTC): Jira compares dates with minute
granularity, and a date without a time means 00:00 of that day.
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from okrsync.jira_sim.jql_lexer import JqlError

__all__ = [
    "DATE_FUNCTIONS",
    "date_function_minutes",
    "parse_query_date",
    "stored_minutes",
    "to_minutes",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

_ABSOLUTE = re.compile(r"^\s*(\d{4})([-/])(\d{1,2})\2(\d{1,2})(?:\s+(\d{1,2}):(\d{1,2}))?\s*$")
_PERIOD = re.compile(r"^\s*([-+])?\s*((?:\d+\s*[wdhm]\s*)+)$")
_PERIOD_PART = re.compile(r"(\d+)\s*([wdhm])")
_INCREMENT = re.compile(r"^\s*([-+]?)(\d+)([yMwdhm]?)\s*$")
_UNIT_MINUTES = {"w": 7 * 24 * 60, "d": 24 * 60, "h": 60, "m": 1}

# function name (lower-case) -> (natural unit, is_end)
DATE_FUNCTIONS: dict[str, tuple[str, bool]] = {
    "startofday": ("d", False),
    "endofday": ("d", True),
    "startofweek": ("w", False),
    "endofweek": ("w", True),
    "startofmonth": ("M", False),
    "endofmonth": ("M", True),
    "startofyear": ("y", False),
    "endofyear": ("y", True),
}

_INVALID_DATE = (
    "Date value '{value}' for field '{field}' is invalid. Valid formats include: 'yyyy/MM/dd HH:mm', "
    "'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'."
)


def to_minutes(dt: datetime) -> int:
    """Epoch minutes of ``dt`` (naive datetimes are taken as UTC), truncated to the minute."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return int((dt - _EPOCH).total_seconds() // 60)


@lru_cache(maxsize=131072)
def stored_minutes(value: str) -> int | None:
    """Epoch minutes of a stored Jira date (``YYYY-MM-DD``) or timestamp (``...T09:30:00.000+0000``)."""
    try:
        return to_minutes(datetime.fromisoformat(value))
    except ValueError:
        return None


def parse_query_date(value: str, field: str, now: datetime, *, allow_millis: bool) -> int:
    """Convert a JQL date literal to epoch minutes or raise the Jira 'invalid date' error."""
    m = _ABSOLUTE.match(value)
    if m:
        year, _, month, day, hour, minute = m.groups()
        try:
            dt = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), tzinfo=UTC)
        except ValueError:
            raise JqlError(_INVALID_DATE.format(value=value, field=field)) from None
        return to_minutes(dt)
    m = _PERIOD.match(value)
    if m:
        sign = -1 if m.group(1) == "-" else 1
        total = sum(int(n) * _UNIT_MINUTES[u] for n, u in _PERIOD_PART.findall(m.group(2)))
        return to_minutes(now) + sign * total
    if allow_millis and re.fullmatch(r"-?\d{5,}", value.strip()):
        return int(value.strip()) // 60000
    raise JqlError(_INVALID_DATE.format(value=value, field=field))


def _add_months(dt: datetime, months: int) -> datetime:
    index = dt.year * 12 + (dt.month - 1) + months
    year, month = divmod(index, 12)
    day = min(dt.day, calendar.monthrange(year, month + 1)[1])
    return dt.replace(year=year, month=month + 1, day=day)


def _shift(dt: datetime, amount: int, unit: str) -> datetime:
    if unit == "y":
        return _add_months(dt, 12 * amount)
    if unit == "M":
        return _add_months(dt, amount)
    return dt + timedelta(minutes=amount * _UNIT_MINUTES[unit])


def date_function_minutes(name: str, args: tuple[str, ...], now: datetime) -> int:
    """Evaluate ``now()`` or a ``startOf*/endOf*`` function (optional increment ``(+/-)nn(y|M|w|d|h|m)``).

    The increment's unit defaults to the function's natural period (``startOfWeek(1)`` == ``startOfWeek(1w)``)
    and is applied after the start/end is computed (``startOfWeek(1d)`` is Monday: weeks start on Sunday,
    Jira's default locale).  ``endOf*`` is the last minute of the period.
    """
    low = name.lower()
    if low == "now":
        if args:
            raise JqlError(f"Function '{name}' expected '0' arguments but received '{len(args)}'.")
        return to_minutes(now)
    unit, is_end = DATE_FUNCTIONS[low]
    if len(args) > 1:
        raise JqlError(
            f"Function '{name}' expected between '0' and '1' arguments but received '{len(args)}'."
        )
    amount, inc_unit = 0, unit
    if args:
        m = _INCREMENT.match(args[0])
        if not m:
            raise JqlError(
                f"Duration for function '{name}' should have the format (+/-)n(yMwdhm), "
                "e.g -1M for 1 month earlier."
            )
        amount = int(m.group(2)) * (-1 if m.group(1) == "-" else 1)
        inc_unit = m.group(3) or unit
    day = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if unit == "d":
        start = day
    elif unit == "w":
        start = day - timedelta(days=(day.weekday() + 1) % 7)  # back to Sunday
    elif unit == "M":
        start = day.replace(day=1)
    else:
        start = day.replace(month=1, day=1)
    try:
        if inc_unit == unit:  # whole periods: move the period, then take its start/end
            start, amount = _shift(start, amount, unit), 0
        point = _shift(start, 1, unit) - timedelta(minutes=1) if is_end else start
        return to_minutes(_shift(point, amount, inc_unit))
    except (OverflowError, ValueError):
        raise JqlError(f"The increment '{args[0]}' of function '{name}' is out of range.") from None
