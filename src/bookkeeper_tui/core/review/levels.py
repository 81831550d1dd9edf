"""MRR levels read for the review: each account's MRR on given days in one pass, the changes
of a window (core/kpi.py's counting), a trend row's ratios and a month end's health mix.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from bookkeeper_tui.core import kpi as kpis
from bookkeeper_tui.core.review.model import HealthMix, ReviewFacts, TrendRow
from bookkeeper_tui.core.review.months import month_label
from bookkeeper_tui.core.vocab import BANDS


def _ordered(levels: kpis.Levels) -> tuple[tuple[date, float], ...]:
    """Levels by date; same-day levels keep their order (the last one entered applies)."""
    pairs = tuple((d, float(m)) for d, m in levels)
    if all(pairs[i - 1][0] <= pairs[i][0] for i in range(1, len(pairs))):
        return pairs
    return tuple(sorted(pairs, key=lambda p: p[0]))


def _values_at(levels: Sequence[tuple[date, float]], days: Sequence[date]) -> list[float]:
    """kpi.mrr_on(levels, d) for each of the ascending *days*, in one pass."""
    out: list[float] = []
    i, n = 0, len(levels)
    for d in days:
        while i < n and levels[i][0] <= d:
            i += 1
        out.append(levels[i - 1][1] if i else 0.0)
    return out


def _changes(
    levels: Sequence[tuple[date, float]], lo: date, hi: date
) -> list[tuple[date, float, float]]:
    """(day, MRR before, MRR after) of each change dated in (lo, hi], as core/kpi.py counts
    them: several levels on one day are one change, the last one entered applies."""
    out: list[tuple[date, float, float]] = []
    value = 0.0
    i, n = 0, len(levels)
    while i < n:
        day = levels[i][0]
        while i < n and levels[i][0] == day:
            i += 1
        after = levels[i - 1][1]
        if lo < day <= hi and after != value:
            out.append((day, value, after))
        value = after
        if day > hi:
            break
    return out


def _trend_row(
    label: str, start: date, end: date, pairs: Sequence[tuple[float, float]]
) -> TrendRow:
    """NRR, GRR and logo churn of [start, end] from each account's (MRR at start, at end):
    core/kpi.py's own formulas (its movements are not needed here)."""
    rev = kpis._revenue(pairs, start, end, ())
    return TrendRow(
        month=label,
        start=start,
        end=end,
        starting_mrr=rev.starting_mrr,
        ending_mrr=rev.ending_mrr,
        nrr=rev.nrr,
        grr=rev.grr,
        logo_churn=rev.logo_churn,
        cohort=rev.cohort_size,
        churned_logos=rev.churned_logos,
    )


def _health_mix(
    facts: ReviewFacts,
    history: Mapping[int, Sequence[tuple[date, float]]],
    at: Mapping[int, Sequence[float]],
    index: int,
    y: int,
    m: int,
    end: date,
) -> HealthMix:
    """Band counts at a month end over the customers then: accounts with MRR > 0 that day
    (and accounts with no revenue recorded at all, started by then and not churned)."""
    snaps = facts.snapshots.get(end, {})
    counts = dict.fromkeys((*BANDS, "unknown"), 0)
    for aid, acc in facts.accounts.items():
        if history[aid]:
            if at[aid][index] <= 0:
                continue
        elif acc.start > end or acc.status == "churned":
            continue
        snap = snaps.get(aid)
        band = snap.band if snap is not None else None
        counts[band if band in BANDS else "unknown"] += 1
    return HealthMix(
        month=month_label(y, m),
        day=end,
        green=counts["green"],
        yellow=counts["yellow"],
        red=counts["red"],
        unknown=counts["unknown"],
    )
