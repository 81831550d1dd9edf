"""The Book screen's reads: every account as a plain entry, and the health trend.

The Book lists every account. Computing every account's state takes a second or more on
a book of 10,000, so the screen first shows a screenful: every account as a
:class:`BookEntry` (the few columns that place it in the list: its tier, name, status,
owner, tags and MRR, read in one query without ORM objects), the state of the accounts
on screen (``Book.states``), and their health trend (:meth:`TableMixin.health_trend`).
The whole book's states follow in the same worker.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import NamedTuple

from sqlalchemy import Date, String, and_, bindparam, func, select, type_coerce
from sqlalchemy.sql import Select

from bookkeeper_tui.store.models import Account, HealthSnapshot, MrrLevel

#: The trend arrow compares today's score with the score as it stood this many days ago
#: (the last snapshot on or before that day) ...
TREND_DAYS = 30
#: ... unless that snapshot is older than this: a score from last year is no trend.
TREND_MAX_AGE_DAYS = 60


class EntryAccount(NamedTuple):
    """An account's fields the Book's list reads (plain values, not an ORM row: ten
    thousand of them are read in a few milliseconds)."""

    id: int
    name: str
    tier: str
    status: str
    owner: str | None
    tags: str
    renewal: date | None


class BookEntry(NamedTuple):
    """One account in the Book's list before its state is computed: the account's plain
    fields and its MRR on the day (as ``AccountState.mrr``)."""

    account: EntryAccount
    mrr: float


def _entries_query() -> Select:
    # The MRR on the day: the level with the latest effective date up to it (levels are
    # unique per account and day), 0 without one, as store.state computes it.
    as_of = bindparam("as_of", type_=Date)
    mrr = (
        select(MrrLevel.mrr)
        .where(MrrLevel.account_id == Account.id)
        .where(MrrLevel.effective <= as_of)
        .order_by(MrrLevel.effective.desc())
        .limit(1)
        .scalar_subquery()
    )
    return select(
        Account.id,
        Account.name,
        Account.tier,
        Account.status,
        Account.owner,
        Account.tags,
        # As stored: SQLAlchemy's date parsing is a fifth of the query's time on SQLite
        # (10,000 rows); _day reads it.
        type_coerce(Account.renewal, String),
        mrr,
    )


def _day(value: date | str | None) -> date | None:
    """A date column read as stored: an ISO string on SQLite, a date from PostgreSQL's driver."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value[:10])


class TableMixin:
    """Mixed into ``Book``: see the module docstring."""

    def book_entries(self, as_of: date) -> list[BookEntry]:
        """Every account as the Book's list places it, with its MRR on *as_of* (in no
        particular order: the list sorts them)."""
        with self.read() as s:
            rows = s.connection().execute(_entries_query(), {"as_of": as_of}).all()
        # Built with tuple.__new__ and the date parsed in the loop (as _day does): the
        # named tuples' own constructors and a call per row were 60% of the 10,000 rows'
        # building (15 -> 6 ms), on the worker that the Book's first screenful waits for.
        new, iso, out = tuple.__new__, date.fromisoformat, []
        add = out.append
        for aid, name, tier, status, owner, tags, renewal, mrr in rows:
            if renewal is not None and not isinstance(renewal, date):
                renewal = iso(renewal[:10])
            account = new(EntryAccount, (aid, name, tier, status, owner, tags, renewal))
            add(new(BookEntry, (account, 0.0 if mrr is None else float(mrr))))
        return out

    def health_trend(
        self, as_of: date, account_ids: Sequence[int] | None = None
    ) -> dict[int, float]:
        """Each account's health score ~TREND_DAYS before *as_of* (the last snapshot on or
        before that day, no older than TREND_MAX_AGE_DAYS), in one grouped query; only
        *account_ids* when given."""
        upto = as_of - timedelta(days=TREND_DAYS)
        since = as_of - timedelta(days=TREND_MAX_AGE_DAYS)
        latest = (
            select(HealthSnapshot.account_id, func.max(HealthSnapshot.day).label("day"))
            .where(HealthSnapshot.day <= upto)
            .where(HealthSnapshot.day >= since)
            .where(HealthSnapshot.score.is_not(None))
        )
        if account_ids is not None:
            latest = latest.where(HealthSnapshot.account_id.in_(list(account_ids)))
        latest = latest.group_by(HealthSnapshot.account_id).subquery()
        query = select(HealthSnapshot.account_id, HealthSnapshot.score).join(
            latest,
            and_(
                HealthSnapshot.account_id == latest.c.account_id,
                HealthSnapshot.day == latest.c.day,
            ),
        )
        with self.read() as s:
            return {aid: score for aid, score in s.execute(query) if score is not None}
