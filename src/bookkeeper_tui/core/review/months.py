"""The months of the monthly review: parsing ``YYYY-MM``, month ends, KPI windows, the trend.

Calendar arithmetic only (no clock: *today* is given), so the same month always gives the
same window.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta

#: How many months the trend shows: the month and the 11 before it.
TREND_MONTHS = 12

_MONTH = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")


def parse_month(text: str) -> tuple[int, int]:
    """``"2026-11"`` -> ``(2026, 11)``; ValueError with how to write it otherwise."""
    match = _MONTH.match(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"'{text}' is not a month; write it as YYYY-MM, e.g. 2026-11")
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        raise ValueError(f"'{text}' is not a month: the month must be 01 to 12, e.g. 2026-11")
    if not 1900 <= year <= 9998:
        raise ValueError(f"'{text}': the year must be from 1900 to 9998")
    return year, month


def month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def month_window(year: int, month: int) -> tuple[date, date]:
    """The KPI period of a month: (last day of the month before, last day of the month).

    MRR "at the start" is the MRR on the day before the month begins; every change dated
    inside the month is one of its movements (core/kpi.py's convention).
    """
    return date(year, month, 1) - timedelta(days=1), month_end(year, month)


def shift_month(year: int, month: int, by: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + by
    return index // 12, index % 12 + 1


def month_label(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def trend_months(year: int, month: int, n: int = TREND_MONTHS) -> list[tuple[int, int]]:
    """The *n* months ending with (year, month), oldest first."""
    return [shift_month(year, month, k) for k in range(-(n - 1), 1)]


def month_problem(year: int, month: int, today: date, first_start: date | None) -> str | None:
    """Why this month cannot be reviewed (a sentence), or None.

    A month that has not begun yet has nothing to review; nor has a month that ended
    before the book's first account started (or a book without accounts).
    """
    label = month_label(year, month)
    if date(year, month, 1) > today:
        return (
            f"{label} is in the future (today is {today.isoformat()}); review a month that "
            "has begun, e.g. --month " + month_label(*shift_month(today.year, today.month, -1))
        )
    if first_start is None:
        return "the book has no accounts yet, so there is no month to review"
    if month_end(year, month) < first_start:
        return (
            f"{label} ended before the book's first account started "
            f"({first_start.isoformat()}); review --month {month_label(*_ym(first_start))} "
            "or later"
        )
    return None


def _ym(day: date) -> tuple[int, int]:
    return day.year, day.month
