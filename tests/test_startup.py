"""Start-up: Today read straight from the file, the book opened in the background.

``bookkeeper`` reads Today's rows with the standard sqlite3 module while the app is
imported, shows them, and only then imports SQLAlchemy and opens the book. These tests
pin the three things that make that safe: the shortcut gives exactly the rows of the full
path, it is refused whenever the file cannot answer alone, and nothing on the way to the
first screen imports SQLAlchemy.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest

from bookkeeper_tui.store.fast import TODAY_AHEAD_DAYS, TodayPrefetch, read_today
from tests.conftest import TODAY, settle

#: Hang guard only: how long a test waits for a condition (a busy machine is slow).
WAIT_S = 60


def ids(rows) -> list[int]:
    return [r.touchpoint_id for r in rows]


async def wait_for(pilot, condition, what: str) -> None:
    """Pause until *condition()* holds; fail after WAIT_S (never a fixed sleep)."""
    deadline = time.monotonic() + WAIT_S
    while not condition():
        assert time.monotonic() < deadline, f"{what} did not happen within {WAIT_S} s"
        await pilot.pause(0.05)


def gate_book_open(monkeypatch) -> threading.Event:
    """Hold the background open of the book until the returned event is set (a slow
    disk), so "before the book has opened" does not depend on the machine's speed."""
    from bookkeeper_tui.store.book import Book

    gate = threading.Event()
    real_open = Book.open

    def slow_open(*args, **kwargs):
        gate.wait(WAIT_S)
        return real_open(*args, **kwargs)

    monkeypatch.setattr(Book, "open", staticmethod(slow_open))
    return gate


def test_the_shortcut_gives_exactly_the_rows_of_the_full_path(demo_book):
    demo_book.sync(TODAY)
    # A snoozed touchpoint counts from its new date, on both paths.
    first = demo_book.today(TODAY, ahead_days=TODAY_AHEAD_DAYS)[0]
    demo_book.snooze(first.touchpoint_id, TODAY + timedelta(days=2))
    expected = demo_book.today(TODAY, ahead_days=TODAY_AHEAD_DAYS)
    got = read_today(demo_book.location, TODAY, TODAY_AHEAD_DAYS)
    assert got is not None and len(got) == len(expected) > 5
    assert got == expected  # every field, in the same order
    prefetch = TodayPrefetch(demo_book.location, TODAY, TODAY_AHEAD_DAYS)
    assert prefetch.result(timeout=WAIT_S) == expected


def _meta(path: str, sql: str, *params) -> None:
    con = sqlite3.connect(path)
    with con:
        con.execute(sql, params)
    con.close()


@pytest.mark.parametrize(
    "damage",
    [
        "a new day",
        "an import waiting to be planned",
        "an older schema",
        "a newer schema",
        "no accounts",
    ],
)
def test_the_shortcut_is_refused_when_the_file_cannot_answer_alone(demo_book, damage):
    demo_book.sync(TODAY)
    path = demo_book.location
    as_of = TODAY
    if damage == "a new day":
        as_of = TODAY + timedelta(days=1)
    elif damage == "an import waiting to be planned":
        _meta(path, "INSERT INTO meta(key, value) VALUES ('stale_accounts', '[1]')")
    elif damage == "an older schema":
        _meta(path, "UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    elif damage == "a newer schema":
        _meta(path, "UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    elif damage == "no accounts":
        con = sqlite3.connect(path)
        con.execute("PRAGMA foreign_keys=OFF")
        with con:
            for table in ("touchpoint", "interaction", "score", "health_snapshot", "account"):
                con.execute(f"DELETE FROM {table}")
        con.close()
    assert read_today(path, as_of, TODAY_AHEAD_DAYS) is None


def test_the_shortcut_is_refused_for_missing_damaged_and_remote_books(tmp_path):
    assert read_today(str(tmp_path / "missing.db"), TODAY, 7) is None
    assert read_today("mysql://me@db/book", TODAY, 7) is None  # (PostgreSQL: test_pg.py)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database" * 100)
    prefetch = TodayPrefetch(str(junk), TODAY, 7)
    assert prefetch.result(timeout=WAIT_S) is None  # an error is a fallback, not a crash
    assert prefetch.error is not None


def test_nothing_on_the_way_to_the_first_screen_imports_sqlalchemy():
    code = (
        "import sys, json\n"
        "import bookkeeper_tui.cli, bookkeeper_tui.config, bookkeeper_tui.store.fast\n"
        "import bookkeeper_tui.store.queries, bookkeeper_tui.app, bookkeeper_tui.screens.today\n"
        "import bookkeeper_tui.widgets.vtable\n"
        "print(json.dumps(sorted(m for m in sys.modules "
        "if m.split('.')[0] in ('sqlalchemy', 'sqlmodel'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


async def test_the_app_shows_prefetched_rows_then_opens_the_book_in_the_background(
    demo_book, monkeypatch
):
    from bookkeeper_tui.app import BookkeeperApp

    demo_book.sync(TODAY)
    gate = gate_book_open(monkeypatch)
    rows = read_today(demo_book.location, TODAY, TODAY_AHEAD_DAYS)
    assert rows
    app = BookkeeperApp(
        None,
        location=demo_book.location,
        first_today=rows,
        today=lambda: TODAY,
        poll_seconds=0,
        daily_backup=False,
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert type(screen).__name__ == "TodayScreen"
        assert ids(screen.rows) == ids(rows)  # on screen before the book is open
        assert not app.book_open  # not yet: the first frame comes first
        gate.set()
        await wait_for(
            pilot, lambda: app.book_open and app.first_paint.is_set(), "the background open"
        )
        await settle(pilot)
        # The book works as usual once open: a save goes through it and Today follows.
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert rows[0].touchpoint_id not in ids(app.screen.rows)
    app.close_book()


async def test_a_book_that_fails_to_open_in_the_background_ends_the_app_with_its_message(
    tmp_path, capsys
):
    from bookkeeper_tui.app import BookkeeperApp

    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database" * 100)
    app = BookkeeperApp(
        None, location=str(junk), first_today=[], today=lambda: TODAY, poll_seconds=0
    )
    async with app.run_test(size=(80, 24)) as pilot:
        app.ensure_book()
        await wait_for(pilot, lambda: app.return_code is not None, "the app's exit")
    assert app.return_code == 1
    said = " ".join(capsys.readouterr().err.split())
    assert "not a Bookkeeper book or is damaged" in said and "restore it from a backup" in said


def test_bookkeeper_alone_takes_the_shortcut_only_when_it_can(demo_book, monkeypatch):
    import bookkeeper_tui.app as app_module
    from bookkeeper_tui.cli import main

    calls: list[tuple[str, int]] = []
    monkeypatch.setattr(
        app_module,
        "run_prefetched",
        lambda location, config, rows: calls.append(("prefetched", len(rows))) or 0,
    )
    monkeypatch.setattr(app_module, "run_app", lambda book, config: calls.append(("full", 0)))
    import bookkeeper_tui.store.fast as fast

    real = fast.read_today
    monkeypatch.setattr(fast, "read_today", lambda loc, as_of, ahead: real(loc, TODAY, ahead))
    demo_book.sync(TODAY)
    assert main(["--db", demo_book.location]) == 0
    assert calls and calls[-1][0] == "prefetched" and calls[-1][1] > 0
    # Not synced for that day: the book is opened (and planned) the full way.
    monkeypatch.setattr(
        fast, "read_today", lambda loc, as_of, ahead: real(loc, TODAY + timedelta(days=1), ahead)
    )
    assert main(["--db", demo_book.location]) == 0
    assert calls[-1] == ("full", 0)


async def test_a_quick_log_typed_before_the_book_has_opened_is_saved_not_dropped(
    demo_book, monkeypatch
):
    """Keys typed right after the first frame (l, a line, enter) take effect even while
    the book is still opening in the background: the save waits for it."""
    from bookkeeper_tui.app import BookkeeperApp

    demo_book.sync(TODAY)
    rows = read_today(demo_book.location, TODAY, TODAY_AHEAD_DAYS)
    assert rows
    account = rows[0].account

    gate = gate_book_open(monkeypatch)  # the book opens only when the test says so
    app = BookkeeperApp(
        None,
        location=demo_book.location,
        first_today=rows,
        today=lambda: TODAY,
        poll_seconds=0,
        daily_backup=False,
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert type(app.screen).__name__ == "TodayScreen" and not app.book_open
        await pilot.press("l")
        await pilot.press(*f"{account} call early bird pricing")
        await pilot.press("enter")
        await pilot.pause()
        assert not app.book_open
        gate.set()
        await wait_for(
            pilot, lambda: type(app.screen).__name__ != "QuickLogScreen", "the queued save"
        )
        await settle(pilot)
        s = app.screen
        assert type(s).__name__ == "TodayScreen", str(s.query_one("#quick-log-error").render())
    app.close_book()

    con = sqlite3.connect(demo_book.location)
    notes = [r[0] for r in con.execute("SELECT summary || notes FROM interaction")]
    con.close()
    assert any("early bird pricing" in (n or "") for n in notes)
