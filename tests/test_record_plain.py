"""Book.record's plain-SQL path (store/fast_log.py ``record_plain``, issue 16): on SQLite a
plain line (the quick log from a Today row, with its touchpoint and ticked checklist) is
written without the ORM, and the book ends up exactly as the ORM path leaves it, row for
row, with the same LogResult; any other line, and PostgreSQL, take the ORM path."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest

from bookkeeper_tui.core.quicklog import parse_quicklog
from bookkeeper_tui.screens.today import INTERACTION_FOR
from bookkeeper_tui.store import fast_log
from bookkeeper_tui.store.book import Book, BookError
from tests.conftest import TODAY
from tests.test_fast_log import _copy, _dump

NOW = datetime(2026, 11, 24, 15, 30, tzinfo=UTC)


@pytest.fixture
def books(demo_template, tmp_path):
    """(orm, plain): two copies of the demo book; the first never takes the plain path."""
    orm = Book.open(_copy(demo_template, tmp_path / "orm.db"))
    plain = Book.open(_copy(demo_template, tmp_path / "plain.db"))
    orm._record_plain = lambda *args, **kwargs: None  # type: ignore[method-assign]
    yield orm, plain
    orm.close()
    plain.close()


@pytest.fixture
def taken(monkeypatch):
    """Whether each record() took the plain path (record_plain wrote the line)."""
    seen: list[bool] = []
    real = fast_log.record_plain

    def spy(*args, **kwargs):
        res = real(*args, **kwargs)
        seen.append(res is not None)
        return res

    monkeypatch.setattr(fast_log, "record_plain", spy)
    return seen


def _record_both(books, line: str, **kwargs):
    orm, plain = books
    q = parse_quicklog(line, orm.account_names(), TODAY)
    out = []
    for b in (orm, plain):
        try:
            out.append(b.record(q, TODAY, now=NOW, **kwargs))
        except BookError as exc:
            out.append(exc.message)
    assert out[1] == out[0], line
    return out[1]


def test_logging_today_rows_writes_the_same_rows_as_the_orm(books, taken):
    orm, plain = books
    rows = orm.today(TODAY, ahead_days=7)
    assert len(rows) >= 10
    for i, r in enumerate(rows):
        line = f'"{r.account}" {INTERACTION_FOR.get(r.kind, "call")} "went through it"'
        ticked = ["agenda sent", "next step agreed"] if i % 2 else []
        res = _record_both(books, line, touchpoint_id=r.touchpoint_id, checklist=ticked)
        assert res.extra["completed_ids"] == [r.touchpoint_id]
        assert res.checklist == ticked
    assert _dump(plain.location) == _dump(orm.location)
    assert sum(taken) >= len(rows) * 3 // 4, taken


def test_plain_lines_without_a_touchpoint_match_the_orm(books, taken):
    orm, _ = books
    names = [n for n in orm.account_names()][:12]
    lines = [f'"{n}" call "hello"' for n in names[:6]]
    lines += [
        f'"{names[6]}" email "asked for a referral" next +1w',
        f'"{names[7]}" meeting @yesterday next call +2w #renewal',
        f'"{names[8]}" qbr "they may cancel"',
    ]
    for line in lines:
        _record_both(books, line)
    assert _dump(books[1].location) == _dump(orm.location)
    assert sum(taken) >= 6, taken


def test_other_lines_take_the_orm_path_with_the_same_result(books, taken):
    orm, plain = books
    names = orm.account_names()
    lines = [
        f'"{names[0]}" call nps 3',
        f'"{names[1]}" call with Dana',
        f'"{names[2]}" call mrr 1500',
        f'"{names[3]}" call #first-value',
        f'"{names[4]}" renewal renewed',
    ]
    for line in lines:
        _record_both(books, line)
    assert _dump(plain.location) == _dump(orm.location)
    assert taken == [False] * len(lines)


def test_a_touchpoint_no_longer_open_saves_nothing_on_either_path(books, taken):
    orm, plain = books
    r = orm.today(TODAY, ahead_days=7)[0]
    line = f'"{r.account}" call'
    _record_both(books, line, touchpoint_id=r.touchpoint_id)
    before = _dump(plain.location)
    q = parse_quicklog(line, orm.account_names(), TODAY)
    for b in (orm, plain):
        with pytest.raises(BookError, match="no longer open"):
            b.record(q, TODAY, now=NOW, touchpoint_id=r.touchpoint_id)
    assert _dump(plain.location) == _dump(orm.location) == before
    # The plain path's transaction was rolled back: the book takes the next write.
    _record_both(books, f'"{r.account}" email "sent the notes"')


def test_a_busy_book_is_said_busy_and_nothing_is_saved(books, monkeypatch):
    from bookkeeper_tui.store import engine

    monkeypatch.setattr(engine, "BUSY_TIMEOUT_MS", 50)
    plain = Book.open(books[1].location)
    r = plain.today(TODAY, ahead_days=7)[0]
    q = parse_quicklog(f'"{r.account}" call', plain.account_names(), TODAY)
    holder = sqlite3.connect(plain.location, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        before = _dump(plain.location)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            plain._record_plain(q, TODAY, NOW, r.touchpoint_id, [])
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert _dump(plain.location) == before
    # Nothing was left half-begun on the pool's connection: the next save goes through.
    assert plain.record(q, TODAY, now=NOW, touchpoint_id=r.touchpoint_id).completed
    plain.close()
