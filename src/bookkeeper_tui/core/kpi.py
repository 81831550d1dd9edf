"""Book-level KPIs (docs/domain.md "KPIs"): pure functions over plain data.

Everything here takes dates as arguments and never reads the clock, so the KPI panel, the
``kpi --json`` command and the tests all compute the same numbers for the same ``--as-of``.
MRR is never stored per day: each account has dated *levels* and ``mrr_on`` derives the value
on any day, which keeps one source of truth for the revenue history.
"""

from __future__ import annotations

import calendar
from bisect import bisect_left, bisect_right
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

from bookkeeper_tui.core.bounds import parse_period
from bookkeeper_tui.core.vocab import BANDS, TOUCHPOINT_STATUSES

#: One account's MRR levels as ``(effective_date, mrr)`` pairs, in any order.
Levels = Sequence[tuple[date, float]]


def _sorted_levels(levels: Levels) -> Sequence[tuple[date, float]]:
    # A stable sort on the date alone: two levels on the same day keep their input order, so
    # the one entered last (a same-day correction) is the one that applies. Levels already
    # in order (as the store reads them) are used as they are: the callers only read them,
    # and a book's worth of copies would be garbage for the collector to walk.
    if not isinstance(levels, list | tuple):
        return sorted(levels, key=_level_day)
    for i in range(1, len(levels)):
        if levels[i][0] < levels[i - 1][0]:
            return sorted(levels, key=_level_day)
    return levels


def _level_day(level: tuple[date, float]) -> date:
    return level[0]


def _mrr_on_sorted(ordered: list[tuple[date, float]], day: date) -> float:
    i = bisect_right(ordered, day, key=_level_day)
    return float(ordered[i - 1][1]) if i else 0.0


def _mrr_on_days(ordered: list[tuple[date, float]], days: Sequence[date]) -> list[float]:
    """``[_mrr_on_sorted(ordered, d) for d in days]`` for ascending *days*, in one pass.

    The KPI panel asks this for every account of the book at a dozen month ends, so the
    common cases (no level, one level) skip the search entirely.
    """
    n = len(ordered)
    if n == 0:
        return [0.0] * len(days)
    if n == 1:
        effective, mrr = ordered[0]
        value = float(mrr)
        if effective <= days[0]:
            return [value] * len(days)
        return [value if effective <= d else 0.0 for d in days]
    out: list[float] = []
    i = 0
    for d in days:
        while i < n and ordered[i][0] <= d:
            i += 1
        out.append(float(ordered[i - 1][1]) if i else 0.0)
    return out


def mrr_on(levels: Levels, day: date) -> float:
    """MRR of one account on *day*.

    A level applies from its effective date (inclusive) until the next level's date, so a
    change logged "from the 1st" counts on the 1st. Before the first level the account was
    not a customer yet, hence 0. Input order does not matter because imports and quick-log
    lines append levels in whatever order they arrive.
    """
    return _mrr_on_sorted(_sorted_levels(levels), day)


def period_start(end: date, period: str) -> date:
    """First day of a KPI period such as ``"12m"`` or ``"90d"`` ending at *end*.

    Months and years use calendar arithmetic (``relativedelta``) because "the last 12 months"
    from 2026-03-31 means 2025-03-31, not 360 or 365 days back; a month that is too short is
    clamped to its last day (2026-03-31 minus 1m is 2026-02-28).
    """
    n, unit = parse_period(period)  # ValueError when malformed or over 100 years
    if unit == "d":
        return end - timedelta(days=n)
    if unit == "w":
        return end - timedelta(weeks=n)
    if unit == "m":
        return end - relativedelta(months=n)
    return end - relativedelta(years=n)


@dataclass(frozen=True)
class RevenueKpis:
    """The revenue KPIs of one period; ratios are fractions (1.0 = 100%).

    A ratio is ``None`` rather than 0 when its denominator is empty, so the UI can show
    "n/a" instead of a misleading 0% for a book that had no revenue at the start.
    """

    start: date
    end: date
    #: |C|, where the starting cohort C is the accounts with MRR(a, start) > 0.
    cohort_size: int
    #: S = sum over C of MRR(a, start).
    starting_mrr: float
    #: Sum over C of MRR(a, end); NRR's numerator.
    cohort_ending_mrr: float
    nrr: float | None
    grr: float | None
    logo_retention: float | None
    logo_churn: float | None
    #: The movements are sums of the changes inside (start, end] over *every* account
    #: (mrr_movements_by_month's rows), not endpoint differences of C.
    expansion_mrr: float
    contraction_mrr: float
    churned_mrr: float
    #: Sum of the 0 -> >0 changes inside the period of accounts that never had MRR before.
    new_mrr: float
    #: expansion / (new + expansion); None when both are 0.
    expansion_share: float | None
    #: Total MRR of every account at end (cohort_ending_mrr + new_mrr).
    ending_mrr: float
    churned_logos: int
    #: MRR of accounts that came back (0 -> >0 after having had MRR) inside the period.
    reactivation_mrr: float = 0.0


def _check_period(start: date, end: date) -> None:
    if start > end:
        raise ValueError(f"period start {start.isoformat()} is after its end {end.isoformat()}")


def revenue_kpis(history: Mapping[Hashable, Levels], start: date, end: date) -> RevenueKpis:
    """NRR, GRR, logo retention and MRR movements over [start, end] (docs/domain.md).

    The ratios (NRR, GRR, logo retention/churn) compare the starting cohort C's MRR at the two
    endpoints. The movements (new, reactivation, expansion, contraction, churned) are the
    changes of every account's MRR inside (start, end], one per level date, so they are
    exactly the sums of ``mrr_movements_by_month``'s rows and grow with the window: the
    churned MRR of 12 months is never below that of their last 90 days.
    """
    return revenue_and_movements(history, start, end)[0]


def _revenue(
    pairs: Iterable[tuple[float, float]],
    start: date,
    end: date,
    rows: Sequence[Mapping[str, float | str]],
) -> RevenueKpis:
    """revenue_kpis from each account's (MRR at start, MRR at end) and the monthly rows."""
    cohort_size = retained = 0
    starting = cohort_ending = floor_sum = outside = 0.0
    for at_start, at_end in pairs:
        if at_start <= 0:
            outside += at_end
            continue
        cohort_size += 1
        starting += at_start
        cohort_ending += at_end
        floor_sum += min(at_start, at_end)
        if at_end > 0:
            retained += 1

    def total(column: str) -> float:
        return float(sum(float(row[column]) for row in rows))

    expansion, contraction = total("expansion"), total("contraction")
    churned, new, reactivation = total("churned"), total("new"), total("reactivation")
    logo_retention = retained / cohort_size if cohort_size else None
    return RevenueKpis(
        start=start,
        end=end,
        cohort_size=cohort_size,
        starting_mrr=starting,
        cohort_ending_mrr=cohort_ending,
        nrr=cohort_ending / starting if starting else None,
        grr=floor_sum / starting if starting else None,
        logo_retention=logo_retention,
        logo_churn=1.0 - logo_retention if logo_retention is not None else None,
        expansion_mrr=expansion,
        contraction_mrr=contraction,
        churned_mrr=churned,
        new_mrr=new,
        expansion_share=expansion / (new + expansion) if new + expansion else None,
        ending_mrr=cohort_ending + outside,
        churned_logos=cohort_size - retained,
        reactivation_mrr=reactivation,
    )


def annualised_churn(rate: float | None, days: int) -> float | None:
    """A churn rate measured over *days*, compounded to a year: 1 - (1 - rate)^(365/days).

    The benchmarks (< 10% healthy, > 20% dangerous) are annual, so a 90-day churn is
    compared to them through this value (a calendar year of 365 or 366 days is taken as
    it is). ``None`` when there is no rate or no period.
    """
    if rate is None or days <= 0:
        return None
    if days in (365, 366):  # a calendar year, leap or not, is already annual
        return rate
    kept = min(max(1.0 - rate, 0.0), 1.0)
    return 1.0 - kept ** (365 / days)


def _month_points(start: date, end: date) -> list[date]:
    """The end of each calendar month from start's month to end's, the last one clamped to end."""
    points: list[date] = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        last = date(year, month, calendar.monthrange(year, month)[1])
        points.append(min(last, end))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return points


def mrr_movements_by_month(
    history: Mapping[Hashable, Levels], start: date, end: date
) -> list[dict[str, float | str]]:
    """MRR movements per calendar month of [start, end], for the KPI chart.

    Every change of an account's MRR on a day in (start, end] is one movement, in the row of
    its month (the last month's end is clamped to *end*): 0 -> >0 is ``new``, or
    ``reactivation`` when the account had MRR > 0 before that day; >0 -> 0 is ``churned``
    (the MRR it had); otherwise ``expansion`` or ``contraction`` by the difference. Levels on
    *start* itself are part of MRR(a, start), so an account starting that day is in the
    starting cohort, never new. The rows chain: the total MRR at *start* plus every row's
    net movement equals each row's ``mrr``, and their sums are revenue_kpis' movements.
    """
    return revenue_and_movements(history, start, end)[1]


def revenue_and_movements(
    history: Mapping[Hashable, Levels], start: date, end: date
) -> tuple[RevenueKpis, list[dict[str, float | str]]]:
    """``(revenue_kpis(...), mrr_movements_by_month(...))`` with one pass over the levels."""
    _check_period(start, end)
    accounts = [_sorted_levels(levels) for levels in history.values()]
    points = _month_points(start, end)
    at_start, at_end, changes = _scan(accounts, start, end, points)
    rows = _movements(accounts, at_start, changes, points)
    revenue = _revenue(zip(at_start, at_end, strict=True), start, end, rows)
    return revenue, rows


def _scan(
    accounts: list[Sequence[tuple[date, float]]], start: date, end: date, points: list[date]
) -> tuple[list[float], list[float], list[list]]:
    """Each account's MRR at *start* and at *end*, and its changes inside (start, end].

    An account's MRR moves only at its levels' dates, so each level date inside the period
    (several levels on one day make one change: the last one entered applies) is a change,
    listed under the first month end on or after it. Most accounts have no level inside the
    period and cost one comparison. The changes are listed per month, in account and date
    order, as flat ``index, before, after, day`` runs.
    """
    at_start: list[float] = []
    at_end: list[float] = []
    # Flat (index, before, after, day, ...) lists: no tuple per change.
    changes: list[list] = [[] for _ in points]
    for index, levels in enumerate(accounts):
        n = len(levels)
        if n and levels[-1][0] <= start:
            value = float(levels[-1][1])  # nothing changes after start
            at_start.append(value)
            at_end.append(value)
            continue
        i = bisect_right(levels, start, key=_level_day) if n else 0
        value = float(levels[i - 1][1]) if i else 0.0
        at_start.append(value)
        while i < n and levels[i][0] <= end:
            day = levels[i][0]
            while i < n and levels[i][0] == day:
                i += 1
            after = float(levels[i - 1][1])
            if after != value:
                changes[bisect_left(points, day)] += (index, value, after, day)
            value = after
        at_end.append(value)
    return at_start, at_end, changes


def _movements(
    accounts: list[Sequence[tuple[date, float]]],
    at_start: list[float],
    changes: list[list],
    points: list[date],
) -> list[dict[str, float | str]]:
    column = list(at_start)  # every account's MRR so far
    running = sum(column)
    rows: list[dict[str, float | str]] = []
    for point, moved in zip(points, changes, strict=True):
        row: dict[str, float | str] = {
            "month": f"{point.year:04d}-{point.month:02d}",
            "new": 0.0,
            "expansion": 0.0,
            "contraction": 0.0,
            "churned": 0.0,
            "reactivation": 0.0,
        }
        # Sorted by account then day, so every sum adds up in the same order each time.
        runs = sorted(
            (moved[k + 3], moved[k], moved[k + 1], moved[k + 2]) for k in range(0, len(moved), 4)
        )
        for day, index, before, after in runs:
            column[index] = after
            kind, amount = _classify(accounts[index], day, before, after)
            if kind:
                row[kind] = float(row[kind]) + amount
        if moved:
            running = sum(column)
        row["mrr"] = running
        rows.append(row)
    return rows


def _classify(
    levels: Sequence[tuple[date, float]], day: date, before: float, after: float
) -> tuple[str | None, float]:
    if before <= 0 < after:
        had_mrr = any(d < day and mrr > 0 for d, mrr in levels)
        return ("reactivation" if had_mrr else "new"), after
    if before > 0 >= after:
        return "churned", before
    if after > before:
        return "expansion", after - before
    if after < before:
        return "contraction", before - after
    return None, 0.0


def qbr_completion(
    enterprise_accounts: Iterable[Hashable],
    qbr_dates: Mapping[Hashable, Iterable[date]],
    end: date,
    months: int = 3,
) -> float | None:
    """Share of enterprise accounts with a QBR dated in (end - *months*, end].

    The caller passes only active enterprise accounts, because the cadence promises them a
    QBR every quarter. QBRs dated after *end* (scheduled, or a later ``--as-of``) do not
    count. ``None`` when there are no enterprise accounts: 0% would read as a failure.
    """
    accounts = list(dict.fromkeys(enterprise_accounts))
    if not accounts:
        return None
    since = end - relativedelta(months=months)
    done = sum(1 for a in accounts if any(since < d <= end for d in qbr_dates.get(a, ())))
    return done / len(accounts)


@dataclass(frozen=True)
class TouchpointOutcome:
    """What on-time rate needs to know about one touchpoint."""

    due: date
    #: One of vocab.TOUCHPOINT_STATUSES.
    status: str
    completed_on: date | None = None


def on_time_rate(touchpoints: Iterable[TouchpointOutcome], start: date, end: date) -> float | None:
    """Share of touchpoints due in [start, end] that were done by their due date.

    Skipped touchpoints are a decision, not a miss, so they leave the denominator. Open and
    snoozed ones due in the period are past due by *end* and count as late: snoozing does not
    make work on time. Ones due after *end* cannot be late yet and are left out. An unknown
    status raises ``ValueError`` so a misspelt status never silently skews the rate.
    """
    total = on_time = 0
    for tp in touchpoints:
        if tp.status not in TOUCHPOINT_STATUSES:
            raise ValueError(
                f"touchpoint status must be one of {', '.join(TOUCHPOINT_STATUSES)},"
                f" got {tp.status!r}"
            )
        if not start <= tp.due <= end or tp.status == "skipped":
            continue
        total += 1
        if tp.status == "done" and tp.completed_on is not None and tp.completed_on <= tp.due:
            on_time += 1
    return on_time / total if total else None


def health_distribution(bands: Iterable[str | None]) -> dict[str, float]:
    """Share of accounts in each health band, over accounts that have a band.

    Accounts without a score (``None``) are unknown, not red, so they are left out of the
    denominator, matching how health treats missing data. All shares are 0.0 for an empty
    book so the panel can always index the three keys. Unknown band names raise ValueError.
    """
    counts = dict.fromkeys(BANDS, 0)
    for band in bands:
        if band is None:
            continue
        if band not in counts:
            raise ValueError(f"health band must be one of {', '.join(BANDS)}, got {band!r}")
        counts[band] += 1
    total = sum(counts.values())
    return {band: (n / total if total else 0.0) for band, n in counts.items()}


def referral_rate(new_account_sources: Iterable[str | None]) -> float | None:
    """Share of new accounts whose source is "referral", over those whose source is known.

    The source is often not recorded; counting unknown sources as "not referral" would
    understate the rate, so ``None`` and blank strings are left out of the denominator.
    Matching is case- and whitespace-insensitive because sources come from CSV imports.
    """
    known = [s.strip().casefold() for s in new_account_sources if s is not None and s.strip()]
    if not known:
        return None
    return sum(1 for s in known if s == "referral") / len(known)
