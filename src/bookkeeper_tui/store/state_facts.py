"""The facts ``store.state.load_states`` reads about many accounts, grouped by account.

Each reader runs one or a few of the queries in ``store.state_sql`` and files the rows
by account id in :class:`Facts`; ``store.state`` then builds each account's state from
them with the rules in ``core``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TypeVar

from sqlalchemy import Result, Row, Select

from bookkeeper_tui.core.health import feed_is_current
from bookkeeper_tui.core.nps import NpsResponse
from bookkeeper_tui.core.relationships import ContactFact
from bookkeeper_tui.core.revenue import usage_score
from bookkeeper_tui.core.settings import Config
from bookkeeper_tui.core.signals import churn_terms
from bookkeeper_tui.store.state_sql import Statements

T = TypeVar("T")

#: Runs a statement with load_states' parameters: its rows, fetched in batches.
Run = Callable[[Select], Iterator[Row]]


def stream(result: Result, size: int = 256) -> Iterator[Row]:
    """A result's rows, fetched in batches.

    Iterating a result directly fetches row by row; ``all()`` keeps every row alive until
    the loop ends, and on a large book the garbage collector then walks those rows again
    and again (slower than the query itself). Batches avoid both.
    """
    for batch in result.partitions(size):
        yield from batch


def _lists() -> defaultdict:
    return defaultdict(list)


@dataclass
class Facts:
    """What the queries said, by account id."""

    levels: dict[int, list[tuple[date, float]]] = field(default_factory=_lists)
    last_two_way: dict[int, date] = field(default_factory=dict)
    last_touch: dict[int, date] = field(default_factory=dict)
    #: Accounts that track tickets (any ticket interaction, import or ticket-count score).
    tracked: set[int] = field(default_factory=set)
    tickets: dict[int, list[date]] = field(default_factory=_lists)
    notes_terms: dict[int, list[str]] = field(default_factory=_lists)
    #: Imported feeds that ended too long ago: (feed, last day).
    stale_feeds: tuple[tuple[str, date], ...] = ()
    usage: dict[int, list[tuple[date, float]]] = field(default_factory=_lists)
    ticket_counts: dict[int, list[tuple[date, float]]] = field(default_factory=_lists)
    surveys: dict[int, list[tuple[date, str, float]]] = field(default_factory=_lists)
    nps_points: dict[int, list[tuple[date, float]]] = field(default_factory=_lists)
    overrides: dict[int, tuple[date, float]] = field(default_factory=dict)
    #: NPS responses with roles (latest per contact) for the account-vs-user gap.
    responses: dict[int, list[NpsResponse]] = field(default_factory=_lists)
    champion_left: set[int] = field(default_factory=set)
    people: dict[int, list[ContactFact]] = field(default_factory=_lists)
    #: The open touchpoint due first (counting a snooze) as (effective due, row).
    next_open: dict[int, tuple[date, Row]] = field(default_factory=dict)
    overdue_by: dict[int, int] = field(default_factory=dict)
    last_referral: dict[int, date | None] = field(default_factory=dict)
    last_expansion: dict[int, date | None] = field(default_factory=dict)
    history: dict[int, list[tuple[date, float]]] = field(default_factory=_lists)
    #: The latest snapshot before the day: (band, components as JSON).
    previous: dict[int, tuple[str | None, str]] = field(default_factory=dict)
    #: One object for each value read (a day, a role, a (day, value) point): see :meth:`one`.
    shared: dict = field(default_factory=dict, repr=False)

    def one(self, value: T) -> T:
        """*value*, or the equal value read before: what many accounts say alike (the same
        days, the same scores, the same (day, score) points) is held once, not once per
        row. At 10,000 accounts the facts read for the whole book took 52 MiB, most of
        it dates and points repeated from account to account. Only values of one type
        per column go through here (dates, strings, and tuples of a date and a Float
        column's values), so an equal value is the same value."""
        return self.shared.setdefault(value, value)


def read_facts(
    run: Run,
    run_scalars: Callable[[Select], Sequence],
    run_one: Callable[[Select], Row],
    q: Statements,
    as_of: date,
    config: Config,
    shared: dict | None = None,
) -> Facts:
    """Every fact load_states needs, from the queries in *q*; the values in *shared*
    (:meth:`Facts.one`) are reused, and what is read is added to it."""
    f = Facts() if shared is None else Facts(shared=shared)
    one = f.one
    for aid, eff, mrr in run(q.levels):
        f.levels[aid].append(one((eff, mrr)))
    _read_interactions(f, run, q, config)
    event_usage = _read_feeds(f, run, run_scalars, run_one, q, as_of, config)
    _read_scores(f, run, q, as_of, event_usage)
    _read_contacts(f, run, q, as_of)
    _read_touchpoints(f, run, q, as_of)
    for aid, day, score, band, components in run(q.health):
        if score is not None:
            f.history[aid].append(one((day, score)))
        if day < as_of:
            f.previous[aid] = (band, components)
    return f


def _read_interactions(f: Facts, run: Run, q: Statements, config: Config) -> None:
    for aid, two_way, touch, ticket in run(q.interactions):
        if two_way is not None:
            f.last_two_way[aid] = f.one(two_way)
        if touch is not None:
            f.last_touch[aid] = f.one(touch)
        if ticket:
            f.tracked.add(aid)
    words = config.churn_words
    for aid, kind, day, summary, notes in run(q.recent_interactions):
        if kind == "ticket":
            f.tickets[aid].append(f.one(day))
        for term in churn_terms(f"{summary}\n{notes}", words):
            if term not in f.notes_terms[aid]:
                f.notes_terms[aid].append(term)


def _read_feeds(
    f: Facts,
    run: Run,
    run_scalars: Callable[[Select], Sequence],
    run_one: Callable[[Select], Row],
    q: Statements,
    as_of: date,
    config: Config,
) -> dict[int, float]:
    """Imported tickets and usage events, while their feeds are current (core.health);
    returns each account's usage score from the events."""
    hc = config.health
    ticket_end, usage_end = run_one(q.feed_ends)
    stale: list[tuple[str, date]] = []
    # Tickets imported from a help desk count like ticket interactions.
    if ticket_end is None or feed_is_current(ticket_end, as_of, hc):
        for aid, day in run(q.tickets):
            f.tickets[aid].append(f.one(day))
        f.tracked.update(run_scalars(q.ticket_accounts))
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
    f.stale_feeds = tuple(stale)
    return event_usage


def _read_scores(
    f: Facts, run: Run, q: Statements, as_of: date, event_usage: dict[int, float]
) -> None:
    one = f.one
    for aid, kind, day, value, cid, role in run(q.scores):
        day = one(day)
        if kind == "usage":
            f.usage[aid].append(one((day, value)))
        elif kind == "tickets":
            f.ticket_counts[aid].append(one((day, value)))
            f.tracked.add(aid)
        elif kind in ("nps", "csat"):
            f.surveys[aid].append(one((day, one(kind), value)))
            if kind == "nps":
                f.nps_points[aid].append(one((day, value)))
                f.responses[aid].append(
                    NpsResponse(aid, cid, one(role or "other"), day, int(value))
                )
        elif kind == "health":
            f.overrides[aid] = (day, value)
    for aid, value in event_usage.items():
        # Usage events (imported) speak for today; they win over older usage signals.
        f.usage[aid].append((as_of, value))


def _read_contacts(f: Facts, run: Run, q: Statements, as_of: date) -> None:
    """The relationship flags' contacts, and whether a champion has left with nobody in
    their place (a new champion closes the "champion left" risk)."""
    has_champion: set[int] = set()
    for aid, role, left_on in run(q.contacts):
        f.people[aid].append(f.one(ContactFact(role or "other", left_on)))
        if role == "champion":
            gone = left_on is not None and left_on <= as_of
            (f.champion_left if gone else has_champion).add(aid)
    f.champion_left -= has_champion


def _read_touchpoints(f: Facts, run: Run, q: Statements, as_of: date) -> None:
    """Per account: the open touchpoint due first (counting a snooze; the first of equals
    in due order, as min() picks it) and how many are overdue; the latest referral ask
    and expansion talk."""
    for row in run(q.open_touchpoints):
        aid = row[1]
        due = row[5] if row[4] == "snoozed" and row[5] is not None else row[3]
        if due < as_of:
            f.overdue_by[aid] = f.overdue_by.get(aid, 0) + 1
        first = f.next_open.get(aid)
        if first is None or due < first[0]:
            f.next_open[aid] = (due, row)
    for aid, referral, expansion in run(q.touchpoint_dates):
        f.last_referral[aid] = f.one(referral)
        f.last_expansion[aid] = f.one(expansion)
