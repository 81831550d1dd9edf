"""Load what the rules need about many accounts in a handful of queries.

The rules in ``core`` take plain facts; this module gathers those facts for a set
of accounts (or the whole book) with grouped queries instead of one query per
account, so the book view and the KPI panel stay fast on large books.
"""

from __future__ import annotations

import gc
import json
import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from typing import NamedTuple

from sqlalchemy import (
    Date,
    Float,
    Result,
    Row,
    Select,
    and_,
    bindparam,
    case,
    func,
    or_,
    select,
)
from sqlmodel import Session

from bookkeeper_tui.core.bounds import in_range
from bookkeeper_tui.core.health import Health, HealthFacts, compute_health, feed_is_current
from bookkeeper_tui.core.nps import AccountNps, NpsResponse, account_nps_detail
from bookkeeper_tui.core.relationships import ContactFact
from bookkeeper_tui.core.revenue import USAGE_BASELINE_WINDOWS, USAGE_RECENT_DAYS, usage_score
from bookkeeper_tui.core.settings import Config
from bookkeeper_tui.core.signals import Flag, FlagFacts, account_flags, churn_terms
from bookkeeper_tui.core.vocab import TWO_WAY_KINDS
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


class _Statements(NamedTuple):
    levels: Select
    interactions: Select
    recent_interactions: Select
    tickets: Select
    ticket_accounts: Select
    usage_events: Select
    scores: Select
    contacts: Select
    feed_ends: Select
    open_touchpoints: Select
    touchpoint_dates: Select
    health: Select


def _where_ids(stmt: Select, col, filtered: bool) -> Select:
    return stmt.where(col.in_(bindparam("ids", expanding=True))) if filtered else stmt


@cache
def _statements(filtered: bool) -> _Statements:
    """load_states' queries, built once (with bound parameters) instead of on every call.

    A statement object built once keeps its SQLAlchemy cache key, so running it again
    costs the execution only: one account's states (a quick-log save, the account view)
    are a dozen small queries where building them used to cost as much as running them.
    *filtered* adds ``account_id IN :ids``.
    """
    as_of = bindparam("as_of", type_=Date)
    since = bindparam("since", type_=Date)
    recent = bindparam("recent", type_=Date)
    two_way = sorted(TWO_WAY_KINDS)
    # Conversations that carry a detractor answer (NPS/CSAT at or below loop.detractor_*):
    # they do not refresh engagement, so a complaint call cannot lift health (rules.md).
    detractor_talks = select(Score.interaction_id).where(
        Score.interaction_id.is_not(None),
        or_(
            and_(Score.kind == "nps", Score.value <= bindparam("det_nps", type_=Float)),
            and_(Score.kind == "csat", Score.value <= bindparam("det_csat", type_=Float)),
        ),
    )
    day, count = UsageEvent.day, UsageEvent.count
    usage_recent = bindparam("usage_recent", type_=Date)
    usage_base = bindparam("usage_base", type_=Date)
    return _Statements(
        levels=_where_ids(
            select(MrrLevel.account_id, MrrLevel.effective, MrrLevel.mrr),
            MrrLevel.account_id,
            filtered,
        ).order_by(MrrLevel.account_id, MrrLevel.effective),
        # Last two-way interaction and last touch on or before as_of, and whether the
        # account tracks tickets at all (any ticket interaction, any day): one pass.
        interactions=_where_ids(
            select(
                Interaction.account_id,
                func.max(
                    case(
                        (
                            Interaction.kind.in_(two_way)
                            & (Interaction.day <= as_of)
                            & Interaction.id.not_in(detractor_talks),
                            Interaction.day,
                        )
                    )
                ),
                func.max(
                    case(
                        (
                            (Interaction.kind != "ticket") & (Interaction.day <= as_of),
                            Interaction.day,
                        )
                    )
                ),
                func.max(case((Interaction.kind == "ticket", 1), else_=0)),
            ),
            Interaction.account_id,
            filtered,
        ).group_by(Interaction.account_id),
        recent_interactions=_where_ids(
            select(
                Interaction.account_id,
                Interaction.kind,
                Interaction.day,
                Interaction.summary,
                Interaction.notes,
            ),
            Interaction.account_id,
            filtered,
        )
        .where(Interaction.day > recent)
        .where(Interaction.day <= as_of),
        tickets=_where_ids(select(Ticket.account_id, Ticket.opened), Ticket.account_id, filtered)
        .where(Ticket.opened > recent)
        .where(Ticket.opened <= as_of),
        ticket_accounts=_where_ids(
            select(Ticket.account_id), Ticket.account_id, filtered
        ).distinct(),
        usage_events=_where_ids(
            select(
                UsageEvent.account_id,
                func.sum(case((day > usage_recent, count), else_=0)),
                func.sum(case(((day > usage_base) & (day <= usage_recent), count), else_=0)),
                func.sum(case((day <= usage_recent, 1), else_=0)),
            ),
            UsageEvent.account_id,
            filtered,
        )
        .where(day <= as_of)
        .group_by(UsageEvent.account_id),
        # Every score signal, with the answering contact's role for the NPS responses.
        scores=_where_ids(
            select(
                Score.account_id,
                Score.kind,
                Score.day,
                Score.value,
                Score.contact_id,
                Contact.role,
            ).join(Contact, Contact.id == Score.contact_id, isouter=True),
            Score.account_id,
            filtered,
        )
        .where(Score.day > since)
        .where(Score.day <= as_of)
        .order_by(Score.day, Score.id),
        # Every contact's role and departure, for the relationship flags.
        contacts=_where_ids(
            select(Contact.account_id, Contact.role, Contact.left_on),
            Contact.account_id,
            filtered,
        ),
        # The newest imported ticket and usage event in the whole book (never filtered by
        # account, so one account's view agrees with the whole book's): a feed that ended
        # long ago is stale for every account (core.health.feed_is_current).
        feed_ends=select(
            select(func.max(Ticket.opened)).where(Ticket.opened <= as_of).scalar_subquery(),
            select(func.max(UsageEvent.day)).where(UsageEvent.day <= as_of).scalar_subquery(),
        ),
        open_touchpoints=_where_ids(
            select(
                Touchpoint.id,
                Touchpoint.account_id,
                Touchpoint.kind,
                Touchpoint.due,
                Touchpoint.status,
                Touchpoint.snoozed_until,
                Touchpoint.note,
            ),
            Touchpoint.account_id,
            filtered,
        )
        .where(Touchpoint.status.in_(("open", "snoozed")))
        .order_by(Touchpoint.due),
        # Latest referral ask (due up to a month ahead) and latest expansion talk done.
        # "done" is tested inside the aggregate, not in WHERE: an equality on status
        # would make SQLite walk the status index over every done touchpoint in the book
        # instead of the account's own rows.
        touchpoint_dates=_where_ids(
            select(
                Touchpoint.account_id,
                func.max(
                    case(
                        (
                            (Touchpoint.kind == "referral_ask")
                            & (Touchpoint.due <= bindparam("referral_until", type_=Date)),
                            Touchpoint.due,
                        )
                    )
                ),
                func.max(
                    case(
                        (
                            (Touchpoint.kind == "expansion") & (Touchpoint.status == "done"),
                            Touchpoint.completed_on,
                        )
                    )
                ),
            ),
            Touchpoint.account_id,
            filtered,
        )
        .where(Touchpoint.kind.in_(("referral_ask", "expansion")))
        .group_by(Touchpoint.account_id),
        health=_where_ids(
            select(
                HealthSnapshot.account_id,
                HealthSnapshot.day,
                HealthSnapshot.score,
                HealthSnapshot.band,
                HealthSnapshot.components,
            ),
            HealthSnapshot.account_id,
            filtered,
        )
        .where(HealthSnapshot.day > bindparam("snapshots_after", type_=Date))
        .where(HealthSnapshot.day <= as_of)
        .order_by(HealthSnapshot.day),
    )


#: From this many accounts on, states are read for the whole book at once (no id list)
#: and built with the garbage collector paused.
BULK_ACCOUNTS = 500

_collector_lock = threading.Lock()
_collector_pauses = 0
_collector_was_enabled = False


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a book's worth of states is built.

    The states of 10,000 accounts are a couple of hundred thousand small objects that all
    stay alive: while they pile up, the collector walks the whole heap again every time
    it grows by a quarter (CPython 3.11), which cost as much as computing the states. The
    states hold no reference cycles, so there is nothing for it to find meanwhile. Nested
    and concurrent pauses (worker threads) are counted; the collector resumes, if it was
    running, when the last one ends.
    """
    global _collector_pauses, _collector_was_enabled
    with _collector_lock:
        if _collector_pauses == 0:
            _collector_was_enabled = gc.isenabled()
            gc.disable()
        _collector_pauses += 1
    try:
        yield
    finally:
        with _collector_lock:
            _collector_pauses -= 1
            if _collector_pauses == 0 and _collector_was_enabled:
                gc.enable()


def stream(result: Result, size: int = 256) -> Iterator[Row]:
    """A result's rows, fetched in batches.

    Iterating a result directly fetches row by row; ``all()`` keeps every row alive until
    the loop ends, and on a large book the garbage collector then walks those rows again
    and again (slower than the query itself). Batches avoid both.
    """
    for batch in result.partitions(size):
        yield from batch


def load_states(
    session: Session,
    as_of: date,
    config: Config,
    account_ids: Iterable[int] | None = None,
    include_churned: bool = True,
) -> dict[int, AccountState]:
    """Health, flags and summary facts for the given accounts (all when None)."""
    ids = list(account_ids) if account_ids is not None else None
    bulk = ids is None or len(ids) >= BULK_ACCOUNTS
    with collector_paused() if bulk else nullcontext():
        return _load_states(session, as_of, config, ids, include_churned)


def _load_states(
    session: Session,
    as_of: date,
    config: Config,
    ids: list[int] | None,
    include_churned: bool,
) -> dict[int, AccountState]:
    acc_q = select(Account).where(_in(Account.id, ids))
    if not include_churned:
        acc_q = acc_q.where(Account.status != "churned")
    accounts = {a.id: a for a in session.execute(acc_q).scalars()}
    if not accounts:
        return {}
    if ids is None and len(accounts) < BULK_ACCOUNTS:
        ids = list(accounts)

    since = as_of - timedelta(days=SIGNAL_LOOKBACK_DAYS)
    hc = config.health
    recent = as_of - timedelta(days=config.signals.triple_signal_days)
    usage_recent = as_of - timedelta(days=USAGE_RECENT_DAYS)
    q = _statements(ids is not None)
    params: dict[str, object] = {
        "as_of": as_of,
        "det_nps": float(config.loop.detractor_nps_max),
        "det_csat": float(config.loop.detractor_csat_max),
        "since": since,
        "recent": recent,
        "usage_recent": usage_recent,
        "usage_base": usage_recent - timedelta(days=USAGE_RECENT_DAYS * USAGE_BASELINE_WINDOWS),
        "referral_until": as_of + timedelta(days=30),
        "snapshots_after": as_of - timedelta(days=config.signals.health_drop_days + 5),
    }
    if ids is not None:
        params["ids"] = ids
    # Column queries run on the session's connection: no ORM entities to load.
    conn = session.connection()

    def run(stmt: Select) -> Iterator[Row]:
        return stream(conn.execute(stmt, params))

    def run_scalars(stmt: Select) -> Sequence:
        return conn.execute(stmt, params).scalars().all()

    levels: dict[int, list[tuple[date, float]]] = defaultdict(list)
    for aid, eff, mrr in run(q.levels):
        levels[aid].append((eff, mrr))

    last_two_way: dict[int, date] = {}
    last_touch: dict[int, date] = {}
    tracked: set[int] = set()
    for aid, two_way, touch, ticket in run(q.interactions):
        if two_way is not None:
            last_two_way[aid] = two_way
        if touch is not None:
            last_touch[aid] = touch
        if ticket:
            tracked.add(aid)
    tickets: dict[int, list[date]] = defaultdict(list)
    notes_terms: dict[int, list[str]] = defaultdict(list)
    words = config.churn_words
    for aid, kind, day, summary, notes in run(q.recent_interactions):
        if kind == "ticket":
            tickets[aid].append(day)
        for term in churn_terms(f"{summary}\n{notes}", words):
            if term not in notes_terms[aid]:
                notes_terms[aid].append(term)

    # Imported feeds speak for today only while they are current (core.health).
    ticket_end, usage_end = conn.execute(q.feed_ends, params).one()
    stale: list[tuple[str, date]] = []
    # Tickets imported from a help desk count like ticket interactions.
    if ticket_end is None or feed_is_current(ticket_end, as_of, hc):
        for aid, day in run(q.tickets):
            tickets[aid].append(day)
        tracked.update(run_scalars(q.ticket_accounts))
    else:
        stale.append(("support", ticket_end))
    event_usage: dict[int, float] = {}
    if usage_end is None or feed_is_current(usage_end, as_of, hc):
        for aid, recent_n, baseline_n, earlier_n in run(q.usage_events):
            score = usage_score(float(recent_n or 0), float(baseline_n or 0), bool(earlier_n))
            if score is not None:
                event_usage[aid] = score
    else:
        stale.append(("usage", usage_end))
    stale_feeds = tuple(stale)

    usage: dict[int, list[tuple[date, float]]] = defaultdict(list)
    ticket_counts: dict[int, list[tuple[date, float]]] = defaultdict(list)
    surveys: dict[int, list[tuple[date, str, float]]] = defaultdict(list)
    nps_points: dict[int, list[tuple[date, float]]] = defaultdict(list)
    overrides: dict[int, tuple[date, float]] = {}
    # NPS responses with roles (latest per contact) for the account-vs-user gap.
    responses: dict[int, list[NpsResponse]] = defaultdict(list)
    for aid, kind, day, value, cid, role in run(q.scores):
        if kind == "usage":
            usage[aid].append((day, value))
        elif kind == "tickets":
            ticket_counts[aid].append((day, value))
            tracked.add(aid)
        elif kind in ("nps", "csat"):
            surveys[aid].append((day, kind, value))
            if kind == "nps":
                nps_points[aid].append((day, value))
                responses[aid].append(NpsResponse(aid, cid, role or "other", day, int(value)))
        elif kind == "health":
            overrides[aid] = (day, value)
    for aid, value in event_usage.items():
        # Usage events (imported) speak for today; they win over older usage signals.
        usage[aid].append((as_of, value))

    # Contacts: the relationship flags, and whether a champion has left with nobody in
    # their place (a new champion closes the "champion left" risk).
    champion_left: set[int] = set()
    has_champion: set[int] = set()
    people: dict[int, list[ContactFact]] = defaultdict(list)
    for aid, role, left_on in run(q.contacts):
        people[aid].append(ContactFact(role or "other", left_on))
        if role == "champion":
            gone = left_on is not None and left_on <= as_of
            (champion_left if gone else has_champion).add(aid)
    champion_left -= has_champion

    # Per account: the open touchpoint due first (counting a snooze; the first of equals
    # in due order, as min() picks it) and how many are overdue. Only the one shown
    # becomes an OpenTouchpoint.
    next_open: dict[int, tuple[date, Row]] = {}
    overdue_by: dict[int, int] = {}
    for row in run(q.open_touchpoints):
        aid = row[1]
        due = row[5] if row[4] == "snoozed" and row[5] is not None else row[3]
        if due < as_of:
            overdue_by[aid] = overdue_by.get(aid, 0) + 1
        first = next_open.get(aid)
        if first is None or due < first[0]:
            next_open[aid] = (due, row)
    last_referral: dict[int, date | None] = {}
    last_expansion: dict[int, date | None] = {}
    for aid, referral, expansion in run(q.touchpoint_dates):
        last_referral[aid] = referral
        last_expansion[aid] = expansion

    history: dict[int, list[tuple[date, float]]] = defaultdict(list)
    previous: dict[int, tuple[str | None, str]] = {}
    for aid, day, score, band, components in run(q.health):
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
            stale=stale_feeds,
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
        overdue = overdue_by.get(aid, 0)
        flag_facts = FlagFacts(
            # A date outside the book's years (saved before the check) is skipped.
            start=in_range(acc.start),
            renewal=in_range(acc.renewal),
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
            next_touchpoint=OpenTouchpoint(*next_open[aid][1]) if aid in next_open else None,
            overdue=overdue,
            previous_band=prev[0] if prev else None,
            previous_components=[tuple(x) for x in json.loads(prev[1])] if prev else None,
            churn_terms=notes_terms.get(aid, []),
        )
    return states


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
