"""A believable demo book: accounts in every tier and band, two years of history.

Deterministic for a seed and an ``as_of`` day. Rows are written with bulk inserts
(executemany) in one transaction, so 10,000 accounts with ~25 interactions each
build in seconds, not minutes. Each account follows a *profile* (thriving, steady,
slipping, at risk, churned) so every band, flag and KPI has something to show.
"""

from __future__ import annotations

import random
import sys
import time
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import delete, insert, select

from bookkeeper_tui.store.book import Book
from bookkeeper_tui.store.demo.builder import DemoRows, _names, _outcomes
from bookkeeper_tui.store.models import (
    Account,
    Contact,
    HealthSnapshot,
    Interaction,
    Meta,
    MrrLevel,
    RenewalOutcome,
    Score,
    Touchpoint,
)

__all__ = ["build_demo"]


def build_demo(
    book: Book,
    accounts: int = 40,
    seed: int = 7,
    as_of: date | None = None,
    progress: bool = False,
) -> dict:
    """Replace the book's contents with a demo book; return counts and seconds taken."""
    t0 = time.perf_counter()
    as_of = as_of or date.today()
    rng = random.Random(seed)
    names = _names(rng, accounts)
    now = datetime(as_of.year, as_of.month, as_of.day, 9, 0, tzinfo=UTC)
    rows = DemoRows(rng, as_of, now)
    for i, name in enumerate(names):
        rows.add_account(i, name)
    rows.add_past_touchpoints(book.config.playbook)
    _store(book, rows, progress)
    # Today: playbook up to date, today's health, closed loop for reds.
    book.sync(as_of, force=True)
    with book.read() as s:
        n_tp = s.execute(select(Touchpoint.id)).all()
    return {
        "accounts": len(rows.accounts),
        "interactions": len(rows.interactions),
        "scores": len(rows.scores),
        "touchpoints": len(n_tp),
        "seconds": time.perf_counter() - t0,
    }


def _store(book: Book, demo: DemoRows, progress: bool) -> None:
    """Replace the book's rows with the demo's in one transaction, then take the health
    history: a snapshot every two weeks for the last 12 weeks (and, on PostgreSQL, fresh
    table statistics)."""
    with book.write() as s:
        for table in (
            RenewalOutcome,
            HealthSnapshot,
            Touchpoint,
            Score,
            MrrLevel,
            Interaction,
            Contact,
            Account,
        ):
            s.execute(delete(table))
        s.execute(delete(Meta).where(Meta.key == "synced_on"))
        for label, table, rows in (
            ("accounts", Account, demo.accounts),
            ("contacts", Contact, demo.contacts),
            ("interactions", Interaction, demo.interactions),
            ("scores", Score, demo.scores),
            ("revenue", MrrLevel, demo.levels),
            ("touchpoints", Touchpoint, demo.touchpoints),
            (
                "renewal outcomes",
                RenewalOutcome,
                _outcomes(demo.accounts, demo.levels, demo.as_of, demo.now),
            ),
        ):
            for k in range(0, len(rows), 20_000):
                s.execute(insert(table), rows[k : k + 20_000])
            if progress:
                print(f"  {label}: {len(rows):,}", file=sys.stderr)
        if s.get_bind().dialect.name == "postgresql":
            from bookkeeper_tui.store.pg import reset_sequences

            reset_sequences(s.connection())
        # Health history: a snapshot every two weeks for the last 12 weeks.
        for weeks in (12, 10, 8, 6, 4, 2):
            book._snapshot_health(s, demo.as_of - timedelta(weeks=weeks), None)
    if book.engine.dialect.name == "postgresql":
        from bookkeeper_tui.store.pg import analyze

        analyze(book.engine)  # statistics for the freshly loaded tables
