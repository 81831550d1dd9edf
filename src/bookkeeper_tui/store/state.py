"""Load what the rules need about many accounts in a handful of queries.

The rules in ``core`` take plain facts; this module gathers those facts for a set
of accounts (or the whole book) with grouped queries instead of one query per
account, so the book view and the KPI panel stay fast on large books.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import NamedTuple

from sqlalchemy import case, func, select
from sqlmodel import Session

from bookkeeper_tui.config import Config
from bookkeeper_tui.core.health import Health, HealthFacts, compute_health
from bookkeeper_tui.core.models import (
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
from bookkeeper_tui.core.nps import AccountNps, NpsResponse, account_nps_detail
from bookkeeper_tui.core.revenue import USAGE_BASELINE_WINDOWS, USAGE_RECENT_DAYS, usage_score
from bookkeeper_tui.core.signals import Flag, FlagFacts, account_flags, churn_terms
from bookkeeper_tui.core.vocab import TWO_WAY_KINDS

#: How far back score signals are read for health and flags.
SIGNAL_LOOKBACK_DAYS = 365


class OpenTouchpoint(NamedTuple):
    """An open touchpoint as the book view needs it (plain tuple: cheap by the thousand)."""

    id: int
    account_id: int
    kind: str
    due: date
    status: str
    snoozed_until: date | None
    note: str


@dataclass
class AccountState:
    """Everything the book view needs about one account on one day."""

    account: Account
    mrr: float
    levels: list[tuple[date, float]]
    health: Health
    flags: list[Flag]
    nps: AccountNps
    last_touch: date | None
    next_touchpoint: OpenTouchpoint | None
    overdue: int
    previous_band: str | None = None
    previous_components: list[tuple[str, float]] | None = None
    churn_terms: list[str] = field(default_factory=list)


def _in(col, ids: list[int] | None):
    return col.in_(ids) if ids is not None else True


def load_states(
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
            champion_left=aid in champion_left,
            overdue_touchpoints=overdue,
            nps_gap_flagged=nps.flagged,
            last_referral_ask=last_referral.get(aid),
            last_expansion_talk=last_expansion.get(aid),
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


def _effective_due(tp: Touchpoint | OpenTouchpoint) -> date:
    if tp.status == "snoozed" and tp.snoozed_until is not None:
        return tp.snoozed_until
    return tp.due


def effective_due(tp: Touchpoint | OpenTouchpoint) -> date:
    """When a touchpoint is due, counting a snooze."""
    return _effective_due(tp)


def _mrr_on(levels: list[tuple[date, float]], day: date) -> float:
    value = 0.0
    for eff, mrr in levels:
        if eff <= day:
            value = mrr
        else:
            break
    return value
