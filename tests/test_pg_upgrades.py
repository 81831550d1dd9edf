"""Upgrades on PostgreSQL: the same migrations bring a real old book, on a server, to the
current schema with its data intact; a failed step is rolled back whole (PostgreSQL's DDL
is transactional); teammates opening the old book at once all succeed.

The old books are the same real fixtures as tests/test_upgrades.py (SQLite dumps of a
book at each schema), put on the server table by table with the types they had.
"""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import DateTime, MetaData, insert, inspect, select, text

from bookkeeper_tui.store import schema
from bookkeeper_tui.store.book import Book
from bookkeeper_tui.store.engine import StoreError, make_engine
from bookkeeper_tui.store.pg import reset_sequences
from bookkeeper_tui.store.version import SCHEMA_VERSION
from tests.test_upgrades import BOOKS, KPI_INDEXES, open_at_once


def _on_server(fixture: Path, url: str, tmp_path: Path) -> None:
    """The old book of *fixture*, created on the server with its own (old) tables."""
    old = tmp_path / "old.db"
    with sqlite3.connect(old) as c:
        c.executescript(fixture.read_text())
    src, _ = make_engine(str(old))
    dst, _ = make_engine(url)
    try:
        md = MetaData()
        md.reflect(src)
        for table in md.tables.values():  # SQLite's names for types -> portable ones
            for col in table.c:
                col.type = col.type.as_generic()
                if isinstance(col.type, DateTime):
                    col.type = DateTime(timezone=True)  # what the models make on a server
        with src.connect() as s, dst.begin() as d:
            md.create_all(d)
            for table in md.sorted_tables:
                rows = [dict(r._mapping) for r in s.execute(select(table))]
                if rows:
                    d.execute(insert(table), rows)
            reset_sequences(d, md.sorted_tables)
    finally:
        src.dispose()
        dst.dispose()


def _version(url: str) -> int:
    engine, _ = make_engine(url)
    try:
        with engine.connect() as c:
            value = c.execute(text("SELECT value FROM meta WHERE key='schema_version'")).scalar()
            return int(value)
    finally:
        engine.dispose()


def _columns(url: str) -> dict[str, set[str]]:
    engine, _ = make_engine(url)
    try:
        with engine.connect() as c:
            insp = inspect(c)
            return {t: {col["name"] for col in insp.get_columns(t)} for t in insp.get_table_names()}
    finally:
        engine.dispose()


def _indexes(url: str) -> dict[str, dict[str, list]]:
    """Every index of every table, by name: its table and columns."""
    engine, _ = make_engine(url)
    try:
        with engine.connect() as c:
            insp = inspect(c)
            return {
                ix["name"]: {"table": t, "columns": ix["column_names"]}
                for t in insp.get_table_names()
                for ix in insp.get_indexes(t)
            }
    finally:
        engine.dispose()


def _contents(url: str, columns: dict[str, set[str]]) -> dict[str, list]:
    engine, _ = make_engine(url)
    try:
        md = MetaData()
        md.reflect(engine)
        out = {}
        with engine.connect() as c:
            for name, cols in columns.items():
                t = md.tables[name]
                pk = list(t.primary_key.columns)
                out[name] = [
                    tuple(r)
                    for r in c.execute(select(*(t.c[x] for x in sorted(cols))).order_by(*pk))
                ]
        return out
    finally:
        engine.dispose()


@pytest.mark.parametrize(("version", "fixture"), BOOKS, ids=[f"v{v}" for v, _ in BOOKS])
def test_an_old_book_on_the_server_upgrades_with_its_data(
    version, fixture, pg_db, tmp_path, pg_server
):
    _on_server(fixture, pg_db, tmp_path)
    assert _version(pg_db) == version
    old_columns = _columns(pg_db)
    before = _contents(pg_db, {t: c for t, c in old_columns.items() if t != "meta"})

    b = Book.open(pg_db)
    try:
        assert _version(pg_db) == SCHEMA_VERSION
        assert _contents(pg_db, {t: c for t, c in old_columns.items() if t != "meta"}) == before
        # The same tables and columns as a fresh book on the server.
        fresh = pg_server.create_database()
        try:
            Book.open(pg_server.url(fresh)).close()
            assert _columns(pg_db) == _columns(pg_server.url(fresh))
            # And the same indexes, the KPI panel's among them.
            assert _indexes(pg_db) == _indexes(pg_server.url(fresh))
            assert set(_indexes(pg_db)) >= KPI_INDEXES
        finally:
            pg_server.drop_database(fresh)
        # It reads and writes as usual, new ids included.
        assert b.show("Acme Corp", date(2026, 12, 1)).timeline
        res = b.log('acme call "after the upgrade" nps 9 with Newperson', date(2026, 12, 1))
        assert res.account == "Acme Corp"
    finally:
        b.close()


def test_a_failed_step_on_the_server_leaves_the_old_version(pg_db, tmp_path, monkeypatch):
    version, fixture = BOOKS[0]
    assert version < SCHEMA_VERSION
    _on_server(fixture, pg_db, tmp_path)
    old_columns = _columns(pg_db)
    before = _contents(pg_db, old_columns)

    def broken(conn):
        conn.execute(text("CREATE TABLE scratch (x INTEGER)"))
        conn.execute(text("ALTER TABLE account ADD COLUMN half_done INTEGER"))
        raise RuntimeError("disk on fire")

    monkeypatch.setitem(schema.MIGRATIONS, version + 1, broken)
    with pytest.raises(StoreError, match=rf"disk on fire.*left at schema {version}"):
        Book.open(pg_db)
    assert _version(pg_db) == version
    assert _columns(pg_db) == old_columns  # no scratch table, no half-added column
    assert _contents(pg_db, old_columns) == before


def test_teammates_opening_an_old_book_at_once_all_succeed(pg_db, tmp_path):
    _, fixture = BOOKS[0]
    _on_server(fixture, pg_db, tmp_path)
    assert open_at_once(pg_db) == []
    assert _version(pg_db) == SCHEMA_VERSION


def test_a_teammate_upgrading_between_the_two_reads_is_not_damage(pg_db, tmp_path, monkeypatch):
    """The race CI hit: this opener read the old tables, a teammate's upgrade committed,
    then this opener read the new version and called the book damaged."""
    from tests.test_upgrades import teammate_upgrades_mid_check

    _, fixture = BOOKS[0]
    _on_server(fixture, pg_db, tmp_path)
    ran = teammate_upgrades_mid_check(monkeypatch, pg_db)
    Book.open(pg_db).close()
    assert ran == [True]
    assert _version(pg_db) == SCHEMA_VERSION
