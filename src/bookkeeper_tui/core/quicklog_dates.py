"""The quick log's dates (core/quicklog.py): `@DATE` (when it happened) and the `next`
touchpoint's due date, relative to the `today` passed in (the core reads no clock)."""

from __future__ import annotations

import re
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

from bookkeeper_tui.core.bounds import MAX_YEAR, MIN_YEAR, date_problem
from bookkeeper_tui.core.quicklog_tokens import _show

_WEEKDAYS = {
    "mon": 0, "monday": 0, "tue": 1, "tues": 1, "tuesday": 1, "wed": 2, "weds": 2,
    "wednesday": 2, "thu": 3, "thur": 3, "thurs": 3, "thursday": 3, "fri": 4, "friday": 4,
    "sat": 5, "saturday": 5, "sun": 6, "sunday": 6,
}  # fmt: skip
_ISO = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_REL = re.compile(r"([+-]?)([0-9]{1,7})([dwmy])", re.IGNORECASE)
_SIGNED_REL = re.compile(r"[+-][0-9]+[dwmy]", re.IGNORECASE)
_WHEN_FORMS = "YYYY-MM-DD, today, yesterday, a weekday (mon..sun) or -2d / -1w / -3m"
_DUE_FORMS = "+3d, +2w, +1m, +1y, YYYY-MM-DD, today, tomorrow or a weekday (mon..sun)"


def _shift(today: date, sign: int, n: int, unit: str) -> date:
    unit = unit.lower()
    if unit in "dw":
        return today + timedelta(days=sign * n * (7 if unit == "w" else 1))
    if unit == "m":
        return today + relativedelta(months=sign * n)
    return today + relativedelta(years=sign * n)


def _parse_date(token: str, today: date, past: bool) -> date | None:
    """Forms shared by @DATE and `next`; the direction of bare weekdays and `Nd` follows `past`.
    Returns None for text that is no date form at all; ValueError for a date outside the
    book's years (core.bounds), which would break planning and calendar export later."""
    d = _parse_any_date(token, today, past)
    if d is not None and date_problem(d):
        raise ValueError(
            f"the date '{_show(token)}' ({d.isoformat()}) is out of range; "
            f"use a date in the years {MIN_YEAR} to {MAX_YEAR}"
        )
    return d


def _parse_any_date(token: str, today: date, past: bool) -> date | None:
    text = token[1:] if past and token.startswith("@") else token
    low = text.strip().lower()
    if m := _ISO.fullmatch(low):
        try:
            return date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            raise ValueError(f"'{_show(token)}' is not a real calendar date") from None
    try:
        if low in ("today", "now"):
            return today
        if low in ("yesterday", "tomorrow"):
            return today + timedelta(days=-1 if low == "yesterday" else 1)
        if low in _WEEKDAYS:
            if past:
                return today - timedelta(days=(today.weekday() - _WEEKDAYS[low]) % 7)
            return today + timedelta(days=(_WEEKDAYS[low] - today.weekday()) % 7 or 7)
        if m := _REL.fullmatch(low):
            sign = {"+": 1, "-": -1}.get(m[1], -1 if past else 1)
            return _shift(today, sign, int(m[2]), m[3])
    except (OverflowError, ValueError):
        raise ValueError(f"'{_show(token)}' is too far from today") from None
    return None


def parse_when(token: str, today: date) -> date:
    """The @DATE of a line (a leading '@' is optional): when it happened, so never future."""
    d = _parse_date(token, today, past=True)
    if d is None:
        raise ValueError(f"'{_show(token)}' is not a date; use @ with {_WHEN_FORMS}")
    if d > today:
        raise ValueError(
            f"@DATE cannot be in the future: '{_show(token)}' is {d.isoformat()}; "
            f"use a date on or before {today.isoformat()}"
        )
    return d


def parse_due(token: str, today: date) -> date:
    """The DATE of `next KIND DATE`, relative to `today`; weekdays mean the next one ahead."""
    d = _parse_date(token, today, past=False)
    if d is None:
        raise ValueError(f"'{_show(token)}' is not a due date; use {_DUE_FORMS}")
    if d < today:
        raise ValueError(
            f"the due date '{_show(token)}' is {d.isoformat()}, before today "
            f"({today.isoformat()}); pick today or later"
        )
    return d


def _looks_like_date(text: str) -> bool:
    low = text.lower()
    return bool(
        low in _WEEKDAYS
        or low in ("today", "now", "yesterday", "tomorrow")
        or re.fullmatch(r"[+-]?[0-9]+[a-z]*|[0-9]{2,4}[-/][0-9]{1,2}[-/][0-9]{1,4}", low)
    )
