"""The review's sections beyond the revenue trend: NPS by role, the renewals closed, the top
risks and renewal risks, the wins, the churn reasons and the tier churn targets.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta

from bookkeeper_tui.core import kpi as kpis
from bookkeeper_tui.core import nps as npsm
from bookkeeper_tui.core.review.levels import _changes
from bookkeeper_tui.core.review.model import (
    DEFAULT_TARGETS,
    NO_REASON,
    OUTCOMES,
    RENEWAL_RISK_DAYS,
    WEAK_COMPONENT,
    ChurnReason,
    NpsFact,
    OutcomeFact,
    RenewalRisk,
    RenewalSummary,
    ReviewFacts,
    RiskRow,
    RoleNps,
    SnapshotFact,
    TierTarget,
    Win,
)
from bookkeeper_tui.core.vocab import ROLES, TIERS


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
