"""The values the book accepts at its edges: dates in years 1900..2200, finite MRR below
a billion. Every entry point (CLI, forms, quick log, importers) checks with these, so a
date like 9999-12-31 never reaches the planner (where adding a renewal cycle overflows).

Messages name the value and the allowed range; callers wrap them into their own errors.
"""

from __future__ import annotations

import math
from datetime import date

MIN_YEAR = 1900
MAX_YEAR = 2200
#: MRR must be below this (and zero or more).
MAX_MRR = 1_000_000_000.0

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
