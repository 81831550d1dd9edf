"""The KPI panel as the store reads it (``Book.kpi``): one frozen value, typed parts.

Frozen all the way down (tuples of frozen rows), so a remembered panel is shared by every
reader as it is, never copied. The numbers are rounded as shown (ratios to 4 places, NPS
to 1, money to 2); ``bookkeeper kpi --json`` is made from it in ``cli/shapes.py``
(docs/interfaces.md). The formulas are ``core.kpi`` and ``core.nps`` (docs/domain.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class HealthShares:
    """Share of the scored accounts in each band (all 0.0 when none is scored)."""

    green: float
    yellow: float
    red: float


@dataclass(frozen=True)
class GreenPoint:
    """One snapshot day of the period and its share of green accounts (None: none scored)."""

    day: date
    green: float | None


@dataclass(frozen=True)
class MonthMovements:
    """One calendar month's MRR movements (``core.kpi.mrr_movements_by_month``'s row) and
    the book's MRR at its end."""

    #: "YYYY-MM"
    month: str
    new: float
    expansion: float
    contraction: float
    churned: float
    reactivation: float
    mrr: float


@dataclass(frozen=True)
class KpiPanel:
    """Every number of the KPI panel for the period [start, end]; ratios are fractions,
    None when their denominator is empty."""

    start: date
    end: date
    starting_mrr: float
    ending_mrr: float
    nrr: float | None
    grr: float | None
    logo_retention: float | None
    logo_churn: float | None
    cohort_size: int
    churned_logos: int
    #: end - start, in days.
    period_days: int
    logo_churn_annualised: float | None
    reactivation_mrr: float
    expansion_mrr: float
    contraction_mrr: float
    churned_mrr: float
    new_mrr: float
    expansion_share: float | None
    #: Portfolio NPS (each contact's latest answer), account-level (role-weighted) and
    #: user-level (every answer), and how many answers the period holds.
    nps: float | None
    account_nps: float | None
    user_nps: float | None
    nps_responses: int
    health: HealthShares
    accounts_scored: int
    qbr_completion: float | None
    qbr_accounts: int
    on_time_rate: float | None
    referral_rate: float | None
    green_trend: tuple[GreenPoint, ...]
    mrr_by_month: tuple[MonthMovements, ...]
    median_days_to_value: float | None
    first_value_accounts: int
