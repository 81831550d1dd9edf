"""`bookkeeper migrate-to URL`: a personal SQLite book into a PostgreSQL book and back,
verified by counts, every value and the KPI panel; the source only read; a failed or
refused copy leaves the target as it was."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from bookkeeper_tui.cli import main
from bookkeeper_tui.io import migrate as mig
from bookkeeper_tui.store.book import Book
from bookkeeper_tui.store.engine import make_engine
from tests.conftest import TODAY


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _contents(db: str) -> tuple[dict, dict]:
    engine, _ = make_engine(db)
    try:
        with engine.connect() as c:
            return mig.digest(c)
    finally:
        engine.dispose()


def _tables(db: str) -> set[str]:
    engine, _ = make_engine(db)
    try:
        with engine.connect() as c:
            return set(inspect(c).get_table_names())
    finally:
        engine.dispose()


def _cli(capsys, *argv: str):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def sqlite_demo(demo_template, tmp_path):
    """A copy of the 40-account demo book, closed (the source of a migration)."""
    import sqlite3

    target = tmp_path / "mine.db"
    src, dst = sqlite3.connect(demo_template), sqlite3.connect(target)
    with dst:
        src.backup(dst)
    src.close()
    dst.close()
    return target


def _views(db: str) -> dict:
    book = Book.open(db)
    try:
        return {
            "kpi": book.kpi(TODAY, fresh=True),
            "kpi90": book.kpi(TODAY, "90d", fresh=True),
            "today": [r.__dict__ if hasattr(r, "__dict__") else r for r in book.today(TODAY)],
            "accounts": [repr(a) for a in book.accounts(TODAY)],
        }
    finally:
        book.close()


def test_sqlite_to_postgresql_and_back_is_exact(sqlite_demo, pg_db, tmp_path, capsys):
    before = _contents(str(sqlite_demo))
    views = _views(str(sqlite_demo))
    _sha_after_views = _sha(sqlite_demo)  # opening a book may checkpoint its WAL

    code, out, err = _cli(capsys, "migrate-to", pg_db, "--db", str(sqlite_demo))
    assert code == 0, err
    assert "Copied and verified: 40 accounts" in out
    assert "was only read and is unchanged" in out
    shown = pg_db.replace(f":{make_url(pg_db).password}@", "@")
    assert f"Use the copy with: bookkeeper --db '{shown}' with the password in PGPASSWORD" in out
    assert _sha(sqlite_demo) == _sha_after_views  # the source file: not a byte changed
    assert _contents(str(sqlite_demo)) == before

    # The PostgreSQL book answers exactly like the file did, planned with statistics.
    assert _contents(pg_db) == before
    engine, _ = make_engine(pg_db)
    with engine.connect() as c:
        analyzed = (
            c.execute(
                text("SELECT relname FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL")
            )
            .scalars()
            .all()
        )
    engine.dispose()
    assert {"account", "touchpoint", "health_snapshot", "interaction"} <= set(analyzed)
    assert _views(pg_db) == views

    # ...and back, into a new file.
    back = tmp_path / "back" / "book.db"
    code, out, err = _cli(capsys, "migrate-to", str(back), "--db", pg_db, "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["verified"] is True and doc["counts"]["account"] == 40
    assert doc["target"] == str(back) and "***" in doc["source"]
    assert _contents(str(back)) == before
    assert _views(str(back)) == views


def test_new_rows_after_a_migration_get_fresh_ids(sqlite_demo, pg_db, capsys):
    assert _cli(capsys, "migrate-to", pg_db, "--db", str(sqlite_demo))[0] == 0
    code, _, err = _cli(
        capsys, "add", "Brand New Co", "--tier", "smb", "--start", "2026-11-01", "--db", pg_db
    )
    assert code == 0, err
    code, _out, err = _cli(
        capsys,
        "log",
        'Brand New call with Zed "first call"',
        "--as-of",
        TODAY.isoformat(),
        "--db",
        pg_db,
    )
    assert code == 0, err


def test_a_target_that_holds_a_book_is_refused_untouched(sqlite_demo, pg_db, capsys):
    other = Book.open(pg_db)
    other.add_account("Theirs", "smb", date(2026, 1, 1), mrr=10)
    other.close()
    before = _contents(pg_db)
    code, _, err = _cli(capsys, "migrate-to", pg_db, "--db", str(sqlite_demo))
    assert code == 2
    assert "already holds a Bookkeeper book (1 accounts)" in err
    assert _contents(pg_db) == before


def test_a_database_of_another_program_is_refused_untouched(sqlite_demo, pg_db, capsys):
    engine, _ = make_engine(pg_db)
    with engine.begin() as c:
        c.execute(text("CREATE TABLE invoices (id int)"))
    engine.dispose()
    code, _, err = _cli(capsys, "migrate-to", pg_db, "--db", str(sqlite_demo))
    assert code == 2 and "is not empty (tables: invoices)" in err
    assert _tables(pg_db) == {"invoices"}


def test_an_existing_file_is_refused(sqlite_demo, tmp_path, capsys):
    there = tmp_path / "there.db"
    there.write_bytes(b"something")
    code, _, err = _cli(capsys, "migrate-to", str(there), "--db", str(sqlite_demo))
    assert code == 2 and "already exists" in err
    assert there.read_bytes() == b"something"


def test_the_book_itself_is_refused(sqlite_demo, capsys):
    before = _sha(sqlite_demo)
    code, _, _err = _cli(capsys, "migrate-to", str(sqlite_demo), "--db", str(sqlite_demo))
    assert code == 2
    assert _sha(sqlite_demo) == before


@pytest.mark.parametrize("target_kind", ["postgresql", "sqlite"])
def test_a_copy_failing_half_way_leaves_the_target_as_it_was(
    sqlite_demo, target_kind, tmp_path, monkeypatch, capsys, request
):
    target = (
        request.getfixturevalue("pg_db")
        if target_kind == "postgresql"
        else str(tmp_path / "new.db")
    )
    real = mig._for_target
    seen = {"n": 0}

    def flaky(value):
        seen["n"] += 1
        if seen["n"] > 5_000:  # well into the copy (interactions)
            raise OSError("the disk went away")
        return real(value)

    monkeypatch.setattr(mig, "_for_target", flaky)
    before = _contents(str(sqlite_demo))
    code, _, err = _cli(capsys, "migrate-to", target, "--db", str(sqlite_demo))
    assert code == 1
    assert "failed (the disk went away); nothing was kept there" in err
    if target_kind == "postgresql":
        assert _tables(target) == set()
    else:
        assert not Path(target).exists()
    assert _contents(str(sqlite_demo)) == before


def test_a_copy_that_does_not_verify_is_removed(sqlite_demo, pg_db, monkeypatch, capsys):
    real = mig.digest
    calls = {"n": 0}

    def lying(conn):
        counts, digests = real(conn)
        calls["n"] += 1
        if calls["n"] == 1:  # the target's (the source's is taken while copying)
            digests = {**digests, "interaction": "0" * 64}
        return counts, digests

    monkeypatch.setattr(mig, "digest", lying)
    code, _, err = _cli(capsys, "migrate-to", pg_db, "--db", str(sqlite_demo))
    assert code == 1 and "does not match the book (interaction differ)" in err
    assert _tables(pg_db) == set()


def test_kpis_that_differ_are_not_reported_as_success(sqlite_demo, pg_db, monkeypatch, capsys):
    real = Book.kpi

    def off(self, as_of, period="12m", fresh=False):
        got = real(self, as_of, period, fresh)
        if self.engine.dialect.name == "postgresql":
            got = dataclasses.replace(got, nrr=(got.nrr or 0) + 0.01)
        return got

    monkeypatch.setattr(Book, "kpi", off)
    code, _, err = _cli(capsys, "migrate-to", pg_db, "--db", str(sqlite_demo))
    assert code == 1 and "gives other KPIs (12m)" in err
    assert _tables(pg_db) == set()


def test_an_unreachable_target_is_a_clear_message(sqlite_demo, capsys):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code, out, err = _cli(
        capsys,
        "migrate-to",
        f"postgresql://bk:hunter2@127.0.0.1:{port}/book",
        "--db",
        str(sqlite_demo),
    )
    assert code == 1 and "cannot reach the PostgreSQL server at 127.0.0.1" in err
    assert "hunter2" not in out + err


def test_no_book_to_copy(tmp_path, pg_db, capsys):
    empty = tmp_path / "empty.db"
    empty.touch()
    code, _, err = _cli(capsys, "migrate-to", pg_db, "--db", str(empty))
    assert code == 2 and "there is no book at" in err


def test_progress_names_each_table_and_the_checks(sqlite_demo, pg_db):
    seen: list[str] = []
    mig.migrate(
        str(sqlite_demo),
        pg_db,
        as_of=TODAY,
        progress=lambda table, n: seen.append(table),
        stage=seen.append,
    )
    assert "account" in seen and "interaction" in seen
    assert seen[-2:] == ["checking every row of the copy", "comparing the KPI panels"]
