"""The renewal desk: what renews soon, what is at stake, and what we expect to keep.

Pure: plain facts in (per account: renewal date, MRR, health band, last touch, open
risks; per logged outcome: what it was before and after), plain results out. No SQL, no
clock, no Textual; the store gathers the facts (``Book.renewals``) and the CLI and the
Renewals screen show the results. Rules in docs/rules.md, "Renewals".

* A renewal is *within N days* when 0 <= renewal - as_of <= N; its bucket is the first of
  30/60/90/120 days that holds it.
* ARR at stake = 12 x MRR. Expected retained ARR = sum of ARR x likelihood[band], with the
  likelihood of a band from config ``[renewals] likelihood`` ("unknown": no health data).
* Forecast accuracy: for each logged outcome, what was forecast 90 days before the
  renewal date (the band of the latest health snapshot on or before that day, the ARR of
  that day) against the ARR kept (12 x MRR after the outcome; 0 when churned), per month
  of the renewal date.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from types import MappingProxyType

from bookkeeper_tui.core.signals import Flag

#: The desk's buckets, in days ahead.
BUCKETS: tuple[int, ...] = (30, 60, 90, 120)
#: The outcomes a renewal can have.
OUTCOMES: tuple[str, ...] = ("renewed", "downgraded", "churned")
#: Forecast accuracy compares the outcome with the forecast this many days before.
FORECAST_LEAD_DAYS = 90
#: The account-state risk flags that are *not* shown as renewal risks: the renewal
#: risk flag says what the desk itself shows (a near renewal that is not green).
_NOT_RISKS = frozenset({"renewal_risk"})
#: A band no health data gave.
UNKNOWN = "unknown"
#: A churn with no reason typed.
NO_REASON = "(no reason given)"


@dataclass(frozen=True)
class RenewalFacts:
    """What the desk needs about one account."""

    account: str
    renewal: date
    mrr: float
    band: str | None = None
    health: float | None = None
    last_touch: date | None = None
    risks: tuple[Flag, ...] = ()
    tier: str = ""
    owner: str | None = None


@dataclass(frozen=True)
class RenewalRow:
    account: str
    renewal: date
    days_left: int
    #: 30/60/90/120; None beyond 120 days.
    bucket: int | None
    mrr: float
    arr: float
    band: str | None
    health: float | None
    last_touch: date | None
    risks: tuple[Flag, ...]
    likelihood: float
    expected_arr: float
    tier: str = ""
    owner: str | None = None

    def as_json(self) -> dict:
        return {
            "account": self.account,
            "renewal": self.renewal.isoformat(),
            "days_left": self.days_left,
            "bucket": self.bucket,
            "tier": self.tier,
            "owner": self.owner,
            "mrr": self.mrr,
            "arr": self.arr,
            "band": self.band,
            "health": self.health,
            "last_touch": self.last_touch.isoformat() if self.last_touch else None,
            "risks": [{"code": f.code, "label": f.label, "detail": f.detail} for f in self.risks],
            "likelihood": self.likelihood,
            "expected_arr": self.expected_arr,
        }


@dataclass(frozen=True)
class Forecast:
    arr_at_stake: float
    expected_retained_arr: float
    #: Read-only (``forecast`` makes it): a remembered desk is shared by its readers.
    likelihood: Mapping[str, float]
    #: Per bucket (30/60/90/120, None: later): renewals, ARR at stake, expected retained ARR.
    buckets: tuple[tuple[int | None, int, float, float], ...] = ()

    def as_json(self) -> dict:
        return {
            "arr_at_stake": self.arr_at_stake,
            "expected_retained_arr": self.expected_retained_arr,
            "likelihood": dict(self.likelihood),
            "buckets": [
                {"within_days": b, "renewals": n, "arr": arr, "expected_retained_arr": exp}
                for b, n, arr, exp in self.buckets
            ],
        }


@dataclass(frozen=True)
class OutcomeFacts:
    """One logged renewal outcome, with the facts of 90 days before its renewal date."""

    account: str
    renewal: date
    day: date
    outcome: str
    mrr_before: float | None
    mrr_after: float | None
    reason: str = ""
    #: MRR on renewal - 90 days (from the dated MRR levels).
    mrr_at_forecast: float | None = None
    #: Band of the latest health snapshot on or before renewal - 90 days (None: none).
    band_at_forecast: str | None = None


@dataclass(frozen=True)
class MonthAccuracy:
    month: str
    forecast_arr: float = 0.0
    actual_arr: float = 0.0
    arr_at_stake: float = 0.0
    renewals: int = 0
    #: Read-only, outcome -> count, in the order first met.
    outcomes: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))

    def as_json(self) -> dict:
        return {
            "month": self.month,
            "forecast_arr": round(self.forecast_arr, 2),
            "actual_arr": round(self.actual_arr, 2),
            "arr_at_stake": round(self.arr_at_stake, 2),
            "renewals": self.renewals,
            "outcomes": dict(self.outcomes),
            "error": None
            if self.forecast_arr == 0
            else round((self.actual_arr - self.forecast_arr) / self.forecast_arr, 4),
        }


@dataclass(frozen=True)
class ChurnReasonCount:
    """Churned renewals sharing a reason: the reason as first written, how many, the MRR
    they took away."""

    reason: str
    count: int
    mrr: float

    def as_json(self) -> dict:
        return {"reason": self.reason, "count": self.count, "mrr": self.mrr}


@dataclass(frozen=True)
class RenewalDesk:
    """The renewal desk as the store reads it (``Book.renewals``).

    Frozen all the way down (frozen dataclasses, tuples, read-only mappings): the book
    remembers a desk until the data changes and hands the same one to every reader.
    """

    as_of: date
    within_days: int
    #: Outcomes are read from this day to *as_of*.
    since: date
    renewals: tuple[RenewalRow, ...]
    forecast: Forecast
    churn_reasons: tuple[ChurnReasonCount, ...]
    #: None when the desk was read without them (the screen).
    accuracy: tuple[MonthAccuracy, ...] | None = None
    outcomes: tuple[OutcomeFacts, ...] | None = None


def bucket_of(days_left: int) -> int | None:
    """The first bucket (30/60/90/120) holding a renewal *days_left* days ahead."""
    if days_left < 0:
        return None
    for b in BUCKETS:  # a loop, not next(genexpr): called for every row of the desk
        if days_left <= b:
            return b
    return None


def likelihood_of(band: str | None, likelihood: Mapping[str, float]) -> float:
    """The retention likelihood of a band; a missing band (no health data) is "unknown"."""
    key = band if band in likelihood else UNKNOWN
    return float(likelihood.get(key, 0.75))


def renewal_risks(flags: Iterable[Flag], detractor: Flag | None = None) -> tuple[Flag, ...]:
    """The open risks shown beside a renewal: the account's risk flags (the store gives
    churn language, champion left, health drop, overdue touchpoints) and a detractor
    answer, first. The renewal-risk flag is left out (the desk shows that itself)."""
    out = [f for f in flags if f.kind == "risk" and f.code not in _NOT_RISKS]
    if detractor is not None:
        out.insert(0, detractor)
    return tuple(out)


def detractor_flag(
    answers: Sequence[tuple[date, str, float, int | None]],
    as_of: date,
    nps_max: float,
    csat_max: float,
    days: int = 90,
) -> Flag | None:
    """A detractor among the answers of the last *days* days (day, kind, value, contact).

    Each contact's latest answer of a kind counts (a later 9 outweighs an earlier 4);
    answers with no contact count each on their own.
    """
    since = as_of - timedelta(days=days)
    latest: dict[tuple, tuple[date, float]] = {}
    for i, (day, kind, value, contact) in enumerate(answers):
        if kind not in ("nps", "csat") or not since < day <= as_of:
            continue
        key = (kind, contact if contact is not None else f"#{i}")
        if key not in latest or day >= latest[key][0]:
            latest[key] = (day, value)
    worst: tuple[date, str, float] | None = None
    for (kind, _), (day, value) in latest.items():
        limit = nps_max if kind == "nps" else csat_max
        if value <= limit and (worst is None or day > worst[0]):
            worst = (day, kind, value)
    if worst is None:
        return None
    day, kind, value = worst
    shown = int(value) if value == int(value) else value
    return Flag(
        "detractor",
        "risk",
        f"detractor ({kind.upper()} {shown})",
        f"{kind.upper()} {shown} on {day.isoformat()}: a detractor in the last {days} days.",
    )


def upcoming(
    facts: Iterable[RenewalFacts],
    as_of: date,
    within: int,
    likelihood: Mapping[str, float],
) -> list[RenewalRow]:
    """The renewals 0..*within* days ahead of *as_of*, soonest first (then by name)."""
    rows: list[RenewalRow] = []
    for f in facts:
        days = (f.renewal - as_of).days
        if not 0 <= days <= within:
            continue
        arr = round(12.0 * f.mrr, 2)
        p = likelihood_of(f.band, likelihood)
        rows.append(
            RenewalRow(
                account=f.account,
                renewal=f.renewal,
                days_left=days,
                bucket=bucket_of(days),
                mrr=f.mrr,
                arr=arr,
                band=f.band,
                health=f.health,
                last_touch=f.last_touch,
                risks=f.risks,
                likelihood=p,
                expected_arr=round(arr * p, 2),
                tier=f.tier,
                owner=f.owner,
            )
        )
    rows.sort(key=lambda r: (r.renewal, r.account.casefold()))
    return rows


def forecast(
    rows: Sequence[RenewalRow], likelihood: Mapping[str, float], within: int = 120
) -> Forecast:
    """ARR at stake and the risk-weighted expected retained ARR, overall and per bucket
    (every bucket the window reaches, empty ones included; "later" when it reaches past
    120 days and holds renewals)."""
    edges = [b for i, b in enumerate(BUCKETS) if i == 0 or BUCKETS[i - 1] < within]
    keys: list[int | None] = list(edges)
    if any(r.bucket is None for r in rows):
        keys.append(None)
    buckets = []
    for b in keys:
        inside = [r for r in rows if r.bucket == b]
        buckets.append(
            (
                b,
                len(inside),
                round(sum(r.arr for r in inside), 2),
                round(sum(r.expected_arr for r in inside), 2),
            )
        )
    return Forecast(
        arr_at_stake=round(sum(r.arr for r in rows), 2),
        expected_retained_arr=round(sum(r.expected_arr for r in rows), 2),
        likelihood=MappingProxyType(dict(likelihood)),
        buckets=tuple(buckets),
    )


def _reason_key(reason: str) -> str:
    return " ".join(reason.split()).casefold()


def churn_reasons(outcomes: Iterable[OutcomeFacts]) -> list[ChurnReasonCount]:
    """Churned renewals grouped by reason (any case and spacing): the reason as first
    written, how many, and the MRR they took away; most frequent first."""
    groups: dict[str, ChurnReasonCount] = {}
    for o in sorted(outcomes, key=lambda o: (o.day, o.renewal, o.account)):
        if o.outcome != "churned":
            continue
        text = " ".join(o.reason.split()) or NO_REASON
        key = _reason_key(text)
        g = groups.get(key) or ChurnReasonCount(text, 0, 0.0)
        groups[key] = ChurnReasonCount(
            g.reason, g.count + 1, round(g.mrr + float(o.mrr_before or 0.0), 2)
        )
    return sorted(groups.values(), key=lambda g: (-g.count, -g.mrr, g.reason.casefold()))


def retained_arr(o: OutcomeFacts) -> float:
    """The ARR an outcome kept: 12 x MRR after it (0 when churned)."""
    if o.outcome == "churned":
        return 0.0
    after = o.mrr_after if o.mrr_after is not None else o.mrr_before
    return round(12.0 * float(after or 0.0), 2)


def accuracy(
    outcomes: Iterable[OutcomeFacts], likelihood: Mapping[str, float]
) -> list[MonthAccuracy]:
    """Forecast (90 days before) against what happened, per month of the renewal date."""
    # Per month: [forecast, actual, at stake, renewals, {outcome: count}], summed in the
    # outcomes' order, then frozen.
    months: dict[str, list] = {}
    for o in outcomes:
        key = f"{o.renewal:%Y-%m}"
        m = months.setdefault(key, [0.0, 0.0, 0.0, 0, {}])
        at_stake = round(12.0 * float(o.mrr_at_forecast or 0.0), 2)
        m[2] += at_stake
        m[0] += at_stake * likelihood_of(o.band_at_forecast, likelihood)
        m[1] += retained_arr(o)
        m[3] += 1
        m[4][o.outcome] = m[4].get(o.outcome, 0) + 1
    return [
        MonthAccuracy(
            month=k,
            forecast_arr=months[k][0],
            actual_arr=months[k][1],
            arr_at_stake=months[k][2],
            renewals=months[k][3],
            outcomes=MappingProxyType(months[k][4]),
        )
        for k in sorted(months)
    ]
