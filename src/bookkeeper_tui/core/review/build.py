"""``build_review``: a :class:`ReviewFacts` and a month -> the :class:`Review`, and the review
as plain data (``review_data``).

The revenue numbers reuse core/kpi.py: a month is the KPI period [last day of the month
before, last day of the month]; the trend is the 12 months ending with it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date

from bookkeeper_tui.core import kpi as kpis
from bookkeeper_tui.core.review.levels import (
    _changes,
    _health_mix,
    _ordered,
    _trend_row,
    _values_at,
)
from bookkeeper_tui.core.review.model import (
    DEFAULT_TARGETS,
    NPS_MONTHS,
    TOP,
    HealthMix,
    OutcomeFact,
    RenewalRow,
    Review,
    ReviewFacts,
    TrendRow,
    Waterfall,
)
from bookkeeper_tui.core.review.months import (
    month_label,
    month_window,
    shift_month,
    trend_months,
)
from bookkeeper_tui.core.review.sections import (
    _churn_reasons,
    _nps_by_role,
    _renewal_risks,
    _renewal_summary,
    _risks,
    _tier_targets,
    _wins,
)
from bookkeeper_tui.core.settings import NpsConfig

_History = Mapping[int, Sequence[tuple[date, float]]]


@dataclass(frozen=True)
class _Revenue:
    """The revenue side of a review: the trend, the 12 months as one period, the month's
    waterfall and every account's MRR at the month end."""

    trend: list[TrendRow]
    year: TrendRow
    waterfall: Waterfall
    health: list[HealthMix]
    mrr_end: dict[int, float]


def _revenue(facts: ReviewFacts, history: _History, year: int, month: int) -> _Revenue:
    start, end = month_window(year, month)
    months = trend_months(year, month)
    # The day before the first month, then each month end: every account's MRR on each, in
    # one pass over its levels (10,000 accounts x 13 days, not 13 scans of the book).
    bounds = [month_window(*months[0])[0], *(month_window(y, m)[1] for y, m in months)]
    at = {aid: _values_at(levels, bounds) for aid, levels in history.items()}
    trend = [
        _trend_row(
            month_label(y, m), bounds[i], bounds[i + 1], [(v[i], v[i + 1]) for v in at.values()]
        )
        for i, (y, m) in enumerate(months)
    ]
    twelve = _trend_row("12 months", bounds[0], end, [(v[0], v[-1]) for v in at.values()])
    rev = kpis.revenue_kpis(history, start, end)
    waterfall = Waterfall(
        starting=rev.starting_mrr,
        new=rev.new_mrr,
        reactivation=rev.reactivation_mrr,
        expansion=rev.expansion_mrr,
        contraction=rev.contraction_mrr,
        churned=rev.churned_mrr,
        ending=rev.ending_mrr,
    )
    health = [
        _health_mix(facts, history, at, i + 1, y, m, bounds[i + 1])
        for i, (y, m) in enumerate(months)
    ]
    mrr_end = {aid: v[-1] for aid, v in at.items()}
    return _Revenue(trend, twelve, waterfall, health, mrr_end)


def _month_changes(history: _History, start: date, end: date) -> tuple[dict[int, float], set[int]]:
    """Per-account changes of the month (core/kpi.py's classification): the expansion MRR
    of each account that grew, and the accounts that churned."""
    expansion: dict[int, float] = {}
    churned_ids: set[int] = set()
    for aid, levels in history.items():
        for _day, before, after in _changes(levels, start, end):
            if before > 0 >= after:
                churned_ids.add(aid)
            elif 0 < before < after:
                expansion[aid] = expansion.get(aid, 0.0) + after - before
    return expansion, churned_ids


def _closed_in(facts: ReviewFacts, start: date, end: date) -> list[OutcomeFact]:
    """The renewal outcomes logged in (start, end], by day then account name."""
    names = {aid: a.name for aid, a in facts.accounts.items()}
    return sorted(
        (o for o in facts.outcomes if start < o.day <= end),
        key=lambda o: (o.day, names.get(o.account, "").casefold(), o.account, o.renewal),
    )


def _renewal_rows(facts: ReviewFacts, in_month: Sequence[OutcomeFact]) -> list[RenewalRow]:
    names = {aid: a.name for aid, a in facts.accounts.items()}
    return [
        RenewalRow(
            account=names.get(o.account, f"#{o.account}"),
            tier=facts.accounts[o.account].tier if o.account in facts.accounts else "",
            renewal=o.renewal,
            day=o.day,
            outcome=o.outcome,
            mrr_before=o.mrr_before,
            mrr_after=o.mrr_after,
            reason=o.reason,
        )
        for o in in_month
    ]


def _notes(facts: ReviewFacts, trend_start: date) -> list[str]:
    first = facts.first_start
    if first is not None and first > trend_start:
        return [
            f"The book starts on {first.isoformat()}: months before it show no revenue, and "
            "the tier churn is annualised from the days the book covers."
        ]
    return []


def build_review(
    facts: ReviewFacts,
    year: int,
    month: int,
    targets: Mapping[str, float] | None = None,
    role_weights: Mapping[str, float] | None = None,
    top: int = TOP,
) -> Review:
    """The review of (year, month). *targets* are annual logo churn in percent by tier."""
    start, end = month_window(year, month)
    targets = dict(DEFAULT_TARGETS if targets is None else targets)
    if role_weights is None:
        role_weights = NpsConfig().role_weights
    history = {aid: _ordered(facts.history.get(aid, ())) for aid in facts.accounts}
    revenue = _revenue(facts, history, year, month)
    expansion, churned_ids = _month_changes(history, start, end)
    nps_start = date(*shift_month(year, month, -(NPS_MONTHS - 1)), 1)
    nps_roles, portfolio = _nps_by_role(facts.nps, nps_start, end, role_weights)
    in_month = _closed_in(facts, start, end)
    snaps_end = facts.snapshots.get(end, {})
    all_risks = _risks(facts, snaps_end, revenue.mrr_end, end)
    all_renewal_risks = _renewal_risks(facts, snaps_end, revenue.mrr_end, end)
    first_trend_start = revenue.trend[0].start
    return Review(
        month=month_label(year, month),
        start=start,
        end=end,
        accounts=len(facts.accounts),
        customers=sum(1 for v in revenue.mrr_end.values() if v > 0),
        trend=revenue.trend,
        year=revenue.year,
        waterfall=revenue.waterfall,
        health=revenue.health,
        nps_start=nps_start,
        nps_roles=nps_roles,
        nps_portfolio=portfolio.portfolio,
        nps_account=portfolio.account,
        nps_user=portfolio.user,
        renewals=_renewal_rows(facts, in_month),
        renewal_summary=_renewal_summary(in_month),
        risks=all_risks[:top],
        renewal_risks=all_renewal_risks[: 2 * top],
        wins=_wins(facts, expansion, start, end, in_month, top),
        churn_reasons=_churn_reasons(
            facts, history, churned_ids, start, end, first_trend_start
        ),
        targets=_tier_targets(facts, history, end, first_trend_start, targets),
        notes=_notes(facts, first_trend_start),
        risk_count=len(all_risks),
        renewal_risk_count=len(all_renewal_risks),
        renewal_risk_mrr=sum(r.mrr for r in all_renewal_risks),
    )


# -- plain data ---------------------------------------------------------------------------
def _rounded(obj):
    if isinstance(obj, float):
        return round(obj, 4)
    if isinstance(obj, dict):
        return {k: _rounded(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_rounded(v) for v in obj]
    return obj


def review_data(review: Review) -> dict:
    """The review as plain JSON-ready data (dates stay dates; ratios are fractions)."""
    data = asdict(review)
    data["waterfall"]["steps"] = [
        {"label": label, "amount": amount} for label, amount in review.waterfall.steps
    ]
    for row, mix in zip(data["health"], review.health, strict=True):
        row["green_share"] = mix.green_share
    return _rounded(data)
