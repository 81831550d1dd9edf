"""What the monthly review reads (the facts the store gathers) and what it gives (the review),
with the rules' constants: plain frozen dataclasses, no logic beyond a few sums.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from bookkeeper_tui.core import kpi as kpis
from bookkeeper_tui.core.settings import ReviewConfig

#: NPS by role reads the quarter ending with the month (an NPS ask is every 3 months).
NPS_MONTHS = 3
#: Renewals this many days after the month end, not green, are a top risk.
RENEWAL_RISK_DAYS = 90
#: A health component below this is named as a reason in the top risks.
WEAK_COMPONENT = 60.0
#: Rows per list (top risks, wins).
TOP = 10
#: The label of churn without a recorded reason.
NO_REASON = "no reason recorded"

#: Default annual logo-churn targets by tier, in percent (config ``[review.targets]``).
DEFAULT_TARGETS: dict[str, float] = ReviewConfig().targets

OUTCOMES: tuple[str, ...] = ("renewed", "downgraded", "churned")


# -- facts (what the store reads) ----------------------------------------------------------
@dataclass(frozen=True)
class AccountFact:
    id: int
    name: str
    tier: str
    start: date
    #: The current renewal date (the store rolls it forward as renewals pass).
    renewal: date | None
    status: str


@dataclass(frozen=True)
class SnapshotFact:
    """An account's latest health snapshot on or before a month end."""

    day: date
    score: float | None
    band: str | None
    #: (component, value 0-100) pairs, as the snapshot stored them.
    components: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class NpsFact:
    account: int
    contact: int | None
    contact_name: str | None
    role: str
    day: date
    value: int


@dataclass(frozen=True)
class OutcomeFact:
    account: int
    renewal: date
    day: date
    outcome: str
    mrr_before: float | None
    mrr_after: float | None
    reason: str = ""


@dataclass(frozen=True)
class ReviewFacts:
    accounts: Mapping[int, AccountFact]
    #: Each account's MRR levels, (effective, mrr) pairs.
    history: Mapping[int, kpis.Levels]
    #: Month end -> account id -> its latest snapshot on or before that day.
    snapshots: Mapping[date, Mapping[int, SnapshotFact]]
    #: NPS answers of the NPS window (at least; others are ignored).
    nps: Sequence[NpsFact] = ()
    outcomes: Sequence[OutcomeFact] = ()

    @property
    def first_start(self) -> date | None:
        return min((a.start for a in self.accounts.values()), default=None)


# -- the review ----------------------------------------------------------------------------
@dataclass(frozen=True)
class TrendRow:
    month: str
    start: date
    end: date
    starting_mrr: float
    ending_mrr: float
    nrr: float | None
    grr: float | None
    logo_churn: float | None
    cohort: int
    churned_logos: int


@dataclass(frozen=True)
class Waterfall:
    """The month's MRR bridge: starting + new + reactivation + expansion - contraction
    - churned = ending (core/kpi.py's movements, every account)."""

    starting: float
    new: float
    reactivation: float
    expansion: float
    contraction: float
    churned: float
    ending: float

    @property
    def steps(self) -> list[tuple[str, float]]:
        """(label, signed amount) for each movement, in bridge order."""
        return [
            ("new", self.new),
            ("reactivation", self.reactivation),
            ("expansion", self.expansion),
            ("contraction", -self.contraction),
            ("churned", -self.churned),
        ]


@dataclass(frozen=True)
class HealthMix:
    month: str
    day: date
    green: int
    yellow: int
    red: int
    unknown: int

    @property
    def total(self) -> int:
        return self.green + self.yellow + self.red + self.unknown

    @property
    def green_share(self) -> float | None:
        scored = self.green + self.yellow + self.red
        return self.green / scored if scored else None


@dataclass(frozen=True)
class RoleNps:
    role: str
    #: Every answer in the window.
    answers: int
    #: Contacts (each one's latest answer) the NPS is computed over.
    contacts: int
    promoters: int
    detractors: int
    nps: float | None


@dataclass(frozen=True)
class RenewalRow:
    account: str
    tier: str
    renewal: date
    day: date
    outcome: str
    mrr_before: float | None
    mrr_after: float | None
    reason: str


@dataclass(frozen=True)
class RenewalSummary:
    renewed: int
    downgraded: int
    churned: int
    #: MRR before the renewals closed in the month, and after them.
    mrr_before: float
    mrr_after: float
    #: (renewed + downgraded) / all; None without outcomes.
    logo_rate: float | None
    #: mrr_after / mrr_before; None without MRR before.
    mrr_rate: float | None


@dataclass(frozen=True)
class RiskRow:
    account: str
    tier: str
    mrr: float
    score: float | None
    band: str | None
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class RenewalRisk:
    account: str
    tier: str
    renewal: date
    days: int
    mrr: float
    band: str | None
    score: float | None


@dataclass(frozen=True)
class Win:
    kind: str  # expansion / promoter / renewal
    account: str
    detail: str
    mrr: float


@dataclass(frozen=True)
class ChurnReason:
    reason: str
    month: int
    last_12_months: int


@dataclass(frozen=True)
class TierTarget:
    tier: str
    #: Accounts of the tier with MRR at the window's start.
    cohort: int
    churned: int
    #: The window's logo churn, annualised when the window is shorter than a year.
    actual: float | None
    days: int
    #: Annual logo churn target (fraction).
    target: float
    #: actual < target; None without a cohort.
    met: bool | None


@dataclass(frozen=True)
class Review:
    month: str
    start: date
    end: date
    #: Accounts the review knows (every status).
    accounts: int
    customers: int
    trend: list[TrendRow]
    #: The 12 months to the month end as one period (what the annual benchmarks rate).
    year: TrendRow
    waterfall: Waterfall
    health: list[HealthMix]
    nps_start: date
    nps_roles: list[RoleNps]
    nps_portfolio: float | None
    nps_account: float | None
    nps_user: float | None
    renewals: list[RenewalRow]
    renewal_summary: RenewalSummary
    risks: list[RiskRow]
    renewal_risks: list[RenewalRisk]
    wins: list[Win]
    churn_reasons: list[ChurnReason]
    targets: list[TierTarget]
    notes: list[str] = field(default_factory=list)
    #: How many red accounts and not-green renewals there were in all (the lists keep the
    #: largest by MRR), and the MRR of those renewals.
    risk_count: int = 0
    renewal_risk_count: int = 0
    renewal_risk_mrr: float = 0.0

    @property
    def current(self) -> TrendRow:
        return self.trend[-1]
