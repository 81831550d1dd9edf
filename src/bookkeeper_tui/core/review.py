"""The monthly review (docs/guide.md "Monthly review"): pure rules over facts the store reads.

``build_review`` turns a :class:`ReviewFacts` (accounts, MRR levels, health snapshots at
month ends, NPS answers, renewal outcomes) into a :class:`Review` for one calendar month.
Nothing here reads the clock or the database, so the same book and month always give the
same review ("reproducible from the book alone"). The revenue numbers reuse core/kpi.py:
a month is the KPI period [last day of the month before, last day of the month].
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta

from bookkeeper_tui.core import kpi as kpis
from bookkeeper_tui.core import nps as npsm
from bookkeeper_tui.core.settings import NpsConfig, ReviewConfig
from bookkeeper_tui.core.vocab import BANDS, ROLES, TIERS

#: How many months the trend shows: the month and the 11 before it.
TREND_MONTHS = 12
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

_MONTH = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")


# -- months ------------------------------------------------------------------------------
def parse_month(text: str) -> tuple[int, int]:
    """``"2026-11"`` -> ``(2026, 11)``; ValueError with how to write it otherwise."""
    match = _MONTH.match(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"'{text}' is not a month; write it as YYYY-MM, e.g. 2026-11")
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        raise ValueError(f"'{text}' is not a month: the month must be 01 to 12, e.g. 2026-11")
    if not 1900 <= year <= 9998:
        raise ValueError(f"'{text}': the year must be from 1900 to 9998")
    return year, month


def month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def month_window(year: int, month: int) -> tuple[date, date]:
    """The KPI period of a month: (last day of the month before, last day of the month).

    MRR "at the start" is the MRR on the day before the month begins; every change dated
    inside the month is one of its movements (core/kpi.py's convention).
    """
    return date(year, month, 1) - timedelta(days=1), month_end(year, month)


def shift_month(year: int, month: int, by: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + by
    return index // 12, index % 12 + 1


def month_label(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def trend_months(year: int, month: int, n: int = TREND_MONTHS) -> list[tuple[int, int]]:
    """The *n* months ending with (year, month), oldest first."""
    return [shift_month(year, month, k) for k in range(-(n - 1), 1)]


def month_problem(year: int, month: int, today: date, first_start: date | None) -> str | None:
    """Why this month cannot be reviewed (a sentence), or None.

    A month that has not begun yet has nothing to review; nor has a month that ended
    before the book's first account started (or a book without accounts).
    """
    label = month_label(year, month)
    if date(year, month, 1) > today:
        return (
            f"{label} is in the future (today is {today.isoformat()}); review a month that "
            "has begun, e.g. --month " + month_label(*shift_month(today.year, today.month, -1))
        )
    if first_start is None:
        return "the book has no accounts yet, so there is no month to review"
    if month_end(year, month) < first_start:
        return (
            f"{label} ended before the book's first account started "
            f"({first_start.isoformat()}); review --month {month_label(*_ym(first_start))} "
            "or later"
        )
    return None


def _ym(day: date) -> tuple[int, int]:
    return day.year, day.month


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
    names = {aid: a.name for aid, a in facts.accounts.items()}
    history = {aid: _ordered(facts.history.get(aid, ())) for aid in facts.accounts}

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
    mrr_end = {aid: v[-1] for aid, v in at.items()}

    health = [
        _health_mix(facts, history, at, i + 1, y, m, bounds[i + 1])
        for i, (y, m) in enumerate(months)
    ]

    # Per-account changes of the month (core/kpi.py's classification).
    expansion: dict[int, float] = {}
    churned_ids: set[int] = set()
    for aid, levels in history.items():
        for _day, before, after in _changes(levels, start, end):
            if before > 0 >= after:
                churned_ids.add(aid)
            elif 0 < before < after:
                expansion[aid] = expansion.get(aid, 0.0) + after - before

    nps_start = date(*shift_month(year, month, -(NPS_MONTHS - 1)), 1)
    nps_roles, portfolio = _nps_by_role(facts.nps, nps_start, end, role_weights)

    in_month = sorted(
        (o for o in facts.outcomes if start < o.day <= end),
        key=lambda o: (o.day, names.get(o.account, "").casefold(), o.account, o.renewal),
    )
    renewals = [
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
    summary = _renewal_summary(in_month)

    snaps_end = facts.snapshots.get(end, {})
    all_risks = _risks(facts, snaps_end, mrr_end, end)
    all_renewal_risks = _renewal_risks(facts, snaps_end, mrr_end, end)
    wins = _wins(facts, expansion, start, end, in_month, top)
    first_trend_start = trend[0].start
    reasons = _churn_reasons(facts, history, churned_ids, start, end, first_trend_start)
    tier_targets = _tier_targets(facts, history, end, first_trend_start, targets)

    notes: list[str] = []
    first = facts.first_start
    if first is not None and first > trend[0].start:
        notes.append(
            f"The book starts on {first.isoformat()}: months before it show no revenue, and "
            "the tier churn is annualised from the days the book covers."
        )
    return Review(
        month=month_label(year, month),
        start=start,
        end=end,
        accounts=len(facts.accounts),
        customers=sum(1 for v in mrr_end.values() if v > 0),
        trend=trend,
        year=twelve,
        waterfall=waterfall,
        health=health,
        nps_start=nps_start,
        nps_roles=nps_roles,
        nps_portfolio=portfolio.portfolio,
        nps_account=portfolio.account,
        nps_user=portfolio.user,
        renewals=renewals,
        renewal_summary=summary,
        risks=all_risks[:top],
        renewal_risks=all_renewal_risks[: 2 * top],
        wins=wins,
        churn_reasons=reasons,
        targets=tier_targets,
        notes=notes,
        risk_count=len(all_risks),
        renewal_risk_count=len(all_renewal_risks),
        renewal_risk_mrr=sum(r.mrr for r in all_renewal_risks),
    )


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


def _role_of(role: str | None) -> str:
    key = (role or "other").strip().casefold()
    return key if key in ROLES else "other"


def _nps_by_role(
    answers: Sequence[NpsFact], start: date, end: date, role_weights: Mapping[str, float]
) -> tuple[list[RoleNps], npsm.PeriodNps]:
    window = sorted((a for a in answers if start <= a.day <= end), key=lambda a: (a.day, a.account))
    responses = [
        npsm.NpsResponse(a.account, a.contact, _role_of(a.role), a.day, int(a.value))
        for a in window
    ]
    # Each contact's latest answer (npsm.latest_per_contact's rule: a later day wins, and on
    # the same day the later answer; an anonymous answer stands alone), in one pass.
    latest: dict[object, npsm.NpsResponse] = {}
    answers_of = dict.fromkeys(ROLES, 0)
    for position, r in enumerate(responses):
        answers_of[r.role] += 1
        key: object = (r.account, r.contact) if r.contact is not None else position
        kept = latest.get(key)
        if kept is None or r.on >= kept.on:
            latest[key] = r
    kept_by_role: dict[str, list[int]] = {role: [] for role in ROLES}
    for r in latest.values():
        kept_by_role[r.role].append(r.value)
    rows: list[RoleNps] = []
    for role in ROLES:
        kept = kept_by_role[role]
        rows.append(
            RoleNps(
                role=role,
                answers=answers_of[role],
                contacts=len(kept),
                promoters=sum(1 for v in kept if v >= npsm.PROMOTER_MIN),
                detractors=sum(1 for v in kept if v <= npsm.DETRACTOR_MAX),
                nps=npsm.nps_of(kept),
            )
        )
    overall = npsm.period_nps(
        ((r.account, r.contact, r.role, r.on, r.value) for r in responses),
        start,
        end,
        role_weights,
    )
    return rows, overall


def _renewal_summary(outcomes: Sequence[OutcomeFact]) -> RenewalSummary:
    count = {k: 0 for k in OUTCOMES}
    before = after = 0.0
    for o in outcomes:
        if o.outcome in count:
            count[o.outcome] += 1
        before += o.mrr_before or 0.0
        after += 0.0 if o.outcome == "churned" else (o.mrr_after or 0.0)
    n = sum(count.values())
    return RenewalSummary(
        renewed=count["renewed"],
        downgraded=count["downgraded"],
        churned=count["churned"],
        mrr_before=before,
        mrr_after=after,
        logo_rate=(count["renewed"] + count["downgraded"]) / n if n else None,
        mrr_rate=after / before if before else None,
    )


def _risks(
    facts: ReviewFacts,
    snaps: Mapping[int, SnapshotFact],
    mrr_end: Mapping[int, float],
    end: date,
) -> list[RiskRow]:
    """Red accounts at the month end, largest MRR first, with what made them red."""
    rows: list[RiskRow] = []
    for aid, snap in snaps.items():
        acc = facts.accounts.get(aid)
        if acc is None or snap.band != "red" or mrr_end.get(aid, 0.0) <= 0:
            continue
        weak = sorted(
            ((name, value) for name, value in snap.components if value < WEAK_COMPONENT),
            key=lambda c: (c[1], c[0]),
        )
        reasons = [f"{name} {value:.0f}" for name, value in weak]
        if acc.renewal is not None and end < acc.renewal <= end + timedelta(RENEWAL_RISK_DAYS):
            reasons.append(f"renewal in {(acc.renewal - end).days}d")
        rows.append(
            RiskRow(
                account=acc.name,
                tier=acc.tier,
                mrr=mrr_end[aid],
                score=snap.score,
                band=snap.band,
                reasons=tuple(reasons) or ("no weak component recorded",),
            )
        )
    rows.sort(key=lambda r: (-r.mrr, r.account.casefold()))
    return rows


def _renewal_risks(
    facts: ReviewFacts,
    snaps: Mapping[int, SnapshotFact],
    mrr_end: Mapping[int, float],
    end: date,
) -> list[RenewalRisk]:
    """Renewals in the 90 days after the month end of customers that were not green then.

    The renewal dates are the accounts' current ones and those closed by renewal outcomes
    (an outcome closes its renewal date, so a later review still sees it), less those
    already closed by an outcome logged by the month end.
    """
    upcoming: dict[int, set[date]] = {}
    closed: set[tuple[int, date]] = set()
    for o in facts.outcomes:
        upcoming.setdefault(o.account, set()).add(o.renewal)
        if o.day <= end:
            closed.add((o.account, o.renewal))
    for aid, acc in facts.accounts.items():
        if acc.renewal is not None:
            upcoming.setdefault(aid, set()).add(acc.renewal)
    horizon = end + timedelta(days=RENEWAL_RISK_DAYS)
    rows: list[RenewalRisk] = []
    for aid, days in upcoming.items():
        acc = facts.accounts.get(aid)
        if acc is None or mrr_end.get(aid, 0.0) <= 0:
            continue
        due = sorted(d for d in days if end < d <= horizon and (aid, d) not in closed)
        if not due:
            continue
        snap = snaps.get(aid)
        band = snap.band if snap is not None else None
        if band == "green":
            continue
        rows.append(
            RenewalRisk(
                account=acc.name,
                tier=acc.tier,
                renewal=due[0],
                days=(due[0] - end).days,
                mrr=mrr_end[aid],
                band=band,
                score=snap.score if snap is not None else None,
            )
        )
    rows.sort(key=lambda r: (-r.mrr, r.renewal, r.account.casefold()))
    return rows


def _wins(
    facts: ReviewFacts,
    expansion: Mapping[int, float],
    start: date,
    end: date,
    outcomes: Sequence[OutcomeFact],
    top: int,
) -> list[Win]:
    """Expansions, promoters and renewals won in the month; *top* of each kind."""
    names = {aid: a.name for aid, a in facts.accounts.items()}
    expansions = sorted(
        (
            Win("expansion", names[aid], f"+{amount:,.0f} MRR", amount)
            for aid, amount in expansion.items()
            if amount > 0 and aid in names
        ),
        key=lambda w: (-w.mrr, w.account.casefold()),
    )[:top]
    month_answers = [a for a in facts.nps if start < a.day <= end and a.account in names]
    month_answers.sort(key=lambda a: (a.day, a.account))
    latest: dict[tuple, NpsFact] = {}
    for position, a in enumerate(month_answers):
        key = (a.account, a.contact) if a.contact is not None else ("anonymous", position)
        latest[key] = a
    promoters = sorted(
        (
            Win(
                "promoter",
                names[a.account],
                f"NPS {a.value}"
                + (
                    f" from {a.contact_name} ({_role_of(a.role).replace('_', ' ')})"
                    if a.contact_name
                    else ""
                ),
                0.0,
            )
            for a in latest.values()
            if a.value >= npsm.PROMOTER_MIN
        ),
        key=lambda w: (w.account.casefold(), w.detail),
    )[:top]
    renewed = sorted(
        (
            Win(
                "renewal",
                names.get(o.account, f"#{o.account}"),
                f"renewed {o.renewal.isoformat()}"
                + (
                    f", MRR {o.mrr_before:,.0f} -> {o.mrr_after:,.0f}"
                    if o.mrr_before is not None and o.mrr_after is not None
                    else ""
                ),
                float(o.mrr_after or 0.0),
            )
            for o in outcomes
            if o.outcome == "renewed"
        ),
        key=lambda w: (-w.mrr, w.account.casefold()),
    )[:top]
    return [*expansions, *promoters, *renewed]


def _reason_key(reason: str) -> str:
    return " ".join(reason.split()).casefold()


def _churn_reasons(
    facts: ReviewFacts,
    history: Mapping[int, kpis.Levels],
    churned_this_month: set[int],
    start: date,
    end: date,
    year_start: date,
) -> list[ChurnReason]:
    """Churn reasons counted in the month and the 12 months ending with it.

    Each churned renewal outcome counts its reason (or "no reason recorded"); an account
    whose MRR fell to 0 in a window without a churned outcome logged in it counts once as
    "no reason recorded", so every churned logo is in the table.
    """
    shown: dict[str, str] = {}
    month_n: dict[str, int] = {}
    year_n: dict[str, int] = {}

    def add(reason: str, in_month: bool) -> None:
        text = " ".join(reason.split()) or NO_REASON
        key = _reason_key(text)
        shown.setdefault(key, text)
        year_n[key] = year_n.get(key, 0) + 1
        if in_month:
            month_n[key] = month_n.get(key, 0) + 1

    explained_year: set[int] = set()
    for o in sorted(facts.outcomes, key=lambda o: (o.day, o.account, o.renewal)):
        if o.outcome != "churned" or not year_start < o.day <= end:
            continue
        explained_year.add(o.account)
        add(o.reason, start < o.day <= end)
    # Accounts that churned in the 12 months (their MRR fell to 0) with no outcome logged.
    explained_month = {
        o.account for o in facts.outcomes if o.outcome == "churned" and start < o.day <= end
    }
    for aid, levels in history.items():
        if aid in explained_year:
            continue
        if any(before > 0 >= after for _, before, after in _changes(levels, year_start, end)):
            add("", aid in churned_this_month and aid not in explained_month)
    out = [ChurnReason(shown[k], month_n.get(k, 0), year_n[k]) for k in year_n]
    out.sort(key=lambda r: (-r.month, -r.last_12_months, r.reason.casefold()))
    return out


def _tier_targets(
    facts: ReviewFacts,
    history: Mapping[int, kpis.Levels],
    end: date,
    year_start: date,
    targets: Mapping[str, float],
) -> list[TierTarget]:
    """Logo churn of the 12 months ending with the month, by (current) tier, vs targets.

    The targets are annual, so the window is the year to the month end; in a book younger
    than that, it starts on the book's first day and the churn is annualised.
    """
    first = facts.first_start
    window_start = year_start if first is None or first <= year_start else first
    days = (end - window_start).days
    rows: list[TierTarget] = []
    for tier in TIERS:
        goal = float(targets.get(tier, DEFAULT_TARGETS[tier])) / 100.0
        sub = {aid: lv for aid, lv in history.items() if facts.accounts[aid].tier == tier}
        if days > 0:
            rev = kpis.revenue_kpis(sub, window_start, end)
            actual = kpis.annualised_churn(rev.logo_churn, days)
            cohort, churned = rev.cohort_size, rev.churned_logos
        else:
            actual, cohort, churned = None, 0, 0
        rows.append(
            TierTarget(
                tier=tier,
                cohort=cohort,
                churned=churned,
                actual=actual,
                days=days,
                target=goal,
                met=None if actual is None else actual < goal,
            )
        )
    return rows


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
