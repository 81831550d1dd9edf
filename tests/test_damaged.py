"""Damaged or wrong files: a clear sentence with the command that fixes it, never a
traceback, never a write to the file (issue 6, guarantee 4); `check` and `restore`."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from bookkeeper_tui.cli import main
from bookkeeper_tui.store.backup import daily_backup
from tests.conftest import TODAY


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _copy_book(src: Path, dest: Path) -> Path:
    s, d = sqlite3.connect(src), sqlite3.connect(dest)
    with d:
        s.backup(d)
    s.close()
    d.close()
    os.chmod(dest, 0o600)
    return dest


def _run(capsys, *args: str):
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def real_book(demo_template, tmp_path) -> Path:
    """A real demo book in a private folder, with one automatic daily backup beside it."""
    folder = tmp_path / "data"
    folder.mkdir(mode=0o700)
    book = _copy_book(demo_template, folder / "book.db")
    assert daily_backup(book, TODAY) is not None
    return book


def _daily(book: Path) -> Path:
    return book.parent / "backups" / "daily" / f"book-{TODAY.isoformat()}.db"


# -- the wrong or damaged files ---------------------------------------------------------
def _random(book: Path) -> None:
    book.write_bytes(os.urandom(8192))


def _text(book: Path) -> None:
    book.write_text("Meeting notes: call Acme on Monday\n" * 300)


def _other_app(book: Path) -> None:
    book.unlink()
    con = sqlite3.connect(book)
    con.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY, path TEXT)")
    con.execute("INSERT INTO photos (path) VALUES ('holiday.jpg')")
    con.commit()
    con.close()


def _truncated(book: Path) -> None:
    data = book.read_bytes()
    book.write_bytes(data[: len(data) // 2])


def _corrupt_page(book: Path) -> None:
    data = bytearray(book.read_bytes())
    mid = (len(data) // 2) // 4096 * 4096  # the start of a page in the middle
    data[mid : mid + 200] = b"\xa5" * 200
    book.write_bytes(bytes(data))


DAMAGE = {
    "random-bytes": _random,
    "text-file": _text,
    "other-app-sqlite": _other_app,
    "truncated": _truncated,
    "corrupt-page": _corrupt_page,
}


def _assert_clear(code: int, err: str, book: Path, kind: str) -> None:
    assert code != 0
    assert "Traceback" not in err and "sqlalchemy" not in err.lower()
    assert str(book) in err
    if kind == "other-app-sqlite":
        assert "not a Bookkeeper book" in err and "--db" in err
    else:
        # The exact command that gets the user going again: restore the newest backup.
        assert f"bookkeeper restore {_daily(book)} --db {book}" in err


@pytest.mark.parametrize("kind", list(DAMAGE))
@pytest.mark.parametrize(
    "command",
    [("today",), ("log", "Initech call renewal talk went well"), ("kpi",), ("accounts",)],
    ids=["today", "log", "kpi", "accounts"],
)
def test_cli_refuses_a_damaged_book_untouched(real_book, capsys, kind, command):
    DAMAGE[kind](real_book)
    before = _sha(real_book)
    code, _out, err = _run(capsys, *command, "--db", str(real_book))
    _assert_clear(code, err, real_book, kind)
    assert _sha(real_book) == before


@pytest.mark.parametrize("kind", [k for k in DAMAGE if k != "corrupt-page"])
def test_app_launch_refuses_a_damaged_book_untouched(real_book, capsys, kind):
    """`bookkeeper` alone: the fast read-only prefetch fails, the full open explains."""
    DAMAGE[kind](real_book)
    before = _sha(real_book)
    code, _out, err = _run(capsys, "--db", str(real_book))
    _assert_clear(code, err, real_book, kind)
    assert _sha(real_book) == before


def test_app_launch_on_a_corrupt_page_exits_with_the_fix(real_book):
    """A page damaged away from Today's rows: the prefetch may show Today, then the full
    open in the background refuses the book and the app quits with the sentence (a real
    process: the terminal app runs headless on a pipe)."""
    _corrupt_page(real_book)
    before = _sha(real_book)
    env = {**os.environ, "BOOKKEEPER_CONFIG": str(real_book.parent / "none.toml")}
    proc = subprocess.run(
        [sys.executable, "-m", "bookkeeper_tui", "--db", str(real_book)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    both = " ".join((proc.stdout + proc.stderr).split())
    assert proc.returncode != 0
    assert "Traceback" not in both
    assert "bookkeeper restore" in both and "--db" in both
    assert _sha(real_book) == before


# -- permissions and a full disk ------------------------------------------------------
def _deny_writes(monkeypatch, target: Path) -> None:
    """Simulate a read-only file or folder (chmod does not stop root)."""
    real = os.access

    def access(path, mode, *a, **k):
        if Path(path) == target and mode & os.W_OK:
            return False
        return real(path, mode, *a, **k)

    monkeypatch.setattr(os, "access", access)


@pytest.mark.parametrize("what", ["file", "folder"])
def test_read_only_book_or_folder_simulated(real_book, capsys, monkeypatch, what):
    target = real_book if what == "file" else real_book.parent
    _deny_writes(monkeypatch, target)
    before = _sha(real_book)
    code, _out, err = _run(capsys, "log", "Initech call kept", "--db", str(real_book))
    assert code == 1 and "Traceback" not in err
    assert "read-only" in err and f"chmod u+w {target}" in err
    if what == "folder":
        assert "book.db-wal" in err  # says why a folder must be writable
    assert _sha(real_book) == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores chmod; the simulated test covers it")
@pytest.mark.parametrize("what", ["file", "folder"])
def test_read_only_book_or_folder_for_real(real_book, capsys, what):
    target = real_book if what == "file" else real_book.parent
    before = _sha(real_book)
    os.chmod(target, 0o400 if what == "file" else 0o500)
    try:
        code, _out, err = _run(capsys, "log", "Initech call kept", "--db", str(real_book))
    finally:
        os.chmod(target, 0o600 if what == "file" else 0o700)
    assert code == 1 and "Traceback" not in err and "read-only" in err
    assert _sha(real_book) == before


def test_full_disk_saves_nothing_and_says_so(real_book, capsys, monkeypatch):
    """SQLite's own "database or disk is full": the book may not grow by one page (on
    both ways to the file: the engine, and the `log` fast path's own connection)."""
    from bookkeeper_tui.store import engine as engine_mod
    from bookkeeper_tui.store import fast_log

    real = engine_mod._sqlite_pragmas

    def full(conn, record):
        real(conn, record)
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {pages}")

    def count() -> int:
        con = sqlite3.connect(real_book)
        try:
            return con.execute("SELECT count(*) FROM interaction").fetchone()[0]
        finally:
            con.close()

    assert _run(capsys, "today", "--db", str(real_book))[0] == 0  # synced: only the log writes
    n = count()
    monkeypatch.setattr(engine_mod, "_sqlite_pragmas", full)
    real_fast = fast_log._sqlite_pragmas
    monkeypatch.setattr(fast_log, "_sqlite_pragmas", lambda con, rec: full(con, rec))
    note = "Quarterly review notes " + "x" * 50_000
    code, _out, err = _run(capsys, "log", f"Initech call {note}", "--db", str(real_book))
    assert code == 1
    assert "disk is full" in err and "nothing was saved" in err and "Traceback" not in err
    assert "xxxxxxxxxx" not in err
    monkeypatch.setattr(engine_mod, "_sqlite_pragmas", real)
    monkeypatch.setattr(fast_log, "_sqlite_pragmas", real_fast)
    assert count() == n
    con = sqlite3.connect(real_book)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    sql = "SELECT count(*) FROM interaction WHERE summary || notes LIKE '%xxxxx%'"
    assert con.execute(sql).fetchone()[0] == 0
    con.close()


# -- bookkeeper check -------------------------------------------------------------------
def test_check_a_sound_book(real_book, capsys):
    code, out, _err = _run(capsys, "check", "--db", str(real_book))
    assert code == 0 and out.startswith("ok")
    code, out, _err = _run(capsys, "check", "--json", "--db", str(real_book))
    assert code == 0
    assert json.loads(out) == {
        "ok": True,
        "problems": [],
        "backups": [str(_daily(real_book))],
        "read_only": False,
    }


@pytest.mark.parametrize("kind", ["corrupt-page", "truncated", "random-bytes", "other-app-sqlite"])
def test_check_finds_the_damage_and_names_the_fix(real_book, capsys, kind):
    DAMAGE[kind](real_book)
    before = _sha(real_book)
    code, out, _err = _run(capsys, "check", "--db", str(real_book))
    assert code == 1 and "problems" in out
    assert f"bookkeeper restore {_daily(real_book)} --db {real_book}" in out
    code, out, _err = _run(capsys, "check", "--json", "--db", str(real_book))
    data = json.loads(out)
    assert code == 1 and data["ok"] is False and data["problems"]
    assert _sha(real_book) == before


def test_check_json_lists_backups_newest_first(real_book, capsys):
    manual = real_book.parent / "backups" / "book-20261124-120000.db"
    _copy_book(real_book, manual)
    os.utime(_daily(real_book), (1_000_000_000, 1_000_000_000))
    code, out, _err = _run(capsys, "check", "--json", "--db", str(real_book))
    assert code == 0
    assert json.loads(out)["backups"] == [str(manual), str(_daily(real_book))]


def test_check_flags_a_newer_schema_and_broken_references(real_book, capsys):
    con = sqlite3.connect(real_book)
    con.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    con.execute("PRAGMA foreign_keys = OFF")
    con.execute("UPDATE interaction SET account_id = 999999 WHERE id = 1")
    con.commit()
    con.close()
    code, out, _err = _run(capsys, "check", "--json", "--db", str(real_book))
    problems = " ".join(json.loads(out)["problems"])
    assert code == 1 and "newer Bookkeeper" in problems and "foreign keys" in problems


def test_check_in_a_real_process(real_book):
    _corrupt_page(real_book)
    env = {**os.environ, "BOOKKEEPER_CONFIG": str(real_book.parent / "none.toml")}
    proc = subprocess.run(
        [sys.executable, "-m", "bookkeeper_tui", "check", "--json", "--db", str(real_book)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 1, proc.stderr
    data = json.loads(proc.stdout)
    assert data["ok"] is False and data["backups"] == [str(_daily(real_book))]


# -- bookkeeper restore -----------------------------------------------------------------
def _accounts(book: Path) -> list[str]:
    con = sqlite3.connect(f"file:{book}?mode=ro", uri=True)
    try:
        return [r[0] for r in con.execute("SELECT name FROM account ORDER BY name")]
    finally:
        con.close()


def test_restore_puts_the_backup_back_and_keeps_the_old_book(real_book, capsys):
    backup = _daily(real_book)
    add = ("add", "Zeta Newco", "--tier", "smb", "--start", "2026-01-01")
    assert _run(capsys, *add, "--db", str(real_book))[0] == 0
    assert "Zeta Newco" in _accounts(real_book)
    code, out, err = _run(capsys, "restore", str(backup), "--yes", "--db", str(real_book))
    assert code == 0, err
    assert "Zeta Newco" not in _accounts(real_book)
    assert _accounts(real_book) == _accounts(backup)
    kept = list(real_book.parent.glob("book.db.before-restore-*"))
    assert len(kept) == 1 and str(kept[0]) in out
    # The old book's last saved line is in the kept copy (its -wal checkpointed first).
    assert "Zeta Newco" in _accounts(kept[0])
    assert _mode(kept[0]) == 0o600 and _mode(real_book) == 0o600
    assert not list(real_book.parent.glob(".*.tmp"))
    assert _run(capsys, "check", "--db", str(real_book))[0] == 0
    assert _run(capsys, "today", "--db", str(real_book))[0] == 0


def test_restore_over_a_damaged_book_moves_its_wal_aside(real_book, capsys):
    _corrupt_page(real_book)
    wal = real_book.with_name("book.db-wal")
    wal.write_bytes(b"leftover wal bytes")
    damaged = _sha(real_book)
    args = ("restore", str(_daily(real_book)), "--yes", "--db", str(real_book))
    code, _out, err = _run(capsys, *args)
    assert code == 0, err
    kept = next(real_book.parent.glob("book.db.before-restore-*[0-9]"))
    assert _sha(kept) == damaged
    assert kept.with_name(kept.name + "-wal").read_bytes() == b"leftover wal bytes"
    assert not wal.exists()
    assert _run(capsys, "check", "--db", str(real_book))[0] == 0


def test_restore_refuses_without_yes_when_not_interactive(real_book, capsys):
    before = _sha(real_book)
    code, _out, err = _run(capsys, "restore", str(_daily(real_book)), "--db", str(real_book))
    assert code == 2 and "--yes" in err and "Traceback" not in err
    assert _sha(real_book) == before
    assert not list(real_book.parent.glob("book.db.before-restore-*"))


def test_restore_asks_on_a_terminal(real_book, capsys, monkeypatch):
    before = _sha(real_book)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    monkeypatch.setattr("builtins.input", lambda prompt: "n")
    code, out, _err = _run(capsys, "restore", str(_daily(real_book)), "--db", str(real_book))
    assert code == 1 and "Nothing was changed" in out
    assert _sha(real_book) == before
    monkeypatch.setattr("builtins.input", lambda prompt: "y")
    code, out, _err = _run(capsys, "restore", str(_daily(real_book)), "--db", str(real_book))
    assert code == 0 and "Restored" in out


@pytest.mark.parametrize("bad", ["corrupt-page", "text-file", "newer-schema"])
def test_restore_refuses_a_bad_backup(real_book, capsys, bad):
    backup = real_book.parent / "suspicious.db"
    _copy_book(real_book, backup)
    if bad == "newer-schema":
        con = sqlite3.connect(backup)
        con.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
        con.commit()
        con.close()
    else:
        DAMAGE[bad](backup)
    before = _sha(real_book)
    code, _out, err = _run(capsys, "restore", str(backup), "--yes", "--db", str(real_book))
    assert code == 1 and "Traceback" not in err
    assert "not a sound Bookkeeper backup" in err and "nothing was changed" in err
    if bad == "newer-schema":
        assert "newer Bookkeeper" in err
    assert _sha(real_book) == before
    assert not list(real_book.parent.glob("book.db.before-restore-*"))
