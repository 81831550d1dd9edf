"""Load what the rules need about many accounts in a handful of queries.

The rules in ``core`` take plain facts; this module gathers those facts for a set
of accounts (or the whole book) with grouped queries instead of one query per
account, so the book view and the KPI panel stay fast on large books. The queries are
in ``store.state_sql``, the reading of their rows in ``store.state_facts``; here each
account's state is built from those facts.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import NamedTuple

from sqlalchemy import Row, Select, select
from sqlmodel import Session

from bookkeeper_tui.core.bounds import in_range
from bookkeeper_tui.core.health import Health, HealthFacts, compute_health
from bookkeeper_tui.core.nps import AccountNps, account_nps_detail
from bookkeeper_tui.core.revenue import USAGE_BASELINE_WINDOWS, USAGE_RECENT_DAYS
from bookkeeper_tui.core.settings import Config
from bookkeeper_tui.core.signals import Flag, FlagFacts, account_flags
from bookkeeper_tui.store.models import Account, Touchpoint
from bookkeeper_tui.store.state_facts import Facts, read_facts, stream
from bookkeeper_tui.store.state_sql import statements

__all__ = [
    "BULK_ACCOUNTS",
    "SIGNAL_LOOKBACK_DAYS",
    "AccountRow",
    "AccountState",
    "OpenTouchpoint",
    "Settled",
    "effective_due",
    "load_states",
    "stream",
]

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


@dataclass(slots=True, weakref_slot=True)
class AccountRow:
    """An account's columns as a state holds them: plain values, not an ORM object.

    A book's worth of SQLModel ``Account`` objects (with their instance state, their
    pydantic fields and the session's bookkeeping) held ~15 MiB of the Book's ~60 MiB at
    10,000 accounts; these rows hold the same values in a fifth of that. Read-only by
    convention: a state is a reading of the book, edits go through ``Book``.
    """

    id: int
    name: str
    external_id: str | None
    tier: str
    tier_manual: bool
    start: date
    renewal: date | None
    owner: str | None
    industry: str | None
    tags: str
    status: str
    source: str | None
    term_months: int | None
    first_value: date | None
    version: int


#: The columns of :class:`AccountRow`, in its order.
ACCOUNT_COLUMNS = tuple(getattr(Account, f) for f in AccountRow.__dataclass_fields__)


@dataclass(slots=True, weakref_slot=True)
class AccountState:
    """Everything the book view needs about one account on one day."""

    account: AccountRow
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


#: From this many accounts on, states are read for the whole book at once (no id list)
#: and what is built is kept out of the garbage collector's way (:class:`Settled`).
BULK_ACCOUNTS = 500
#: ... frozen every this many accounts' states.
FREEZE_EVERY = 1_000
#: ... and their facts read for this many accounts at a time (:func:`_parts`).
PART_ACCOUNTS = 2_000


class Settled:
    """Keeps a book's worth of new, long-lived objects out of the collector's way.

    The states of 10,000 accounts are a couple of hundred thousand small objects that all
    stay alive: while they pile up, the collector walks the whole heap again every time
    it grows by a quarter (CPython 3.11), which costs a third of computing the states.
    Instead of pausing the collector, what exists when the work starts and what it has
    built so far are frozen (``gc.freeze``: moved where collections do not look) each
    time :meth:`settle` is called, and thawed at the end, so collections meanwhile walk
    only the newest objects. It does nothing while the collector is off (the app runs
    its own collections when the user pauses) and leaves a freeze made before it alone.
    """

    def __init__(self, active: bool = True) -> None:
        self.active = active and gc.isenabled()
        # Counting the frozen heap walks all of it (CPython 3.11): only when it matters.
        self.thaw = self.active and gc.get_freeze_count() == 0

    def settle(self) -> None:
        if self.active:
            gc.freeze()

    def __enter__(self) -> Settled:
        self.settle()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.active and self.thaw:
            gc.unfreeze()


def load_states(
    session: Session,
    as_of: date,
    config: Config,
    account_ids: Iterable[int] | None = None,
    include_churned: bool = True,
) -> dict[int, AccountState]:
    """Health, flags and summary facts for the given accounts (all when None)."""
    ids = list(account_ids) if account_ids is not None else None
    return _load_states(session, as_of, config, ids, include_churned)


def _load_states(
    session: Session,
    as_of: date,
    config: Config,
    ids: list[int] | None,
    include_churned: bool,
) -> dict[int, AccountState]:
    acc_q = select(*ACCOUNT_COLUMNS)
    if ids is not None:
        acc_q = acc_q.where(Account.id.in_(ids))
    if not include_churned:
        acc_q = acc_q.where(Account.status != "churned")
    accounts = _account_rows(stream(session.execute(acc_q)))
    if not accounts:
        return {}
    params = _params(as_of, config)
    # Column queries run on the session's connection: no ORM entities to load.
    conn = session.connection()

    def run(stmt: Select) -> Iterator[Row]:
        return stream(conn.execute(stmt, params))

    def run_scalars(stmt: Select) -> Sequence:
        return conn.execute(stmt, params).scalars().all()

    def run_one(stmt: Select) -> Row:
        return conn.execute(stmt, params).one()

    states: dict[int, AccountState] = {}
    components = _Components()
    shared: dict = {}
    with Settled(len(accounts) >= BULK_ACCOUNTS) as settled:
        for part in _parts(list(accounts)):
            params["ids"] = part
            facts = read_facts(run, run_scalars, run_one, statements(True), as_of, config, shared)
            per_account = [
                v for v in vars(facts).values() if isinstance(v, dict) and v is not shared
            ]
            settled.settle()
            for aid in part:
                if len(states) % FREEZE_EVERY == 0:
                    settled.settle()
                states[aid] = _state(accounts[aid], facts, as_of, config, components)
                # What was read about the account goes once its state is built: the
                # facts read and the states are then never in memory together.
                for by_account in per_account:
                    by_account.pop(aid, None)
    return states


def _parts(order: list[int]) -> Iterator[list[int]]:
    """The accounts whose facts are read together: every account of a small set (by id),
    else PART_ACCOUNTS at a time.

    A whole book's facts read at once were the peak of its memory (at 10,000 accounts,
    30 MiB of facts next to the states being built); a part's facts are a fraction of
    that."""
    if len(order) < BULK_ACCOUNTS:
        yield order
        return
    for i in range(0, len(order), PART_ACCOUNTS):
        yield order[i : i + PART_ACCOUNTS]


def _account_rows(rows: Iterable[Row]) -> dict[int, AccountRow]:
    """The accounts by id as :class:`AccountRow`; the values that repeat from account to
    account (tier, status, owner, industry, tags, source, dates) are shared, one object
    each, not one per account as the driver returns them."""
    share = {}.setdefault
    out: dict[int, AccountRow] = {}
    for (
        aid,
        name,
        ext,
        tier,
        manual,
        start,
        renewal,
        owner,
        industry,
        tags,
        status,
        source,
        term,
        first_value,
        version,
    ) in rows:
        out[aid] = AccountRow(
            aid,
            name,
            ext,
            share(tier, tier),
            manual,
            share(start, start),
            share(renewal, renewal),
            share(owner, owner),
            share(industry, industry),
            share(tags, tags),
            share(status, status),
            share(source, source),
            term,
            share(first_value, first_value),
            version,
        )
    return out


def _params(as_of: date, config: Config) -> dict[str, object]:
    """The queries' parameters for *as_of*."""
    usage_recent = as_of - timedelta(days=USAGE_RECENT_DAYS)
    return {
        "as_of": as_of,
        "det_nps": float(config.loop.detractor_nps_max),
        "det_csat": float(config.loop.detractor_csat_max),
        "since": as_of - timedelta(days=SIGNAL_LOOKBACK_DAYS),
        "recent": as_of - timedelta(days=config.signals.triple_signal_days),
        "usage_recent": usage_recent,
        "usage_base": usage_recent - timedelta(days=USAGE_RECENT_DAYS * USAGE_BASELINE_WINDOWS),
        "referral_until": as_of + timedelta(days=30),
        "snapshots_after": as_of - timedelta(days=config.signals.health_drop_days + 5),
    }


class _Components:
    """The snapshots' components as lists of (name, value) pairs, each pair one shared
    tuple: a book's snapshots say ("engagement", 100.0) thousands of times (parsing each
    account's JSON anew held ~6 MiB at 10,000 accounts, ~1 MiB so)."""

    def __init__(self) -> None:
        self._pairs: dict[tuple[str, float], tuple[str, float]] = {}
        self._parsed: dict[str, tuple[tuple[str, float], ...]] = {}

    def __call__(self, text: str) -> list[tuple[str, float]]:
        parsed = self._parsed.get(text)
        if parsed is None:
            share = self._pairs.setdefault
            parsed = tuple(share(p, p) for p in map(tuple, json.loads(text)))
            self._parsed[text] = parsed
        return list(parsed)


def _state(
    acc: AccountRow,
    f: Facts,
    as_of: date,
    config: Config,
    components: Callable[[str], list[tuple[str, float]]] | None = None,
) -> AccountState:
    """One account's state from the facts read for the whole set."""
    aid = acc.id
    hc = config.health
    lv = f.levels.get(aid, [])
    usage = f.usage.get(aid, ())
    tickets = f.tickets.get(aid, [])
    facts = HealthFacts(
        tier=acc.tier,
        start=acc.start,
        usage=usage,
        two_way=[f.last_two_way[aid]] if aid in f.last_two_way else (),
        tickets=tickets if aid in f.tracked else None,
        ticket_counts=f.ticket_counts.get(aid, ()),
        surveys=f.surveys.get(aid, ()),
        mrr_levels=lv,
        override=f.overrides.get(aid),
        stale=f.stale_feeds,
    )
    churned = acc.status == "churned"
    if churned:
        health = Health(score=None, band=None, components=(), missing=())
    else:
        health = _shared(compute_health(facts, as_of, hc), f.one)
    nps = account_nps_detail(
        f.responses.get(aid, []),
        as_of - timedelta(days=hc.survey_window_days),
        as_of,
        config.nps.role_weights,
        config.nps.gap_flag,
    )
    overdue = f.overdue_by.get(aid, 0)
    flags = (
        []
        if churned
        else [
            f.one(flag)
            for flag in account_flags(
                _flag_facts(acc, f, health, nps, overdue), as_of, config.signals
            )
        ]
    )
    prev = f.previous.get(aid)
    first = f.next_open.get(aid)
    return AccountState(
        account=acc,
        mrr=_mrr_on(lv, as_of),
        levels=lv,
        health=health,
        flags=flags,
        nps=nps,
        last_touch=f.last_touch.get(aid),
        next_touchpoint=_open_touchpoint(first[1], f.one) if first is not None else None,
        overdue=overdue,
        previous_band=prev[0] if prev else None,
        previous_components=(components or _Components())(prev[1]) if prev else None,
        churn_terms=f.notes_terms.get(aid, []),
    )


def _open_touchpoint(row: Row, one: Callable) -> OpenTouchpoint:
    """An open touchpoint row with its kind, dates, status and note shared (the playbook
    writes the same few notes on thousands of accounts)."""
    tid, aid, kind, due, status, snoozed, note = row
    return OpenTouchpoint(tid, aid, one(kind), one(due), one(status), one(snoozed), one(note))


def _shared(health: Health, one: Callable) -> Health:
    """*health* with its components (and the names missing) held once for the whole
    book: many accounts have the same "no tickets in 30 days" or "engagement 100"
    component (every field a str or a float: an equal component is the same component)."""
    return Health(
        score=health.score,
        band=health.band,
        components=tuple([one(c) for c in health.components]),
        missing=one(health.missing),
        overridden=health.overridden,
        stale=health.stale,
    )


def _flag_facts(
    acc: AccountRow, f: Facts, health: Health, nps: AccountNps, overdue: int
) -> FlagFacts:
    aid = acc.id
    return FlagFacts(
        # A date outside the book's years (saved before the check) is skipped.
        start=in_range(acc.start),
        renewal=in_range(acc.renewal),
        band=health.band,
        health_history=f.history.get(aid, ()),
        current_score=health.score,
        nps=f.nps_points.get(aid, ()),
        usage=f.usage.get(aid, ()),
        tickets=f.tickets.get(aid, ()),
        churn_terms_recent=f.notes_terms.get(aid, ()),
        champion_left=aid in f.champion_left,
        overdue_touchpoints=overdue,
        nps_gap_flagged=nps.flagged,
        last_referral_ask=f.last_referral.get(aid),
        last_expansion_talk=f.last_expansion.get(aid),
        tier=acc.tier,
        contacts=f.people.get(aid, ()),
    )


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
