"""MRR from subscriptions, and usage events into a usage score (pure).

An account's MRR on a day is the sum of its non-trial subscriptions with
start <= day < end (a blank end means still active). ``levels_from_subscriptions``
turns that definition into the dated MRR levels the rest of the book uses, one level
at each day the sum changes, so ``kpi.mrr_on(levels, d)`` equals the definition on
every day.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Sub:
    start: date
    end: date | None
    mrr: float
    trial: bool = False


def mrr_from_subscriptions(subs: Iterable[Sub], day: date) -> float:
    """The definition itself: the sum of non-trial subscriptions active on *day*."""
    return sum(
        s.mrr for s in subs if not s.trial and s.start <= day and (s.end is None or day < s.end)
    )


def levels_from_subscriptions(subs: Sequence[Sub]) -> list[tuple[date, float]]:
    """Dated MRR levels equal to the subscription sum on every day (no repeated values)."""
    paying = [s for s in subs if not s.trial and (s.end is None or s.end > s.start)]
    points = sorted({s.start for s in paying} | {s.end for s in paying if s.end is not None})
    levels: list[tuple[date, float]] = []
    for day in points:
        value = round(mrr_from_subscriptions(paying, day), 6)
        if not levels or levels[-1][1] != value:
            levels.append((day, value))
    return levels


#: Usage at the account's own baseline scores this (the green threshold).
USAGE_AT_BASELINE = 75.0
USAGE_RECENT_DAYS = 30
USAGE_BASELINE_WINDOWS = 3


def usage_score(recent: float, baseline_total: float, had_earlier: bool) -> float | None:
    """The usage component from usage events, against the account's own baseline.

    *recent* is the count in the last 30 days; *baseline_total* the count in the 90
    days before that (three 30-day windows). At the baseline the score is 75, it
    scales linearly (capped at 100, so a third above baseline is 100, half is 37.5).
    No baseline but recent use: 75 (a new account in use). Nothing recent after
    earlier use: 0. Never any use: no data (None).
    """
    baseline = baseline_total / USAGE_BASELINE_WINDOWS
    if baseline > 0:
        return round(min(100.0, USAGE_AT_BASELINE * recent / baseline), 1)
    if recent > 0:
        return USAGE_AT_BASELINE
    if had_earlier:
        return 0.0
    return None
