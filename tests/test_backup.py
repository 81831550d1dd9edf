"""Backups: a consistent, private copy of the book, even while it is being written."""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
import subprocess
import sys
import threading
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bookkeeper_tui.cli import main
from bookkeeper_tui.store.backup import backup, daily_backup, prune_daily
from bookkeeper_tui.store.book import Book, BookError
from bookkeeper_tui.store.models import Account, Interaction, Score
from tests.conftest import TODAY


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _integrity(path: Path) -> str:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def _run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def _names(book: Book) -> list[str]:
    with book.read() as s:
        return sorted(s.execute(select(Account.name)).scalars())


def test_backup_is_a_valid_private_book(demo_book, capsys):
    src = Path(demo_book.location)
    code, out, err = _run(capsys, "backup", "--db", str(src))
    assert code == 0, err
    folder = src.parent / "backups"
    (copy,) = folder.iterdir()
    assert copy.name.startswith("demo-") and copy.suffix == ".db"
    assert str(copy) in out and "KB" in out and "restore" in out.lower()
    assert _mode(copy) == 0o600 and _mode(folder) == 0o700
    assert _integrity(copy) == "ok"
    # One self-contained file, not in WAL mode, nothing beside it.
    assert sorted(p.name for p in folder.iterdir()) == [copy.name]
    with sqlite3.connect(copy) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    restored = Book.open(str(copy))
    try:
        assert _names(restored) == _names(demo_book)
        with restored.read() as s, demo_book.read() as t:
            for model in (Interaction, Score):
                count = select(func.count()).select_from(model)
                assert s.execute(count).scalar_one() == t.execute(count).scalar_one()
    finally:
        restored.close()


def test_backup_to_a_file_or_a_folder(demo_book, tmp_path, capsys):
    src = demo_book.location
    dest = tmp_path / "elsewhere" / "mine.db"
    code, out, err = _run(capsys, "backup", str(dest), "--db", src)
    assert code == 0, err
    assert f"to {dest} (" in out
    assert _integrity(dest) == "ok" and _mode(dest) == 0o600
    assert _mode(dest.parent) == 0o700
    folder = tmp_path / "existing"
    folder.mkdir(mode=0o755)
    code, _, err = _run(capsys, "backup", str(folder), "--db", src)
    assert code == 0, err
    (copy,) = folder.iterdir()
    assert copy.name.startswith("demo-") and _integrity(copy) == "ok"
    assert _mode(folder) == 0o755  # a folder the user made keeps its permissions


def test_backup_refuses_to_overwrite(demo_book, tmp_path, capsys):
    dest = tmp_path / "taken.db"
    dest.write_bytes(b"precious")
    code, _, err = _run(capsys, "backup", str(dest), "--db", demo_book.location)
    assert code == 2
    assert "already exists" in err and err.count("\n") == 1 and "Traceback" not in err
    assert dest.read_bytes() == b"precious"
    # Nor the book itself.
    code, _, err = _run(capsys, "backup", demo_book.location, "--db", demo_book.location)
    assert code == 2 and "already exists" in err


def test_two_default_backups_in_one_second_both_kept(demo_book):
    now = datetime(2026, 11, 24, 9, 30, 0)
    a = backup(demo_book.location, now=now)
    b = backup(demo_book.location, now=now)
    assert a.path != b.path and a.path.exists() and b.path.exists()
    assert a.path.name == "demo-20261124-093000.db" and b.path.name == "demo-20261124-093000-2.db"


def test_backup_refuses_a_postgresql_book(capsys):
    code, _, err = _run(capsys, "backup", "--db", "postgresql+psycopg://me:secret@db.example/book")
    assert code == 2
    assert "pg_dump" in err and "secret" not in err


def test_backup_of_a_missing_book(tmp_path, capsys):
    code, _, err = _run(capsys, "backup", "--db", str(tmp_path / "none.db"))
    assert code == 2 and "no book" in err
    assert not (tmp_path / "none.db").exists()  # looking did not create it


def test_backup_of_a_damaged_book_leaves_nothing(tmp_path, capsys):
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"not a database at all" * 500)
    code, _, err = _run(capsys, "backup", str(tmp_path / "copy.db"), "--db", str(bad))
    assert code == 1 and "failed" in err
    assert not (tmp_path / "copy.db").exists()


# -- while someone writes -----------------------------------------------------------------
LINES = 200


def _writer(location: str, stop: threading.Event, written: list[int], errors: list) -> None:
    book = Book.open(location)
    try:
        for i in range(LINES):
            if stop.is_set():
                break
            book.log(f'acme call nps 7 "line {i}"', TODAY)
            written.append(i)
    except Exception as exc:  # pragma: no cover - reported by the test
        errors.append(exc)
    finally:
        book.close()


def _check_prefix(copy: Path) -> int:
    """The copy holds lines 0..k-1 exactly, each with its score: whole transactions only."""
    assert _integrity(copy) == "ok"
    conn = sqlite3.connect(copy)
    try:
        lines = dict(
            conn.execute(
                "SELECT CAST(substr(summary, 6) AS INTEGER), id FROM interaction "
                "WHERE summary LIKE 'line %'"
            ).fetchall()
        )
        scored = {
            iid
            for (iid,) in conn.execute(
                "SELECT interaction_id FROM score WHERE kind = 'nps' AND interaction_id IS NOT NULL"
            )
        }
    finally:
        conn.close()
    assert sorted(lines) == list(range(len(lines)))  # a prefix of the writes
    assert set(lines.values()) == scored  # each line's interaction and score, or neither
    return len(lines)


def _backups_while(location: str, tmp_path: Path, running) -> list[int]:
    """Back up again and again while *running()*; how many lines each copy held."""
    counts = []
    while running() and len(counts) < 10_000:
        res = backup(location, str(tmp_path / f"during-{len(counts)}.db"))
        counts.append(_check_prefix(res.path))
        res.path.unlink()
    return counts


def test_backup_while_a_thread_writes_is_consistent(book, tmp_path):
    book.add_account("Acme", "smb", date(2026, 1, 1), mrr=100)
    stop, written, errors = threading.Event(), [], []
    t = threading.Thread(target=_writer, args=(book.location, stop, written, errors))
    t.start()
    try:
        counts = _backups_while(book.location, tmp_path, t.is_alive)
    finally:
        stop.set()
        t.join()
    assert not errors and len(written) == LINES
    # Copies taken mid-way hold a growing prefix, some of them neither empty nor complete.
    assert counts == sorted(counts)
    assert any(0 < n < LINES for n in counts)
    final = backup(book.location, str(tmp_path / "after.db"))
    assert _check_prefix(final.path) == LINES


def test_backup_while_another_process_writes_is_consistent(book, tmp_path):
    book.add_account("Acme", "smb", date(2026, 1, 1), mrr=100)
    script = (
        "import sys\n"
        "from datetime import date\n"
        "from bookkeeper_tui.store.book import Book\n"
        "b = Book.open(sys.argv[1])\n"
        "for i in range(int(sys.argv[2])):\n"
        "    b.log(f'acme call nps 7 \"line {i}\"', date(2026, 11, 24))\n"
        "b.close()\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script, book.location, "150"])
    try:
        counts = _backups_while(book.location, tmp_path, lambda: proc.poll() is None)
    finally:
        proc.wait(timeout=120)
    assert proc.returncode == 0
    assert counts == sorted(counts) and any(0 < n < 150 for n in counts)
    assert _check_prefix(backup(book.location, str(tmp_path / "after.db")).path) == 150


# -- daily backups --------------------------------------------------------------------------
def test_daily_backup_once_a_day_and_keeps_seven(book, db_path):
    book.add_account("Acme", "smb", date(2026, 1, 1), mrr=100)
    folder = db_path.parent / "backups" / "daily"
    start = date(2026, 11, 1)
    for n in range(10):
        day = start + timedelta(days=n)
        path = daily_backup(db_path, day)
        assert path == folder / f"book-{day.isoformat()}.db"
        assert _integrity(path) == "ok" and _mode(path) == 0o600
    assert _mode(folder) == 0o700 and _mode(folder.parent) == 0o700
    kept = sorted(p.name for p in folder.iterdir())
    assert kept == [f"book-{start + timedelta(days=n)}.db" for n in range(3, 10)]
    # Again the same day: the same file, untouched, even though the book changed.
    last = folder / "book-2026-11-10.db"
    before = last.stat()
    book.add_account("Initech", "smb", date(2026, 1, 1), mrr=100)
    assert daily_backup(db_path, date(2026, 11, 10)) == last
    after = last.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_daily_backup_prunes_only_its_own_files(book, db_path):
    folder = db_path.parent / "backups" / "daily"
    folder.mkdir(parents=True)
    (folder / "notes.txt").write_text("mine")
    (folder / "book-2020-01-01.db.keep").write_text("mine too")
    crashed = folder / ".book-2025-12-31.db.999.tmp"
    crashed.write_text("half a copy from a crash")
    os.utime(crashed, (0, 0))
    for n in range(3):
        assert daily_backup(db_path, date(2026, 1, 1 + n), keep=2) is not None
    assert sorted(p.name for p in folder.iterdir()) == [
        "book-2020-01-01.db.keep",
        "book-2026-01-02.db",
        "book-2026-01-03.db",
        "notes.txt",
    ]
    assert prune_daily(folder, keep=0) == [folder / "book-2026-01-02.db"]  # keeps at least one


def test_daily_backup_never_raises(tmp_path, caplog):
    assert daily_backup(tmp_path / "missing.db", TODAY) is None
    # The backups folder cannot be made: logged, None, no exception.
    book = Book.open(str(tmp_path / "book.db"))
    book.close()
    (tmp_path / "backups").write_text("a file where the folder should be")
    with caplog.at_level(logging.WARNING, logger="bookkeeper_tui.store.backup"):
        assert daily_backup(tmp_path / "book.db", TODAY) is None
    assert "daily backup" in caplog.text
    # A damaged book: no half-copy left under today's name or a temporary one.
    bad = tmp_path / "other" / "bad.db"
    bad.parent.mkdir()
    bad.write_bytes(b"garbage" * 1000)
    assert daily_backup(bad, TODAY) is None
    assert list((bad.parent / "backups" / "daily").iterdir()) == []


def test_backup_function_errors_are_book_errors(tmp_path):
    with pytest.raises(BookError, match="pg_dump"):
        backup("postgresql://localhost/book")
    with pytest.raises(BookError, match="folder"):
        backup(str(tmp_path))
    assert not os.listdir(tmp_path)


# -- two books in one folder (issue 13, point 3) ---------------------------------------------
def _two_books(tmp_path: Path) -> tuple[Path, Path]:
    paths = []
    for name in ("sales", "support"):
        path = tmp_path / f"{name}.db"
        b = Book.open(str(path))
        try:
            b.add_account(f"{name.title()} Account", "smb", date(2026, 1, 1))
        finally:
            b.close()
        paths.append(path)
    return paths[0], paths[1]


def test_daily_backups_of_two_books_in_one_folder_are_named_after_each_book(tmp_path):
    sales, support = _two_books(tmp_path)
    folder = tmp_path / "backups" / "daily"
    for n in range(9):
        day = date(2026, 12, 1) + timedelta(days=n)
        assert daily_backup(sales, day) == folder / f"sales-{day.isoformat()}.db"
        assert daily_backup(support, day) == folder / f"support-{day.isoformat()}.db"
    names = sorted(p.name for p in folder.iterdir())
    # Each book keeps its own last seven.
    assert [n for n in names if n.startswith("sales-")] == [
        f"sales-2026-12-{d:02d}.db" for d in range(3, 10)
    ]
    assert [n for n in names if n.startswith("support-")] == [
        f"support-2026-12-{d:02d}.db" for d in range(3, 10)
    ]
    assert _names(Book.open(str(folder / "sales-2026-12-09.db"))) == ["Sales Account"]


def test_manual_and_pre_upgrade_backups_are_named_after_the_book(tmp_path):
    sales, _ = _two_books(tmp_path)
    r = backup(str(sales), now=datetime(2026, 12, 4, 9, 30))
    assert r.path.name == "sales-20261204-093000.db"
    from bookkeeper_tui.store.backup import pre_upgrade_backup

    pre = pre_upgrade_backup(sales, 3, now=datetime(2026, 12, 4, 9, 30))
    assert pre.name == "sales-v3-20261204-093000.db"


def test_check_only_suggests_the_books_own_backups(tmp_path, capsys):
    sales, support = _two_books(tmp_path)
    daily_backup(sales, date(2026, 12, 4))
    daily_backup(support, date(2026, 12, 5))  # newer, but of the other book
    code, out, _ = _run(capsys, "check", "--db", str(sales), "--json")
    assert code == 0
    import json

    assert [Path(p).name for p in json.loads(out)["backups"]] == ["sales-2026-12-04.db"]
    sales.write_bytes(b"garbage" * 1000)
    code, out, _ = _run(capsys, "check", "--db", str(sales))
    assert code == 1
    assert "sales-2026-12-04.db" in out and "support-" not in out


def test_restore_refuses_a_backup_of_another_book_unless_forced(tmp_path, capsys):
    sales, support = _two_books(tmp_path)
    other = daily_backup(support, date(2026, 12, 4))
    assert other is not None
    code, _, err = _run(capsys, "restore", str(other), "--db", str(sales), "--yes")
    assert code == 1
    assert "not a backup of the book" in err and "--force" in err
    assert _names(Book.open(str(sales))) == ["Sales Account"]
    # Renamed, it is still recognised by the identity kept inside it.
    renamed = tmp_path / "renamed.db"
    os.rename(other, renamed)
    code, _, err = _run(capsys, "restore", str(renamed), "--db", str(sales), "--yes")
    assert code == 1 and "identity" in err
    code, _out, err = _run(capsys, "restore", str(renamed), "--db", str(sales), "--yes", "--force")
    assert code == 0, err
    assert _names(Book.open(str(sales))) == ["Support Account"]


def test_restore_of_the_books_own_backup_still_works(tmp_path, capsys):
    sales, _ = _two_books(tmp_path)
    own = daily_backup(sales, date(2026, 12, 4))
    code, _, err = _run(capsys, "restore", str(own), "--db", str(sales), "--yes")
    assert code == 0, err


def test_a_book_without_an_identity_gets_one_on_open(tmp_path):
    path = tmp_path / "old.db"
    Book.open(str(path)).close()
    conn = sqlite3.connect(path)
    conn.execute("DELETE FROM meta WHERE key = 'book_id'")
    conn.commit()
    conn.close()
    Book.open(str(path)).close()
    conn = sqlite3.connect(path)
    (book_id,) = conn.execute("SELECT value FROM meta WHERE key = 'book_id'").fetchone()
    conn.close()
    assert len(book_id) == 32
