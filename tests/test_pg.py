"""PostgreSQL specifics (team mode): connecting, failing fast and clearly, never showing
the password, seeing a teammate's writes, one writer at a time.

The shared store/KPI/import/concurrency tests run on PostgreSQL too (``both_backends``);
these are about what only a server has.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from datetime import date

import pytest
from sqlalchemy import insert, text
from sqlalchemy.engine import make_url

from bookkeeper_tui.cli import main
from bookkeeper_tui.store.book import Book
from bookkeeper_tui.store.engine import StoreError, make_engine
from bookkeeper_tui.store.models import Touchpoint
from tests.conftest import TODAY


@pytest.fixture
def server(pg_server):
    return pg_server


@pytest.fixture
def url(pg_db):
    return pg_db


def _run(argv, capsys):
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the block ends: nobody listens


# -- failing fast and clearly ---------------------------------------------------------
def test_unreachable_server_is_a_clear_message_within_seconds(server, capsys):
    port = _closed_port()
    t0 = time.monotonic()
    code, out, err = _run(
        ["today", "--db", f"postgresql+psycopg://bookkeeper:s3cret@127.0.0.1:{port}/book"],
        capsys,
    )
    assert time.monotonic() - t0 < 10
    assert code == 1 and out == ""
    assert "cannot reach the PostgreSQL server at 127.0.0.1:" in err
    assert "Traceback" not in err and "s3cret" not in err
    assert len(err.strip().splitlines()) == 1


def test_a_server_that_never_answers_times_out_within_seconds(capsys, monkeypatch):
    """A listening socket that never speaks (a hung server, a firewall that accepts).

    Both connections `today` makes (its quick read, then the full open) wait libpq's
    shortest timeout, 2 s, instead of the 5 s in use: the test is that each one has a
    timeout and what is said after it, not its length (10 s of waiting before). The 5 s
    itself: the app test below waits it for real, and the constants are checked here."""
    from bookkeeper_tui.store import fast, location, pg

    assert location.CONNECT_TIMEOUT_S == pg.CONNECT_TIMEOUT_S == fast.CONNECT_TIMEOUT_S == 5
    monkeypatch.setattr(pg, "CONNECT_TIMEOUT_S", 2)
    monkeypatch.setattr(fast, "CONNECT_TIMEOUT_S", 2)
    with socket.socket() as lst:
        lst.bind(("127.0.0.1", 0))
        lst.listen(8)
        port = lst.getsockname()[1]
        t0 = time.monotonic()
        code, _, err = _run(
            ["today", "--db", f"postgresql+psycopg://bookkeeper:s3cret@127.0.0.1:{port}/b"],
            capsys,
        )
        took = time.monotonic() - t0
    assert code == 1 and took < 15, took
    assert "cannot reach the PostgreSQL server" in err and "s3cret" not in err


def test_wrong_password_is_named_and_never_printed(server, url, capsys):
    bad = make_url(url).set(password="not-the-Password-42")
    code, out, err = _run(["today", "--db", bad.render_as_string(hide_password=False)], capsys)
    assert code == 1 and out == ""
    assert "refused the password for user 'bookkeeper'" in err
    assert "not-the-Password-42" not in err and server.password not in err


def test_missing_database_says_how_to_create_it(server, capsys):
    missing = server.url("no_such_book")
    code, _, err = _run(["accounts", "--db", missing], capsys)
    assert code == 1
    assert "the database 'no_such_book' does not exist" in err
    assert f"createdb -h 127.0.0.1 -p {server.port} -U bookkeeper no_such_book" in err
    assert server.password not in err


def test_no_password_anywhere_says_where_to_put_it(server, url, capsys, monkeypatch, tmp_path):
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "none"))
    bare = url.replace(f":{server.password}@", "@")
    code, _, err = _run(["today", "--db", bare], capsys)
    assert code == 1
    assert "asks a password for user 'bookkeeper' and none was given" in err
    assert "PGPASSWORD" in err and "~/.pgpass" in err


def test_password_from_pgpassword(server, url, capsys, monkeypatch):
    monkeypatch.setenv("PGPASSWORD", server.password)
    bare = url.replace(f":{server.password}@", "@")
    code, out, err = _run(
        ["add", "Acme", "--tier", "smb", "--start", "2026-01-01", "--db", bare], capsys
    )
    assert code == 0, err
    assert server.password not in out + err


def test_password_from_pgpass_file(server, url, capsys, monkeypatch, tmp_path):
    monkeypatch.delenv("PGPASSWORD", raising=False)
    pgpass = tmp_path / "pgpass"
    u = make_url(url)
    pgpass.write_text(f"{u.host}:{u.port}:{u.database}:{u.username}:{server.password}\n")
    pgpass.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(pgpass))
    bare = url.replace(f":{server.password}@", "@")
    code, _out, err = _run(["today", "--db", bare], capsys)
    assert code == 0, err


def test_the_password_is_masked_in_every_message(server, url, capsys, caplog):
    """Output, errors and logs of a session on a URL with a password never show it."""
    import logging

    caplog.set_level(logging.DEBUG)
    outs = []
    for argv in (
        ["demo", "--accounts", "5", "--as-of", TODAY.isoformat()],
        ["today", "--as-of", TODAY.isoformat()],
        ["kpi", "--json", "--as-of", TODAY.isoformat()],
        ["log", 'Acme call "hello"', "--as-of", TODAY.isoformat()],
        ["demo", "--as-of", TODAY.isoformat()],  # refused: names the book
        ["import", "accounts", "/nonexistent.csv"],
    ):
        _code, out, err = _run([*argv, "--db", url], capsys)
        outs.append(out + err)
    book = Book.open(url)
    outs.append(repr(book.location) + str(book.location))
    book.close()
    text_all = "\n".join(outs) + caplog.text
    assert "***@" in text_all  # the location is shown, masked
    assert server.password not in text_all


def test_postgresql_scheme_means_psycopg(server, url):
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    engine, where = make_engine(plain)
    try:
        assert engine.dialect.driver == "psycopg"
        assert where.startswith("postgresql+psycopg://bookkeeper:***@")
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("db", "says"),
    [
        ("mysql://u@h/db", "not on 'mysql'"),
        ("postgresql+psycopg2://u@h/db", "psycopg2' is not installed"),
    ],
)
def test_unsupported_databases_are_refused_clearly(db, says):
    with pytest.raises(StoreError, match=says):
        make_engine(db)


# -- teammates' writes ---------------------------------------------------------------
def test_change_counter_moves_on_each_commit_and_only_then(url):
    a, b = Book.open(url), Book.open(url)
    try:
        v0 = a.data_version()
        assert b.data_version() == v0
        b.add_account("Acme", "smb", date(2026, 1, 1))
        v1 = a.data_version()
        assert v1 != v0  # another connection's commit shows
        a.accounts(TODAY)  # reads move nothing
        assert a.data_version() == v1
        with b.write():
            pass  # a transaction that changed no row moves nothing
        assert a.data_version() == v1
        with pytest.raises(RuntimeError), b.write() as s:
            s.add(Touchpoint(account_id=1, kind="call", due=TODAY))
            s.flush()
            raise RuntimeError("rolled back")
        assert a.data_version() == v1  # a rolled-back write moves nothing
    finally:
        a.close()
        b.close()


def test_kpi_panel_is_remembered_until_a_teammate_writes(url):
    a, b = Book.open(url), Book.open(url)
    try:
        b.add_account("Acme", "smb", date(2026, 1, 1), mrr=100)
        first = a.kpi(TODAY)
        assert a.kpi_is_fresh(TODAY)
        b.add_account("Globex", "smb", date(2026, 2, 1), mrr=300)
        assert not a.kpi_is_fresh(TODAY)
        assert a.kpi(TODAY) != first
    finally:
        a.close()
        b.close()


def test_nul_characters_are_stored_as_replacement_marks(url):
    book = Book.open(url)
    try:
        acc = book.add_account("Acme", "smb", date(2026, 1, 1))
        with book.write() as s:
            s.add(Touchpoint(account_id=acc.id, kind="call", due=TODAY, note="a\x00b"))
        with book.write() as s:  # many rows in one statement (imports, migrate-to)
            s.execute(
                insert(Touchpoint),
                [
                    {"account_id": acc.id, "kind": "qbr", "due": TODAY, "note": "clean"},
                    {"account_id": acc.id, "kind": "qbr", "due": TODAY, "note": "c\x00d"},
                ],
            )
        with book.read() as s:
            notes = s.execute(text("SELECT note FROM touchpoint ORDER BY id")).scalars().all()
        assert notes == ["a\ufffdb", "clean", "c\ufffdd"]
    finally:
        book.close()


@contextlib.contextmanager
def _holding_the_book(book: Book, sql: str = "SELECT 1"):
    """Another machine's save in progress: *book* holds an open write transaction (after
    running *sql*) until the block ends."""
    holding, release = threading.Event(), threading.Event()

    def hold():
        with book.write() as s:
            s.execute(text(sql))
            holding.set()
            release.wait(10)

    t = threading.Thread(target=hold)
    t.start()
    try:
        assert holding.wait(10)
        yield release
    finally:
        release.set()
        t.join()


def test_writers_take_turns(url):
    """A write waits for another machine's open write transaction, then sees its rows."""
    a, b = Book.open(url), Book.open(url)
    a.add_account("Acme", "smb", date(2026, 1, 1))
    try:
        with _holding_the_book(a, "UPDATE account SET industry = 'held'") as release:
            threading.Timer(0.5, release.set).start()
            t0 = time.monotonic()
            with b.write() as s:
                seen = s.execute(text("SELECT industry FROM account")).scalar()
            assert time.monotonic() - t0 >= 0.4  # it waited for the first writer
            assert seen == "held"  # and then saw its commit
    finally:
        a.close()
        b.close()


def _app_on(tmp_path, port: int, *command: str) -> tuple[subprocess.CompletedProcess, float]:
    """`bookkeeper` (the TUI, or *command*) on a server at *port*: what it printed and how
    long it took."""
    env = dict(os.environ, BOOKKEEPER_CONFIG=str(tmp_path / "none.toml"), TERM="xterm")
    env.pop("BOOKKEEPER_DB", None)
    t0 = time.monotonic()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bookkeeper_tui",
            "--db",
            f"postgresql://me:pw-xyz@127.0.0.1:{port}/book",
            *command,
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    return done, time.monotonic() - t0


def test_the_app_names_a_server_it_cannot_reach(tmp_path):
    """`bookkeeper` (the TUI) on an unreachable server: one sentence, exit 1, no hang."""
    done, took = _app_on(tmp_path, _closed_port())
    assert took < 20
    assert done.returncode == 1
    assert "cannot reach the PostgreSQL server at 127.0.0.1" in done.stderr
    assert "Traceback" not in done.stderr and "pw-xyz" not in done.stderr


@pytest.mark.parametrize("argv", [["backup"], ["check"], ["restore", "x.db", "--yes"]])
def test_file_tools_on_a_server_book_say_what_to_use(url, server, argv, capsys):
    code, out, err = _run([*argv, "--db", url], capsys)
    assert code == 2 and out == ""
    assert "pg_dump -Fc DBNAME > book.dump" in err
    assert "bookkeeper migrate-to book-copy.db" in err
    assert server.password not in err


def test_a_dropped_connection_is_reconnected_on_the_next_action(server, url):
    """A server restart or a network cut between two actions: the next one just works."""
    book = Book.open(url)
    try:
        book.add_account("Acme", "smb", date(2026, 1, 1))
        with server.admin() as admin:
            killed = admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (make_url(url).database,),
            ).fetchall()
        assert killed  # the book's pooled connection was cut
        book.add_account("Globex", "smb", date(2026, 1, 1))
        assert book.account_names() == ["Acme", "Globex"]
    finally:
        book.close()


def test_a_login_without_rights_on_the_tables_is_told_what_to_grant(server, capsys):
    name = server.create_database()
    with server.admin() as admin:
        admin.execute("DROP ROLE IF EXISTS stranger")
        admin.execute("CREATE ROLE stranger LOGIN PASSWORD 'stranger-pw'")
    try:
        u = make_url(server.url(name)).set(username="stranger", password="stranger-pw")
        code, _, err = _run(["today", "--db", u.render_as_string(hide_password=False)], capsys)
        assert code == 1
        assert "user 'stranger' may not create or change Bookkeeper's tables" in err
        assert "GRANT ALL ON SCHEMA public TO stranger" in err
        assert "stranger-pw" not in err
    finally:
        server.drop_database(name)
        with server.admin() as admin:
            admin.execute("DROP ROLE IF EXISTS stranger")


def test_without_server_binaries_the_reason_names_the_package(monkeypatch):
    """What a developer without PostgreSQL reads next to the skipped cases."""
    from tests import pgserver

    monkeypatch.setattr(pgserver, "_bindir", lambda: None)
    with pytest.raises(pgserver.ServerUnavailable, match=r"install Debian's 'postgresql'"):
        pgserver.start()


# -- start-up: Today read with psycopg alone while the app imports --------------------
@pytest.fixture
def pg_demo(url):
    from bookkeeper_tui.store.demo import build_demo

    book = Book.open(url)
    build_demo(book, accounts=40, seed=7, as_of=TODAY)
    book.sync(TODAY)
    yield book
    book.close()


def test_the_start_up_read_gives_the_rows_of_the_full_path(pg_demo, url):
    from datetime import timedelta

    from bookkeeper_tui.store.fast import TODAY_AHEAD_DAYS, TodayPrefetch, read_today

    first = pg_demo.today(TODAY, TODAY_AHEAD_DAYS)[0]
    pg_demo.snooze(first.touchpoint_id, TODAY + timedelta(days=2))
    expected = pg_demo.today(TODAY, TODAY_AHEAD_DAYS)
    got = read_today(url, TODAY, TODAY_AHEAD_DAYS)
    assert got is not None and len(got) == len(expected) > 5
    assert got == expected  # every field, in the same order
    mine = read_today(url, TODAY, TODAY_AHEAD_DAYS, owner="MAYA")
    assert mine == pg_demo.today(TODAY, TODAY_AHEAD_DAYS, owner="maya") != expected
    assert TodayPrefetch(url, TODAY, TODAY_AHEAD_DAYS).result(timeout=10) == expected


@pytest.mark.parametrize(
    "damage", ["a new day", "an import waiting to be planned", "an older schema", "no accounts"]
)
def test_the_start_up_read_is_refused_when_the_book_cannot_answer_alone(pg_demo, url, damage):
    from datetime import timedelta

    from bookkeeper_tui.store.fast import read_today

    as_of = TODAY
    with pg_demo.write() as s:
        if damage == "a new day":
            as_of = TODAY + timedelta(days=1)
        elif damage == "an import waiting to be planned":
            s.execute(text("INSERT INTO meta(key, value) VALUES ('stale_accounts', '[1]')"))
        elif damage == "an older schema":
            s.execute(text("UPDATE meta SET value = '1' WHERE key = 'schema_version'"))
        else:
            for table in (
                "touchpoint",
                "interaction",
                "score",
                "health_snapshot",
                "contact",
                "mrr_level",
                "account",
            ):
                s.execute(text(f"DELETE FROM {table}"))
    assert read_today(url, as_of, 7) is None


def test_the_start_up_read_of_a_server_book_imports_no_sqlalchemy(pg_demo, url):
    code = (
        "import sys, json\n"
        "from datetime import date\n"
        "from bookkeeper_tui.store.fast import read_today\n"
        "rows = read_today(sys.argv[1], date(2026, 11, 24), 7)\n"
        "print(json.dumps([len(rows or []), sorted(m for m in sys.modules "
        "if m.split('.')[0] in ('sqlalchemy', 'sqlmodel'))]))\n"
    )
    import json

    out = subprocess.run(
        [sys.executable, "-c", code, url], capture_output=True, text=True, check=True
    )
    n, imported = json.loads(out.stdout)
    assert n > 5 and imported == []


def test_bookkeeper_alone_on_a_server_takes_the_shortcut(pg_demo, url, monkeypatch):
    import bookkeeper_tui.app as app_module
    import bookkeeper_tui.store.fast as fast

    calls: list[tuple[str, int]] = []
    monkeypatch.setattr(
        app_module,
        "run_prefetched",
        lambda location, config, rows: calls.append(("prefetched", len(rows))) or 0,
    )
    monkeypatch.setattr(app_module, "run_app", lambda book, config: calls.append(("full", 0)))
    real = fast.read_today
    monkeypatch.setattr(fast, "read_today", lambda loc, as_of, ahead: real(loc, TODAY, ahead))
    assert main(["--db", url]) == 0
    assert calls[-1][0] == "prefetched" and calls[-1][1] > 0


def test_the_app_waits_for_a_silent_server_once(tmp_path):
    """A server that accepts and never answers: one connection timeout, not two."""
    with socket.socket() as lst:
        lst.bind(("127.0.0.1", 0))
        lst.listen(8)
        done, took = _app_on(tmp_path, lst.getsockname()[1])
    assert done.returncode == 1
    assert "cannot reach the PostgreSQL server at 127.0.0.1" in done.stderr
    assert "pw-xyz" not in done.stderr
    assert took < 9.5, took  # the 5 s timeout once (twice would be over 10 s)


def test_today_waits_for_a_silent_server_once(tmp_path):
    """`bookkeeper today` on a server that accepts and never answers: its quick read waits
    the connection timeout, and the full open must not wait it a second time."""
    with socket.socket() as lst:
        lst.bind(("127.0.0.1", 0))
        lst.listen(8)
        done, took = _app_on(tmp_path, lst.getsockname()[1], "today")
    assert done.returncode == 1
    assert "cannot reach the PostgreSQL server at 127.0.0.1" in done.stderr
    assert "pw-xyz" not in done.stderr and "Traceback" not in done.stderr
    assert took < 9.5, took  # the 5 s timeout once (twice would be over 10 s)


def test_bulk_loads_leave_the_planner_statistics_fresh(url):
    """After demo (and migrate-to, which calls the same), the tables have statistics:
    the first Today on a freshly loaded book is planned with them (0.98 s vs 0.13 s
    at 10,000 accounts)."""
    from bookkeeper_tui.store.demo import build_demo

    book = Book.open(url)
    try:
        build_demo(book, accounts=12, seed=7, as_of=TODAY)
        with book.read() as s:
            analyzed = (
                s.execute(
                    text(
                        "SELECT relname FROM pg_stat_user_tables "
                        "WHERE last_analyze IS NOT NULL OR last_autoanalyze IS NOT NULL"
                    )
                )
                .scalars()
                .all()
            )
        assert {"account", "touchpoint", "health_snapshot"} <= set(analyzed)
    finally:
        book.close()


def test_a_save_that_waits_too_long_says_the_book_is_busy(url, monkeypatch):
    from bookkeeper_tui.store import pg

    monkeypatch.setattr(pg, "LOCK_TIMEOUT", "300ms")  # 10 s in use
    a, b = Book.open(url), Book.open(url)
    try:
        with _holding_the_book(a):
            busy = r"the book is busy: a teammate's save has held it"
            with pytest.raises(StoreError, match=busy):
                b.add_account("Acme", "smb", date(2026, 1, 1))
        assert b.account_names() == []  # nothing half-saved
        b.add_account("Acme", "smb", date(2026, 1, 1))  # and the next save goes through
    finally:
        a.close()
        b.close()


def test_a_cli_save_past_the_lock_timeout_exits_2_like_a_busy_sqlite_book(url, monkeypatch, capsys):
    """PostgreSQL's lock timeout (team mode) is the same "busy, try again" as SQLite's
    "database is locked": exit 2, nothing saved (issue 13 #8)."""
    from bookkeeper_tui.store import pg

    monkeypatch.setattr(pg, "LOCK_TIMEOUT", "300ms")
    a = Book.open(url)
    try:
        with _holding_the_book(a):
            code, _out, err = _run(["add", "Acme", "--start", "2026-01-01", "--db", url], capsys)
        assert code == 2, err
        assert "The book is busy" in err and "try again" in err
        assert "unexpected error" not in err
        assert a.account_names() == []
    finally:
        a.close()


def test_a_deadlock_is_a_busy_book(monkeypatch):
    """SQLSTATE 40P01 (deadlock) and 55P03 (lock not available) are said as a busy book."""
    from types import SimpleNamespace

    import psycopg

    from bookkeeper_tui.store import pg
    from bookkeeper_tui.store.engine import BookBusyError

    for exc in (
        psycopg.errors.DeadlockDetected("deadlock detected"),
        psycopg.errors.LockNotAvailable("could not obtain lock"),
    ):
        context = SimpleNamespace(
            original_exception=exc, is_pre_ping=False, engine=None, is_disconnect=False
        )
        with pytest.raises(BookBusyError, match="busy"):
            pg._translate_error(context)


def test_a_save_cut_off_by_a_lost_connection_is_rolled_back_and_said(server, url):
    book = Book.open(url)
    try:
        lost = pytest.raises(StoreError, match="lost the connection to the PostgreSQL server")
        with lost, book.write() as s:
            s.execute(text("INSERT INTO meta (key, value) VALUES ('half', 'saved')"))
            pid = s.execute(text("SELECT pg_backend_pid()")).scalar()
            with server.admin() as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
            s.execute(text("SELECT 1"))
        with book.read() as s:  # reconnected; the half-done save is not there
            assert s.execute(text("SELECT value FROM meta WHERE key = 'half'")).first() is None
    finally:
        book.close()
