"""Bad input that used to end in the catch-all "unexpected error" (exit 1) now exits 2 with
one clear sentence (issue 13, point 8): out-of-range ``--as-of``, huge durations, text that
is not valid UTF-8, a book whose schema version is invalid or that lacks a table, a
read-only book under ``check``, an empty ``BOOKKEEPER_DB``.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bookkeeper_tui.cli import main
from bookkeeper_tui.core.quicklog import QuickLogError, parse_quicklog
from bookkeeper_tui.store.book import Book, BookError
from tests.conftest import TODAY

UNEXPECTED = "unexpected error"
TABLES = ("account", "interaction", "contact")


@pytest.fixture
def acme(book):
    book.add_account("Acme Corp", "smb", date_(2025, 1, 1), mrr=1000)
    book.close()


def date_(y: int, m: int, d: int):
    from datetime import date

    return date(y, m, d)


def _accounts_csv(tmp_path: Path) -> str:
    path = tmp_path / "accounts.csv"
    path.write_text("name,start\nZed,2025-01-01\n", encoding="utf-8")
    return str(path)


# -- 1. --as-of outside the book's years -----------------------------------------------
AS_OF_COMMANDS = [
    ("today",),
    ("accounts",),
    ("show", "acme"),
    ("log", "acme call"),
    ("kpi",),
    ("demo", "--force"),
    ("import", "accounts", "CSV", "--dry-run"),
]


@pytest.mark.parametrize("command", AS_OF_COMMANDS, ids=lambda c: c[0])
@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "2026-02-30"])
def test_as_of_outside_the_book_years_exits_2(acme, cli, tmp_path, command, day):
    args = [_accounts_csv(tmp_path) if a == "CSV" else a for a in command]
    r = cli(*args, "--as-of", day)
    assert r.code == 2, r.err
    assert UNEXPECTED not in r.err
    assert "--as-of" in r.err and day in r.err
    assert "1900" in r.err or "YYYY-MM-DD" in r.err


# -- 2. huge durations -----------------------------------------------------------------
@pytest.mark.parametrize(
    "period", ["99999999d", "999999999999999999999y", "5000y", "36501d", "5215w", "1201m", "101y"]
)
def test_a_huge_kpi_period_exits_2_naming_the_option_and_range(acme, cli, period):
    r = cli("kpi", "--period", period)
    assert r.code == 2, r.err
    assert UNEXPECTED not in r.err
    assert "--period" in r.err and period in r.err and "100 years" in r.err


@pytest.mark.parametrize("period", ["36500d", "5214w", "1200m", "100y"])
def test_the_longest_kpi_period_is_allowed(acme, cli, period):
    r = cli("kpi", "--period", period, "--as-of", TODAY.isoformat(), "--json")
    assert r.code == 0, r.err
    assert r.json()["period"]["end"] == TODAY.isoformat()


@pytest.mark.parametrize("ahead", [str(10**12), "99999999", "36501", "-1", "3x"])
def test_a_huge_or_bad_today_ahead_exits_2_naming_the_option(acme, cli, ahead):
    r = cli("today", "--ahead", ahead, "--as-of", TODAY.isoformat())
    assert r.code == 2, r.err
    assert UNEXPECTED not in r.err
    assert "--ahead" in r.err and ahead in r.err


def test_the_longest_today_ahead_is_allowed(acme, cli):
    r = cli("today", "--ahead", "36500", "--as-of", "2200-12-31", "--json")
    assert r.code == 0, r.err


def test_period_start_refuses_a_huge_period():
    from bookkeeper_tui.core.kpi import period_start

    with pytest.raises(ValueError, match="100 years"):
        period_start(TODAY, "99999999d")
    assert period_start(TODAY, "100y") == date_(1926, 11, 24)


# -- 3. text that is not valid UTF-8 (lone surrogates) -----------------------------------
@pytest.mark.parametrize(
    "args",
    [
        ("add", "Bad\udcffName", "--start", "2025-01-01"),
        ("log", "acme", "call", '"hi \udcff there"'),
        ("log", "acme", "call", "with", "D\udcffna"),
        ("show", "\udcff\udcfe"),
        ("today", "--owner", "\udcff"),
        ("kpi", "--tier", "\udcff"),
    ],
    ids=lambda a: a[0],
)
def test_an_argument_that_is_not_utf8_exits_2_and_saves_nothing(acme, cli, db, args):
    r = cli(*args)
    assert r.code == 2, r.err
    assert UNEXPECTED not in r.err
    assert "UTF-8" in r.err
    assert "\udcff" not in r.err  # printable on any terminal
    r.err.encode("utf-8")
    con = sqlite3.connect(db)
    try:
        counts = [con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES]
    finally:
        con.close()
    assert counts == [1, 0, 0]  # Acme only: no new account, interaction or contact


def test_invalid_utf8_bytes_in_argv_exit_2_in_a_real_process(tmp_path):
    db = str(tmp_path / "book.db")
    for env_extra in ({}, {"LC_ALL": "C.UTF-8"}, {"LC_ALL": "C"}):
        env = {
            "PATH": "/usr/bin:/bin",
            "HOME": str(tmp_path),
            "BOOKKEEPER_CONFIG": str(tmp_path / "no-config.toml"),
            **env_extra,
        }
        cmd = [sys.executable, "-m", "bookkeeper_tui", "--db", db, "add", b"Bad\xff\xfe"]
        r = subprocess.run(
            [*cmd, "--start", "2025-01-01"], capture_output=True, env=env, timeout=60
        )
        err = r.stderr.decode("utf-8")
        assert r.returncode == 2, (env_extra, err)
        assert UNEXPECTED not in err and "UTF-8" in err


def test_a_path_that_is_not_utf8_still_works(acme, cli, tmp_path):
    """File names are bytes on Linux: an undecodable one is a path, not bad text."""
    out = tmp_path / "acc\udcff.csv"
    r = cli("export", "accounts", "-o", str(out))
    assert r.code == 0, r.err
    assert out.exists()


def test_quick_log_refuses_a_lone_surrogate_with_its_place():
    line = "acme call hi \udcff there"
    with pytest.raises(QuickLogError, match="UTF-8") as info:
        parse_quicklog(line, ["Acme Corp"], TODAY)
    assert info.value.start == line.index("\udcff")


def test_book_refuses_an_account_name_that_is_not_utf8(book):
    with pytest.raises(BookError, match="UTF-8"):
        book.add_account("Bad\udcffName", "smb", date_(2025, 1, 1))
    assert book.account_names() == []


# -- 4. an invalid schema version --------------------------------------------------------
def _set_meta(path: str, value: str) -> None:
    con = sqlite3.connect(path)
    with con:
        con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (value,))
    con.close()


@pytest.mark.parametrize("version", ["-1", "0", "99999999999999999999", "abc"])
def test_an_invalid_schema_version_is_said_by_check_and_every_command(acme, cli, db, version):
    _set_meta(db, version)
    r = cli("check")
    assert r.code != 0, r.out
    assert "schema version" in r.out and "invalid" in r.out
    for args in (("today",), ("accounts",), ("kpi",), ("log", "acme call")):
        r = cli(*args)
        assert r.code == 2, (args, r.err)
        assert UNEXPECTED not in r.err
        assert "schema version" in r.err and "invalid" in r.err and "restore" in r.err


# -- 5. check on a read-only book --------------------------------------------------------
def _read_only(monkeypatch, path: Path) -> None:
    """Simulate a read-only mount (tests may run as root, where chmod does not block):
    writing is refused, and SQLite cannot open a WAL book read-only unless it is told the
    file is immutable (it cannot create the -shm file)."""
    import os

    from bookkeeper_tui.io import care

    real_access = os.access
    real_connect = sqlite3.connect

    def access(p, mode, *a, **k):
        if mode & os.W_OK and Path(p).resolve() in (path.resolve(), path.parent.resolve()):
            return False
        return real_access(p, mode, *a, **k)

    def connect(target, *a, **k):
        if isinstance(target, str) and "immutable=1" not in target and str(path) in target:
            raise sqlite3.OperationalError("unable to open database file")
        return real_connect(target, *a, **k)

    monkeypatch.setattr(care.os, "access", access)
    monkeypatch.setattr(sqlite3, "connect", connect)


def test_check_on_a_read_only_sound_book_says_so_and_advises_nothing(acme, cli, db, monkeypatch):
    _read_only(monkeypatch, Path(db))
    r = cli("check")
    assert r.code == 0, r.out + r.err
    assert "read-only" in r.out and "sound" in r.out
    assert "mv " not in r.out and "restore" not in r.out and "damaged" not in r.out
    r = cli("check", "--json")
    assert r.json()["ok"] is True and r.json()["read_only"] is True


def test_check_on_a_read_only_damaged_book_still_reports_the_damage(acme, cli, db, monkeypatch):
    con = sqlite3.connect(db)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    with open(db, "r+b") as f:  # break the first table page (after the header page)
        f.seek(4096 * 2)
        f.write(b"\xff" * 4096)
    _read_only(monkeypatch, Path(db))
    r = cli("check")
    assert r.code == 1, r.out
    assert "read-only" in r.out
    assert "mv " not in r.out  # a read-only book cannot be moved aside from here


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_check_on_a_chmod_read_only_book_is_not_called_damaged(acme, cli, db):
    import os

    if os.geteuid() == 0:
        pytest.skip("root ignores chmod; the simulated read-only mount above covers it")
    folder = Path(db).parent
    for side in ("-wal", "-shm"):
        Path(db + side).unlink(missing_ok=True)
    os.chmod(db, 0o444)
    os.chmod(folder, 0o555)
    try:
        r = cli("check")
    finally:
        os.chmod(folder, 0o755)
        os.chmod(db, 0o644)
    assert r.code == 0, r.out
    assert "mv " not in r.out and "restore" not in r.out


# -- 6. a book missing a table -----------------------------------------------------------
def test_a_book_missing_a_table_fails_check_and_commands(acme, cli, db):
    Book.open(db).close()
    con = sqlite3.connect(db)
    with con:
        con.execute("DROP TABLE touchpoint")
    con.close()
    r = cli("check")
    assert r.code == 1, r.out
    assert "touchpoint" in r.out and "missing" in r.out and "restore" in r.out
    r = cli("check", "--json")
    assert r.json()["ok"] is False
    r = cli("today")
    assert r.code != 0
    assert UNEXPECTED not in r.err
    assert "touchpoint" in r.err and "restore" in r.err


# -- 8. BOOKKEEPER_DB set but empty ------------------------------------------------------
def test_an_empty_bookkeeper_db_is_refused(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("BOOKKEEPER_DB", "")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("HOME", str(tmp_path))
    assert main(["accounts"]) == 2
    err = capsys.readouterr().err
    assert "BOOKKEEPER_DB" in err and "empty" in err
    assert not list(tmp_path.rglob("*.db"))
    # --db wins over an empty BOOKKEEPER_DB
    assert main(["accounts", "--db", str(tmp_path / "b.db")]) == 0, capsys.readouterr().err


def test_the_tables_a_book_must_have_are_the_models_tables():
    from sqlmodel import SQLModel

    from bookkeeper_tui.store import schema  # noqa: F401  (registers the tables)
    from bookkeeper_tui.store.version import SCHEMA_VERSION, TABLES

    assert set(SQLModel.metadata.tables) == TABLES[SCHEMA_VERSION]
    assert sorted(TABLES) == list(range(1, SCHEMA_VERSION + 1))
