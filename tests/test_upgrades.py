"""Upgrades from every earlier schema, on real books: automatic, backed up first, lossless.

Each ``tests/fixtures/book_v<N>.sql`` is a real book written at schema N (dumped with
sqlite3's iterdump). Opening it in this version must bring it to ``SCHEMA_VERSION``
with every old row and value intact, after writing a copy of the book as it was to
``backups/pre-upgrade/`` beside it. When ``SCHEMA_VERSION`` is bumped, add the dump of
a book at the previous version (``test_every_version_has_a_real_book_fixture`` asks
for it).
"""

from __future__ import annotations

import logging
import re
import sqlite3
import stat
import threading
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text

from bookkeeper_tui.store import schema
from bookkeeper_tui.store.book import Book
from bookkeeper_tui.store.engine import StoreError
from bookkeeper_tui.store.version import SCHEMA_VERSION

FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE_NAME = re.compile(r"^book_v(\d+)\.sql$")
BOOKS = sorted(
    (int(m.group(1)), p) for p in FIXTURES.iterdir() if (m := FIXTURE_NAME.match(p.name))
)


def _load(fixture: Path, target: Path, wal: bool = False) -> Path:
    with sqlite3.connect(target) as c:
        c.executescript(fixture.read_text())
        if wal:
            c.execute("PRAGMA journal_mode = WAL")
    return target


def _version(path: Path) -> int:
    with sqlite3.connect(path) as c:
        return int(c.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0])


def _contents(path: Path, tables: dict[str, list[str]] | None = None) -> dict[str, list]:
    """Every row of every table, the given columns only (default: all), in rowid order."""
    with sqlite3.connect(path) as c:
        if tables is None:
            names = [
                r[0]
                for r in c.execute(
                    "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
                )
            ]
            tables = {t: [r[1] for r in c.execute(f'PRAGMA table_info("{t}")')] for t in names}
        return {
            t: c.execute(
                f"SELECT {', '.join(f'{chr(34)}{col}{chr(34)}' for col in cols)} "
                f'FROM "{t}" ORDER BY rowid'
            ).fetchall()
            for t, cols in tables.items()
        }


def _columns(path: Path) -> dict[str, list[str]]:
    with sqlite3.connect(path) as c:
        names = [
            r[0]
            for r in c.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {t: [r[1] for r in c.execute(f'PRAGMA table_info("{t}")')] for t in names}


def _indexes(path: Path) -> dict[str, str]:
    """Every index the book declares (not the automatic ones), by name: its SQL."""
    with sqlite3.connect(path) as c:
        return dict(
            c.execute("SELECT name, sql FROM sqlite_master WHERE type='index' AND sql IS NOT NULL")
        )


#: The KPI panel's indexes (schema 4): a book without them computes the panel slowly.
KPI_INDEXES = {
    "ix_health_snapshot_day_band",
    "ix_touchpoint_due_status_completed",
    "ix_score_kind_contact_latest",
    "ix_mrr_level_account_effective_mrr",
}


def _pre_upgrade(book: Path) -> list[Path]:
    folder = book.parent / "backups" / "pre-upgrade"
    return sorted(folder.iterdir()) if folder.exists() else []


def test_every_version_has_a_real_book_fixture():
    """One real book per schema version, the current one included (it is the next
    version's 'earlier version')."""
    assert [v for v, _ in BOOKS] == list(range(1, SCHEMA_VERSION + 1))


@pytest.mark.parametrize(("version", "fixture"), BOOKS, ids=[f"v{v}" for v, _ in BOOKS])
def test_a_real_book_opens_at_the_current_version_with_its_data(version, fixture, tmp_path, caplog):
    book = _load(fixture, tmp_path / "book.db")
    assert _version(book) == version
    old_columns = _columns(book)
    before = _contents(book)
    meta_before = dict(before["meta"])
    caplog.set_level(logging.WARNING, logger="bookkeeper_tui.store.schema")

    b = Book.open(str(book))
    try:
        assert _version(book) == SCHEMA_VERSION
        # Every old row, every old column, every value: unchanged.
        after = _contents(book, {t: c for t, c in old_columns.items() if t != "meta"})
        assert after == {t: rows for t, rows in before.items() if t != "meta"}
        meta_after = dict(_contents(book)["meta"])
        assert meta_after.pop("schema_version") == str(SCHEMA_VERSION)
        meta_before.pop("schema_version")
        assert {k: meta_after[k] for k in meta_before} == meta_before
        # The same tables and columns a fresh book has.
        fresh = tmp_path / "fresh" / "book.db"
        Book.open(str(fresh)).close()
        assert {t: set(c) for t, c in _columns(book).items()} == {
            t: set(c) for t, c in _columns(fresh).items()
        }
        # And the same indexes, the KPI panel's among them.
        assert _indexes(book) == _indexes(fresh)
        assert set(_indexes(book)) >= KPI_INDEXES
        # The book reads and writes as usual.
        shown = b.show("Acme Corp", date(2026, 12, 1))
        assert shown.timeline
        assert len(b.account_names()) == len(before["account"])
        res = b.log('acme call "after the upgrade" nps 9', date(2026, 12, 1))
        assert res.account == "Acme Corp"
    finally:
        b.close()

    backups = _pre_upgrade(book)
    if version == SCHEMA_VERSION:
        assert backups == []  # nothing to upgrade, nothing copied
        return
    # The copy taken before the first step: the old version, exactly the old data.
    assert len(backups) == 1
    saved = backups[0]
    assert re.fullmatch(rf"book-v{version}-\d{{8}}-\d{{6}}\.db", saved.name)
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert stat.S_IMODE(saved.parent.stat().st_mode) == 0o700
    assert _version(saved) == version
    assert _contents(saved) == before
    with sqlite3.connect(saved) as c:
        assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    # The notice says where the copy is.
    assert str(saved) in caplog.text


def test_v1_values_survive_the_upgrade(tmp_path):
    """A few values read back through the book, not just row counts."""
    book = _load(FIXTURES / "book_v1.sql", tmp_path / "book.db")
    b = Book.open(str(book))
    try:
        acme = b.show("Acme Corp", date(2026, 6, 1))
        assert acme.mrr == 999
        assert any("too expensive" in getattr(e, "summary", "") for e in acme.timeline)
        with sqlite3.connect(book) as c:
            assert {r[0] for r in c.execute("SELECT source FROM mrr_level")} == {"manual"}
    finally:
        b.close()


def test_v2_values_survive(tmp_path):
    book = _load(FIXTURES / "book_v2.sql", tmp_path / "book.db")
    b = Book.open(str(book))
    try:
        acme = b.show("Acme Corp", date(2026, 11, 24))
        assert any(
            getattr(e, "summary", None) == "renewal looks safe, budget approved"
            for e in acme.timeline
        )
        with sqlite3.connect(book) as c:
            assert c.execute("SELECT mrr FROM subscription WHERE external_id='SUB-1'").fetchone()
            assert c.execute("SELECT csat FROM ticket WHERE external_id='T-1'").fetchone() == (4.5,)
            assert c.execute("SELECT count FROM usage_event WHERE external_id='U-1'").fetchone()
    finally:
        b.close()


def _oldest(tmp_path: Path, wal: bool = False) -> Path:
    version, fixture = BOOKS[0]
    assert version < SCHEMA_VERSION
    return _load(fixture, tmp_path / "book.db", wal=wal)


def test_no_backup_no_upgrade(tmp_path):
    """When the copy cannot be written, nothing is migrated and the book is untouched."""
    book = _oldest(tmp_path, wal=True)
    (tmp_path / "backups").write_text("a file where the backups folder should be")
    before = book.read_bytes()
    with pytest.raises(StoreError, match="backup") as exc:
        Book.open(str(book))
    assert "not changed" in str(exc.value)
    assert book.read_bytes() == before
    assert _version(book) == BOOKS[0][0]


def test_a_failed_step_says_where_the_backup_is(tmp_path, monkeypatch):
    book = _oldest(tmp_path)
    version = BOOKS[0][0]
    before = _contents(book)

    def broken(conn):
        conn.execute(text("CREATE TABLE scratch (x INTEGER)"))
        raise RuntimeError("disk on fire")

    monkeypatch.setitem(schema.MIGRATIONS, version + 1, broken)
    with pytest.raises(StoreError, match="disk on fire") as exc:
        Book.open(str(book))
    (saved,) = _pre_upgrade(book)
    assert str(saved) in str(exc.value)
    assert f"left at schema {version}" in str(exc.value)
    assert _version(book) == version
    assert _contents(book) == before  # the half-done step was rolled back whole
    assert _contents(saved) == before


def open_at_once(db: str, n: int = 3) -> list[BaseException]:
    """*n* openers of the book *db* released together; what each one raised."""
    start = threading.Barrier(n)
    errors: list[BaseException] = []

    def open_it() -> None:
        start.wait()
        try:
            Book.open(db).close()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def test_two_processes_opening_an_old_book_at_once_both_succeed(tmp_path):
    """The second waits for the first's upgrade and skips the steps already run."""
    book = _oldest(tmp_path, wal=True)
    assert open_at_once(str(book)) == []
    assert _version(book) == SCHEMA_VERSION


def test_a_newer_book_is_refused_by_the_cli_untouched(tmp_path, cli, db_path):
    """`bookkeeper log` on a book from a newer version: one clear sentence, exit 1,
    the file byte-identical, no backup, no upgrade."""
    Book.open(str(db_path)).close()
    with sqlite3.connect(db_path) as c:
        c.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (SCHEMA_VERSION + 1,))
    before = db_path.read_bytes()
    r = cli("log", "acme call")
    assert r.code == 1
    assert "newer Bookkeeper" in r.err and "pip install -U" in r.err
    assert "Traceback" not in r.err
    assert db_path.read_bytes() == before
    assert _pre_upgrade(db_path) == []
    assert _version(db_path) == SCHEMA_VERSION + 1


def teammate_upgrades_mid_check(monkeypatch, db: str) -> list[bool]:
    """Make a teammate's whole upgrade of *db* land between this opener's read of the
    book's tables and its read of the schema version (the race CI once hit on a server:
    old tables, new version, "the book is damaged"). Returns a list that records it ran."""
    from bookkeeper_tui.store.engine import make_engine

    real = schema._version
    ran: list[bool] = []

    def late(conn, tables):
        if not ran:
            ran.append(True)
            other, _ = make_engine(db)
            try:
                real_ensure(other)
            finally:
                other.dispose()
        return real(conn, tables)

    real_ensure = schema.ensure_schema
    monkeypatch.setattr(schema, "_version", late)
    return ran


def test_a_teammate_upgrading_between_the_two_reads_is_not_damage(tmp_path, monkeypatch):
    book = _oldest(tmp_path, wal=True)
    before = _contents(book, {"account": ["id", "name"]})
    ran = teammate_upgrades_mid_check(monkeypatch, str(book))
    Book.open(str(book)).close()
    assert ran == [True]
    assert _version(book) == SCHEMA_VERSION
    assert _contents(book, {"account": ["id", "name"]}) == before
