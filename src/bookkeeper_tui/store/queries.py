"""Read queries in plain SQL, runnable without SQLAlchemy.

The app's first screen (Today) is read at start-up with the standard ``sqlite3`` module
before SQLAlchemy is imported (:mod:`bookkeeper_tui.store.fast`), and :meth:`Book.today`
runs the very same function through its session, so both paths show the same rows.

A query takes ``run(sql, params)``: it executes one statement with named ``:name``
placeholders and returns an iterable of row tuples. That is ``con.execute`` of a
``sqlite3`` connection, or ``session.execute(text(sql), params)`` with SQLAlchemy. The SQL is
portable (SQLite and PostgreSQL); dates are bound as ISO strings and read back either as
ISO strings (SQLite) or ``date`` objects (PostgreSQL).

Keep this module free of SQLAlchemy and SQLModel imports (a test checks it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from bookkeeper_tui.core.owners import owned_by
from bookkeeper_tui.core.vocab import TIERS
from bookkeeper_tui.store.rows import TodayRow

#: Executes one SQL statement with ``:name`` parameters; returns row tuples.
Run = Callable[[str, Mapping[str, Any]], Iterable[Sequence[Any]]]

_BAND_RANK = {"red": 0, "yellow": 1, "green": 2, None: 3}
_TIER_RANK = {t: i for i, t in enumerate(TIERS)}

#: Open and snoozed touchpoints of active accounts due by :limit, with each account's
#: latest health snapshot on or before :as_of. The snapshot is found per row through the
#: unique (account_id, day) index (a covering index look-up, then the row by its id).
TODAY_SQL = """
SELECT t.id, t.account_id, a.name, t.kind, t.due, t.status, t.snoozed_until,
       a.tier, t.note, t.origin, h.score, h.band, a.owner
FROM touchpoint t
JOIN account a ON a.id = t.account_id
LEFT JOIN health_snapshot h ON h.id = (
    SELECT h2.id FROM health_snapshot h2
    WHERE h2.account_id = t.account_id AND h2.day <= :as_of
    ORDER BY h2.day DESC
    LIMIT 1
)
WHERE a.status = 'active'
  AND t.status IN ('open', 'snoozed')
  AND t.due <= :limit
"""


def as_date(value: date | str) -> date:
    """A date column's value: a ``date`` (PostgreSQL) or an ISO string (SQLite)."""
    if isinstance(value, date):
        return value
    return date.fromisoformat(value)


def fetch_today(run: Run, as_of: date, ahead_days: int, owner: str | None = None) -> list[TodayRow]:
    """Open touchpoints due by *as_of* (+ *ahead_days*), most urgent first.

    *owner* keeps only the accounts of that owner (``core.owners.owner_matches``: any
    case and spacing; ``""`` is the accounts with no owner); None keeps every account.

    A snoozed touchpoint counts from its snooze date (``store.state.effective_due``).
    Order: most days overdue first, then due date, health band (red first), tier,
    account name (case-insensitive) and id. Days overdue only grow as the due date gets
    earlier, so that is the due date first, then the rest.
    """
    limit = as_of + timedelta(days=ahead_days)
    # Few distinct dates, names and ranks: parse, fold and rank each once.
    # due value -> (date, days overdue, sort key), or None when after the limit.
    dates: dict[Any, tuple[date, int, int] | None] = {}
    folded: dict[str, str] = {}
    ranks: dict[tuple[str | None, str], int] = {}
    keyed: list[tuple[int, str, int, TodayRow]] = []
    keep = None if owner is None else owned_by(owner)
    params = {"as_of": as_of.isoformat(), "limit": limit.isoformat()}
    for tid, aid, name, kind, due, status, snoozed, tier, note, origin, score, band, own in run(
        TODAY_SQL, params
    ):
        if keep is not None and not keep(own):
            continue
        if status == "snoozed" and snoozed is not None:
            due = snoozed
        if due in dates:
            parsed = dates[due]
        else:
            day = as_date(due)
            # One int for (due, band, tier) sorts faster than the tuple of three.
            parsed = dates[due] = (
                None if day > limit else (day, (as_of - day).days, day.toordinal() * 100)
            )
        if parsed is None:
            continue
        rank = ranks.get((band, tier))
        if rank is None:
            rank = ranks[band, tier] = _BAND_RANK.get(band, 3) * 10 + _TIER_RANK.get(tier, 9)
        folded_name = folded.get(name)
        if folded_name is None:
            folded_name = folded[name] = name.casefold()
        day, overdue, key = parsed
        row = TodayRow(tid, aid, name, kind, day, overdue, tier, score, band, note, origin, own)
        keyed.append((key + rank, folded_name, tid, row))
    keyed.sort()  # ids are unique, so rows themselves are never compared
    return [k[3] for k in keyed]
