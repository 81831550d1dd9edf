"""How the renewal desk reads a large book (issue 16: the Renewals screen at 10,000 accounts).

The desk's side facts (recent interactions, departed champions, overdue touchpoints) are
read in a worker thread while the UI thread builds the screen. The sqlite3 module lets go
of the GIL for every row it steps and waits for it again, so thousands of rows cost far
more than the query: on SQLite they are packed into one value by the database. The desk
read that way is the one read row by row.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy.engine import cursor as sa_cursor

from bookkeeper_tui.store.book import Book
from bookkeeper_tui.store.book import renewals as desk_module
from bookkeeper_tui.store.models import Contact, Interaction

TODAY = date(2026, 11, 24)
NOTES = 300


@pytest.fixture
def busy(book: Book) -> Book:
    """Two accounts renewing soon, one with hundreds of recent notes (churn language in
    two of them, the later-written but earlier-dated one first), a departed champion."""
    book.add_account("Busy Co", "smb", date(2026, 1, 10), renewal=date(2026, 12, 10), mrr=1000)
    book.add_account("Calm Co", "smb", date(2026, 2, 1), renewal=date(2027, 2, 1), mrr=800)
    with book.write() as s:
        busy_id = book.find_account(s, "Busy Co").id
        calm_id = book.find_account(s, "Calm Co").id
        for i in range(NOTES):
            s.add(
                Interaction(
                    account_id=busy_id,
                    day=TODAY - timedelta(days=1 + i % 60),
                    summary=f"weekly sync {i}",
                    notes="all good",
                )
            )
        for ago, summary in ((2, "may cancel"), (9, "too expensive")):
            s.add(Interaction(account_id=busy_id, day=TODAY - timedelta(ago), summary=summary))
        s.add(Interaction(account_id=calm_id, day=TODAY - timedelta(days=5), notes="a competitor"))
        s.add(
            Contact(account_id=calm_id, name="Kim", name_key="kim", role="champion", left_on=TODAY)
        )
    book.sync(TODAY, force=True)
    return book


def fetched_rows(monkeypatch) -> list[int]:
    """Counts the rows the database driver hands over, whatever fetch SQLAlchemy uses."""
    counts: list[int] = []
    strategy = sa_cursor.CursorFetchStrategy

    def counting(name):
        original = getattr(strategy, name)

        def fetch(self, *args, **kwargs):
            got = original(self, *args, **kwargs)
            if got is not None:
                counts.append(len(got) if isinstance(got, list) else 1)
            return got

        return fetch

    for name in ("fetchone", "fetchmany", "fetchall"):
        monkeypatch.setattr(strategy, name, counting(name))
    return counts


def test_the_desk_reads_a_few_rows_however_many_notes(busy, monkeypatch):
    counts = fetched_rows(monkeypatch)
    desk = busy.renewals(TODAY, 120, accuracy=False)
    assert [r.account for r in desk.renewals] == ["Busy Co", "Calm Co"]
    # Two desk rows and a handful of packed side reads, not one row per note.
    assert sum(counts) < 20, counts


def test_the_packed_desk_is_the_desk_read_row_by_row(busy, monkeypatch):
    packed = busy.renewals(TODAY, 120)
    risks = {r.account: [f.code for f in r.risks] for r in packed.renewals}
    assert "churn_language" in risks["Busy Co"]
    assert "champion_left" in risks["Calm Co"] and "churn_language" in risks["Calm Co"]
    [churn] = [f for f in packed.renewals[0].risks if f.code == "churn_language"]
    assert churn.detail.index("too expensive") < churn.detail.index("cancel")

    def row_by_row(conn, q):
        return [tuple(r) for r in conn.execute(q)]

    monkeypatch.setattr(desk_module, "packed_rows", row_by_row)
    assert busy.renewals(TODAY, 120, fresh=True) == packed  # read again, row by row
