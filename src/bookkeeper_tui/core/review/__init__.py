"""The monthly review (docs/guide.md "Monthly review"): pure rules over facts the store reads.

``build_review`` turns a :class:`ReviewFacts` (accounts, MRR levels, health snapshots at
month ends, NPS answers, renewal outcomes) into a :class:`Review` for one calendar month.
Nothing here reads the clock or the database, so the same book and month always give the
same review ("reproducible from the book alone"). The revenue numbers reuse core/kpi.py:
a month is the KPI period [last day of the month before, last day of the month].

The package, by step: ``months`` (``YYYY-MM``, month ends, windows, the trend's months),
``model`` (the facts read, the review given, the rules' constants), ``levels`` (MRR on
given days, a window's changes, trend rows, health mixes), ``sections`` (NPS by role,
renewals, risks, wins, churn reasons, tier targets), ``build`` (``build_review``,
``review_data``). Every name importable from the former module is importable from here.
"""

from __future__ import annotations

from bookkeeper_tui.core import kpi as kpis
from bookkeeper_tui.core import nps as npsm
from bookkeeper_tui.core.review.build import _rounded as _rounded
from bookkeeper_tui.core.review.build import build_review, review_data
from bookkeeper_tui.core.review.levels import _changes as _changes
from bookkeeper_tui.core.review.levels import _health_mix as _health_mix
from bookkeeper_tui.core.review.levels import _ordered as _ordered
from bookkeeper_tui.core.review.levels import _trend_row as _trend_row
from bookkeeper_tui.core.review.levels import _values_at as _values_at
from bookkeeper_tui.core.review.model import (
    DEFAULT_TARGETS,
    NO_REASON,
    NPS_MONTHS,
    OUTCOMES,
    RENEWAL_RISK_DAYS,
    TOP,
    WEAK_COMPONENT,
    AccountFact,
    ChurnReason,
    HealthMix,
    NpsFact,
    OutcomeFact,
    RenewalRisk,
    RenewalRow,
    RenewalSummary,
    Review,
    ReviewFacts,
    RiskRow,
    RoleNps,
    SnapshotFact,
    TierTarget,
    TrendRow,
    Waterfall,
    Win,
)
from bookkeeper_tui.core.review.months import _MONTH as _MONTH
from bookkeeper_tui.core.review.months import (
    TREND_MONTHS,
    month_end,
    month_label,
    month_problem,
    month_window,
    parse_month,
    shift_month,
    trend_months,
)
from bookkeeper_tui.core.review.months import _ym as _ym
from bookkeeper_tui.core.review.sections import _churn_reasons as _churn_reasons
from bookkeeper_tui.core.review.sections import _nps_by_role as _nps_by_role
from bookkeeper_tui.core.review.sections import _reason_key as _reason_key
from bookkeeper_tui.core.review.sections import _renewal_risks as _renewal_risks
from bookkeeper_tui.core.review.sections import _renewal_summary as _renewal_summary
from bookkeeper_tui.core.review.sections import _risks as _risks
from bookkeeper_tui.core.review.sections import _role_of as _role_of
from bookkeeper_tui.core.review.sections import _tier_targets as _tier_targets
from bookkeeper_tui.core.review.sections import _wins as _wins
from bookkeeper_tui.core.settings import NpsConfig, ReviewConfig
from bookkeeper_tui.core.vocab import BANDS, ROLES, TIERS

__all__ = [
    "BANDS",
    "DEFAULT_TARGETS",
    "NO_REASON",
    "NPS_MONTHS",
    "OUTCOMES",
    "RENEWAL_RISK_DAYS",
    "ROLES",
    "TIERS",
    "TOP",
    "TREND_MONTHS",
    "WEAK_COMPONENT",
    "AccountFact",
    "ChurnReason",
    "HealthMix",
    "NpsConfig",
    "NpsFact",
    "OutcomeFact",
    "RenewalRisk",
    "RenewalRow",
    "RenewalSummary",
    "Review",
    "ReviewConfig",
    "ReviewFacts",
    "RiskRow",
    "RoleNps",
    "SnapshotFact",
    "TierTarget",
    "TrendRow",
    "Waterfall",
    "Win",
    "build_review",
    "kpis",
    "month_end",
    "month_label",
    "month_problem",
    "month_window",
    "npsm",
    "parse_month",
    "review_data",
    "shift_month",
    "trend_months",
]
