"""A quick log's save reads its own account's rows, never a whole table (issue 16).

At 10,000 accounts a query that walks a whole table (the score table for the
detractor-talk check, the account table for the name) costs milliseconds of the quick
log's 15 ms. Every SELECT that ``Book.record`` and one account's ``load_states`` run is
put to SQLite's ``EXPLAIN QUERY PLAN``: none may ``SCAN`` a table (SQLite reads no
statistics here, so the plan is the same at 40 accounts as at 10,000).
"""

from __future__ import annotations

import contextlib
import sqlite3

from sqlalchemy import event, select

from bookkeeper_tui.config import DEFAULT
from bookkeeper_tui.core.quicklog import parse_quicklog
from bookkeeper_tui.store.models import Account
from bookkeeper_tui.store.state import load_states
from tests.conftest import TODAY


@contextlib.contextmanager
def captured(book):
    """The SQL statements (and their parameters) run on *book* inside the block."""
    seen: list[tuple[str, object]] = []

    def cap(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    def trace(dbapi_con, _record, _proxy):
        # Book.record's plain-SQL path runs on the pool's sqlite3 connection itself.
        dbapi_con.set_trace_callback(lambda sql: seen.append((sql, ())))

    def untrace(dbapi_con, _record):
        dbapi_con.set_trace_callback(None)

    event.listen(book.engine, "before_cursor_execute", cap)
    event.listen(book.engine, "checkout", trace)
    event.listen(book.engine, "checkin", untrace)
    try:
        yield seen
    finally:
        event.remove(book.engine, "before_cursor_execute", cap)
        event.remove(book.engine, "checkout", trace)
        event.remove(book.engine, "checkin", untrace)


def table_scans(path, seen) -> list[tuple[str, list[str]]]:
    """The SELECTs among *seen* whose plan reads a whole table, with that plan."""
    con = sqlite3.connect(path)
    try:
        bad = []
        for sql, params in seen:
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            plan = [row[-1] for row in con.execute("EXPLAIN QUERY PLAN " + sql, params)]
            if any(p.startswith("SCAN ") and p != "SCAN CONSTANT ROW" for p in plan):
                bad.append((sql, plan))
        return bad
    finally:
        con.close()


def _path(book) -> str:
    return book.engine.url.database


def test_one_accounts_states_read_its_own_rows(demo_book):
    with demo_book.read() as s:
        aid = s.execute(select(Account.id).where(Account.name == "Acme Corp")).scalar_one()
        with captured(demo_book) as seen:
            load_states(s, TODAY, DEFAULT, [aid])
    assert seen
    assert table_scans(_path(demo_book), seen) == []


def test_a_quick_log_from_today_reads_no_whole_table(demo_book):
    names = demo_book.account_names()
    row = demo_book.today(TODAY, ahead_days=7)[0]
    for line, tp in (
        (f"{row.account} call nps 3 with Dana", row.touchpoint_id),  # a detractor answer
        (f"{row.account} email next call +2w", None),
    ):
        q = parse_quicklog(line, names, TODAY)
        with captured(demo_book) as seen:
            demo_book.record(q, TODAY, touchpoint_id=tp)
        assert seen
        assert table_scans(_path(demo_book), seen) == []


def test_opening_one_account_reads_only_its_own_rows(demo_book):
    """The account screen's load (Book.show and the health history) reads one account's
    rows by its own indexes: neither a whole table nor another index's range over every
    account (the KPI panel's health_snapshot(day, band) once took the health history's
    ORDER BY day: 39 -> 73 ms to open an account at 10,000 accounts)."""
    from bookkeeper_tui.screens.account_data import load_account

    with captured(demo_book) as seen:
        data = load_account(demo_book, "Acme Corp", TODAY)
    assert data.detail is not None and data.health_history
    assert table_scans(_path(demo_book), seen) == []
    con = sqlite3.connect(_path(demo_book))
    try:
        across = [
            (sql, plan)
            for sql, params in seen
            if sql.lstrip().upper().startswith("SELECT")
            for plan in [[r[-1] for r in con.execute("EXPLAIN QUERY PLAN " + sql, params)]]
            if any("(day<" in p or "(day>" in p or (p.startswith("SEARCH") and "(due" in p)
                   for p in plan)
        ]
    finally:
        con.close()
    assert across == [], "\n\n".join(f"{s}\n{p}" for s, p in across)
