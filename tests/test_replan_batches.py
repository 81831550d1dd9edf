"""Issue 13.5: after a big import, the re-plan of the touched accounts runs in short
batches, so another writer (the app, a second command) gets the lock between them, and a
book kept busy past the wait ends a command with one clear sentence (exit 2)."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import bookkeeper_tui.store.book.sync as book_module  # REPLAN_BATCH is read there
from bookkeeper_tui.store.book import Book
from tests.conftest import TODAY


def _big_book(path: str, n: int) -> Book:
    b = Book.open(path)
    with b.write() as s:
        for i in range(n):
            b.add_account(f"Acme {i:04d}", "smb", TODAY - timedelta(days=400), mrr=100, session=s)
    b.sync(TODAY)
    con = sqlite3.connect(path)
    with con:  # as an import leaves them: touched, their plan not yet redone
        con.execute("DELETE FROM touchpoint")
        con.execute(
            "INSERT INTO meta(key, value) VALUES ('stale_accounts', "
            "(SELECT json_group_array(id) FROM account))"
        )
    con.close()
    return b


def test_the_re_plan_after_an_import_lets_other_writers_in_between_batches(tmp_path, monkeypatch):
    monkeypatch.setattr(book_module, "REPLAN_BATCH", 40)
    path = str(tmp_path / "big.db")
    b = _big_book(path, 130)
    writes: list[int] = []

    def other_writer(left: int) -> None:
        # No busy wait at all: this fails with "database is locked" if the lock is held.
        con = sqlite3.connect(path, timeout=0)
        with con:
            con.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('probe', ?)", (left,))
        con.close()
        writes.append(left)

    b.on_replan_batch = other_writer
    assert b.sync(TODAY) is True
    assert writes == [90, 50, 10, 0]  # four batches of at most 40, each committed
    con = sqlite3.connect(path)
    planned = con.execute("SELECT count(DISTINCT account_id) FROM touchpoint").fetchone()[0]
    stale = con.execute("SELECT count(*) FROM meta WHERE key = 'stale_accounts'").fetchone()[0]
    con.close()
    assert planned == 130 and stale == 0
    assert b.sync(TODAY) is False  # nothing left to do
    b.close()


def test_a_book_kept_busy_by_another_writer_gives_a_clear_sentence_and_exit_2(
    tmp_path, capsys, monkeypatch
):
    from bookkeeper_tui.cli import main
    from bookkeeper_tui.store import engine

    monkeypatch.setattr(engine, "BUSY_TIMEOUT_MS", 200)
    path = str(tmp_path / "busy.db")
    b = _big_book(path, 3)
    b.close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another command in the middle of a long write
    try:
        code = main(["log", "Acme 0001 call busy day", "--db", path])
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    err = " ".join(capsys.readouterr().err.split())
    assert code == 2, err
    assert "The book is busy" in err and "try again" in err
    assert "unexpected error" not in err and "OperationalError" not in err
