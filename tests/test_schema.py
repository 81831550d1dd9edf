"""The migration mechanism: upgrades keep data, run in order, and fail atomically."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text

from bookkeeper_tui.store import schema
from bookkeeper_tui.store.book import Book
from bookkeeper_tui.store.engine import make_engine


def _version(path) -> int:
    with sqlite3.connect(path) as c:
        return int(c.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0])


def test_upgrade_runs_pending_steps_and_keeps_data(db_path, monkeypatch):
    b = Book.open(str(db_path))
    b.add_account("Acme Corp", "smb", date(2026, 1, 1), mrr=500)
    b.close()

    def add_column(conn):
        conn.execute(text("ALTER TABLE account ADD COLUMN region VARCHAR(20) DEFAULT 'eu'"))

    monkeypatch.setitem(schema.MIGRATIONS, schema.SCHEMA_VERSION + 1, add_column)
    monkeypatch.setattr(schema, "SCHEMA_VERSION", schema.SCHEMA_VERSION + 1)
    engine, _ = make_engine(str(db_path))
    assert schema.ensure_schema(engine, schema.SCHEMA_VERSION) == schema.SCHEMA_VERSION
    engine.dispose()
    assert _version(db_path) == schema.SCHEMA_VERSION
    with sqlite3.connect(db_path) as c:
        assert c.execute("SELECT name, region FROM account").fetchall() == [("Acme Corp", "eu")]


def test_failed_step_leaves_the_book_at_the_previous_version(db_path, monkeypatch):
    Book.open(str(db_path)).close()
    before = _version(db_path)

    def half_done(conn):
        conn.execute(text("CREATE TABLE scratch (x INTEGER)"))
        raise RuntimeError("power cut in the middle")

    monkeypatch.setitem(schema.MIGRATIONS, before + 1, half_done)
    engine, _ = make_engine(str(db_path))
    with pytest.raises(RuntimeError):
        schema.ensure_schema(engine, before + 1)
    engine.dispose()
    assert _version(db_path) == before
    with sqlite3.connect(db_path) as c:
        tables = {r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "scratch" not in tables


def test_every_version_up_to_current_has_a_step():
    assert all(v in schema.MIGRATIONS for v in range(2, schema.SCHEMA_VERSION + 1))


FIXTURES = Path(__file__).parent / "fixtures"


def _columns(path) -> dict[str, set[str]]:
    with sqlite3.connect(path) as c:
        tables = [r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {t: {r[1] for r in c.execute(f'PRAGMA table_info("{t}")')} for t in tables}


def test_a_version_1_book_upgrades_with_its_data(tmp_path):
    """A real book written by schema 1 (tests/fixtures/book_v1.sql) opens in this version."""
    old = tmp_path / "v1.db"
    with sqlite3.connect(old) as c:
        c.executescript((FIXTURES / "book_v1.sql").read_text())
    with sqlite3.connect(old) as c:
        before = {
            t: c.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
            for t in ("account", "contact", "interaction", "score", "mrr_level", "touchpoint")
        }
    b = Book.open(str(old))
    try:
        assert _version(old) == schema.SCHEMA_VERSION
        with sqlite3.connect(old) as c:
            after = {t: c.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in before}
            sources = {r[0] for r in c.execute("SELECT source FROM mrr_level")}
        assert after == before
        assert sources == {"manual"}
        shown = b.show("Acme Corp", date(2026, 6, 1))
        assert shown.mrr == 999
        assert any("too expensive" in getattr(e, "summary", "") for e in shown.timeline)
        # Still writable after the upgrade.
        b.log("acme call nps 8", date(2026, 6, 2))
    finally:
        b.close()
    fresh = tmp_path / "fresh.db"
    Book.open(str(fresh)).close()
    assert _columns(old) == _columns(fresh)
