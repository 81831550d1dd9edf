"""The values the book accepts at its edges: dates in years 1900..2200, finite MRR below
a billion. Every entry point (CLI, forms, quick log, importers) checks with these, so a
date like 9999-12-31 never reaches the planner (where adding a renewal cycle overflows).

Messages name the value and the allowed range; callers wrap them into their own errors.
"""

from __future__ import annotations

import math
import re
from datetime import date

MIN_YEAR = 1900
MAX_YEAR = 2200
#: MRR must be below this (and zero or more).
MAX_MRR = 1_000_000_000.0

#: The longest period or look-ahead: 100 years, in each unit a period is written in.
MAX_PERIOD = {"d": 36_500, "w": 5_214, "m": 1_200, "y": 100}
_PERIOD = re.compile(r"^\s*(\d+)\s*([dwmy])\s*$", re.IGNORECASE)

FIRST_DAY = date(MIN_YEAR, 1, 1)
LAST_DAY = date(MAX_YEAR, 12, 31)


def date_problem(value: date, what: str = "the date") -> str | None:
    """None when *value* is inside the book's range, else a sentence saying why not."""
    if FIRST_DAY <= value <= LAST_DAY:
        return None
    return (
        f"{what} {value.isoformat()} is out of range; use a date in the years "
        f"{MIN_YEAR} to {MAX_YEAR}"
    )


def check_date(value: date, what: str = "the date") -> date:
    """*value* unchanged, or ValueError naming it and the allowed range."""
    problem = date_problem(value, what)
    if problem:
        raise ValueError(problem)
    return value


def parse_period(period: object) -> tuple[int, str]:
    """``"90d"`` -> ``(90, "d")``; ValueError naming the period when it is malformed or
    longer than 100 years (a huge count would overflow the date arithmetic)."""
    match = _PERIOD.match(period) if isinstance(period, str) else None
    problem = period_problem(period)
    if match is None or problem:
        raise ValueError(problem)
    return int(match.group(1)), match.group(2).lower()


def period_problem(period: object) -> str | None:
    """None when *period* is a usable KPI period (90d, 12m, 2w, 1y, ... up to 100 years)."""
    match = _PERIOD.match(period) if isinstance(period, str) else None
    if match is None:
        return f"period must look like 90d, 12m, 2w or 1y, got {period!r}"
    n, unit = int(match.group(1)), match.group(2).lower()
    if n > MAX_PERIOD[unit]:
        return (
            f"period '{period.strip()}' is too long; use at most 100 years "
            f"({MAX_PERIOD['d']}d, {MAX_PERIOD['w']}w, {MAX_PERIOD['m']}m or {MAX_PERIOD['y']}y)"
        )
    return None


def mrr_problem(value: float, what: str = "MRR") -> str | None:
    """None when *value* is a usable MRR (finite, 0 <= value < MAX_MRR), else why not."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return f"{what} '{value}' is not a finite number; give an amount like 1500"
    if value < 0 or value >= MAX_MRR:
        return (
            f"{what} {value:g} is out of range; give an amount from 0 up to "
            f"{MAX_MRR:,.0f} (exclusive)"
        )
    return None


def check_mrr(value: float, what: str = "MRR") -> float:
    problem = mrr_problem(value, what)
    if problem:
        raise ValueError(problem)
    return float(value)


def clamp(value: date) -> date:
    """*value* moved into the book's range: for planning over rows saved before the check."""
    return min(max(value, FIRST_DAY), LAST_DAY)


def in_range(value: date | None) -> date | None:
    """*value*, or None when it is outside the book's range: for computations over rows
    saved before the check, which skip such a date rather than overflow on it."""
    if value is None or date_problem(value):
        return None
    return value
