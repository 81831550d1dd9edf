"""The store's read paths as they were before they were made fast (reference for tests).

tests/test_store_speed_paths.py checks that the fast paths give exactly these results. The
functions are the previous code, unchanged but for their names: do not "improve" them.
"""

from __future__ import annotations

import calendar
import json
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from datetime import date, timedelta

from sqlalchemy import case, func, select
from sqlmodel import Session

from bookkeeper_tui.config import Config
from bookkeeper_tui.core import kpi as kpis
from bookkeeper_tui.core import nps as npsm
from bookkeeper_tui.core.health import Health, HealthFacts, compute_health
from bookkeeper_tui.core.nps import NpsResponse, account_nps_detail
from bookkeeper_tui.core.relationships import ContactFact
from bookkeeper_tui.core.revenue import USAGE_BASELINE_WINDOWS, USAGE_RECENT_DAYS, usage_score
from bookkeeper_tui.core.signals import FlagFacts, account_flags, churn_terms
from bookkeeper_tui.core.vocab import TIERS, TWO_WAY_KINDS
from bookkeeper_tui.store.book import BookError, _r, int_type
from bookkeeper_tui.store.models import (
    Account,
    Contact,
    HealthSnapshot,
    Interaction,
    MrrLevel,
    Score,
    Ticket,
    Touchpoint,
    UsageEvent,
)
from bookkeeper_tui.store.rows import TodayRow
from bookkeeper_tui.store.state import (
    SIGNAL_LOOKBACK_DAYS,
    AccountState,
    OpenTouchpoint,
    _effective_due,
    _mrr_on,
    effective_due,
)

Levels = Sequence[tuple[date, float]]


def _in(col, ids):
    return col.in_(ids) if ids is not None else True


# -- store/state.py load_states --------------------------------------------------
def old_load_states(
    session: Session,
    as_of: date,
    config: Config,
    account_ids: Iterable[int] | None = None,
    include_churned: bool = True,
) -> dict[int, AccountState]:
    """Health, flags and summary facts for the given accounts (all when None)."""
    ids = list(account_ids) if account_ids is not None else None
    acc_q = select(Account).where(_in(Account.id, ids))
    if not include_churned:
        acc_q = acc_q.where(Account.status != "churned")
    accounts = {a.id: a for a in session.execute(acc_q).scalars()}
    if not accounts:
        return {}
    if ids is None and len(accounts) < 500:
        ids = list(accounts)

    since = as_of - timedelta(days=SIGNAL_LOOKBACK_DAYS)
    hc = config.health

    levels: dict[int, list[tuple[date, float]]] = defaultdict(list)
    for aid, eff, mrr in session.execute(
        select(MrrLevel.account_id, MrrLevel.effective, MrrLevel.mrr)
        .where(_in(MrrLevel.account_id, ids))
        .order_by(MrrLevel.account_id, MrrLevel.effective)
    ):
        levels[aid].append((eff, mrr))

    last_two_way: dict[int, date] = dict(
        session.execute(
            select(Interaction.account_id, func.max(Interaction.day))
            .where(_in(Interaction.account_id, ids))
            .where(Interaction.kind.in_(sorted(TWO_WAY_KINDS)))
            .where(Interaction.day <= as_of)
            .group_by(Interaction.account_id)
        ).all()
    )
    last_touch: dict[int, date] = dict(
        session.execute(
            select(Interaction.account_id, func.max(Interaction.day))
            .where(_in(Interaction.account_id, ids))
            .where(Interaction.kind != "ticket")
            .where(Interaction.day <= as_of)
            .group_by(Interaction.account_id)
        ).all()
    )
    tracked = set(
        session.execute(
            select(Interaction.account_id)
            .where(_in(Interaction.account_id, ids))
            .where(Interaction.kind == "ticket")
            .distinct()
        ).scalars()
    )
    tickets: dict[int, list[date]] = defaultdict(list)
    notes_terms: dict[int, list[str]] = defaultdict(list)
    recent = as_of - timedelta(days=config.signals.triple_signal_days)
    for aid, kind, day, summary, notes in session.execute(
        select(
            Interaction.account_id,
            Interaction.kind,
            Interaction.day,
            Interaction.summary,
            Interaction.notes,
        )
        .where(_in(Interaction.account_id, ids))
        .where(Interaction.day > recent)
        .where(Interaction.day <= as_of)
    ):
        if kind == "ticket":
            tickets[aid].append(day)
        for term in churn_terms(f"{summary}\n{notes}", config.churn_words):
            if term not in notes_terms[aid]:
                notes_terms[aid].append(term)

    # Tickets imported from a help desk count like ticket interactions.
    for aid, day in session.execute(
        select(Ticket.account_id, Ticket.opened)
        .where(_in(Ticket.account_id, ids))
        .where(Ticket.opened > recent)
        .where(Ticket.opened <= as_of)
    ):
        tickets[aid].append(day)
    tracked.update(
        session.execute(
            select(Ticket.account_id).where(_in(Ticket.account_id, ids)).distinct()
        ).scalars()
    )
    event_usage = _usage_from_events(session, ids, as_of)

    usage: dict[int, list[tuple[date, float]]] = defaultdict(list)
    ticket_counts: dict[int, list[tuple[date, float]]] = defaultdict(list)
    surveys: dict[int, list[tuple[date, str, float]]] = defaultdict(list)
    nps_points: dict[int, list[tuple[date, float]]] = defaultdict(list)
    overrides: dict[int, tuple[date, float]] = {}
    for aid, kind, day, value in session.execute(
        select(Score.account_id, Score.kind, Score.day, Score.value)
        .where(_in(Score.account_id, ids))
        .where(Score.day > since)
        .where(Score.day <= as_of)
        .order_by(Score.day, Score.id)
    ):
        if kind == "usage":
            usage[aid].append((day, value))
        elif kind == "tickets":
            ticket_counts[aid].append((day, value))
            tracked.add(aid)
        elif kind in ("nps", "csat"):
            surveys[aid].append((day, kind, value))
            if kind == "nps":
                nps_points[aid].append((day, value))
        elif kind == "health":
            overrides[aid] = (day, value)
    for aid, value in event_usage.items():
        # Usage events (imported) speak for today; they win over older usage signals.
        usage[aid].append((as_of, value))

    # NPS responses with roles (latest per contact) for the account-vs-user gap.
    responses: dict[int, list[NpsResponse]] = defaultdict(list)
    for aid, cid, role, day, value in session.execute(
        select(Score.account_id, Score.contact_id, Contact.role, Score.day, Score.value)
        .join(Contact, Contact.id == Score.contact_id, isouter=True)
        .where(_in(Score.account_id, ids))
        .where(Score.kind == "nps")
        .where(Score.day > since)
        .where(Score.day <= as_of)
        .order_by(Score.day, Score.id)
    ):
        responses[aid].append(NpsResponse(aid, cid, role or "other", day, int(value)))

    people: dict[int, list[ContactFact]] = defaultdict(list)
    for aid, role, left_on in session.execute(
        select(Contact.account_id, Contact.role, Contact.left_on).where(
            _in(Contact.account_id, ids)
        )
    ):
        people[aid].append(ContactFact(role or "other", left_on))
    champion_left = set(
        session.execute(
            select(Contact.account_id)
            .where(_in(Contact.account_id, ids))
            .where(Contact.role == "champion")
            .where(Contact.left_on.is_not(None))
            .where(Contact.left_on <= as_of)
        ).scalars()
    )

    open_tps: dict[int, list[OpenTouchpoint]] = defaultdict(list)
    for row in session.execute(
        select(
            Touchpoint.id,
            Touchpoint.account_id,
            Touchpoint.kind,
            Touchpoint.due,
            Touchpoint.status,
            Touchpoint.snoozed_until,
            Touchpoint.note,
        )
        .where(_in(Touchpoint.account_id, ids))
        .where(Touchpoint.status.in_(("open", "snoozed")))
        .order_by(Touchpoint.due)
    ):
        open_tps[row.account_id].append(OpenTouchpoint(*row))
    last_referral: dict[int, date] = dict(
        session.execute(
            select(Touchpoint.account_id, func.max(Touchpoint.due))
            .where(_in(Touchpoint.account_id, ids))
            .where(Touchpoint.kind == "referral_ask")
            .where(Touchpoint.due <= as_of + timedelta(days=30))
            .group_by(Touchpoint.account_id)
        ).all()
    )
    last_expansion: dict[int, date] = dict(
        session.execute(
            select(Touchpoint.account_id, func.max(Touchpoint.completed_on))
            .where(_in(Touchpoint.account_id, ids))
            .where(Touchpoint.kind == "expansion")
            .where(Touchpoint.status == "done")
            .group_by(Touchpoint.account_id)
        ).all()
    )

    history: dict[int, list[tuple[date, float]]] = defaultdict(list)
    previous: dict[int, tuple[str | None, str]] = {}
    for aid, day, score, band, components in session.execute(
        select(
            HealthSnapshot.account_id,
            HealthSnapshot.day,
            HealthSnapshot.score,
            HealthSnapshot.band,
            HealthSnapshot.components,
        )
        .where(_in(HealthSnapshot.account_id, ids))
        .where(HealthSnapshot.day > as_of - timedelta(days=config.signals.health_drop_days + 5))
        .where(HealthSnapshot.day <= as_of)
        .order_by(HealthSnapshot.day)
    ):
        if score is not None:
            history[aid].append((day, score))
        if day < as_of:
            previous[aid] = (band, components)

    states: dict[int, AccountState] = {}
    for aid, acc in accounts.items():
        lv = levels.get(aid, [])
        facts = HealthFacts(
            tier=acc.tier,
            start=acc.start,
            usage=usage.get(aid, ()),
            two_way=[last_two_way[aid]] if aid in last_two_way else (),
            tickets=tickets.get(aid, []) if aid in tracked else None,
            ticket_counts=ticket_counts.get(aid, ()),
            surveys=surveys.get(aid, ()),
            mrr_levels=lv,
            override=overrides.get(aid),
        )
        if acc.status == "churned":
            health = Health(score=None, band=None, components=(), missing=())
        else:
            health = compute_health(facts, as_of, hc)
        nps = account_nps_detail(
            responses.get(aid, []),
            as_of - timedelta(days=hc.survey_window_days),
            as_of,
            config.nps.role_weights,
            config.nps.gap_flag,
        )
        tps = open_tps.get(aid, [])
        overdue = sum(1 for t in tps if _effective_due(t) < as_of)
        flag_facts = FlagFacts(
            start=acc.start,
            renewal=acc.renewal,
            band=health.band,
            health_history=history.get(aid, ()),
            current_score=health.score,
            nps=nps_points.get(aid, ()),
            usage=usage.get(aid, ()),
            tickets=tickets.get(aid, ()),
            churn_terms_recent=notes_terms.get(aid, ()),
            # Issue 14 #3: a champion still there (a new one) closes the "champion left" risk.
            champion_left=aid in champion_left
            and not any(c.role == "champion" and c.active(as_of) for c in people.get(aid, ())),
            overdue_touchpoints=overdue,
            nps_gap_flagged=nps.flagged,
            last_referral_ask=last_referral.get(aid),
            last_expansion_talk=last_expansion.get(aid),
            # Issue 14 #3 (a rule added later, not a faster path): the relationship flags.
            tier=acc.tier,
            contacts=people.get(aid, ()),
        )
        flags = account_flags(flag_facts, as_of, config.signals) if acc.status != "churned" else []
        prev = previous.get(aid)
        states[aid] = AccountState(
            account=acc,
            mrr=_mrr_on(lv, as_of),
            levels=lv,
            health=health,
            flags=flags,
            nps=nps,
            last_touch=last_touch.get(aid),
            next_touchpoint=min(tps, key=_effective_due) if tps else None,
            overdue=overdue,
            previous_band=prev[0] if prev else None,
            previous_components=[tuple(x) for x in json.loads(prev[1])] if prev else None,
            churn_terms=notes_terms.get(aid, []),
        )
    return states


def _usage_from_events(session: Session, ids: list[int] | None, as_of: date) -> dict[int, float]:
    """Each account's usage score from usage events (core.revenue.usage_score), one query."""
    recent_from = as_of - timedelta(days=USAGE_RECENT_DAYS)
    base_from = recent_from - timedelta(days=USAGE_RECENT_DAYS * USAGE_BASELINE_WINDOWS)
    day, count = UsageEvent.day, UsageEvent.count
    rows = session.execute(
        select(
            UsageEvent.account_id,
            func.sum(case((day > recent_from, count), else_=0)),
            func.sum(case(((day > base_from) & (day <= recent_from), count), else_=0)),
            func.sum(case((day <= recent_from, 1), else_=0)),
        )
        .where(_in(UsageEvent.account_id, ids))
        .where(day <= as_of)
        .group_by(UsageEvent.account_id)
    ).all()
    out: dict[int, float] = {}
    for aid, recent, baseline, earlier in rows:
        score = usage_score(float(recent or 0), float(baseline or 0), bool(earlier))
        if score is not None:
            out[aid] = score
    return out


# -- Book.today ------------------------------------------------------------
def old_today(self, as_of: date, ahead_days: int = 0) -> list[TodayRow]:
    """Open touchpoints due by *as_of* (+ *ahead_days*), most urgent first."""
    limit = as_of + timedelta(days=ahead_days)
    with self.read() as s:
        tps = list(
            s.execute(
                select(Touchpoint, Account.name, Account.tier)
                .join(Account, Account.id == Touchpoint.account_id)
                .where(Account.status == "active")
                .where(Touchpoint.status.in_(("open", "snoozed")))
                .where(Touchpoint.due <= limit)
            ).all()
        )
        tps = [(tp, n, t) for tp, n, t in tps if effective_due(tp) <= limit]
        ids = sorted({tp.account_id for tp, _, _ in tps})
        snaps = {}
        if ids:
            for aid, score, band in s.execute(
                select(HealthSnapshot.account_id, HealthSnapshot.score, HealthSnapshot.band)
                .where(HealthSnapshot.account_id.in_(ids))
                .where(HealthSnapshot.day <= as_of)
                .order_by(HealthSnapshot.day)
            ):
                snaps[aid] = (score, band)
    band_rank = {"red": 0, "yellow": 1, "green": 2, None: 3}
    tier_rank = {t: i for i, t in enumerate(TIERS)}
    rows = []
    for tp, name, tier in tps:
        due = effective_due(tp)
        score, band = snaps.get(tp.account_id, (None, None))
        rows.append(
            TodayRow(
                touchpoint_id=tp.id,
                account_id=tp.account_id,
                account=name,
                kind=tp.kind,
                due=due,
                days_overdue=(as_of - due).days,
                tier=tier,
                health=score,
                band=band,
                note=tp.note,
                origin=tp.origin,
            )
        )
    rows.sort(
        key=lambda r: (
            -max(r.days_overdue, 0),
            r.due,
            band_rank.get(r.band, 3),
            tier_rank.get(r.tier, 9),
            r.account.casefold(),
            r.touchpoint_id,
        )
    )
    return rows


# -- Book.kpi --------------------------------------------------------------
def old_kpi(self, as_of: date, period: str = "12m") -> dict:
    """The KPI panel's numbers for the period ending *as_of* (docs/domain.md)."""
    try:
        start = kpis.period_start(as_of, period)
    except ValueError as exc:
        raise BookError(str(exc)) from None
    with self.read() as s:
        history: dict[int, list[tuple[date, float]]] = {}
        for aid, eff, mrr in s.execute(
            select(MrrLevel.account_id, MrrLevel.effective, MrrLevel.mrr).order_by(
                MrrLevel.account_id, MrrLevel.effective
            )
        ):
            history.setdefault(aid, []).append((eff, mrr))
        responses = [
            npsm.NpsResponse(aid, cid, role or "other", day, int(value))
            for aid, cid, role, day, value in s.execute(
                select(Score.account_id, Score.contact_id, Contact.role, Score.day, Score.value)
                .join(Contact, Contact.id == Score.contact_id, isouter=True)
                .where(Score.kind == "nps")
                .where(Score.day >= start)
                .where(Score.day <= as_of)
                .order_by(Score.day, Score.id)
            )
        ]
        enterprise = list(
            s.execute(
                select(Account.id)
                .where(Account.tier == "enterprise")
                .where(Account.status == "active")
                .where(Account.start <= as_of)
            ).scalars()
        )
        qbrs: dict[int, list[date]] = {}
        for aid, day in s.execute(
            select(Interaction.account_id, Interaction.day)
            .where(Interaction.kind == "qbr")
            .where(Interaction.day > as_of - timedelta(days=120))
            .where(Interaction.day <= as_of)
        ):
            qbrs.setdefault(aid, []).append(day)
        # kpis.on_time_rate's rule, counted by the database (100k+ touchpoints).
        due_n, on_time_n = s.execute(
            select(
                func.count(Touchpoint.id),
                func.coalesce(
                    func.sum(
                        case(
                            (
                                (Touchpoint.status == "done")
                                & Touchpoint.completed_on.is_not(None)
                                & (Touchpoint.completed_on <= Touchpoint.due),
                                1,
                            ),
                            else_=0,
                        )
                    ),
                    0,
                ),
            )
            .where(Touchpoint.due >= start)
            .where(Touchpoint.due <= as_of)
            .where(Touchpoint.status != "skipped")
        ).one()
        new_sources = list(
            s.execute(
                select(Account.source).where(Account.start >= start).where(Account.start <= as_of)
            ).scalars()
        )
        bands = old_latest_bands(s, as_of)
        trend = [
            (day, green, total)
            for day, green, total in s.execute(
                select(
                    HealthSnapshot.day,
                    func.sum(
                        func.coalesce((HealthSnapshot.band == "green"), False).cast(int_type())
                    ),
                    func.count(HealthSnapshot.band),
                )
                .where(HealthSnapshot.day >= start)
                .where(HealthSnapshot.day <= as_of)
                .group_by(HealthSnapshot.day)
                .order_by(HealthSnapshot.day)
            )
        ]
    rev = old_revenue_kpis(history, start, as_of)
    dist = kpis.health_distribution(bands)
    return {
        "period": {"start": start.isoformat(), "end": as_of.isoformat()},
        "starting_mrr": round(rev.starting_mrr, 2),
        "ending_mrr": round(rev.ending_mrr, 2),
        "nrr": _r(rev.nrr),
        "grr": _r(rev.grr),
        "logo_retention": _r(rev.logo_retention),
        "logo_churn": _r(rev.logo_churn),
        "cohort_size": rev.cohort_size,
        "churned_logos": rev.churned_logos,
        "expansion_mrr": round(rev.expansion_mrr, 2),
        "contraction_mrr": round(rev.contraction_mrr, 2),
        "churned_mrr": round(rev.churned_mrr, 2),
        "new_mrr": round(rev.new_mrr, 2),
        "expansion_share": _r(rev.expansion_share),
        "nps": _r(old_portfolio_nps(responses, start, as_of), 1),
        "account_nps": _r(
            old_account_nps(responses, start, as_of, self.config.nps.role_weights), 1
        ),
        "user_nps": _r(old_user_nps(responses, start, as_of), 1),
        "nps_responses": len(responses),
        "health": {k: _r(v) for k, v in dist.items()},
        "accounts_scored": len(bands),
        "qbr_completion": _r(kpis.qbr_completion(enterprise, qbrs, as_of)),
        "on_time_rate": _r(on_time_n / due_n if due_n else None),
        "referral_rate": _r(kpis.referral_rate(new_sources)),
        "green_trend": [
            {"date": d.isoformat(), "green": _r(g / t if t else None)} for d, g, t in trend
        ],
        "mrr_by_month": old_mrr_movements_by_month(history, start, as_of),
    }


def old_latest_bands(s: Session, as_of: date) -> list[str]:
    """Each active account's band from its latest health snapshot on or before *as_of*.

    The daily sync (and every write) snapshots health, so the KPI panel reads these
    instead of recomputing every account's health.
    """
    latest = (
        select(HealthSnapshot.account_id, func.max(HealthSnapshot.day).label("day"))
        .where(HealthSnapshot.day <= as_of)
        .group_by(HealthSnapshot.account_id)
        .subquery()
    )
    rows = s.execute(
        select(HealthSnapshot.band, func.count())
        .join(
            latest,
            (HealthSnapshot.account_id == latest.c.account_id)
            & (HealthSnapshot.day == latest.c.day),
        )
        .join(Account, Account.id == HealthSnapshot.account_id)
        .where(Account.status == "active")
        .where(HealthSnapshot.band.is_not(None))
        .group_by(HealthSnapshot.band)
    ).all()
    return [band for band, n in rows for _ in range(n)]


# -- core/kpi.py ----------------------------------------------------------
def _sorted_levels(levels: Levels) -> list[tuple[date, float]]:
    # A stable sort on the date alone: two levels on the same day keep their input order, so
    # the one entered last (a same-day correction) is the one that applies.
    return sorted(levels, key=lambda level: level[0])


def _mrr_on_sorted(ordered: list[tuple[date, float]], day: date) -> float:
    i = bisect_right(ordered, day, key=lambda level: level[0])
    return float(ordered[i - 1][1]) if i else 0.0


def mrr_on(levels: Levels, day: date) -> float:
    """MRR of one account on *day*.

    A level applies from its effective date (inclusive) until the next level's date, so a
    change logged "from the 1st" counts on the 1st. Before the first level the account was
    not a customer yet, hence 0. Input order does not matter because imports and quick-log
    lines append levels in whatever order they arrive.
    """
    return _mrr_on_sorted(_sorted_levels(levels), day)


def old_revenue_kpis(
    history: Mapping[Hashable, Levels], start: date, end: date
) -> kpis.RevenueKpis:
    """NRR, GRR, logo retention and MRR movements over [start, end].

    Follows the formulas of docs/domain.md literally. The movements are computed per account
    between the two endpoints only (not summed month by month), which is what makes them
    reconcile exactly: ``starting_mrr + expansion - contraction - churned == cohort_ending``.
    An account that churned and came back inside the period is still in C, so its return is
    measured against its starting MRR rather than counted as new; an account at 0 on *start*
    (never a customer, or churned before) counts as new MRR.
    """
    kpis._check_period(start, end)
    cohort_size = retained = 0
    starting = cohort_ending = floor_sum = 0.0
    expansion = contraction = churned = new = 0.0
    for levels in history.values():
        ordered = _sorted_levels(levels)
        at_start = _mrr_on_sorted(ordered, start)
        at_end = _mrr_on_sorted(ordered, end)
        if at_start <= 0:
            new += at_end
            continue
        cohort_size += 1
        starting += at_start
        cohort_ending += at_end
        floor_sum += min(at_start, at_end)
        if at_end > 0:
            retained += 1
            if at_end > at_start:
                expansion += at_end - at_start
            else:
                contraction += at_start - at_end
        else:
            # end <= 0 is a churned logo; its whole starting MRR is lost.
            churned += at_start
    logo_retention = retained / cohort_size if cohort_size else None
    return kpis.RevenueKpis(
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
        ending_mrr=cohort_ending + new,
        churned_logos=cohort_size - retained,
    )


def _month_points(start: date, end: date) -> list[date]:
    """The end of each calendar month from start's month to end's, the last one clamped to end."""
    points: list[date] = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        last = date(year, month, calendar.monthrange(year, month)[1])
        points.append(min(last, end))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return points


def old_mrr_movements_by_month(
    history: Mapping[Hashable, Levels], start: date, end: date
) -> list[dict[str, float | str]]:
    """MRR movements per calendar month of [start, end], for the KPI chart.

    Each row compares every account's MRR at the previous point with its MRR at this month's
    end. The first row's previous point is *start* itself and the last month's end is clamped
    to *end*, so the rows only show what happened inside the period and chain exactly: the
    first row's opening total plus every row's net movement equals the last row's ``mrr``.
    0 -> >0 is ``new``, or ``reactivation`` when the account had MRR > 0 on or before the
    previous point (a returning customer is a different story from a new logo).
    """
    kpis._check_period(start, end)
    accounts = [_sorted_levels(levels) for levels in history.values()]
    previous_point = start
    previous = [_mrr_on_sorted(levels, start) for levels in accounts]
    rows: list[dict[str, float | str]] = []
    for point in _month_points(start, end):
        row: dict[str, float | str] = {
            "month": f"{point.year:04d}-{point.month:02d}",
            "new": 0.0,
            "expansion": 0.0,
            "contraction": 0.0,
            "churned": 0.0,
            "reactivation": 0.0,
        }
        current = [_mrr_on_sorted(levels, point) for levels in accounts]
        for levels, before, after in zip(accounts, previous, current, strict=True):
            kind, amount = _classify(levels, previous_point, before, after)
            if kind:
                row[kind] = float(row[kind]) + amount
        row["mrr"] = sum(current)
        rows.append(row)
        previous_point, previous = point, current
    return rows


def _classify(
    levels: list[tuple[date, float]], previous_point: date, before: float, after: float
) -> tuple[str | None, float]:
    if before <= 0 < after:
        had_mrr = any(d <= previous_point and mrr > 0 for d, mrr in levels)
        return ("reactivation" if had_mrr else "new"), after
    if before > 0 >= after:
        return "churned", before
    if after > before:
        return "expansion", after - before
    if after < before:
        return "contraction", before - after
    return None, 0.0


# -- core/nps.py ----------------------------------------------------------
def old_nps_of(values: Iterable[int], weights: Iterable[float] | None = None) -> float | None:
    """% promoters minus % detractors, from -100 to 100; ``None`` when there is nothing.

    With *weights*, the shares are weighted shares (a weight-3 promoter counts three times).
    ``None`` rather than 0 for no answers (or zero total weight), because "no data" and
    "as many promoters as detractors" are different things on the KPI panel.
    """
    values = list(values)
    weights = [1.0] * len(values) if weights is None else [float(w) for w in weights]
    if len(weights) != len(values):
        raise ValueError(f"got {len(values)} NPS answers but {len(weights)} weights")
    promoters = detractors = total = 0.0
    for value, weight in zip(values, weights, strict=True):
        npsm._check_value(value)
        if weight < 0:
            raise ValueError(f"an NPS weight must not be negative, got {weight!r}")
        total += weight
        if value >= npsm.PROMOTER_MIN:
            promoters += weight
        elif value <= npsm.DETRACTOR_MAX:
            detractors += weight
    if total <= 0:
        return None
    # Divide before scaling and clamp: float rounding must never show -100.00000000000001.
    return max(-100.0, min(100.0, 100.0 * ((promoters - detractors) / total)))


def old__in_window(responses: Iterable[NpsResponse], start: date, end: date) -> list[NpsResponse]:
    return [r for r in responses if start <= r.on <= end]


def old_latest_per_contact(
    responses: Iterable[NpsResponse], start: date, end: date
) -> list[NpsResponse]:
    """Each contact's latest answer dated in [start, end], in input order.

    A contact who answered twice has changed their mind; the older answer no longer
    describes the account. Contacts are keyed by (account, contact) so the same person id in
    two accounts stays two contacts. Same-day answers: the later one in the input wins.
    Anonymous answers cannot be matched to anyone, so each one stands alone.
    """
    latest: dict[Hashable, tuple[int, NpsResponse]] = {}
    for position, response in enumerate(old__in_window(responses, start, end)):
        key: Hashable = (
            ("contact", response.account, response.contact)
            if response.contact is not None
            else ("anonymous", position)
        )
        kept = latest.get(key)
        if kept is None or response.on >= kept[1].on:
            latest[key] = (position, response)
    return [response for _, response in sorted(latest.values(), key=lambda kept: kept[0])]


def old_role_weight(role: str, role_weights: Mapping[str, float]) -> float:
    """Weight of a role; unknown roles weigh like "other" (1.0 if "other" is not set)."""
    key = role.strip().casefold() if isinstance(role, str) else role
    if key in role_weights:
        return float(role_weights[key])
    return float(role_weights.get("other", 1.0))


def old_portfolio_nps(responses: Iterable[NpsResponse], start: date, end: date) -> float | None:
    """The KPI "nps": unweighted NPS over each contact's latest answer in the period."""
    return old_nps_of(r.value for r in old_latest_per_contact(responses, start, end))


def old_user_nps(responses: Iterable[NpsResponse], start: date, end: date) -> float | None:
    """NPS over every answer in the period, each once (the end users' voice, undamped)."""
    return old_nps_of(r.value for r in old__in_window(responses, start, end))


def old_account_nps(
    responses: Iterable[NpsResponse],
    start: date,
    end: date,
    role_weights: Mapping[str, float],
) -> float | None:
    """NPS over each contact's latest answer, weighted by role (config.NpsConfig.role_weights)."""
    latest = old_latest_per_contact(responses, start, end)
    return old_nps_of(
        (r.value for r in latest), (old_role_weight(r.role, role_weights) for r in latest)
    )
