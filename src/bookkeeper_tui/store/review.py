"""Read what the monthly review needs from a book, in a few queries (core/review/ rules).

Read-only: the review changes nothing in the book (no sync, no snapshot), so running it
twice on the same book gives the same review.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import date

from sqlalchemy import text

from bookkeeper_tui.core import review as rv
from bookkeeper_tui.store.queries import as_date
from bookkeeper_tui.store.state import stream

#: Each account's latest health snapshot on or before :day, found through the unique
#: (account_id, day) index: one index look-up per account, however long the history.
_SNAPSHOTS_SQL = """
SELECT a.id, h.day, h.score, h.band, {components}
FROM account a
JOIN health_snapshot h ON h.id = (
    SELECT h2.id FROM health_snapshot h2
    WHERE h2.account_id = a.id AND h2.day <= :day
    ORDER BY h2.day DESC
    LIMIT 1
)
"""


def first_start(book) -> date | None:
    """The start date of the book's first account (None for an empty book)."""
    with book.read() as s:
        value = s.execute(text("SELECT min(start) FROM account")).scalar()
    return None if value is None else as_date(value)


def gather(book, year: int, month: int) -> rv.ReviewFacts:
    """The facts of the review of (year, month): its 12-month trend, NPS window and risks."""
    months = rv.trend_months(year, month)
    ends = [rv.month_window(y, m)[1] for y, m in months]
    end = ends[-1]
    nps_start = date(*rv.shift_month(year, month, -(rv.NPS_MONTHS - 1)), 1)
    days: dict[object, date] = {}

    def day(value: object) -> date:
        got = days.get(value)
        if got is None:
            got = days[value] = as_date(value)  # type: ignore[arg-type]
        return got

    with book.read() as s:
        accounts = {
            aid: rv.AccountFact(
                id=aid,
                name=name,
                tier=tier,
                start=day(start),
                renewal=None if renewal is None else day(renewal),
                status=status,
            )
            for aid, name, tier, start, renewal, status in stream(
                s.execute(
                    text("SELECT id, name, tier, start, renewal, status FROM account ORDER BY id")
                )
            )
        }
        history: dict[int, list[tuple[date, float]]] = {}
        for aid, effective, mrr in stream(
            s.execute(
                text(
                    "SELECT account_id, effective, mrr FROM mrr_level "
                    "ORDER BY account_id, effective, id"
                )
            )
        ):
            history.setdefault(aid, []).append((day(effective), float(mrr)))
        snapshots = _snapshots(s, ends, day)
        nps = _nps(s, nps_start, end, day)
        outcomes = _outcomes(s, day)
    return rv.ReviewFacts(
        accounts=accounts,
        history={aid: tuple(levels) for aid, levels in history.items()},
        snapshots=snapshots,
        nps=nps,
        outcomes=outcomes,
    )


def _snapshots(
    s, ends: list[date], day: Callable[[object], date]
) -> dict[date, dict[int, rv.SnapshotFact]]:
    """Each account's latest snapshot on or before each month end of *ends* (components
    only at the last one, the month reviewed: the top risks name them)."""
    end = ends[-1]
    snapshots: dict[date, dict[int, rv.SnapshotFact]] = {}
    first_snapshot = s.execute(text("SELECT min(day) FROM health_snapshot")).scalar()
    for month_end in ends:
        if first_snapshot is None or month_end < day(first_snapshot):
            snapshots[month_end] = {}  # no snapshot yet: nothing to look up
            continue
        with_components = month_end == end
        sql = _SNAPSHOTS_SQL.format(components="h.components" if with_components else "''")
        snapshots[month_end] = {
            aid: rv.SnapshotFact(
                day=day(snap_day),
                score=None if score is None else float(score),
                band=band,
                components=_components(components) if with_components else (),
            )
            for aid, snap_day, score, band, components in stream(
                s.execute(text(sql), {"day": month_end.isoformat()})
            )
        }
    return snapshots


def _nps(s, lo: date, hi: date, day: Callable[[object], date]) -> list[rv.NpsFact]:
    """The NPS answers dated in [lo, hi] (a value outside 0-10 is no answer)."""
    return [
        rv.NpsFact(
            account=aid,
            contact=cid,
            contact_name=cname,
            role=role or "other",
            day=day(on),
            value=int(value),
        )
        for aid, cid, cname, role, on, value in stream(
            s.execute(
                text(
                    "SELECT s.account_id, s.contact_id, c.name, c.role, s.day, s.value "
                    "FROM score s LEFT JOIN contact c ON c.id = s.contact_id "
                    "WHERE s.kind = 'nps' AND s.day >= :lo AND s.day <= :hi "
                    "ORDER BY s.day, s.id"
                ),
                {"lo": lo.isoformat(), "hi": hi.isoformat()},
            )
        )
        if value is not None and math.isfinite(value) and -1 < value < 11
    ]


def _outcomes(s, day: Callable[[object], date]) -> list[rv.OutcomeFact]:
    """Every renewal outcome of the book, by day."""
    return [
        rv.OutcomeFact(
            account=aid,
            renewal=day(renewal),
            day=day(on),
            outcome=outcome,
            mrr_before=mrr_before,
            mrr_after=mrr_after,
            reason=reason or "",
        )
        for aid, renewal, on, outcome, mrr_before, mrr_after, reason in stream(
            s.execute(
                text(
                    "SELECT account_id, renewal, day, outcome, mrr_before, mrr_after, "
                    "reason FROM renewal_outcome ORDER BY day, id"
                )
            )
        )
    ]


def _components(raw: str | None) -> tuple[tuple[str, float], ...]:
    """A snapshot's stored components; a damaged value reads as none (never a crash)."""
    try:
        pairs = json.loads(raw or "[]")
        return tuple(
            (str(name), float(value))
            for name, value in pairs
            if isinstance(value, int | float) and math.isfinite(value)
        )
    except (ValueError, TypeError):
        return ()


def build(book, year: int, month: int) -> rv.Review:
    """The review of (year, month) of *book* with its config's targets and role weights."""
    cfg = book.config
    return rv.build_review(
        gather(book, year, month),
        year,
        month,
        targets=cfg.review.targets,
        role_weights=cfg.nps.role_weights,
    )
