"""Privacy (issue 6, guarantee 6): the book and every copy of it are the owner's alone
(0600 files in 0700 folders, whatever the umask), the program never touches the
network, and what it logs never holds the text of a note."""

from __future__ import annotations

import logging
import os
import socket
import stat
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from bookkeeper_tui.cli import main
from tests.conftest import settle

NOTE = "Confidential: CFO Dana says budget cut 40% and layoffs in March"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


# -- 0600 files in 0700 folders ---------------------------------------------------------
def test_every_copy_of_the_book_is_private_even_with_an_open_umask(tmp_path, capsys):
    book = tmp_path / "fresh" / "data" / "book.db"
    old = os.umask(0)  # the most permissive: nothing may depend on the user's umask
    try:
        assert _run(capsys, "demo", "--accounts", "5", "--db", str(book))[0] == 0
        assert _run(capsys, "log", f"{_first_account(book)} call {NOTE}", "--db", str(book))[0] == 0
        code, _out, _err = _run(capsys, "backup", "--db", str(book))
        assert code == 0
        daily = book.parent / "backups" / "daily" / f"book-{date.today().isoformat()}.db"
        manual = next((book.parent / "backups").glob("book-*.db"))
        # -wal and -shm exist while a connection is open: look at them then.
        import sqlite3

        con = sqlite3.connect(book)
        con.execute("PRAGMA journal_mode").fetchone()
        con.execute("SELECT count(*) FROM account").fetchone()
        sidecars = [book.with_name("book.db-wal"), book.with_name("book.db-shm")]
        assert all(p.exists() for p in sidecars)
        modes = {p.name: _mode(p) for p in sidecars}
        con.close()
        code, _out, err = _run(capsys, "restore", str(manual), "--yes", "--db", str(book))
        assert code == 0, err
        kept = next(book.parent.glob("book.db.before-restore-*"))
    finally:
        os.umask(old)
    modes |= {p.name: _mode(p) for p in (book, manual, daily, kept)}
    assert modes == dict.fromkeys(modes, 0o600), modes
    folders = [book.parent, book.parent / "backups", book.parent / "backups" / "daily"]
    assert {str(f): _mode(f) for f in folders} == {str(f): 0o700 for f in folders}


def _first_account(book: Path) -> str:
    import sqlite3

    con = sqlite3.connect(book)
    try:
        return con.execute("SELECT name FROM account ORDER BY id LIMIT 1").fetchone()[0]
    finally:
        con.close()


# -- no network -------------------------------------------------------------------------
NETWORK_MODULES = ("urllib.request", "http.client", "requests", "httpx", "smtplib", "ftplib")


def test_no_command_touches_the_network(tmp_path, capsys, monkeypatch):
    attempts: list[str] = []

    def refuse(name):
        def blocked(*args, **kwargs):
            attempts.append(name)
            raise OSError(f"network access attempted via {name}")

        return blocked

    for name in ("connect", "connect_ex", "sendto"):
        monkeypatch.setattr(socket.socket, name, refuse(f"socket.{name}"))
    monkeypatch.setattr(socket, "create_connection", refuse("create_connection"))
    monkeypatch.setattr(socket, "getaddrinfo", refuse("getaddrinfo"))
    book = str(tmp_path / "book.db")
    for args in (
        ("demo", "--accounts", "8"),
        ("today",),
        ("accounts",),
        ("log", "Initech call all good"),
        ("kpi",),
        ("export", "accounts", "-o", str(tmp_path / "accounts.csv")),
        ("export", "ics", "-o", str(tmp_path / "book.ics")),
        ("backup",),
        ("check",),
    ):
        code, _out, err = _run(capsys, *args, "--db", book)
        assert "network access attempted" not in err, args
        assert code in (0, 2), (args, err)  # 2: e.g. no such account in a small demo
    assert attempts == []


def test_no_network_library_is_imported(tmp_path):
    """Every module of the package imported in a fresh interpreter: none of the network
    client libraries comes along (a real process, so pytest's own imports do not count)."""
    code = f"""
import importlib, pkgutil, sys
import bookkeeper_tui
for m in pkgutil.walk_packages(bookkeeper_tui.__path__, "bookkeeper_tui."):
    if m.name.endswith("__main__"):
        continue
    importlib.import_module(m.name)
print(",".join(n for n in {NETWORK_MODULES!r} if n in sys.modules))
"""
    env = {**os.environ, "BOOKKEEPER_CONFIG": str(tmp_path / "none.toml")}
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == ""


# -- logs without notes -----------------------------------------------------------------
@pytest.mark.parametrize("path", ["full", "fast"])
def test_a_failed_cli_save_never_echoes_the_note(tmp_path, capsys, caplog, monkeypatch, path):
    """A write that fails in the driver: stderr and the log say what failed, not what was
    being written (a SQLAlchemy error's text carries the statement's parameters), on the
    full path and on the fast path of store/fast_log.py."""
    import sqlite3

    from bookkeeper_tui.store import fast_log
    from bookkeeper_tui.store.book import Book

    book = str(tmp_path / "book.db")
    assert _run(capsys, "demo", "--accounts", "5", "--db", book)[0] == 0
    name = _first_account(Path(book))
    caplog.set_level(logging.DEBUG)

    def fail(self, *args, **kwargs):
        from sqlalchemy.exc import OperationalError

        raise OperationalError(
            "INSERT INTO interaction (notes) VALUES (?)", (NOTE,), sqlite3.OperationalError("boom")
        )

    def fail_fast(*args, **kwargs):
        # sqlite3 binds parameters: its own errors never carry the values written.
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(Book, "record", fail)
    if path == "fast":
        monkeypatch.setattr(fast_log, "log_fast", fail_fast)
    else:
        monkeypatch.setattr(fast_log, "log_fast", lambda *a, **k: None)  # steps aside
    code, out, err = _run(capsys, "log", f"{name} call {NOTE}", "--db", book)
    assert code == 1
    assert "CFO Dana" not in err + out + caplog.text


async def test_a_failed_app_save_logs_no_note_text(demo_book, make_app, caplog, capsys):
    """The quick-log save fails on a full disk (SQLite's own error, for real): whatever
    the app writes to Python logging, Textual's log or stderr holds no note text."""
    from textual.app import App

    caplog.set_level(logging.DEBUG)
    logged: list[str] = []
    real_log = App._log

    def spy(self, group, verbosity, _textual_calling_frame, *objects, **kwargs):
        logged.append(" ".join(map(str, objects)) + " " + " ".join(map(str, kwargs.values())))
        return real_log(self, group, verbosity, _textual_calling_frame, *objects, **kwargs)

    App._log = spy
    try:
        app = make_app(demo_book)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            with demo_book.engine.connect() as conn:
                pages = conn.exec_driver_sql("PRAGMA page_count").scalar()
            # Every pooled connection (the app writes from worker threads) stops growing.
            from sqlalchemy import event

            def full(dbapi_conn, _record):
                dbapi_conn.execute(f"PRAGMA max_page_count = {pages}")

            demo_book.engine.dispose()  # the write engine shares this pool
            event.listen(demo_book.engine, "connect", full)
            await pilot.press("l")
            await settle(pilot)
            long_note = NOTE + " " + "z" * 60_000
            app.screen.query_one("#quick-log-input").value = f"Initech call {long_note}"
            await pilot.pause()
            await pilot.press("enter")
            await settle(pilot)
            error = str(app.screen.query_one("#quick-log-error").render())
            assert "disk is full" in error
    finally:
        App._log = real_log
    captured = capsys.readouterr()
    everything = caplog.text + captured.out + captured.err + "\n".join(logged)
    assert "CFO Dana" not in everything and "zzzzzzzzzz" not in everything
